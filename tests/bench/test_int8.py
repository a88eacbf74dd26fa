"""``bench int8`` on two tiny experiment folders (random weights, saved as training saves)."""

from __future__ import annotations

import copy
import json

import pytest
import torch
import yaml

from espnet_lowrank.bench import int8
from espnet_lowrank.bin import bench
from tests.tiny_corpus import write_asr_config, write_corpus

pytestmark = pytest.mark.slow


def write_exp_dir(root, data, rank_map: str):
    """``root/config.yaml`` (every option, rank map inlined) + ``valid.acc.ave.pth``."""
    from espnet_lowrank.tasks.asr import LowRankASRTask

    root.mkdir(parents=True)
    cfg = write_asr_config(root / "train.yaml", data, rank_map=rank_map)
    args = LowRankASRTask.get_parser().parse_args(["--config", str(cfg)])
    torch.manual_seed(0)
    model = LowRankASRTask.build_model(args)  # inlines the resolved rank maps into args
    (root / "config.yaml").write_text(yaml.safe_dump(copy.deepcopy(vars(args))))
    torch.save(model.state_dict(), root / "valid.acc.ave.pth")
    return root


@pytest.fixture(scope="module")
def recipe(tmp_path_factory):
    root = tmp_path_factory.mktemp("int8")
    data = write_corpus(root / "data")
    exps = [write_exp_dir(root / "exp" / rm, data, rm) for rm in ("dense", "lr_sms")]
    decode = root / "decode.yaml"
    decode.write_text("beam_size: 2\nctc_weight: 0.3\nlm_weight: 0.0\nmaxlenratio: 0.5\n")
    return {"root": root, "data": root / "data", "exps": exps, "decode": decode}


def test_cli_four_variants(recipe, tmp_path, capsys):
    out = tmp_path / "int8.json"
    argv = ["int8", "--exp_dirs", *map(str, recipe["exps"]), "--data_dir", str(recipe["data"])]
    argv += ["--decode_config", str(recipe["decode"]), "--utterances", "3", "--threads", "1"]
    bench.main(argv + ["--json", str(out)])
    recs = json.loads(out.read_text())
    assert [(r["model"], r["precision"]) for r in recs] == list(int8.VARIANTS)
    for r in recs:
        assert r["utterances"] == 3 and r["audio_seconds"] > 0 and r["rtf"] > 0
        assert r["words"] > 0 and 0 <= r["word_errors"] and r["wer"] >= 0
        assert r["decode_conf"]["beam_size"] == 2
    by = {(r["model"], r["precision"]): r for r in recs}
    assert all(r["state_mb"] > 0 for r in recs)  # (int8's saving: tests/layers/test_quantized)
    assert by["lowrank", "float"]["state_mb"] < by["dense", "float"]["state_mb"]
    assert "| lowrank | int8 |" in capsys.readouterr().out


def test_bad_inputs_are_named(recipe, tmp_path):
    base = ["int8", "--json", str(tmp_path / "x.json")]
    with pytest.raises(SystemExit, match="--exp_dirs FULL LOWRANK and --data_dir"):
        bench.main(base)
    with pytest.raises(SystemExit, match="--data_dir: options of bench int8"):
        bench.main(["layer", "--data_dir", "x", "--json", str(tmp_path / "x.json")])
    bad = tmp_path / "bad.yaml"
    bad.write_text("beam_size: 2\nbeam: 3\n")
    exps = list(map(str, recipe["exps"]))
    with pytest.raises(SystemExit, match=r"bad.yaml: key\(s\) \['beam'\]"):
        bench.main(base + ["--exp_dirs", *exps, "--data_dir", str(recipe["data"]),
                           "--decode_config", str(bad)])  # fmt: skip
    with pytest.raises(SystemExit, match="nowhere/wav.scp not found"):
        bench.main(base + ["--exp_dirs", *exps, "--data_dir", str(tmp_path / "nowhere")])


def test_decoding_is_interleaved_and_timed_per_variant():
    calls = []
    ticks = iter(range(100))

    def decoder(name):
        def run(audio):
            calls.append((name, int(audio)))
            return name

        return run

    utts = [("u1", torch.tensor(1)), ("u2", torch.tensor(2))]
    res = int8.decode_interleaved(
        {"a": decoder("a"), "b": decoder("b")}, utts, clock=lambda: next(ticks)
    )
    assert calls == [("a", 1), ("b", 1), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    assert res["a"]["hyps"] == {"u1": "a", "u2": "a"} and res["a"]["seconds"] == 2
