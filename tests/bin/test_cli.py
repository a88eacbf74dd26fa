"""The shared exit path of the tools: a message and status 2 for bad input only."""

from __future__ import annotations

import pytest

from espnet_lowrank.bin._cli import EXIT_BAD_INPUT, call
from espnet_lowrank.rank_map import RankMapError


def test_bad_input_is_one_line_and_status_2(capsys):
    def main(argv):
        raise RankMapError("encoder_conf.rank_map.groups.attention: rank must be >= 1, got 0")

    assert call(main, [], prog="tool") == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err == (
        "tool: error: encoder_conf.rank_map.groups.attention: rank must be >= 1, got 0 "
        "(add --debug for a traceback)\n"
    )


def test_debug_shows_the_traceback_and_is_not_passed_on(monkeypatch):
    seen = []

    def main(argv):
        seen.append(list(argv))
        raise FileNotFoundError("x.yaml does not exist")

    monkeypatch.delenv("ESPNET_LOWRANK_DEBUG", raising=False)
    with pytest.raises(FileNotFoundError):
        call(main, ["--debug", "--a", "1"], prog="tool")
    assert seen == [["--a", "1"]]
    monkeypatch.setenv("ESPNET_LOWRANK_DEBUG", "1")
    with pytest.raises(FileNotFoundError):
        call(main, [], prog="tool")


def test_a_bug_keeps_its_traceback():
    def main(argv):
        return {}["missing"]

    with pytest.raises(KeyError):
        call(main, [], prog="tool")


def test_systemexit_messages_and_codes(capsys):
    def message(argv):
        raise SystemExit("--nj must be >= 1, got 0")

    assert call(message, [], prog="tool") == 2
    assert capsys.readouterr().err == "tool: error: --nj must be >= 1, got 0\n"

    def prefixed(argv):
        raise SystemExit("tool: error: already formatted")

    assert call(prefixed, [], prog="tool") == 2
    assert capsys.readouterr().err == "tool: error: already formatted\n"
    assert call(lambda argv: 0, [], prog="tool") == 0
    assert call(lambda argv: {"a": 1}, [], prog="tool") == 0  # results are not statuses


def test_count_params_names_the_part_of_a_bad_map(tmp_path, capsys):
    """A bad decoder map through count_params says decoder_conf, not just rank_map."""
    from pathlib import Path

    import yaml

    from espnet_lowrank.count_params import main

    conf = Path(__file__).resolve().parents[2] / "egs2/mini_lowrank/asr1/conf"
    cfg = yaml.safe_load((conf / "train_asr_smoke.yaml").read_text())
    cfg["encoder"], cfg["decoder"] = "lowrank_conformer", "lowrank_transformer"
    cfg["decoder_conf"] = dict(cfg.get("decoder_conf") or {}, rank_map={"groups": {"attention": 0}})
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    tokens = tmp_path / "tokens.txt"
    tokens.write_text("<blank>\n<unk>\na\nb\n<sos/eos>\n")
    assert call(main, [str(bad), "--token_list", str(tokens)], prog="count_params") == 2
    err = capsys.readouterr().err
    assert "count_params: error: decoder_conf.rank_map.groups.attention: rank must be >= 1" in err
