"""Packed zip → Hugging Face folder: layout, meta.yaml, path rewriting, errors."""

from __future__ import annotations

import zipfile

import pytest
import yaml

from espnet_lowrank.hub.folder import make_hub_folder

from .conftest import CONFIG, MODEL, STATS, pack


def test_relative_pack_unpacks_as_is(recipe, tmp_path):
    folder = make_hub_folder(recipe.zip_path, tmp_path / "hf", readme="# card\n")
    with zipfile.ZipFile(recipe.zip_path) as z:
        members = sorted(n for n in z.namelist())
        assert z.read(MODEL) == (folder.path / MODEL).read_bytes()
    files = sorted(str(p.relative_to(folder.path)) for p in folder.path.rglob("*") if p.is_file())
    assert files == sorted(members + ["README.md"])
    meta = yaml.safe_load((folder.path / "meta.yaml").read_text())
    assert meta["yaml_files"] == {"asr_train_config": CONFIG}
    assert meta["files"] == {"asr_model_file": MODEL}
    config = yaml.safe_load((folder.path / CONFIG).read_text())
    assert config["normalize_conf"]["stats_file"] == STATS
    assert config["token_list"][:3] == ["<blank>", "<unk>", "a"]
    assert folder.file("asr_model_file") == folder.path / MODEL


def test_absolute_pack_is_relocated_and_configs_rewritten(recipe, tmp_path):
    # a config naming the stats file by absolute path, packed from another cwd
    config = yaml.safe_load((recipe.root / CONFIG).read_text())
    config["normalize_conf"]["stats_file"] = str(recipe.root / STATS)
    abs_config = recipe.root / "exp/asr_tiny/config_abs.yaml"
    abs_config.write_text(yaml.safe_dump(config, sort_keys=False))
    zip_path = pack(
        recipe.root,
        tmp_path / "abs.zip",
        paths=(abs_config, recipe.root / MODEL),
        options=(recipe.root / STATS,),
        cwd=tmp_path,
    )
    with zipfile.ZipFile(zip_path) as z:
        assert all(n == "meta.yaml" or n.startswith(str(recipe.root)[1:]) for n in z.namelist())
    folder = make_hub_folder(zip_path, tmp_path / "hf")
    assert folder.meta["yaml_files"]["asr_train_config"] == "exp/asr_tiny/config_abs.yaml"
    assert folder.meta["files"]["asr_model_file"] == MODEL
    assert (folder.path / STATS).is_file()
    written = yaml.safe_load((folder.path / "exp/asr_tiny/config_abs.yaml").read_text())
    assert written["normalize_conf"]["stats_file"] == STATS
    assert str(recipe.root) not in (folder.path / "meta.yaml").read_text()


def test_stats_file_left_out_of_the_zip_is_an_error(recipe, tmp_path):
    zip_path = pack(recipe.root, tmp_path / "nostats.zip", options=())
    with pytest.raises(ValueError, match=rf"normalize_conf.stats_file.*--option {STATS}"):
        make_hub_folder(zip_path, tmp_path / "hf")


def test_not_a_packed_zip(tmp_path):
    bad = tmp_path / "x.zip"
    with zipfile.ZipFile(bad, "w") as z:
        z.writestr("exp/a.pth", b"")
    with pytest.raises(ValueError, match="no meta.yaml"):
        make_hub_folder(bad, tmp_path / "hf")


def test_refuses_non_empty_output(recipe, tmp_path):
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "keep").write_text("x")
    with pytest.raises(FileExistsError, match="not empty"):
        make_hub_folder(recipe.zip_path, tmp_path / "hf")


def test_rank_map_file_must_be_packed(recipe, tmp_path):
    config = yaml.safe_load((recipe.root / CONFIG).read_text())
    config["encoder_conf"]["rank_map"] = "conf/rank_map.yaml"
    variant = recipe.root / "exp/asr_tiny/config_rank_file.yaml"
    variant.write_text(yaml.safe_dump(config, sort_keys=False))
    rank_file = recipe.root / "conf/rank_map.yaml"
    rank_file.parent.mkdir(exist_ok=True)
    rank_file.write_text("groups: {attention: 0.5}\n")
    paths = ("exp/asr_tiny/config_rank_file.yaml", MODEL)
    bad = pack(recipe.root, tmp_path / "bad.zip", paths=paths)
    with pytest.raises(ValueError, match=r"encoder_conf.rank_map = 'conf/rank_map.yaml'"):
        make_hub_folder(bad, tmp_path / "hf_bad")
    good = pack(
        recipe.root,
        tmp_path / "good.zip",
        paths=paths,
        options=(STATS, "conf/rank_map.yaml"),
    )
    folder = make_hub_folder(good, tmp_path / "hf")
    assert (folder.path / "conf/rank_map.yaml").read_text() == rank_file.read_text()


@pytest.mark.parametrize("value", ["lr_sms", "dense", "conf/rank_map.yaml", "x.yml", "conf/r"])
def test_preset_or_file_as_load_rank_map_decides(value, tmp_path, monkeypatch):
    from espnet_lowrank.hub.folder import names_rank_map_file
    from espnet_lowrank.rank_map import load_rank_map

    monkeypatch.chdir(tmp_path)
    # with no such file on disk, load_rank_map loads a preset or fails naming the file
    try:
        load_rank_map(value, "encoder")
        is_file = False
    except ValueError as e:
        assert value in str(e)
        is_file = True
    assert names_rank_map_file(value) is is_file
    assert names_rank_map_file({"default": 4}) is False
