"""results/ keeps an experiment's small text artefacts, never its checkpoints."""

from __future__ import annotations

import pytest

from espnet_lowrank.bin import recipe_tools
from espnet_lowrank.recipe.keep_results import keep_results, kept_files


def _exp(root):
    exp = root / "exp" / "asr_x"
    files = {
        "config.yaml": "a: 1\n",
        "train.log": "log\n",
        "model_info.json": "{}\n",
        "valid.acc.ave.pth": "weights",
        "3epoch.pth": "weights",
        "tensorboard/train/events.out.tfevents.1": "tb",
        "decode_asr/test/score_wer/result.txt": "sclite\n",
        "decode_asr/test/score_wer/hyp.trn": "big\n",
        "decode_asr/test/text": "hyps\n",
        "rescoring/base/test/nprr.yaml": "nprr: 0.1\n",
        "rescoring/base/rescore_weights.yaml": "lm_weight: 0.2\n",
        "rescoring/nbest10/test/10best_recog/text": "nbest\n",
        "perplexity_test/ppl": "25.6\n",
        "rank_analysis/suggested_rank_map.yaml": "groups: {}\n",
    }
    for rel, text in files.items():
        (exp / rel).parent.mkdir(parents=True, exist_ok=True)
        (exp / rel).write_text(text)
    return exp


def test_kept_files(tmp_path):
    exp = _exp(tmp_path)
    kept = {p.as_posix() for p in kept_files(exp)}
    assert kept == {
        "config.yaml", "train.log", "model_info.json", "decode_asr/test/score_wer/result.txt",
        "decode_asr/test/score_wer/hyp.trn",  # for sc_stats (scoring/ablations)
        "rescoring/base/test/nprr.yaml", "rescoring/base/rescore_weights.yaml",
        "perplexity_test/ppl", "rank_analysis/suggested_rank_map.yaml",
    }  # fmt: skip
    assert not any(k.endswith(".pth") for k in kept)
    assert {p.as_posix() for p in kept_files(exp, max_bytes=3)} == {"model_info.json"}
    assert "decode_asr/test/text" not in kept


def test_copies_once_and_names_missing(tmp_path):
    _exp(tmp_path)
    written = keep_results(tmp_path / "exp", tmp_path / "results")
    assert len(written) == 9
    assert (tmp_path / "results/asr_x/perplexity_test/ppl").read_text() == "25.6\n"
    assert keep_results(tmp_path / "exp", tmp_path / "results") == []  # unchanged: not rewritten
    (tmp_path / "exp/asr_x/train.log").write_text("log\nmore\n")
    assert keep_results(tmp_path / "exp", tmp_path / "results", ["asr_x"]) == [
        tmp_path / "results/asr_x/train.log"
    ]
    with pytest.raises(FileNotFoundError, match="asr_y"):
        keep_results(tmp_path / "exp", tmp_path / "results", ["asr_y"])


def test_cli(tmp_path, capsys):
    _exp(tmp_path)
    out = tmp_path / "r"
    args = ["keep-results", "--exp_dir", str(tmp_path / "exp"), "--out_dir", str(out)]
    assert recipe_tools.main(args) == 0
    assert "kept 9 new or changed file(s)" in capsys.readouterr().err
    assert recipe_tools.main(["keep-results", "--exp_dir", str(tmp_path / "none")]) == 2
