"""The catalogue lists every registered class once, and its facts match the classes."""

from __future__ import annotations

import inspect

import pytest

from espnet_lowrank import catalogue


def _ours_in_espnet():
    """``(task, part, name) -> class`` of every class of ours in ESPnet's ClassChoices."""
    from espnet_lowrank._espnet_import import import_quietly
    from espnet_lowrank.registry import register

    register()
    found = {}
    for module_name in catalogue.TASK_MODULES:
        module = import_quietly(module_name)[0]
        task = module_name.rsplit(".", 1)[-1]
        for attr, value in vars(module).items():
            if not attr.endswith("_choices") or not hasattr(value, "classes"):
                continue
            for name, cls in value.classes.items():
                if cls is not None and cls.__module__.startswith("espnet_lowrank."):
                    found[(task, attr[: -len("_choices")], name)] = cls
    return found


def test_every_registered_class_is_in_the_catalogue_once():
    found = _ours_in_espnet()
    keys = [(p.task, p.part, p.name) for p in catalogue.registered()]
    assert len(keys) == len(set(keys))
    assert sorted(found) == sorted(keys)
    for p in catalogue.registered():
        assert found[(p.task, p.part, p.name)] is p.load_class()


def test_names_unchanged():
    assert catalogue.lowrank_names("asr") == {
        "encoder": [
            "lowrank_branchformer", "lowrank_conformer", "lowrank_e_branchformer",
            "lowrank_transformer",
        ],
        "decoder": ["lowrank_transformer"],
    }  # fmt: skip
    assert catalogue.lowrank_names("lm") == {"lm": ["lowrank_transformer"]}
    assert catalogue.conversions("asr")["encoder"]["conformer"] == "lowrank_conformer"
    assert catalogue.inner_parts() == ("audio_frontend", "video_frontend", "fusion")
    assert [e.conf_key for e in catalogue.rank_map_options()] == [
        "encoder_conf", "decoder_conf", "model_conf.audio_frontend_conf",
        "model_conf.video_frontend_conf", "model_conf.fusion_conf", "lm_conf",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "entry", [p for p in catalogue.PARTS if p.schema_path], ids=lambda p: f"{p.part}-{p.name}"
)
def test_schema_and_default_map_are_the_class_ones(entry):
    cls = entry.load_class()
    assert entry.schema() is cls.RANK_SCHEMA
    default = inspect.signature(cls.__init__).parameters["rank_map"].default
    assert default == entry.default_map


def test_task_classes():
    from espnet_lowrank.tasks.build import task_class

    assert task_class("asr").__name__ == "LowRankASRTask"
    assert task_class("asr", {"model": "avsr"}).__name__ == "AVSRTask"
    assert task_class("lm").__name__ == "LowRankLMTask"
    assert task_class("lm", {"lora_conf": {"rank": 2}}).__name__ == "LoRALMTask"
    with pytest.raises(ValueError, match="task must be one of"):
        catalogue.check_task("tts")


def test_conf_of_inner_parts():
    entry = next(p for p in catalogue.PARTS if p.part == "fusion")
    config = {"model": "avsr", "model_conf": {"fusion_conf": {"rank_map": {"default": 4}}}}
    assert entry.conf(config) == {"rank_map": {"default": 4}}
    assert entry.conf({"model_conf": None}) == {}
