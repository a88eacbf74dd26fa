"""The subprocess hang guard: scaled by one setting, and it says which stage hung."""

from __future__ import annotations

import sys

import pytest

from .hang_guard import SCALE_ENV, guarded_run, limit

HANGS = "import sys, time; print('stage 7: ASR training', flush=True); time.sleep(60)"


def test_limit_is_scaled_and_zero_turns_it_off(monkeypatch):
    monkeypatch.delenv(SCALE_ENV, raising=False)
    assert limit(600) == 600
    monkeypatch.setenv(SCALE_ENV, "2.5")
    assert limit(600) == 1500
    monkeypatch.setenv(SCALE_ENV, "0")
    assert limit(600) is None
    monkeypatch.setenv(SCALE_ENV, "fast")
    with pytest.raises(pytest.UsageError, match=SCALE_ENV):
        limit(600)


def test_a_hung_child_fails_naming_its_stage_and_output(monkeypatch):
    monkeypatch.setenv(SCALE_ENV, "0.01")  # 0.5 s instead of 50
    with pytest.raises(pytest.fail.Exception) as e:
        guarded_run([sys.executable, "-c", HANGS], timeout=50, capture_output=True, text=True)
    message = str(e.value)
    assert "still running after 0.5 s" in message
    assert "stage running: stage 7: ASR training" in message
    assert SCALE_ENV in message


def test_a_child_that_finishes_is_returned(monkeypatch):
    monkeypatch.delenv(SCALE_ENV, raising=False)
    proc = guarded_run([sys.executable, "-c", "print('ok')"], timeout=600,
                       capture_output=True, text=True)  # fmt: skip
    assert proc.returncode == 0 and proc.stdout == "ok\n"
