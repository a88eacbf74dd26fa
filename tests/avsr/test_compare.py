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


def _exp(root, name, epochs, err, **model_conf):
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
    res = exp / "decode_x" / "test" / "score_wer"
    res.mkdir(parents=True)
    (res / "result.txt").write_text(SCLITE.format(ins=err - 20.0, err=err))
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
    assert f"|AV|av|{n_full:,}|1.00x|12.0|1.00x|2|25.0|" in text
    assert f"|audio-only|audio|{n_audio:,}|{n_audio / n_full:.2f}x|6.0|2.00x|1|40.0|" in text
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
