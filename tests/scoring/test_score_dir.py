"""sclite scoring: trn layout, report parsing, and agreement with independent counts."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from espnet_lowrank.bin import score as score_cli
from espnet_lowrank.scoring.alignment import (
    SCLITE_COSTS,
    UNIT_COSTS,
    align_counts,
    count_errors,
    levenshtein_errors,
)
from espnet_lowrank.scoring.sclite import find_sclite, parse_result
from espnet_lowrank.scoring.score_dir import score_text_files

VOCAB = "the a of cat dog sat on mat ran far near blue red house tree".split()


def _write(path: Path, lines) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _corpus(tmp_path: Path, n: int = 30, seed: int = 0):
    """A reference data dir and a hypothesis with random sub/ins/del errors."""
    rng = random.Random(seed)
    ref, hyp, spk = [], [], []
    for i in range(n):
        utt = f"spk{i % 3}-utt{i:03d}"
        words = [rng.choice(VOCAB) for _ in range(rng.randint(1, 9))]
        out = []
        for w in words:
            r = rng.random()
            if r < 0.1:
                continue  # deletion
            out.append(rng.choice(VOCAB) if r < 0.25 else w)
            if rng.random() < 0.08:
                out.append(rng.choice(VOCAB))  # insertion
        if i == 4:
            out = []  # an empty hypothesis is valid
        if i == 7:
            out = [w.upper() for w in words]  # sclite folds case
        ref.append(f"{utt} {' '.join(words)}")
        hyp.append(f"{utt} {' '.join(out)}".rstrip())
        spk.append(f"{utt} spk{i % 3}")
    data = tmp_path / "data" / "test"
    _write(data / "text", ref)
    _write(data / "utt2spk", spk)
    hyp_text = _write(tmp_path / "decode" / "test" / "text", list(reversed(hyp)))
    return data / "text", data / "utt2spk", hyp_text


def test_trn_files_follow_asr_sh(tmp_path):
    ref, utt2spk, hyp = _corpus(tmp_path, n=4)
    res = score_text_files(ref, hyp, tmp_path / "score_wer", "word", utt2spk)
    ref_lines = res.ref_trn.read_text().splitlines()
    hyp_lines = res.hyp_trn.read_text().splitlines()
    assert len(ref_lines) == len(hyp_lines) == 4
    # sorted by utterance id, tag (<spk>-<uttid>), same order in both files
    assert ref_lines[0].endswith("(spk0-spk0-utt000)")
    assert [line.rsplit(" ", 1)[-1] for line in ref_lines] == [
        line.rsplit(" ", 1)[-1] for line in hyp_lines
    ]
    assert res.result_txt.read_text().count("Sum/Avg") == 1


def test_sclite_matches_independent_counts(tmp_path):
    ref, utt2spk, hyp = _corpus(tmp_path)
    res = score_text_files(ref, hyp, tmp_path / "score_wer", "word", utt2spk, cross_check=True)
    s = res.summary
    mine = count_errors(res.ref_tokens, res.hyp_tokens, SCLITE_COSTS)
    assert s.counts == mine.as_sclite_counts()
    assert (s.snt, s.wrd) == (mine.snt, mine.wrd) == (30, mine.wrd)
    # plain Levenshtein (editdistance) gives the same total error count
    assert s.counts[4] == levenshtein_errors(res.ref_tokens, res.hyp_tokens) > 0
    assert s.err == pytest.approx(round(100 * mine.err / mine.wrd, 1))
    assert s.corr + s.sub + s.dele == pytest.approx(100.0, abs=0.15)
    assert s.s_err == pytest.approx(round(100 * mine.s_err / mine.snt, 1))


def test_char_unit_uses_space_symbol(tmp_path):
    ref = _write(tmp_path / "ref", ["u1 ab c"])
    hyp = _write(tmp_path / "hyp", ["u1 ab d"])
    res = score_text_files(ref, hyp, tmp_path / "score_cer", "char", None)
    assert res.ref_trn.read_text() == "a b <space> c (u1-u1)\n"
    assert (res.summary.wrd, res.summary.counts[1]) == (4, 1)


def test_case_folding_is_ascii_only_like_sclite(tmp_path):
    ref = _write(tmp_path / "ref", ["u1 École a b"])
    hyp = _write(tmp_path / "hyp", ["u1 école A B"])
    res = score_text_files(ref, hyp, tmp_path / "o", "word", None, cross_check=True)
    assert res.summary.counts == (2, 1, 0, 0, 1, 1)


def test_perfect_and_empty_hypotheses(tmp_path):
    ref = _write(tmp_path / "ref", ["u1 a b", "u2 c"])
    hyp = _write(tmp_path / "hyp", ["u1 a b", "u2"])
    s = score_text_files(ref, hyp, tmp_path / "o", "word", None).summary
    assert s.counts == (2, 0, 1, 0, 1, 1)
    assert (s.corr, s.dele, s.err, s.s_err) == (66.7, 33.3, 33.3, 50.0)


def test_alignment_breakdown():
    assert align_counts("a b c".split(), "a x c d".split(), UNIT_COSTS).as_sclite_counts() == (
        2,
        1,
        0,
        1,
        2,
        1,
    )
    # sclite's weights keep the minimum error count on short mismatches
    c = align_counts(list("abcd"), list("xbcy"), SCLITE_COSTS)
    assert (c.sub, c.dele, c.ins) == (2, 0, 0)


def test_id_mismatch_names_ids(tmp_path):
    ref = _write(tmp_path / "ref", ["u1 a", "u2 b", "u3 c"])
    hyp = _write(tmp_path / "hyp", ["u1 a", "u4 b"])
    with pytest.raises(ValueError, match=r"missing from the hypothesis .*u2 u3.*u4"):
        score_text_files(ref, hyp, tmp_path / "o", "word", None)


def test_empty_file_is_an_error(tmp_path):
    ref = _write(tmp_path / "ref", ["u1 a"])
    hyp = tmp_path / "hyp"
    hyp.write_text("")
    with pytest.raises(ValueError, match=r"hyp is empty"):
        score_text_files(ref, hyp, tmp_path / "o", "word", None)


def test_missing_sclite_says_how_to_install(monkeypatch, tmp_path):
    import espnet_lowrank.scoring.sclite as sclite_mod

    monkeypatch.setattr(sclite_mod.shutil, "which", lambda name: None)
    monkeypatch.setattr(sclite_mod, "DEBIAN_SCTK_DIR", tmp_path / "nowhere")
    with pytest.raises(FileNotFoundError, match="apt-get install sctk"):
        find_sclite()


def test_parse_result_rejects_non_sclite_file(tmp_path):
    bad = _write(tmp_path / "result.txt", ["no table here"])
    with pytest.raises(ValueError, match="Sum/Avg"):
        parse_result(bad)


def test_cli_writes_result_and_requires_utt2spk(tmp_path, capsys):
    ref, _, hyp = _corpus(tmp_path, n=5)
    out = tmp_path / "score_wer"
    assert score_cli.main(["--ref", str(ref), "--hyp", str(hyp), "--out_dir", str(out)]) == 0
    printed = capsys.readouterr().out
    s = parse_result(out / "result.txt")
    assert "|" + "|".join(s.row()) + "|" in printed

    lone = _write(tmp_path / "lone" / "text", ["u1 a"])
    args = ["--ref", str(lone), "--hyp", str(lone), "--out_dir", str(tmp_path / "x")]
    assert score_cli.main(args) == 2
    assert "--utt2spk none" in capsys.readouterr().err
    assert score_cli.main(args + ["--utt2spk", "none"]) == 0


def test_python_alignment_matches_sclite_per_utterance(tmp_path):
    """Dissimilar random pairs: ties abound, and the breakdown must still agree."""
    import re

    rng = random.Random(3)
    letters = list("abcdef")
    ref_lines, hyp_lines = [], []
    for i in range(150):
        ref_lines.append(f"u{i:03d} " + " ".join(rng.choices(letters, k=rng.randint(1, 10))))
        hyp_lines.append(f"u{i:03d} " + " ".join(rng.choices(letters, k=rng.randint(0, 10))))
    ref = _write(tmp_path / "ref", ref_lines)
    hyp = _write(tmp_path / "hyp", hyp_lines)
    res = score_text_files(ref, hyp, tmp_path / "o", "word", None, cross_check=True)
    report = res.result_txt.read_text()
    per_utt = dict(
        re.findall(r"id: \(u\d+-(u\d+)\)\nScores: \(#C #S #D #I\) (\d+ \d+ \d+ \d+)", report)
    )
    assert len(per_utt) == 150
    for utt, counts in per_utt.items():
        c = align_counts(res.ref_tokens[utt], res.hyp_tokens[utt], SCLITE_COSTS)
        assert f"{c.corr} {c.sub} {c.dele} {c.ins}" == counts, utt


def test_token_unit_uses_the_sentencepiece_model(tmp_path):
    import sentencepiece as spm

    corpus = _write(tmp_path / "corpus.txt", ["the cat sat on the mat"] * 20)
    prefix = tmp_path / "bpe"
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(prefix),
        vocab_size=20,
        hard_vocab_limit=False,
        model_type="unigram",
        minloglevel=2,
    )
    model = f"{prefix}.model"
    pieces = spm.SentencePieceProcessor(model_file=model).encode("the cat", out_type=str)
    ref = _write(tmp_path / "ref", ["u1 the cat"])
    hyp = _write(tmp_path / "hyp", ["u1 the mat"])
    res = score_text_files(ref, hyp, tmp_path / "score_ter", "token", None, bpe_model=model)
    assert res.ref_trn.read_text() == " ".join(pieces) + " (u1-u1)\n"
    assert res.summary.wrd == len(pieces) and res.summary.counts[4] >= 1
    with pytest.raises(ValueError, match="--bpe_model"):
        score_text_files(ref, hyp, tmp_path / "x", "token", None)
