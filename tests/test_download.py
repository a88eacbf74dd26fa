"""Tests for espnet_lowrank.download against a Range-capable server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
import pytest

from espnet_lowrank.download import (
    ChecksumError,
    DownloadError,
    ExtractError,
    download,
    extract_tar,
    extraction_markers,
    file_digest,
)


@dataclass
class _ServerState:
    files: Dict[str, bytes] = field(default_factory=dict)
    cut_next: int = 0  # how many upcoming responses stop halfway
    ignore_range: bool = False
    requests: List[Optional[str]] = field(default_factory=list)  # Range headers


class _Handler(BaseHTTPRequestHandler):
    state: _ServerState  # set on the subclass made per server

    def log_message(self, format, *args):  # noqa: A002 - silence the test log
        pass

    def do_GET(self):  # noqa: N802 - http.server API
        state = self.state
        rng = self.headers.get("Range")
        state.requests.append(rng)
        data = state.files.get(self.path)
        if data is None:
            self.send_error(404, "no such file")
            return
        start = 0
        if rng and not state.ignore_range:
            start = int(rng.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(data)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        body = data[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state.cut_next > 0:
            state.cut_next -= 1
            body = body[: len(body) // 2]
        self.wfile.write(body)
        self.close_connection = True


@pytest.fixture
def server():
    """(base URL, state) of a threaded HTTP server; stopped after the test."""
    state = _ServerState()
    handler = type("Handler", (_Handler,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
    assert not thread.is_alive()


def _archive(files: Dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


# Incompressible content, so that "half the body" is a real mid-archive cut.
_rng = np.random.default_rng(0)
CONTENT = {
    "LibriSpeech/dev-clean/1/2/1-2-0000.flac": _rng.bytes(120_000),
    "LibriSpeech/dev-clean/1/2/1-2.trans.txt": b"1-2-0000 HELLO WORLD\n",
    "LibriSpeech/SPEAKERS.TXT": b";ID |SEX|SUBSET|MINUTES|NAME\n1|F|dev-clean|1|A\n",
}
ARCHIVE = _archive(CONTENT)
MD5 = hashlib.md5(ARCHIVE).hexdigest()
SHA256 = hashlib.sha256(ARCHIVE).hexdigest()
FAST = dict(timeout=5.0, backoff=0.0, retries=3, progress=False)


def _serve(state: _ServerState) -> str:
    state.files["/dev-clean.tar.gz"] = ARCHIVE
    return "/dev-clean.tar.gz"


def _no_leftovers(dest: Path) -> bool:
    return not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_normal_fetch_verifies_and_skips_when_present(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "dl" / "dev-clean.tar.gz"
    assert download(base + path, dest, md5=MD5, **FAST) == dest
    assert dest.read_bytes() == ARCHIVE
    assert not dest.with_name(dest.name + ".part").exists()
    assert state.requests == [None]
    # present and verified: no second request; sha256 works the same way
    download(base + path, dest, sha256=SHA256, **FAST)
    assert state.requests == [None]
    assert file_digest(dest, "md5") == MD5


def test_interrupted_transfer_resumes_with_range(server, tmp_path):
    base, state = server
    path = _serve(state)
    state.cut_next = 1
    dest = tmp_path / "a.tar.gz"
    download(base + path, dest, md5=MD5, **FAST)
    assert dest.read_bytes() == ARCHIVE
    assert len(state.requests) == 2
    assert state.requests[0] is None
    assert state.requests[1] == f"bytes={len(ARCHIVE) // 2}-"
    out = extract_tar(dest, tmp_path / "x")
    for name, data in CONTENT.items():
        assert (out / name).read_bytes() == data


def test_partial_file_from_earlier_run_is_resumed(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "a.tar.gz"
    dest.with_name(dest.name + ".part").write_bytes(ARCHIVE[:1000])
    download(base + path, dest, md5=MD5, **FAST)
    assert state.requests == ["bytes=1000-"]
    assert dest.read_bytes() == ARCHIVE


def test_complete_partial_file_answered_416_is_kept(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "a.tar.gz"
    dest.with_name(dest.name + ".part").write_bytes(ARCHIVE)
    download(base + path, dest, md5=MD5, **FAST)
    assert state.requests == [f"bytes={len(ARCHIVE)}-"]
    assert dest.read_bytes() == ARCHIVE


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    base, state = server
    path = _serve(state)
    state.ignore_range = True
    dest = tmp_path / "a.tar.gz"
    # garbage in the partial file: appending to it would corrupt the result
    dest.with_name(dest.name + ".part").write_bytes(b"x" * 5000)
    download(base + path, dest, md5=MD5, **FAST)
    assert state.requests == ["bytes=5000-"]
    assert dest.read_bytes() == ARCHIVE


def test_wrong_checksum_is_refused_and_nothing_is_left(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "a.tar.gz"
    with pytest.raises(ChecksumError, match="md5 mismatch") as err:
        download(base + path, dest, md5="0" * 32, **FAST)
    assert str(dest) in str(err.value)
    assert _no_leftovers(dest)
    assert state.requests == [None, None]  # fetched once more from scratch, no more


def test_corrupt_partial_is_fetched_again_from_scratch(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "a.tar.gz"
    dest.with_name(dest.name + ".part").write_bytes(b"\0" * 2000)  # wrong prefix
    download(base + path, dest, md5=MD5, **FAST)
    assert state.requests == ["bytes=2000-", None]
    assert dest.read_bytes() == ARCHIVE


def test_corrupt_existing_file_is_replaced(server, tmp_path):
    base, state = server
    path = _serve(state)
    dest = tmp_path / "a.tar.gz"
    dest.write_bytes(ARCHIVE[:-1] + b"!")
    download(base + path, dest, md5=MD5, **FAST)
    assert dest.read_bytes() == ARCHIVE
    assert state.requests == [None]


def test_http_404_is_a_clear_error_without_retries(server, tmp_path):
    base, state = server
    with pytest.raises(DownloadError, match="HTTP 404") as err:
        download(base + "/missing.tar.gz", tmp_path / "m.tar.gz", **FAST)
    assert "/missing.tar.gz" in str(err.value)
    assert state.requests == [None]


def test_gives_up_after_retries_and_keeps_partial(server, tmp_path):
    base, state = server
    path = _serve(state)
    state.cut_next = 100
    dest = tmp_path / "a.tar.gz"
    with pytest.raises(DownloadError, match="giving up after 3"):
        download(base + path, dest, md5=MD5, **{**FAST, "retries": 2})
    assert len(state.requests) == 3
    part = dest.with_name(dest.name + ".part")
    assert not dest.exists()
    # each cut delivered half of what was left: the partial file is a true prefix
    assert ARCHIVE.startswith(part.read_bytes()) and part.stat().st_size > 0
    state.cut_next = 0
    download(base + path, dest, md5=MD5, **FAST)
    assert dest.read_bytes() == ARCHIVE


def test_without_checksum_the_size_is_checked(server, tmp_path):
    base, state = server
    path = _serve(state)
    state.cut_next = 1
    dest = tmp_path / "a.tar.gz"
    download(base + path, dest, **FAST)  # resumes after the short read
    assert dest.read_bytes() == ARCHIVE
    assert len(state.requests) == 2


def test_bad_checksum_argument():
    with pytest.raises(ValueError, match="32 hex digits"):
        download("http://127.0.0.1:9/x", "x", md5="abc")


# ---------------------------------------------------------------------------
# extraction


def test_extract_markers_skip_and_redo(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(ARCHIVE)
    root = tmp_path / "out"
    extract_tar(archive, root)
    wip, done = extraction_markers(archive, root)
    assert done.exists() and not wip.exists()
    victim = root / "LibriSpeech/dev-clean/1/2/1-2.trans.txt"
    victim.unlink()
    extract_tar(archive, root)  # done marker: skipped, file not restored
    assert not victim.exists()
    wip.write_text("interrupted\n")  # as left by a killed extraction
    extract_tar(archive, root)
    assert victim.read_bytes() == CONTENT["LibriSpeech/dev-clean/1/2/1-2.trans.txt"]
    assert done.exists() and not wip.exists()


def test_truncated_archive_is_an_error_and_redone_later(tmp_path):
    archive = tmp_path / "a.tar.gz"
    archive.write_bytes(ARCHIVE[: len(ARCHIVE) // 2])
    root = tmp_path / "out"
    with pytest.raises(ExtractError, match="cannot extract"):
        extract_tar(archive, root)
    wip, done = extraction_markers(archive, root)
    assert wip.exists() and not done.exists()
    archive.write_bytes(ARCHIVE)
    extract_tar(archive, root)
    assert done.exists() and not wip.exists()


def _evil_archive(path: Path, kind: str) -> None:
    with tarfile.open(path, "w:gz") as tar:
        if kind in ("dotdot", "absolute"):
            name = "../evil.txt" if kind == "dotdot" else str(path.parent / "abs.txt")
            info = tarfile.TarInfo(name)
            info.size = 4
            tar.addfile(info, io.BytesIO(b"evil"))
        elif kind == "symlink":
            info = tarfile.TarInfo("link")
            info.type, info.linkname = tarfile.SYMTYPE, "../../outside"
            tar.addfile(info)
        elif kind == "device":
            info = tarfile.TarInfo("dev")
            info.type = tarfile.CHRTYPE
            tar.addfile(info)


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "device"])
def test_unsafe_members_are_refused(tmp_path, kind):
    archive = tmp_path / "evil.tar.gz"
    _evil_archive(archive, kind)
    root = tmp_path / "a" / "out"
    before = set(tmp_path.rglob("*"))
    with pytest.raises(ExtractError):
        extract_tar(archive, root)
    written = {p for p in set(tmp_path.rglob("*")) - before if not p.is_relative_to(root)}
    assert written == {tmp_path / "a"}
    assert not (tmp_path / "a" / "evil.txt").exists()
