"""Every command-line tool answers bad input with one message and exit status 2.

Each tool of ``espnet_lowrank/bin`` runs as ``python -m`` would run it (its
``__main__`` block, in this process through ``runpy``) with no arguments,
``--help``, an input that does not exist and a malformed input. An exception that
escapes is a traceback and fails the test.
"""

from __future__ import annotations

import io
import runpy
import sys
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

BIN = Path(__file__).resolve().parents[2] / "espnet_lowrank" / "bin"
TOOLS = sorted(p.stem for p in BIN.glob("*.py") if not p.stem.startswith("_"))

Cases = Callable[[Path, Path], List[str]]  # (missing, files dir) -> argv


def run_tool(tool: str, argv: List[str]) -> Tuple[int, str]:
    """Exit status and stderr (after stdout) of ``python -m espnet_lowrank.bin.<tool> argv``."""
    err, out = io.StringIO(), io.StringIO()
    saved = sys.argv
    sys.argv = [f"espnet_lowrank/bin/{tool}.py", *argv]
    try:
        with redirect_stderr(err), redirect_stdout(out):
            runpy.run_module(f"espnet_lowrank.bin.{tool}", run_name="__main__", alter_sys=True)
        code = 0
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else 1
    finally:
        sys.argv = saved
    return code, out.getvalue() + err.getvalue()


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Dict[str, Path]:
    """Malformed inputs of each kind, and a directory to write into."""
    d = tmp_path_factory.mktemp("inputs")
    bad_yaml = d / "bad.yaml"  # a duplicate key: the first block would be dropped
    bad_yaml.write_text("encoder: conformer\nencoder_conf: {}\nencoder: transformer\n")
    good_yaml = d / "config.yaml"
    good_yaml.write_text("encoder: conformer\n")
    torn = d / "torn.pth"
    torn.write_bytes(b"PK\x03\x04 truncated")
    not_zip = d / "packed.zip"
    not_zip.write_bytes(b"not a zip")
    text = d / "text"
    text.write_text("u1 hello\nu1 duplicate key\n")
    (d / "exp" / "asr_x" / "decode_y" / "test" / "score_wer").mkdir(parents=True)
    (d / "exp" / "asr_x" / "decode_y" / "test" / "score_wer" / "result.txt").write_text("junk\n")
    (d / "exp" / "asr_x" / "config.yaml").write_text("a: 1\na: 2\n")
    (d / "exp" / "asr_x" / "train.log").write_text("no epochs here\n")
    (d / "video").mkdir()
    (d / "video" / "video.scp").write_text("u1\n")
    (d / "lrs3").mkdir()
    (d / "lrs3" / "trainval").write_text("a file where a folder belongs\n")
    (d / "md5.txt").write_text("not an md5 table\n")
    (d / "a_file").write_text("")
    from espnet_lowrank.corpora.mini.text import DOMAINS

    (d / "fortunes").mkdir()
    for topic in (t for topics in DOMAINS.values() for t in topics):
        (d / "fortunes" / topic).write_bytes(b"\xff\xfe binary, not fortunes\n%\n")
    with zipfile.ZipFile(d / "meta_bad.zip", "w") as z:
        z.writestr("meta.yaml", "files: {}\nfiles: {}\n")
    return {
        "bad_yaml": bad_yaml, "good_yaml": good_yaml, "torn": torn, "not_zip": not_zip,
        "text": text, "dir": d,
    }  # fmt: skip


def _lm(config: str, weights: str, out: Path) -> List[str]:
    return ["--lm_train_config", config, "--lm_file", weights]


# tool -> (argv with a missing input, argv with a malformed input); `M` is a path that
# does not exist, `F` the files fixture.
CASES: Dict[str, Callable[[Path, Dict[str, Path]], Tuple[List[str], List[str]]]] = {
    "asr_train": lambda M, F: (["--config", str(M)], ["--config", str(F["bad_yaml"])]),
    "avsr_train": lambda M, F: (["--config", str(M)], ["--config", str(F["bad_yaml"])]),
    "lm_train": lambda M, F: (["--config", str(M)], ["--config", str(F["bad_yaml"])]),
    "lm_adapt_train": lambda M, F: (
        ["--base_lm_config", str(M), "--base_lm_file", str(M)],
        ["--base_lm_config", str(F["good_yaml"]), "--base_lm_file", str(F["torn"])],
    ),
    "asr_inference": lambda M, F: (
        ["--asr_train_config", str(M), "--asr_model_file", str(M), "--output_dir", str(M)],
        [
            "--asr_train_config",
            str(F["good_yaml"]),
            "--asr_model_file",
            str(F["torn"]),
            "--output_dir",
            str(M),
        ],
    ),  # fmt: skip
    "avsr_inference": lambda M, F: (
        ["--asr_train_config", str(M), "--asr_model_file", str(M), "--output_dir", str(M)],
        [
            "--asr_train_config",
            str(F["bad_yaml"]),
            "--asr_model_file",
            str(F["torn"]),
            "--output_dir",
            str(M),
        ],
    ),  # fmt: skip
    "lm_calc_perplexity": lambda M, F: (
        ["--train_config", str(M), "--model_file", str(M), "--output_dir", str(M)],
        [
            "--train_config",
            str(F["good_yaml"]),
            "--model_file",
            str(F["torn"]),
            "--output_dir",
            str(M),
        ],
    ),  # fmt: skip
    "pack": lambda M, F: (
        ["asr", "--asr_train_config", str(M), "--asr_model_file", str(M), "--outpath", "x"],
        [
            "asr",
            "--asr_train_config",
            str(F["bad_yaml"]),
            "--asr_model_file",
            str(M),
            "--outpath",
            "x",
        ],
    ),  # fmt: skip
    "convert": lambda M, F: (
        ["to_dense", "--task", "asr", "--config", str(M), "--model", str(M), "--out_dir", str(M)],
        [
            "to_dense",
            "--task",
            "asr",
            "--config",
            str(F["bad_yaml"]),
            "--model",
            str(M),
            "--out_dir",
            str(M),
        ],
    ),  # fmt: skip
    "count_params": lambda M, F: ([str(M)], [str(F["bad_yaml"])]),
    "plot_ranks": lambda M, F: ([str(M), "--out", str(M)], [str(F["bad_yaml"]), "--out", str(M)]),
    "rank_analysis": lambda M, F: (
        [str(M), "--config", str(M), "--out_dir", str(M)],
        [str(F["torn"]), "--config", str(F["good_yaml"]), "--out_dir", str(M)],
    ),
    "lora_merge": lambda M, F: (
        [*_lm(str(M), str(M), M), "--out_dir", str(M)],
        [*_lm(str(F["bad_yaml"]), str(F["torn"]), M), "--out_dir", str(M)],
    ),
    "rescore": lambda M, F: (
        [*_lm(str(M), str(M), M), "--nbest_dir", str(M), "--out_dir", str(M)],
        [*_lm(str(F["bad_yaml"]), str(F["torn"]), M), "--nbest_dir", str(M), "--out_dir", str(M)],
    ),
    "nprr": lambda M, F: (
        [*_lm(str(M), str(M), M), "--nbest_dir", str(M), "--ref", str(M), "--out", str(M)],
        [
            *_lm(str(F["bad_yaml"]), str(F["torn"]), M),
            "--nbest_dir",
            str(M),
            "--ref",
            str(M),
            "--out",
            str(M),
        ],
    ),  # fmt: skip
    "lora_rescoring": lambda M, F: (
        [
            "rescore",
            "--system",
            f"a={M},{M}",
            "--nbest_root",
            str(M),
            "--ref_root",
            str(M),
            "--dev_set",
            "dev",
            "--test_sets",
            "test",
            "--out_root",
            str(M),
        ],
        [
            "rescore",
            "--system",
            f"a={F['bad_yaml']},{F['torn']}",
            "--nbest_root",
            str(M),
            "--ref_root",
            str(M),
            "--dev_set",
            "dev",
            "--test_sets",
            "test",
            "--out_root",
            str(M),
        ],
    ),  # fmt: skip
    "upload": lambda M, F: (
        ["--packed_zip", str(M), "--hf_repo", "me/x", "--dry_run", str(M)],
        ["--packed_zip", str(F["not_zip"]), "--hf_repo", "me/x", "--dry_run", str(M)],
    ),
    "score": lambda M, F: (
        ["--ref", str(M), "--hyp", str(M), "--out_dir", str(M), "--utt2spk", "none"],
        [
            "--ref",
            str(F["text"]),
            "--hyp",
            str(F["text"]),
            "--out_dir",
            str(M),
            "--utt2spk",
            "none",
        ],
    ),  # fmt: skip
    "av_confusion": lambda M, F: (
        ["--ref", str(M), "--hyp", str(M)],
        ["--ref", str(F["text"]), "--hyp", str(F["text"])],
    ),
    "score_by_group": lambda M, F: (
        ["--ref", str(M), "--hyp", str(M), "--groups", str(M)],
        ["--ref", str(F["text"]), "--hyp", str(F["text"]), "--groups", str(F["text"])],
    ),
    "make_results": lambda M, F: (
        ["--exp_dir", str(M), "--out", str(M)],
        ["--exp_dir", str(F["dir"] / "exp"), "--out", str(M)],
    ),
    "model_info": lambda M, F: (
        ["train", "--exp_dir", str(M)],
        ["train", "--exp_dir", str(F["dir"] / "exp" / "asr_x")],
    ),
    "recipe_tools": lambda M, F: (
        ["checkpoint-epoch", str(M)],
        ["checkpoint-epoch", str(F["torn"])],
    ),
    "avsr_data": lambda M, F: (
        ["format-video", str(M), str(M)],
        ["format-video", str(F["dir"] / "video"), str(F["dir"] / "video")],
    ),
    "bench": lambda M, F: (
        ["train", "--asr_configs", str(M), str(M), "--json", str(M)],
        ["train", "--asr_configs", str(F["bad_yaml"]), str(F["bad_yaml"]), "--json", str(M)],
    ),
    "librispeech_data": lambda M, F: (
        ["prepare", "--root", str(M), "--data_dir", str(M)],
        ["download", "--root", str(M), "--md5_file", str(F["dir"] / "md5.txt")],
    ),
    "lrs3_data": lambda M, F: (
        ["--lrs3", str(M), "--data_dir", str(M), "--media_dir", str(M)],
        ["--lrs3", str(F["dir"] / "lrs3"), "--data_dir", str(M), "--media_dir", str(M)],
    ),
    "make_mini_corpus": lambda M, F: (
        ["--out_dir", str(M), "--wav_dir", str(M), "--smoke", "--fortune_dir", str(M)],
        [
            "--out_dir",
            str(M),
            "--wav_dir",
            str(M),
            "--smoke",
            "--fortune_dir",
            str(F["dir"] / "fortunes"),
        ],
    ),  # fmt: skip
    "make_mini_av_corpus": lambda M, F: (  # reads no files: a file where its folders go
        [
            "--out_dir",
            str(F["dir"] / "a_file" / "data"),
            "--wav_dir",
            str(F["dir"] / "a_file" / "wav"),
            "--video_dir",
            str(F["dir"] / "a_file" / "video"),
            "--smoke",
        ],
        [
            "--out_dir",
            str(M),
            "--wav_dir",
            str(M),
            "--video_dir",
            str(M),
            "--smoke",
            "--snr_range",
            "30",
            "10",
        ],
    ),  # fmt: skip
}


def test_every_tool_has_cases():
    assert sorted(CASES) == TOOLS


@pytest.mark.parametrize("tool", TOOLS)
def test_no_arguments_and_help(tool):
    code, err = run_tool(tool, [])
    assert code == 2 and "Traceback" not in err, err
    assert "usage:" in err or "error:" in err, err
    code, err = run_tool(tool, ["--help"])
    assert code == 0 and "Traceback" not in err, err


@pytest.mark.parametrize("kind", ["missing", "malformed"])
@pytest.mark.parametrize("tool", TOOLS)
def test_bad_input_is_one_message_with_status_2(tool, kind, files, tmp_path):
    missing = tmp_path / "does_not_exist"
    argv = CASES[tool](missing, files)[kind == "malformed"]
    code, err = run_tool(tool, argv)
    print(f"{tool} {kind}: exit {code}: {err.strip().splitlines()[-1:]}")
    assert "Traceback" not in err, err
    assert code == 2, err
    last = err.strip().splitlines()[-1]
    assert "error:" in last, err
    if kind == "missing":  # the message names the path
        assert "does_not_exist" in last or "a_file" in last, last
    assert not missing.exists(), f"{tool} left {missing} behind"
