"""The Hub folder loads and decodes the ways ESPnet users load models."""

from __future__ import annotations

import shutil

import pytest
import torch
import yaml

from espnet_lowrank.hub.folder import make_hub_folder
from espnet_lowrank.hub.load import load_speech2text, resolve_zoo_folder

from .conftest import CONFIG, FEAT_DIM, MODEL, STATS


def _decode(speech2text):
    torch.manual_seed(0)
    feats = torch.randn(24, FEAT_DIM)  # (time, feature): the model takes features
    results = speech2text(feats)
    assert isinstance(results, list) and len(results) >= 1
    text, tokens, token_ids, _ = results[0]
    assert isinstance(text, str) and isinstance(tokens, list)
    assert all(0 <= t < len(speech2text.asr_model.token_list) for t in token_ids)
    return results


def test_resolve_leaves_folder_untouched(recipe, tmp_path):
    folder = make_hub_folder(recipe.zip_path, tmp_path / "hf")
    before = (folder.path / CONFIG).read_text()
    paths = resolve_zoo_folder(folder.path, tmp_path / "work")
    assert (folder.path / CONFIG).read_text() == before
    resolved = yaml.safe_load(open(paths["asr_train_config"]))
    assert resolved["normalize_conf"]["stats_file"] == str((folder.path / STATS).resolve())
    assert paths["asr_model_file"] == str((folder.path / MODEL).resolve())


def test_speech2text_from_local_folder_decodes(recipe, tmp_path):
    folder = make_hub_folder(recipe.zip_path, tmp_path / "hf")
    s2t = load_speech2text(folder.path, device="cpu", beam_size=2, nbest=1)
    trained = torch.load(recipe.root / MODEL, weights_only=True)
    loaded = s2t.asr_model.state_dict()
    assert all(torch.equal(trained[k], loaded[k]) for k in trained)
    _decode(s2t)


def test_from_pretrained_through_espnet_model_zoo(recipe, tmp_path, monkeypatch):
    """Speech2Text.from_pretrained("user/name"), the Hub download replaced by a copy."""
    downloader = pytest.importorskip("espnet_model_zoo.downloader")
    from espnet2.bin.asr_inference import Speech2Text

    folder = make_hub_folder(recipe.zip_path, tmp_path / "hf")
    snapshot = tmp_path / "snapshot"
    shutil.copytree(folder.path, snapshot)
    calls = []

    def fake_snapshot_download(repo_id, **kwargs):
        calls.append(repo_id)
        return str(snapshot)

    monkeypatch.setattr(downloader, "snapshot_download", fake_snapshot_download)
    monkeypatch.chdir(tmp_path)  # "lowrank-test/tiny" must not exist as a local path
    s2t = Speech2Text.from_pretrained("lowrank-test/tiny", device="cpu", beam_size=2)
    assert calls == ["lowrank-test/tiny"]
    trained = torch.load(recipe.root / MODEL, weights_only=True)
    assert all(torch.equal(trained[k], s2t.asr_model.state_dict()[k]) for k in trained)
    _decode(s2t)


def test_checkpoint_of_another_model_is_refused(recipe, tmp_path):
    folder = make_hub_folder(recipe.zip_path, tmp_path / "hf")
    state = torch.load(folder.path / MODEL, weights_only=True)
    name = next(k for k in state if k.startswith("encoder.") and k.endswith(".weight"))
    state[name.replace(".weight", ".U")] = state.pop(name)
    torch.save(state, folder.path / MODEL)
    with pytest.raises(RuntimeError, match=r"1 parameter\(s\) missing .*1 unexpected"):
        load_speech2text(folder.path, device="cpu")
