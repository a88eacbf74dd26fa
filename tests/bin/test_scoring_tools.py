"""av_confusion and score_by_group, called directly: a missing or malformed input file
is one line ``<tool>: error: ...`` naming the file, and status 2 (no traceback)."""

from __future__ import annotations

import pytest

from espnet_lowrank.bin import av_confusion, score_by_group
from espnet_lowrank.bin._cli import EXIT_BAD_INPUT, call


@pytest.fixture
def files(tmp_path):
    (tmp_path / "ref").write_text("u1 bin blue at b two now\n")
    (tmp_path / "hyp").write_text("u1 bin blue at p two now\n")
    (tmp_path / "utt2engine").write_text("u1 espeak:en-us\n")
    (tmp_path / "dup").write_text("u1 espeak:en-us\nu1 flite:awb\n")
    return tmp_path


def _argv(tool, files, **replace):
    names = {"ref": "ref", "hyp": "hyp"}
    if tool is score_by_group:
        names["groups"] = "utt2engine"
    names.update(replace)
    return [x for k, v in names.items() for x in (f"--{k}", str(files / v))]


CASES = [
    (av_confusion, "ref"),
    (av_confusion, "hyp"),
    (score_by_group, "ref"),
    (score_by_group, "hyp"),
    (score_by_group, "groups"),
]


@pytest.mark.parametrize(("tool", "flag"), CASES)
def test_missing_file_is_one_line_naming_it(tool, flag, files, capsys):
    missing = files / "does_not_exist"
    assert tool.main(_argv(tool, files, **{flag: missing.name})) == EXIT_BAD_INPUT
    captured = capsys.readouterr()
    name = tool.__name__.rsplit(".", 1)[-1]
    assert captured.out == "" and "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"{name}: error: "), captured.err
    assert str(missing) in lines[0]


def test_malformed_groups_table_names_the_line(files, capsys):
    argv = _argv(score_by_group, files, groups="dup")
    assert score_by_group.main(argv) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"score_by_group: error: {files / 'dup'}:2: duplicate key 'u1' "
        "(add --debug for a traceback)"
    ]
    with pytest.raises(ValueError, match="duplicate key"):
        call(score_by_group.main, [*argv, "--debug"])


@pytest.mark.parametrize("tool", [av_confusion, score_by_group])
def test_good_input_still_reports(tool, files, capsys):
    assert tool.main(_argv(tool, files)) == 0
    out = capsys.readouterr().out
    assert ("1 slot errors" in out) if tool is av_confusion else ("|espeak|1|6|" in out)


@pytest.mark.parametrize(
    "argv",
    [
        [],  # neither mode
        ["--data_dir", "d"],  # forced choice without its model
        ["--data_dir", "d", "--config", "c", "--model_file", "m", "--hyp", "h"],  # both modes
    ],
)
def test_av_confusion_takes_one_mode(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        av_confusion.main(argv)
    assert exc.value.code == 2
    assert "--data_dir, --config and --model_file" in capsys.readouterr().err


def test_forced_choice_names_a_missing_data_file(tmp_path, capsys):
    (tmp_path / "text").write_text("u1 BIN BLUE AT B TWO NOW\n")
    argv = ["--data_dir", str(tmp_path), "--config", "c.yaml", "--model_file", "m.pth"]
    assert av_confusion.main(argv) == EXIT_BAD_INPUT
    assert str(tmp_path / "wav.scp") in capsys.readouterr().err
