"""Peak-memory probe in a fresh process (slow: imports torch and ESPnet again)."""

from __future__ import annotations

import pytest

from espnet_lowrank.bench import memory


@pytest.mark.slow
def test_probe_reports_rss_fields():
    out = memory.measure_in_subprocess("lm", "tiny", "lr_sms", steps=1, threads=1)
    assert out["method"] == "peak_rss_delta"
    assert out["peak_rss_mb"] >= out["import_peak_rss_mb"] > 0
    assert out["peak_mb"] == pytest.approx(out["peak_rss_mb"] - out["baseline_rss_mb"])
    assert isinstance(out["resolved"], bool)


def test_probe_failure_names_command():
    with pytest.raises(RuntimeError, match="memory probe failed.*--size nosuch"):
        memory.measure_in_subprocess("lm", "nosuch", "lr_sms", steps=1, threads=1)
