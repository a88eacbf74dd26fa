"""RESULTS.md: ESPnet table layout, comparison table, model_info.json handling."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from espnet_lowrank.bin import make_results
from espnet_lowrank.scoring.model_info import read_model_info, update_model_info
from espnet_lowrank.scoring.results_md import collect, render_results
from espnet_lowrank.scoring.score_dir import score_text_files

ENV = {"date": "Thu Jan 01 00:00:00 UTC 2026", "python version": "3.11"}


def _write(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _exp(tmp_path: Path) -> Path:
    """Two models; A decoded on two sets (WER + CER), B on one (WER only)."""
    ref = _write(tmp_path / "data" / "ref", ["u1 the cat sat", "u2 on the mat"])
    hyps = {
        "asr_a": {
            "test_clean": ["u1 the cat sat", "u2 on a mat"],
            "test_other": ["u1 cat", "u2"],
        },
        "asr_b": {"test_clean": ["u1 the cat sat", "u2 on the mat"]},
    }
    exp = tmp_path / "exp"
    for model, sets in hyps.items():
        for test_set, lines in sets.items():
            d = exp / model / "decode_asr_model_valid.acc.ave" / test_set
            hyp = _write(d / "text", lines)
            score_text_files(ref, hyp, d / "score_wer", "word", None)
            if model == "asr_a":
                score_text_files(ref, hyp, d / "score_cer", "char", None)
    (exp / "lm_train").mkdir()  # no decode: not a model section
    return exp


def test_tables_follow_espnet_layout(tmp_path):
    exp = _exp(tmp_path)
    models = collect(exp)
    assert [m.tag for m in models] == ["asr_a", "asr_b"]
    text = render_results(models, ENV, "test")
    assert "## Comparison" not in text  # no model_info.json anywhere
    lines = text.splitlines()
    a = lines.index("## asr_a")
    assert lines[a + 2 : a + 5] == [
        "### WER",
        "",
        "|dataset|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|",
    ]
    assert "|decode_asr_model_valid.acc.ave/test_clean|2|6|83.3|16.7|0.0|0.0|16.7|50.0|" in lines
    assert "|decode_asr_model_valid.acc.ave/test_other|2|6|16.7|0.0|83.3|0.0|83.3|100.0|" in lines
    b = lines.index("## asr_b")
    assert "### CER" in lines[a:b] and "### CER" not in lines[b:]
    assert "- date: `Thu Jan 01 00:00:00 UTC 2026`" in lines


def test_comparison_marks_unmeasured_values(tmp_path):
    exp = _exp(tmp_path)
    update_model_info(exp / "asr_a", params_total=1_234_567, epoch_seconds=12.0)
    update_model_info(exp / "asr_a", rtf=0.25, rank_table="|layer|rank|\n|---|---|\n|q|8|")
    assert read_model_info(exp / "asr_a")["params_total"] == 1_234_567
    text = render_results(collect(exp), ENV, "test")
    lines = text.splitlines()
    # WER, CER of test_clean then test_other; CER 3/21 chars ("the" -> "a", spaces count)
    dec = "decode_asr_model_valid.acc.ave"
    assert f"|asr_a|{dec}|1.23M|n/a|n/a|12.0|0.250|16.7|14.3|83.3|85.7|" in lines
    assert "|asr_b|decode_asr_model_valid.acc.ave|n/a|n/a|n/a|n/a|n/a|0.0|n/a|n/a|n/a|" in lines
    assert any(line.startswith("n/a: not measured") for line in lines)
    assert "|q|8|" in lines[lines.index("### Ranks") :]


def test_rank_plot_link_and_rescoring_table(tmp_path):
    exp = _exp(tmp_path)
    (exp / "asr_a" / "ranks.png").write_bytes(b"png")
    (exp / "asr_a" / "rescoring_results.md").write_text("### LoRA rescoring\n\n|a|b|\n")
    analysis = exp / "asr_a" / "rank_analysis"
    analysis.mkdir()
    for name in ("rank_by_depth_stable.png", "suggested_rank_map.yaml"):
        (analysis / name).write_text("x")
    lines = render_results(collect(exp), ENV, "test", out_dir=tmp_path).splitlines()
    a, b = lines.index("## asr_a"), lines.index("## asr_b")
    assert "![ranks of asr_a](exp/asr_a/ranks.png)" in lines[a:b]
    assert lines.index("### LoRA rescoring") in range(a, b)
    assert "![rank_by_depth_stable](exp/asr_a/rank_analysis/rank_by_depth_stable.png)" in lines
    suggested = "exp/asr_a/rank_analysis/suggested_rank_map.yaml"
    assert f"Suggested rank map: [suggested_rank_map.yaml]({suggested})" in lines
    lines = render_results(collect(exp), ENV, "test", out_dir=exp / "asr_a").splitlines()
    assert "![ranks of asr_a](ranks.png)" in lines


def test_model_info_rejects_unknown_key_and_bad_type(tmp_path):
    with pytest.raises(ValueError, match="unknown key 'params'"):
        update_model_info(tmp_path, params=3)
    (tmp_path / "model_info.json").write_text(json.dumps({"rtf": "fast"}))
    with pytest.raises(ValueError, match=r"model_info.json: rtf must be"):
        read_model_info(tmp_path)
    with pytest.raises(ValueError, match=r"rtf_sets\['test'\] must be >= 0"):
        update_model_info(tmp_path / "x", rtf_sets={"test": -1.0})


def test_cli(tmp_path, capsys):
    exp = _exp(tmp_path)
    out = tmp_path / "RESULTS.md"
    assert make_results.main(["--exp_dir", str(exp), "--out", str(out)]) == 0
    text = out.read_text()
    assert text.startswith("<!-- Generated by python -m espnet_lowrank.bin.make_results -->")
    assert "- espnet version: `espnet " in text and "- pytorch version:" in text
    assert "- espnet_lowrank version: `espnet_lowrank " in text
    assert make_results.main(["--exp_dir", str(tmp_path / "data"), "--out", "-"]) == 2
    assert "no sclite result.txt" in capsys.readouterr().err
