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


MINI_CONF = Path(__file__).resolve().parents[2] / "egs2" / "mini_lowrank" / "asr1" / "conf"
LS_CONF = MINI_CONF.parents[2] / "librispeech_lowrank" / "asr1" / "conf"
MINI = [
    (MINI_CONF / "train_lm_general.yaml", sorted((MINI_CONF / "lora").glob("*.yaml"))),
    (MINI_CONF / "train_lm_general_smoke.yaml", sorted((MINI_CONF / "lora/smoke").glob("*.yaml"))),
    (LS_CONF / "train_lm_general.yaml", sorted((LS_CONF / "lora").glob("*.yaml"))),
]


@pytest.mark.parametrize(
    "lm_config,path",
    [(lm, p) for lm, paths in MINI for p in paths],
    ids=lambda p: str(p.relative_to(MINI_CONF.parents[2])),
)
def test_recipe_configs_match_the_vanilla_budget_on_their_base_lm(lm_config, path):
    """The mini and LibriSpeech recipes' LoRA configs on the base LM they adapt (stage 16)."""
    from espnet2.lm.transformer_lm import TransformerLM

    lm_cfg = yaml.safe_load(lm_config.read_text())
    assert lm_cfg["lm"] == "transformer"
    conf = LoRAConf.from_dict(yaml.safe_load(path.read_text())["lora_conf"])
    a = LoRAAdapter(TransformerLM(300, **lm_cfg["lm_conf"]), conf)
    if conf.strategy == "warmup":
        a.truncate()
    if conf.strategy == "dynamic":
        assert a.tuner.rankallocator.target_bgt == conf.r * len(a.layers())
    else:
        assert a.param_counts()["effective"] == a.vanilla_budget()
    if lm_config.name == "train_lm_general.yaml":  # stated in conf/lora/vanilla.yaml
        assert a.vanilla_budget() == (73_728 if lm_config.parent == MINI_CONF else 1_179_648)
    assert all({p.stem for p in paths} == set(STRATEGIES) for _, paths in MINI)
