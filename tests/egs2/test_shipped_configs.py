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
)


@pytest.fixture(scope="module")
def token_list(tmp_path_factory):
    """A 5000-entry BPE-sized token list, as the recipes' stage 5 writes."""
    path = tmp_path_factory.mktemp("tokens") / "tokens.txt"
    tokens = ["<blank>", "<unk>"] + [f"▁t{i}" for i in range(4997)] + ["<sos/eos>"]
    path.write_text("\n".join(tokens) + "\n")
    return path


def _numbers(text):
    return [int(n.replace(",", "")) for n in re.findall(r"\d{1,3}(?:,\d{3})+", text)]


def test_configs_are_found():
    assert any("librispeech_lowrank" in str(p) for p in CONFIGS)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_config_builds_with_the_parameter_count_it_states(config, token_list, monkeypatch):
    recipe = next(p.parent for p in config.parents if p.name == "conf")
    monkeypatch.chdir(recipe)  # configs name rank-map files relative to the recipe
    header = re.search(r"^# Parameters[^:]*: (.*)$", config.read_text(), flags=re.M).group(1)
    task = "lm" if "/train_lm" in str(config) else "asr"
    counts = count_config(config, task, ["--token_list", str(token_list)])
    stated = _numbers(header)
    assert stated[0] == counts["total"]["lowrank"], f"{config}: header says {stated[0]:,}"
    parts = [counts[p]["lowrank"] for p in ("encoder", "decoder") if p in counts]
    if "encoder" in header:
        assert stated[1 : 1 + len(parts)] == parts
    if "full rank" in header:
        assert stated[-1] == counts["total"]["dense"]
