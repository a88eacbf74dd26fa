"""bin.upload: dry-run folder, upload through HfApi (faked), token never printed."""

from __future__ import annotations

import logging

import huggingface_hub
import pytest
import yaml

from espnet_lowrank.bin import upload

from .conftest import MODEL

SECRET = "hf_SECRETtoken1234567890"


class FakeApi:
    """Records calls; checks the folder while it still exists."""

    instances = []

    def __init__(self, token=None, **kwargs):
        self.token = token
        self.calls = []
        FakeApi.instances.append(self)

    def create_repo(self, repo_id, **kwargs):
        self.calls.append(("create_repo", repo_id, kwargs))
        return f"https://example.invalid/{repo_id}"

    def upload_folder(self, folder_path, repo_id, **kwargs):
        from pathlib import Path

        files = sorted(str(p.relative_to(folder_path)) for p in Path(folder_path).rglob("*"))
        self.calls.append(("upload_folder", repo_id, kwargs, files))
        return "https://example.invalid/commit/1"


def test_dry_run_writes_loadable_folder_with_card(recipe, tmp_path, capsys):
    results = tmp_path / "RESULTS.md"
    results.write_text(
        "# RESULTS\n## Environments\n- date: `d`\n\n## asr_tiny\n### WER\n\n"
        "|dataset|Snt|Wrd|Corr|Sub|Del|Ins|Err|S.Err|\n|---|---|---|---|---|---|---|---|---|\n"
        "|decode/test|2|6|83.3|16.7|0.0|0.0|16.7|50.0|\n"
    )
    out = tmp_path / "hf"
    argv = ["--packed_zip", str(recipe.zip_path), "--hf_repo", "me/tiny"]
    assert upload.main(argv + ["--dry_run", str(out), "--results_md", str(results)]) == 0
    assert "nothing uploaded" in capsys.readouterr().out
    card = (out / "README.md").read_text()
    assert "import espnet_lowrank" in card and "|decode/test|2|6|83.3|" in card
    # exact parameter counts (buffers such as the normalisation stats excluded)
    import torch

    from espnet_lowrank.hub.load import load_speech2text

    model = load_speech2text(out, device="cpu").asr_model
    total = sum(p.numel() for p in model.parameters())
    assert f"|**total**|**{total:,}**|" in card
    assert "normalize" not in card.split("## Parameters")[1].split("##")[0]
    assert torch.equal(
        torch.load(out / MODEL, weights_only=True)["ctc.ctc_lo.weight"],
        model.ctc.ctc_lo.weight,
    )
    meta = yaml.safe_load((out / "meta.yaml").read_text())
    assert meta["files"]["asr_model_file"] == MODEL


def test_upload_reads_token_from_env_and_never_prints_it(recipe, monkeypatch, capfd, caplog):
    FakeApi.instances.clear()
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setenv("HF_TOKEN", SECRET)
    caplog.set_level(logging.DEBUG)
    argv = ["--packed_zip", str(recipe.zip_path), "--hf_repo", "me/tiny", "--private"]
    assert upload.main(argv + ["--skip_load_check"]) == 0
    (api,) = FakeApi.instances
    assert api.token == SECRET
    assert api.calls[0] == (
        "create_repo",
        "me/tiny",
        {"repo_type": "model", "private": True, "exist_ok": True},
    )
    name, repo, kwargs, files = api.calls[1]
    assert (name, repo, kwargs["repo_type"]) == ("upload_folder", "me/tiny", "model")
    assert {"README.md", "meta.yaml", MODEL} <= set(files)
    captured = capfd.readouterr()
    assert "Uploaded" in captured.out
    assert SECRET not in captured.out + captured.err + caplog.text


def test_upload_without_token_fails_clearly(recipe, monkeypatch, capsys):
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    argv = ["--packed_zip", str(recipe.zip_path), "--hf_repo", "me/tiny"]
    assert upload.main(argv + ["--skip_load_check"]) == 2
    assert "HF_TOKEN is not set" in capsys.readouterr().err


@pytest.mark.parametrize("repo", ["tiny", "a/b/c", "/b"])
def test_bad_repo_id(recipe, monkeypatch, capsys, repo):
    monkeypatch.setenv("HF_TOKEN", SECRET)
    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    argv = [
        "--packed_zip",
        str(recipe.zip_path),
        "--hf_repo",
        repo,
        "--skip_load_check",
    ]
    assert upload.main(argv) == 2
    err = capsys.readouterr().err
    assert "user/name" in err and SECRET not in err


def test_hub_refusing_the_token_is_one_message(recipe, monkeypatch):
    """A 401 from the Hub (a loopback server here, no internet) ends in one line, status 2."""
    import http.server
    import threading

    from espnet_lowrank.bin._cli import call

    class Refuse(http.server.BaseHTTPRequestHandler):
        def _refuse(self):
            body = b'{"error": "Invalid credentials in Authorization header"}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_HEAD = _refuse

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
        monkeypatch.setenv("HF_TOKEN", SECRET)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        argv = ["--packed_zip", str(recipe.zip_path), "--hf_repo", "me/tiny", "--skip_load_check"]
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            code = call(upload.main, argv)
    finally:
        server.shutdown()
        thread.join(timeout=5)
    lines = err.getvalue().strip().splitlines()
    assert code == 2 and len(lines) == 1, err.getvalue()
    assert "upload: error: the Hugging Face Hub refused the upload to me/tiny" in lines[0]
    assert "401" in lines[0] and "HF_TOKEN is a valid write token" in lines[0]
    assert SECRET not in err.getvalue()


def test_failed_dry_run_leaves_no_folder(recipe, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("model card cannot be rendered")

    from espnet_lowrank.hub import folder as hub_folder

    monkeypatch.setattr(hub_folder, "render_card", broken)  # the card of build_model_folder
    out = tmp_path / "hf"
    argv = ["--packed_zip", str(recipe.zip_path), "--hf_repo", "me/tiny", "--dry_run", str(out)]
    assert upload.main(argv + ["--skip_load_check"]) == 2
    assert not out.exists() and list(tmp_path.iterdir()) == []
