"""Hang guards for tests that run subprocesses: generous limits, one setting to scale them.

A limit here stops a child that hangs; it is not a speed check. Each is several
times what the step takes on this project's 2-core machine while other jobs run
(the driver smoke runs take about 3 minutes idle and got past 10 minutes under
load). ``ESPNET_LOWRANK_TEST_TIMEOUT_SCALE`` multiplies every limit (e.g. 4 on a
much slower machine; 0 turns the limits off). A child that hits its limit fails the
test with the stage it was in (the last ``stage N`` line of its output) and the
tail of what it printed.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from typing import Any, Optional, Sequence

import pytest

SCALE_ENV = "ESPNET_LOWRANK_TEST_TIMEOUT_SCALE"
STAGE = re.compile(r"stage \d+[^\n]*", re.IGNORECASE)


def scale() -> float:
    value = os.environ.get(SCALE_ENV, "1")
    try:
        factor = float(value)
    except ValueError:
        raise pytest.UsageError(f"{SCALE_ENV} must be a number, got {value!r}") from None
    if factor < 0:
        raise pytest.UsageError(f"{SCALE_ENV} must be >= 0, got {value!r}")
    return factor


def limit(seconds: float) -> Optional[float]:
    """``seconds`` scaled by ``ESPNET_LOWRANK_TEST_TIMEOUT_SCALE`` (``None``: no limit)."""
    factor = scale()
    return None if factor == 0 else seconds * factor


def _text(data: Any) -> str:
    if data is None:
        return ""
    return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)


def hang_report(cmd: Sequence[Any], seconds: Optional[float], output: str) -> str:
    """What a test prints when ``cmd`` hit its limit: the running stage, the output tail."""
    stages = STAGE.findall(output)
    tail = "\n".join(output.rstrip().splitlines()[-25:])
    shown = " ".join(str(c) for c in list(cmd)[:6])
    return (
        f"hang guard: `{shown} ...` still running after {seconds:g} s "
        f"({SCALE_ENV}={os.environ.get(SCALE_ENV, '1')}; raise it on a slow machine); "
        f"stage running: {stages[-1] if stages else 'unknown'}\n--- last output ---\n{tail}"
    )


def guarded_run(cmd: Sequence[Any], *, timeout: float, capture_output: bool = False,
                **kwargs: Any) -> subprocess.CompletedProcess:  # fmt: skip
    """``subprocess.run(cmd, timeout=limit(timeout), ...)`` in a process group of its own.

    A child that hits the limit is killed with everything it started (a driver's
    training jobs too) and the test fails with :func:`hang_report` instead of a bare
    ``TimeoutExpired``.
    """
    seconds = limit(timeout)
    if capture_output:
        kwargs["stdout"] = kwargs["stderr"] = subprocess.PIPE
    with subprocess.Popen(cmd, start_new_session=True, **kwargs) as proc:
        try:
            out, err = proc.communicate(timeout=seconds)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate()
            pytest.fail(hang_report(cmd, seconds, _text(out) + _text(err)), pytrace=False)
        except BaseException:  # Ctrl-C: the new session does not get the signal itself
            _kill_group(proc)
            raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
