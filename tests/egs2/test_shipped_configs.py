"""Every shipped training config builds, and the parameter count in its header is right."""

import re
from pathlib import Path

import pytest

from espnet_lowrank.count_params import count_config

ROOT = Path(__file__).parents[2]
CONFIGS = sorted(
    p
    for p in ROOT.glob("egs2/*/*/conf/**/train_*.yaml")
    if re.search(r"^# Parameters", p.read_text(), flags=re.M)
    and not re.search(r"^model: avsr", p.read_text(), flags=re.M)
)
# Audio-visual configs (built by the AVSR task; their header may continue on "#   " lines).
AV_CONFIGS = sorted(
    p
    for p in ROOT.glob("egs2/*/*/conf/**/train_*.yaml")
    if re.search(r"^# Parameters", p.read_text(), flags=re.M)
    and re.search(r"^model: avsr", p.read_text(), flags=re.M)
)
AV_PARTS = {"encoder": "encoder", "decoder": "decoder", "audio front-end": "audio_frontend",
            "video front-end": "video_frontend", "fusion": "fusion"}  # fmt: skip


@pytest.fixture(scope="module")
def token_list(tmp_path_factory):
    """``token_list(n)``: an n-entry BPE-sized token list, as the recipes' stage 3 writes."""

    def make(vocab: int = 5000):
        path = tmp_path_factory.mktemp("tokens") / f"tokens{vocab}.txt"
        tokens = ["<blank>", "<unk>"] + [f"▁t{i}" for i in range(vocab - 3)] + ["<sos/eos>"]
        path.write_text("\n".join(tokens) + "\n")
        return path

    return make


def _numbers(text):
    return [int(n.replace(",", "")) for n in re.findall(r"\d{1,3}(?:,\d{3})+", text)]


def test_configs_are_found():
    assert any("librispeech_lowrank" in str(p) for p in CONFIGS)
    assert any("mini_lowrank/asr1" in str(p) for p in CONFIGS)
    assert any("lrs3_lowrank/asr1" in str(p) for p in CONFIGS)
    assert any("lrs3_lowrank/avsr1" in str(p) for p in AV_CONFIGS)
    assert any("mini_lowrank/avsr1" in str(p) for p in AV_CONFIGS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_builds_with_the_parameter_count_it_states(config, token_list, monkeypatch):
    recipe = next(p.parent for p in config.parents if p.name == "conf")
    monkeypatch.chdir(recipe)  # configs name rank-map files relative to the recipe
    line = re.search(r"^# Parameters([^:]*): (.*)$", config.read_text(), flags=re.M)
    header = line.group(2)
    bpe = re.search(r"BPE (\d+)", line.group(1))  # e.g. "# Parameters (BPE 300): ..."
    tokens = token_list(int(bpe.group(1)) if bpe else 5000)
    task = "lm" if "/train_lm" in str(config) else "asr"
    counts = count_config(config, task, ["--token_list", str(tokens)])
    stated = _numbers(header)
    assert stated[0] == counts["total"]["lowrank"], f"{config}: header says {stated[0]:,}"
    parts = [counts[p]["lowrank"] for p in ("encoder", "decoder") if p in counts]
    if "encoder" in header:
        assert stated[1 : 1 + len(parts)] == parts
    if "full rank" in header:
        assert stated[-1] == counts["total"]["dense"]


def _av_counts(config, vocab: int, dense: bool):
    """Total and per-part parameters of an AV config on the meta device (optionally all dense)."""
    import torch

    from espnet_lowrank.avsr.task import AVSRTask
    from espnet_lowrank.catalogue import inner_parts

    args = AVSRTask.get_parser().parse_args(["--config", str(config)])
    args.token_list = [f"t{i}" for i in range(vocab)]
    if dense:
        for part in ("encoder", "decoder"):
            setattr(args, f"{part}_conf", {**getattr(args, f"{part}_conf"), "rank_map": "dense"})
        args.model_conf = dict(args.model_conf)
        for part in inner_parts():
            args.model_conf[f"{part}_conf"] = {**args.model_conf[f"{part}_conf"], "rank_map": None}
    with torch.device("meta"):
        model = AVSRTask.build_model(args)
    counts = {p: sum(x.numel() for x in getattr(model, p).parameters()) for p in AV_PARTS.values()}
    counts["total"] = sum(x.numel() for x in model.parameters())
    return counts


@pytest.mark.parametrize("config", AV_CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_av_config_builds_with_the_parameter_counts_it_states(config, monkeypatch):
    """LRS3 AVSR configs: total, every named part, and the other rank's total."""
    monkeypatch.chdir(config.parents[1])
    text = config.read_text()
    header = re.search(r"^# Parameters[^:]*: (.*(?:\n#   .*)*)", text, flags=re.M).group(1)
    header = re.sub(r"\s*\n#\s+", " ", header)
    bpe = re.search(r"^# Parameters \((?:BPE|SentencePiece|tokens) (\d+)\)", text, flags=re.M)
    vocab = int(bpe.group(1)) if bpe else 5000
    counts = _av_counts(config, vocab, dense=False)
    stated = _numbers(header)
    assert stated[0] == counts["total"], f"{config}: header says {stated[0]:,}"
    for label, part in AV_PARTS.items():
        m = re.search(rf"{label} (\d{{1,3}}(?:,\d{{3}})+)", header)
        assert m and int(m.group(1).replace(",", "")) == counts[part], f"{config}: {label}"
    other = _numbers(header.split(";")[-1])[0]
    if "full rank" in header:
        assert other == _av_counts(config, vocab, dense=True)["total"]
    else:  # a full-rank config names its LR-SMS sibling's total
        sibling = config.with_name(config.stem + "_lr_sms.yaml")
        if not sibling.is_file():  # e.g. train_avsr_full.yaml -> train_avsr_lr_sms.yaml
            sibling = config.with_name(config.name.replace("_full", "_lr_sms"))
        assert other == _av_counts(sibling, vocab, dense=False)["total"]
