"""Every conf/lora/*.yaml builds, and the budgets match vanilla's as documented."""

from pathlib import Path

import pytest
import yaml

from espnet_lowrank.lora.adapter import LoRAAdapter
from espnet_lowrank.lora.config import STRATEGIES, LoRAConf

CONF_DIR = Path(__file__).resolve().parents[2] / "conf" / "lora"
CONFS = sorted(CONF_DIR.glob("*.yaml"))


def test_one_config_per_strategy():
    names = {p.stem for p in CONFS}
    assert set(STRATEGIES) <= names


@pytest.mark.parametrize("path", CONFS, ids=lambda p: p.stem)
def test_config_builds_with_matched_final_budget(path):
    from espnet2.lm.transformer_lm import TransformerLM

    conf = LoRAConf.from_dict(yaml.safe_load(path.read_text())["lora_conf"])
    lm = TransformerLM(20, embed_unit=16, att_unit=16, unit=64, head=2, layer=3)
    a = LoRAAdapter(lm, conf)
    assert len(a.layers()) == 3 * 6
    if conf.strategy == "warmup":
        a.truncate()  # the final adapter
    if conf.strategy == "dynamic":  # total rank budget r per target, as vanilla
        assert a.tuner.rankallocator.target_bgt == conf.r * len(a.layers())
    else:
        assert a.param_counts()["effective"] == a.vanilla_budget()
