"""The tools' options are spelled with underscores; the dashed spelling is a hidden alias."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from espnet_lowrank.bin import _cli

BIN = Path(_cli.__file__).parent


def _option_strings():
    """``(file, option)`` for every ``add_argument("--...")`` in ``bin/`` and ``bench/``."""
    for path in sorted([*BIN.glob("*.py"), *(BIN.parent / "bench").glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
            ):
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and str(arg.value).startswith("--"):
                        yield path.name, arg.value


def test_every_option_is_underscore_style():
    options = list(_option_strings())
    assert len(options) > 100
    dashed = [(f, o) for f, o in options if "-" in o[2:]]
    assert dashed == []


def test_no_tool_sets_up_logging_itself():
    for path in BIN.glob("*.py"):
        if path.name != "_cli.py":
            assert "basicConfig" not in path.read_text(encoding="utf-8"), path.name


def test_dashed_alias_still_works_and_is_hidden(capsys):
    from espnet_lowrank.bin.score import get_parser

    parser = get_parser()
    args = parser.parse_args(["--ref", "r", "--hyp", "h", "--out-dir", "o", "--bpe-model=m"])
    assert (args.out_dir, args.bpe_model) == ("o", "m")
    assert parser.parse_args(["--ref", "r", "--hyp", "h", "--out_dir", "o"]).out_dir == "o"
    help_text = parser.format_help()
    assert "--out_dir" in help_text and "--out-dir" in help_text  # only in the note
    assert help_text.count("--out-dir") == 1 and _cli.DASHED_ALIAS_NOTE.split()[0] in help_text


def test_dashed_alias_in_subcommands():
    from espnet_lowrank.bin.model_info import get_parser

    args = get_parser().parse_args(["train", "--exp-dir", "e"])
    assert str(args.exp_dir) == "e"


def test_values_and_unknown_options_are_left_alone():
    known = {"--out_dir"}
    assert _cli.underscore_option("--out-dir", known) == "--out_dir"
    assert _cli.underscore_option("--out-dir=a-b", known) == "--out_dir=a-b"
    assert _cli.underscore_option("--other-flag", known) == "--other-flag"
    assert _cli.underscore_option("a-b", known) == "a-b"


def test_reports_bad_input_when_called_directly(capsys):
    @_cli.reports_bad_input
    def main(argv):
        raise ValueError("--nj must be >= 1, got 0")

    assert main([]) == _cli.EXIT_BAD_INPUT
    assert "error: --nj must be >= 1, got 0" in capsys.readouterr().err
    with pytest.raises(ValueError):
        _cli.call(main, ["--debug"])


def test_log_format_is_espnets():
    assert _cli.LOG_FORMAT == "%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"
    assert (
        logging.Formatter(_cli.LOG_FORMAT)
        .format(logging.LogRecord("x", logging.INFO, __file__, 7, "hi", None, None))
        .endswith("(test_flags:7) INFO: hi")
    )
