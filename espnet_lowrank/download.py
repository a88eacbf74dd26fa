"""Resumable, checksum-verified HTTP downloads and safe ``.tar.gz`` extraction.

``download`` writes to ``<dest>.part``, resumes an interrupted transfer with an
HTTP ``Range`` request (and starts over cleanly when the server ignores it),
checks the byte count the server announced and, when given, an md5 or sha256
checksum, and only then renames the file to ``dest``. A file that fails its
checksum is deleted and fetched once more from scratch; if it fails again the
call raises ``ChecksumError`` and leaves nothing behind that a later stage could
mistake for a good download.

``extract_tar`` refuses members that would land outside the target folder
(absolute paths, ``..``, links pointing outside, device files) and keeps two
marker files next to the extracted tree: ``.<archive>.extracting`` while it
runs and ``.<archive>.extracted`` once it finished, so an interrupted
extraction is detected and redone on the next run.

Only the standard library is used (``urllib``).
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import os
import re
import sys
import tarfile
import time
import urllib.error
import urllib.request
import zlib
from pathlib import Path
from typing import Optional, TextIO, Tuple

from espnet_lowrank.errors import ExternalError

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
_USER_AGENT = "espnet_lowrank-downloader"


class DownloadError(ExternalError):
    """A download failed (HTTP error, repeated connection failure, bad size)."""


class ChecksumError(DownloadError):
    """The downloaded bytes do not match the expected checksum."""


class ExtractError(ExternalError):
    """An archive is unreadable or contains an unsafe member."""


class _Incomplete(Exception):
    """The connection ended before the announced number of bytes arrived."""


def file_digest(path: Path | str, algorithm: str) -> str:
    """Hex digest (``"md5"`` or ``"sha256"``) of a file, read in 1 MiB blocks."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def _expected_digest(md5: Optional[str], sha256: Optional[str]) -> Optional[Tuple[str, str]]:
    if md5 and sha256:
        raise ValueError("give md5 or sha256, not both")
    for algorithm, value, length in (("md5", md5, 32), ("sha256", sha256, 64)):
        if value is not None:
            value = value.strip().lower()
            if not re.fullmatch(f"[0-9a-f]{{{length}}}", value):
                raise ValueError(f"{algorithm} checksum must be {length} hex digits: {value!r}")
            return algorithm, value
    return None


class _Progress:
    """Prints ``name: 42.0% 12.3/29.3 MB 4.1 MB/s`` to stderr every few seconds."""

    def __init__(
        self,
        name: str,
        total: Optional[int],
        start: int,
        stream: TextIO,
        interval: float,
    ) -> None:
        self.name, self.total, self.done = name, total, start
        self.stream, self.interval = stream, interval
        self.t0 = self.last = time.monotonic()
        self.start = start

    def update(self, n: int, final: bool = False) -> None:
        self.done += n
        now = time.monotonic()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        rate = (self.done - self.start) / max(now - self.t0, 1e-6) / 1e6
        mb = self.done / 1e6
        if self.total:
            pct = 100.0 * self.done / self.total
            size = f"{mb:.1f}/{self.total / 1e6:.1f} MB"
            msg = f"{self.name}: {pct:5.1f}% {size} {rate:.1f} MB/s"
        else:
            msg = f"{self.name}: {mb:.1f} MB {rate:.1f} MB/s"
        print(msg, file=self.stream, flush=True)


def _parse_content_range(value: Optional[str]) -> Tuple[Optional[int], Optional[int]]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    m = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not m:
        return None, None
    start = int(m.group(1)) if m.group(1) is not None else None
    total = int(m.group(2)) if m.group(2) != "*" else None
    return start, total


def _fetch_once(
    url: str, part: Path, timeout: float, progress: bool, progress_interval: float
) -> None:
    """One HTTP request that appends to (or restarts) ``part``.

    Returns when ``part`` holds the whole file; raises ``_Incomplete`` when the
    connection ended early, ``urllib.error.HTTPError`` for HTTP errors.
    """
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and offset:
            # Nothing left to send: either the partial file is already
            # complete, or it is longer than the remote file (stale).
            _, total = _parse_content_range(e.headers.get("Content-Range"))
            e.close()
            if total == offset:
                return
            logger.warning(
                "%s: partial file %s does not fit the remote file "
                "(%s bytes here, server has %s); starting over",
                url,
                part,
                offset,
                total,
            )
            part.unlink()
            raise _Incomplete("stale partial file") from None
        raise
    with response:
        if response.status == 206:
            start, total = _parse_content_range(response.headers.get("Content-Range"))
            if start != offset:
                part.unlink()
                raise _Incomplete(f"server resumed at byte {start}, asked for {offset}")
            mode = "ab"
        else:
            if offset:
                logger.warning(
                    "%s: server ignored the Range request; downloading again from byte 0",
                    url,
                )
                offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length is not None and length.isdigit() else None
            mode = "wb"
        meter = (
            _Progress(part.name[: -len(".part")], total, offset, sys.stderr, progress_interval)
            if progress
            else None
        )
        with open(part, mode) as out:
            while True:
                block = response.read(_CHUNK)
                if not block:
                    break
                out.write(block)
                if meter:
                    meter.update(len(block))
        if meter:
            meter.update(0, final=True)
    size = part.stat().st_size
    if total is not None and size != total:
        raise _Incomplete(f"connection ended at byte {size} of {total}")
    if total is None:
        logger.warning(
            "%s: the server sent no length; the size of %s (%d bytes) could not be checked",
            url,
            part,
            size,
        )


def download(
    url: str,
    dest: Path | str,
    *,
    md5: Optional[str] = None,
    sha256: Optional[str] = None,
    resume: bool = True,
    retries: int = 5,
    timeout: float = 60.0,
    backoff: float = 2.0,
    progress: bool = True,
    progress_interval: float = 10.0,
) -> Path:
    """Download ``url`` to ``dest`` (atomically renamed from ``dest.part``).

    Args:
        url: http(s) URL of the file.
        dest: final path; its folder is created.
        md5, sha256: expected hex digest (at most one). Without one, only the
            size announced by the server is checked.
        resume: continue a ``dest.part`` left by an interrupted run with a
            ``Range`` request; ``False`` deletes it and starts over.
        retries: connection failures (and 5xx answers) tolerated per fetch,
            each followed by a resume.
        timeout: socket timeout in seconds for connect and each read.
        backoff: seconds to wait before retry ``k`` is ``backoff * k``.
        progress: print progress lines to stderr every ``progress_interval`` s.

    Returns:
        ``dest``. An existing ``dest`` whose checksum matches is kept as is
        (with no checksum given, an existing ``dest`` is trusted, since it was
        only renamed there after its size checked out).

    Raises:
        ChecksumError: the file failed its checksum twice (the second time
            after a fresh download); nothing is left at ``dest`` or ``dest.part``.
        DownloadError: HTTP error (e.g. 404) or too many connection failures;
            a partial ``dest.part`` is kept so that the next run resumes.
    """
    dest = Path(dest)
    part = dest.with_name(dest.name + ".part")
    expected = _expected_digest(md5, sha256)
    if dest.exists():
        if expected is None:
            logger.info("%s exists (no checksum to verify); not downloading", dest)
            return dest
        if file_digest(dest, expected[0]) == expected[1]:
            logger.info("%s exists and its %s matches; not downloading", dest, expected[0])
            return dest
        logger.warning(
            "%s exists but its %s does not match; deleting it and downloading again",
            dest,
            expected[0],
        )
        dest.unlink()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if not resume and part.exists():
        part.unlink()
    for fetch in range(2):
        _fetch_with_retries(
            url,
            part,
            retries=retries,
            timeout=timeout,
            backoff=backoff,
            progress=progress,
            progress_interval=progress_interval,
        )
        if expected is None:
            os.replace(part, dest)
            return dest
        got = file_digest(part, expected[0])
        if got == expected[1]:
            os.replace(part, dest)
            logger.info("%s: %s verified", dest, expected[0])
            return dest
        part.unlink()
        logger.warning(
            "%s: %s is %s, expected %s; deleted the download%s",
            url,
            expected[0],
            got,
            expected[1],
            "; fetching it once more from scratch" if fetch == 0 else "",
        )
    raise ChecksumError(
        f"{url}: {expected[0]} mismatch twice (got {got}, expected {expected[1]}); "
        f"the corrupted file was deleted, nothing was written to {dest}"
    )


def _fetch_with_retries(
    url: str,
    part: Path,
    *,
    retries: int,
    timeout: float,
    backoff: float,
    progress: bool,
    progress_interval: float,
) -> None:
    failures = 0
    while True:
        try:
            _fetch_once(url, part, timeout, progress, progress_interval)
            return
        except urllib.error.HTTPError as e:
            if e.code < 500:
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from e
            error: Exception = e
        except (
            _Incomplete,
            urllib.error.URLError,
            http.client.HTTPException,
            OSError,
        ) as e:
            error = e
        failures += 1
        have = part.stat().st_size if part.exists() else 0
        if failures > retries:
            raise DownloadError(
                f"{url}: giving up after {failures} failed attempts ({error}); "
                f"{have} bytes kept in {part}, run again to resume"
            ) from error
        logger.warning("%s: %s; retry %d/%d from byte %d", url, error, failures, retries, have)
        time.sleep(backoff * failures)


def _check_member(member: tarfile.TarInfo, root: Path, archive: Path) -> None:
    """Raise ``ExtractError`` if extracting ``member`` could escape ``root``."""
    name = member.name
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        raise ExtractError(f"{archive}: member {name!r} has an absolute path")
    target = (root / name).resolve()
    if not target.is_relative_to(root):
        raise ExtractError(f"{archive}: member {name!r} would be written outside {root}")
    if member.isdev() or member.isfifo():
        raise ExtractError(f"{archive}: member {name!r} is a device or fifo")
    if member.issym() or member.islnk():
        link = member.linkname
        if os.path.isabs(link):
            raise ExtractError(f"{archive}: link {name!r} points to absolute {link!r}")
        base = target.parent if member.issym() else root
        if not (base / link).resolve().is_relative_to(root):
            raise ExtractError(f"{archive}: link {name!r} -> {link!r} leaves {root}")


def extraction_markers(archive: Path | str, target_dir: Path | str) -> Tuple[Path, Path]:
    """(in-progress, done) marker paths ``extract_tar`` keeps in ``target_dir``."""
    name = Path(archive).name
    target = Path(target_dir)
    return target / f".{name}.extracting", target / f".{name}.extracted"


def extract_tar(archive: Path | str, target_dir: Path | str) -> Path:
    """Safely extract a (compressed) tar archive into ``target_dir``.

    Skips the work when the done marker exists; redoes it when the in-progress
    marker shows an earlier run was interrupted. Members are streamed (the
    archive is decompressed once) and each is checked before it is written.

    Raises:
        ExtractError: unreadable archive, or a member with an absolute path,
            ``..`` escaping the target, a link leaving it, or a device file.
            The in-progress marker stays, so the next run extracts again.
    """
    archive = Path(archive)
    root = Path(target_dir)
    wip, done = extraction_markers(archive, root)
    if done.exists() and not wip.exists():
        logger.info("%s already extracted into %s (%s); skipping", archive, root, done.name)
        return root
    if wip.exists():
        logger.warning(
            "%s: an earlier extraction into %s was interrupted; extracting again",
            archive,
            root,
        )
    root.mkdir(parents=True, exist_ok=True)
    root = root.resolve()
    done.unlink(missing_ok=True)
    wip.write_text(f"{archive}\n", encoding="utf-8")
    logger.info("extracting %s into %s", archive, root)
    n = 0
    try:
        with tarfile.open(archive, "r|*") as tar:
            for member in tar:
                _check_member(member, root, archive)
                tar.extract(member, root, filter="data")
                n += 1
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        if isinstance(e, tarfile.FilterError):
            raise ExtractError(f"{archive}: unsafe member refused: {e}") from e
        raise ExtractError(
            f"{archive}: cannot extract ({e}); the partial tree in "
            f"{root} will be redone on the next run"
        ) from e
    done.write_text(f"{archive.name}: {n} members\n", encoding="utf-8")
    wip.unlink()
    logger.info("extracted %d members of %s", n, archive)
    return root
