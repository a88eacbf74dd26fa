"""The LM study section of RESULTS.md from a hand-made exp/ layout."""

from __future__ import annotations

import textwrap

import pytest

from espnet_lowrank.scoring import lm_study

LOG = "[vm] x (trainer:394) INFO: {e}epoch results: [train] loss=3.0, time={t} seconds, n=1\n"
CONFIG = textwrap.dedent(
    """\
    lm: transformer
    lm_conf: {pos_enc: null, embed_unit: 8, att_unit: 16, head: 2, unit: 32, layer: 2}
    token_list: [a, b, c, d, e]
    """
)


def _lm(exp, name, seed, ppl, secs=(10.0, 20.0), config=CONFIG):
    d = exp / f"lm_{name}_seed{seed}_en_bpe300"
    for dset, value in ppl.items():
        (d / f"perplexity_{dset}").mkdir(parents=True)
        (d / f"perplexity_{dset}" / "ppl").write_text(f"{value}\n")
    (d / "train.log").write_text("".join(LOG.format(e=i + 1, t=t) for i, t in enumerate(secs)))
    (d / "config.yaml").write_text(config)
    return d


def test_mean_std():
    assert lm_study.mean_std([]) == "n/a"
    assert lm_study.mean_std([3.0]) == "3.00 (1)"
    assert lm_study.mean_std([2.0, 4.0]) == "3.00 ± 1.41 (2)"


def test_table_over_seeds(tmp_path):
    _lm(tmp_path, "train_lm_dense", 1, {"dev": 20.0, "test": 22.0})
    _lm(tmp_path, "train_lm_dense", 2, {"dev": 22.0, "test": 24.0}, secs=(30.0,))
    _lm(
        tmp_path, "train_lm_ffn_r2", 1, {"dev": 21.0}, config=CONFIG.replace("layer: 2", "layer: 1")
    )
    (tmp_path / "lm_stats_en_bpe300").mkdir()  # not an LM of the study
    lms = {lm.config: lm for lm in lm_study.collect(tmp_path)}
    assert set(lms) == {"train_lm_dense", "train_lm_ffn_r2"}
    assert lms["train_lm_dense"].ppl["test"] == {1: 22.0, 2: 24.0}
    assert lms["train_lm_dense"].epoch_s == {1: 15.0, 2: 30.0}
    from espnet2.lm.transformer_lm import TransformerLM

    built = TransformerLM(5, pos_enc=None, embed_unit=8, att_unit=16, head=2, unit=32, layer=2)
    assert lms["train_lm_dense"].params == sum(p.numel() for p in built.parameters())
    lines = lm_study.render(tmp_path)
    row = next(line for line in lines if line.startswith("|train_lm_dense|"))
    assert row.split("|")[4:7] == ["21.00 ± 1.41 (2)", "23.00 ± 1.41 (2)", "n/a"]
    assert row.split("|")[3] == "1.00×"
    r2 = next(line for line in lines if line.startswith("|train_lm_ffn_r2|"))
    ratio = lms["train_lm_dense"].params / lms["train_lm_ffn_r2"].params
    assert ratio > 1 and r2.split("|")[3] == f"{ratio:.2f}×"  # dense / this


def test_same_text_sets_are_named(tmp_path):
    _lm(tmp_path, "train_lm_dense", 1, {"dev": 20.0, "test": 22.0, "test_unseen": 22.0001})
    text = "\n".join(lm_study.render(tmp_path))
    assert "`test_unseen` gives `test`'s perplexity" in text and "`test` gives `dev`" not in text


def test_no_study_no_section(tmp_path):
    assert lm_study.render(tmp_path) == []


def test_bad_ppl_file_is_named(tmp_path):
    d = _lm(tmp_path, "train_lm_dense", 1, {"dev": 20.0})
    (d / "perplexity_dev" / "ppl").write_text("nan?\n")
    with pytest.raises(ValueError, match="perplexity_dev/ppl"):
        lm_study.collect(tmp_path)
