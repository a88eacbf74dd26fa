"""Wrap one of ESPnet's command-line tools with the low-rank classes registered.

Before ESPnet sees the command line, :func:`check_inputs` reads the files it
names: every YAML option strictly (:mod:`espnet_lowrank.strict_yaml`), every
weights file through :func:`~espnet_lowrank.checkpoint.load_state_dict_file` (a
torn ``.pth`` is an error naming it), and a low-rank checkpoint against its config
(:func:`~espnet_lowrank.checkpoint.check_factors_fit_config`). Bad input thus ends
in one message (see :mod:`espnet_lowrank.bin._cli`) instead of a traceback deep in
ESPnet, or random weights.
"""

import argparse
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register

# YAML options of ESPnet's tools (and ours) that name files
YAML_OPTIONS = (
    "--config",
    "--asr_train_config",
    "--lm_train_config",
    "--train_config",
    "--base_lm_config",
)
# weights option -> the config option it is built from
WEIGHT_OPTIONS = {
    "--asr_model_file": "--asr_train_config",
    "--lm_file": "--lm_train_config",
    "--model_file": "--train_config",
    "--base_lm_file": "--base_lm_config",
}


def _options(argv: Sequence[str]) -> Dict[str, List[str]]:
    """``--name value`` and ``--name=value`` pairs of ``argv`` (values in order)."""
    out: Dict[str, List[str]] = {}
    args = list(argv)
    for i, a in enumerate(args):
        if not a.startswith("--"):
            continue
        name, eq, value = a.partition("=")
        if not eq:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                continue
            value = args[i + 1]
        out.setdefault(name, []).append(value)
    return out


def check_inputs(argv: Sequence[str]) -> None:
    """Read the config and weights files ``argv`` names; raise an ``InputError`` if bad."""
    from espnet_lowrank.checkpoint import check_factors_fit_config, load_state_dict_file
    from espnet_lowrank.strict_yaml import load_yaml_mapping

    opts = _options(argv)
    configs = {}
    for opt in YAML_OPTIONS:
        for value in opts.get(opt, []):
            if value.lower() not in ("", "none", "null"):
                configs[opt] = (value, load_yaml_mapping(value, opt))
    for opt, config_opt in WEIGHT_OPTIONS.items():
        for value in opts.get(opt, []):
            if value.lower() in ("", "none", "null"):
                continue
            state = load_state_dict_file(value, opt, mmap=True)
            if config_opt in configs:
                config_file, cfg = configs[config_opt]
                check_factors_fit_config(state, cfg, value, config_file)


def escape_help(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Double every ``%`` of an option's help that is not argparse's ``%(name)s``: ESPnet
    202611's ``asr_inference`` has a literal ``%`` in ``--ctc_window_margin``'s help, and
    its own ``--help`` then fails with "unsupported format character"."""
    for action in parser._actions:
        if isinstance(action.help, str):
            action.help = re.sub(r"%%|%\(|%", lambda m: "%%" if m[0] == "%" else m[0], action.help)
    return parser


def wrap(module_name: str) -> Tuple[Callable, Callable]:
    """``(get_parser, main)`` of ESPnet's ``module_name`` (e.g. ``espnet2.bin.pack``)."""
    tool = import_quietly(module_name)[0]
    register()

    def main(cmd: Optional[Sequence[str]] = None) -> None:
        import sys

        argv = sys.argv[1:] if cmd is None else list(cmd)
        if "-h" in argv or "--help" in argv:
            escape_help(tool.get_parser()).print_help()
            return
        check_inputs(argv)
        tool.main(argv)

    main.__doc__ = tool.main.__doc__
    return tool.get_parser, main
