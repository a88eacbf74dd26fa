import copy
import sys

import pytest
import torch
import yaml

from espnet_lowrank.avsr.task import AVSRTask
from tests.avsr.tiny_av import REPO, TOKENS, tiny_args

from ..hang_guard import guarded_run

LRS3_CONF = REPO / "egs2" / "lrs3_lowrank" / "avsr1" / "conf"
LRS3 = {p.stem: p for p in sorted(LRS3_CONF.glob("train_avsr_*.yaml"))}
CONFIGS = sorted((REPO / "conf" / "avsr").glob("*.yaml")) + list(LRS3.values())


def _args(path, vocab):
    args = AVSRTask.get_parser().parse_args(["--config", str(path)])
    args.token_list = list(TOKENS) if vocab is None else [f"t{i}" for i in range(vocab)]
    return args


def _count(model, part=None):
    module = model if part is None else getattr(model, part)
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("path", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_every_shipped_config_builds(path):
    args = _args(path, 5000 if path in LRS3.values() else None)
    if path in LRS3.values():
        with torch.device("meta"):  # LRS3 size: shapes only
            model = AVSRTask.build_model(args)
    else:
        model = AVSRTask.build_model(args)
    assert args.input_size == model.fusion.output_size() == model.encoder.output_size()
    assert model.ctc_weight == (0.1 if path in LRS3.values() else 0.3)


def test_lrs3_configs_architecture_and_parameter_counts():
    """Full rank vs LR-SMS at LRS3 size (5000 SentencePiece units), on the meta device."""
    counts = {}
    for name, path in LRS3.items():
        args = _args(path, 5000)
        with torch.device("meta"):
            model = AVSRTask.build_model(args)
        enc = model.encoder
        assert len(enc.encoders) == 12 and enc.output_size() == 768
        assert enc.encoders[0].self_attn.h == 12
        assert len(model.decoder.decoders) == 6
        parts = ("audio_frontend", "video_frontend", "fusion", "encoder", "decoder", "ctc")
        counts[name] = {p: _count(model, p) for p in parts}
        counts[name]["total"] = _count(model)
    full, lr = counts["train_avsr_conformer"], counts["train_avsr_conformer_lr_sms"]
    print("\nparameters (full rank -> LR-SMS):")
    for part in full:
        print(f"  {part:15s} {full[part]:>12,d} -> {lr[part]:>12,d}")
    # fusion: Linear(1024, 4096) + LayerNorm + Linear(4096, 768), dense
    assert full["fusion"] == 1024 * 4096 + 4096 + 2 * 4096 + 4096 * 768 + 768
    # LR-SMS fusion at 0.25: ranks 256 and 192
    assert lr["fusion"] == 256 * (1024 + 4096) + 4096 + 2 * 4096 + 192 * (4096 + 768) + 768
    assert lr["ctc"] == full["ctc"]
    assert 1.8 < full["total"] / lr["total"] < 2.2  # "at least 2x fewer" on the factorized parts
    assert full["encoder"] / lr["encoder"] > 2.0


def test_saved_config_is_self_contained_and_rebuilds_exactly(tmp_path):
    args = tiny_args()
    model = AVSRTask.build_model(args)
    for part in ("audio_frontend", "video_frontend", "fusion"):
        saved = args.model_conf[f"{part}_conf"]["rank_map"]
        assert saved["resolved"] == getattr(model, part).rank_map_config()["resolved"]
    assert isinstance(args.encoder_conf["rank_map"], dict)  # the core's inlining ran too
    # what ESPnet dumps to config.yaml, read back by its own build_model_from_file
    config = tmp_path / "config.yaml"
    dumped = {k: v for k, v in vars(copy.deepcopy(args)).items() if k != "config"}
    config.write_text(yaml.safe_dump(dumped))
    model_file = tmp_path / "model.pth"
    torch.save(model.state_dict(), model_file)
    from espnet2.tasks.asr import ASRTask

    again, _ = ASRTask.build_model_from_file(config, model_file)
    assert type(again) is type(model)
    again.load_state_dict(torch.load(model_file), strict=True)
    model.eval(), again.eval()
    x, v = torch.randn(1, 640 * 6), torch.rand(1, 6, 88, 88)
    lens = (torch.tensor([640 * 6]), torch.tensor([6]))
    torch.testing.assert_close(model.encode(x, lens[0], v, lens[1])[0],
                               again.encode(x, lens[0], v, lens[1])[0])  # fmt: skip


def test_checkpoint_with_other_ranks_is_an_error_not_random_weights(tmp_path):
    model = AVSRTask.build_model(tiny_args())
    dense_fusion = tiny_args(fusion_conf={"hidden_size": 32, "output_size": 16})
    other = AVSRTask.build_model(dense_fusion)
    with pytest.raises(RuntimeError, match="checkpoint is low-rank, model layer is dense"):
        other.load_state_dict(model.state_dict(), strict=False)


def test_task_rejects_subsampling_and_wrong_model():
    args = tiny_args()
    args.encoder_conf = dict(args.encoder_conf, input_layer="conv2d")
    with pytest.raises(ValueError, match="already at 25 frames/s"):
        AVSRTask.build_model(args)
    args = tiny_args()
    args.encoder_conf = dict(args.encoder_conf, output_size=24)
    with pytest.raises(ValueError, match="must equal encoder_conf.output_size"):
        AVSRTask.build_model(args)
    args = tiny_args()
    args.model = "espnet"
    with pytest.raises(ValueError, match="--model must be 'avsr'"):
        AVSRTask.build_model(args)


def test_linear_input_layer_is_allowed():
    args = tiny_args()
    args.model_conf["fusion_conf"] = dict(args.model_conf["fusion_conf"], output_size=12)
    args.encoder_conf = dict(args.encoder_conf, input_layer="linear")
    model = AVSRTask.build_model(args)
    assert model.encoder.embed[0].in_features == 12


def test_data_names():
    assert AVSRTask.required_data_names(train=True) == ("speech", "video", "text")
    assert AVSRTask.required_data_names(train=False, inference=True) == ()
    assert {"speech", "video"} <= set(AVSRTask.optional_data_names(False, inference=True))


@pytest.mark.slow
def test_print_config_shows_av_options():
    proc = guarded_run(
        [sys.executable, "-m", "espnet_lowrank.bin.avsr_train", "--print_config",
         "--encoder", "lowrank_conformer", "--decoder", "lowrank_transformer"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    cfg = yaml.safe_load(proc.stdout)
    assert cfg["model"] == "avsr" and cfg["normalize"] is None
    for key in ("audio_frontend_conf", "video_frontend_conf", "fusion_conf",
                "audio_dropout_prob", "missing_embedding", "length_mismatch"):  # fmt: skip
        assert key in cfg["model_conf"], key
    assert cfg["model_conf"]["ctc_weight"] == 0.5  # ESPnet's own defaults are kept
