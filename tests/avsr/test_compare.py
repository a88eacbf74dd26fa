"""The RESULTS.md comparison of AV models (``avsr_data compare``)."""

import copy

import pytest
import yaml

from espnet_lowrank.avsr.compare import count_parameters
from espnet_lowrank.bin import avsr_data
from tests.avsr.tiny_av import tiny_args, tiny_model

SCLITE = """| SPKR | # Snt # Wrd | Corr Sub Del Ins Err S.Err |
| Sum/Avg | 4 20 | 80.0 15.0 5.0 {ins} {err} 50.0 |
"""


def _exp(root, name, epochs, err, sets=None, **model_conf):
    exp = root / name
    exp.mkdir()
    args = tiny_args(**model_conf)
    model = tiny_model(**model_conf)
    from espnet_lowrank.tasks.inline import inline_rank_maps

    inline_rank_maps(args, model, "asr")
    cfg = {k: v for k, v in vars(copy.deepcopy(args)).items() if k != "config"}
    cfg["required"] = ["output_dir", "token_list"]  # as ESPnet writes it
    (exp / "config.yaml").write_text(yaml.safe_dump(cfg))
    lines = [f"[vm] x (trainer:394) INFO: {e}epoch results: [train] loss=1.0, time={s} seconds, "
             f"total_count=3, [valid] loss=1.0, time=0.5 seconds" for e, s in epochs]  # fmt: skip
    (exp / "train.log").write_text("\n".join(lines) + "\n")
    for dset, e in (sets or {"test": err}).items():
        res = exp / "decode_x" / dset / "score_wer"
        res.mkdir(parents=True)
        (res / "result.txt").write_text(SCLITE.format(ins=e - 20.0, err=e))
    return exp, sum(p.numel() for p in model.parameters())


def test_compare_table_parameters_epoch_time_and_wer(tmp_path, capsys):
    full, n_full = _exp(tmp_path, "full", [(1, 10.0), (2, 14.0)], 25.0)
    audio, n_audio = _exp(tmp_path, "audio", [(1, 6.0)], 40.0, streams="audio")
    assert count_parameters(full / "config.yaml") == (n_full, "av")
    out = tmp_path / "RESULTS.md"
    out.write_text("# Results\n\nkept text\n\n## model sections\nkept too\n")
    argv = ["compare", "--model", f"AV={full}", "--model", f"audio-only={audio}",
            "--inference_tag", "decode_x", "--test_sets", "test", "--out", str(out)]  # fmt: skip
    assert avsr_data.main(argv) == 0
    text = out.read_text()
    assert text.startswith("# Results\n\nkept text\n\n<!-- avsr compare: begin -->")
    assert text.endswith("<!-- avsr compare: end -->\n\n## model sections\nkept too\n")
    assert f"|AV|av|{n_full:,}|1.00x|12.0|1.00x|2|1|25.0|" in text
    assert f"|audio-only|audio|{n_audio:,}|{n_audio / n_full:.2f}x|6.0|2.00x|1|1|40.0|" in text
    assert avsr_data.main(argv) == 0  # a second run replaces the block
    assert out.read_text() == text


def test_compare_errors_name_the_missing_file(tmp_path, capsys):
    full, _ = _exp(tmp_path, "full", [(1, 10.0)], 25.0)
    argv = ["compare", "--model", f"AV={full}", "--inference_tag", "decode_y",
            "--test_sets", "test", "--out", str(tmp_path / "R.md")]  # fmt: skip
    assert avsr_data.main(argv) == 2
    assert "decode_y/test/score_wer/result.txt" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        avsr_data.main(["compare", "--out", "x"])
    assert avsr_data.main(argv[:1] + ["--model", "nolabel"] + argv[3:]) == 2
    assert "LABEL=EXP_DIR" in capsys.readouterr().err


SWEEP = ("test_snr_m5", "test_snr_clean", "test_snr_0", "test_snr_10")


def test_a_label_given_twice_is_one_model_over_seeds_and_the_plot_is_linked(tmp_path):
    wers = [{t: 20.0 + i for i, t in enumerate(SWEEP)}, {t: 24.0 + i for i, t in enumerate(SWEEP)}]
    s0, n = _exp(tmp_path, "av_seed0", [(1, 10.0)], 0.0, sets=wers[0])
    s1, _ = _exp(tmp_path, "av_seed1", [(1, 12.0), (2, 14.0)], 0.0, sets=wers[1])
    audio, _ = _exp(tmp_path, "audio", [(1, 6.0)], 0.0, sets=wers[0], streams="audio")
    out, png = tmp_path / "RESULTS.md", tmp_path / "plots" / "wer_vs_snr.png"
    argv = ["compare", "--model", f"AV={s0}", "--model", f"audio={audio}", "--model",
            f"AV={s1}", "--inference_tag", "decode_x", "--test_sets", *SWEEP,
            "--out", str(out), "--plot", str(png)]  # fmt: skip
    assert avsr_data.main(argv) == 0
    text = out.read_text()
    # mean ± sample std of (20, 24) = 22.0 ± 2.8; epochs: the longest run; s/epoch over all
    assert f"|AV|av|{n:,}|1.00x|12.0|1.00x|2|2|22.0 ± 2.8|23.0 ± 2.8|24.0 ± 2.8|25.0 ± 2.8|" in text
    assert text.index("|AV|") < text.index("|audio|")  # order of first appearance
    assert "![WER against SNR, one line per model](plots/wer_vs_snr.png)" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_sets_run_clean_then_falling_snr():
    from espnet_lowrank.avsr.compare import sweep_sets

    assert sweep_sets(["test", *SWEEP, "test_unseen"]) == [
        "test_snr_clean", "test_snr_10", "test_snr_0", "test_snr_m5"]  # fmt: skip


def test_plot_needs_two_sweep_sets_and_runs_must_build_one_model(tmp_path, capsys):
    a, _ = _exp(tmp_path, "a", [(1, 10.0)], 25.0)
    b, _ = _exp(tmp_path, "b", [(1, 10.0)], 25.0, streams="audio")
    argv = ["compare", "--model", f"AV={a}", "--inference_tag", "decode_x", "--test_sets",
            "test", "--out", str(tmp_path / "R.md")]  # fmt: skip
    assert avsr_data.main(argv + ["--plot", str(tmp_path / "p.png")]) == 2
    assert "two or more SNR sweep sets" in capsys.readouterr().err
    assert not (tmp_path / "R.md").exists() and not (tmp_path / "p.png").exists()
    assert avsr_data.main(argv + ["--model", f"AV={b}"]) == 2
    err = capsys.readouterr().err
    assert "'AV'" in err and "different models" in err and str(b) in err


def _write_trns(exp, dset, refs, error_rate, seed):
    import random

    from espnet_lowrank.scoring.trn import write_trn

    rng = random.Random(seed)
    words = sorted({w for r in refs.values() for w in r})
    hyps = {u: [w if rng.random() > error_rate else rng.choice(words) for w in r]
            for u, r in refs.items()}  # fmt: skip
    score = exp / "decode_x" / dset / "score_wer"
    write_trn(score / "ref.trn", refs, {u: u for u in refs})
    write_trn(score / "hyp.trn", hyps, {u: u for u in refs})


def test_pairs_are_tested_seed_by_seed_with_sc_stats(tmp_path, capsys):
    import random

    rng = random.Random(0)
    vocab = "bin lay place set blue green red white at by in with".split()
    refs = {f"u{i:03d}": [rng.choice(vocab) for _ in range(6)] for i in range(80)}
    s0, _ = _exp(tmp_path, "av0", [(1, 10.0)], 5.0)
    s1, _ = _exp(tmp_path, "av1", [(1, 10.0)], 5.0)
    audio, _ = _exp(tmp_path, "audio", [(1, 6.0)], 40.0, streams="audio")
    for i, (exp, rate) in enumerate(((s0, 0.05), (s1, 0.05), (audio, 0.4))):
        _write_trns(exp, "test", refs, rate, seed=i)
    out = tmp_path / "R.md"
    models = ["--model", f"AV={s0}", "--model", f"AV={s1}", "--model", f"audio={audio}"]
    argv = ["compare", *models, "--inference_tag", "decode_x", "--test_sets", "test",
            "--out", str(out), "--pair", "AV:audio"]  # fmt: skip
    assert avsr_data.main(argv) == 0
    assert "|AV|audio|better 2/2 (p ≤ 0.001)|" in out.read_text()
    # the single run of the first model cannot be paired with the two of the second
    assert avsr_data.main(argv[:-1] + ["audio:AV"]) == 2
    assert "1 runs against 2" in capsys.readouterr().err
    assert avsr_data.main(argv[:-1] + ["AV:nobody"]) == 2
    assert "'nobody'" in capsys.readouterr().err
    assert avsr_data.main(argv[:-1] + ["AV"]) == 2
    assert "A:B" in capsys.readouterr().err
