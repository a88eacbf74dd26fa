"""``egs2/mini_lowrank/avsr1/run.sh --smoke true`` end to end (CI-sized, real training).

The recipe is copied next to a link to the shared driver, so nothing is written into
the source tree. Four tiny models (audio-only, video-only, then AV and AV LR-SMS
started from those two, the low-rank one through ``convert svd_transfer``) go through
every stage of ``asr.sh --task avsr``, are decoded on ``test``, ``test_unseen`` and the
SNR sweep sets, then the RESULTS.md comparison and the WER-vs-SNR plot are written.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from espnet_lowrank.kaldi_dir import read_table
from tests.avsr.tiny_av import REPO

from ..hang_guard import guarded_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng"),
]
RECIPE = REPO / "egs2" / "mini_lowrank" / "avsr1"
LABELS = ("audio-only", "video-only", "AV full rank", "AV LR-SMS")
SETS = ("test", "test_unseen", "test_snr_clean", "test_snr_m5")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    root = tmp_path_factory.mktemp("avsr_smoke") / "egs2"
    (root / "mini_lowrank").mkdir(parents=True)
    (root / "TEMPLATE").symlink_to(REPO / "egs2" / "TEMPLATE")
    shutil.copytree(RECIPE, root / "mini_lowrank" / "avsr1",
                    ignore=shutil.ignore_patterns("data", "dump", "exp", "downloads"))  # fmt: skip
    d = root / "mini_lowrank" / "avsr1"
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = guarded_run(["bash", "run.sh", "--smoke", "true", "--python", sys.executable],
                          cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=5400)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-5000:]
    return d, proc.stdout


def test_corpus_has_video_beside_audio(smoke):
    d, _ = smoke
    for s in ("train", "dev", "test"):
        assert set(read_table(d / f"dump/raw/{s}/video.scp")) == set(
            read_table(d / f"dump/raw/{s}/wav.scp")
        )


def test_four_models_trained_and_compared(smoke):
    d, out = smoke
    results = (d / "RESULTS.md").read_text()
    block = results.split("<!-- avsr compare: begin -->")[1].split("<!-- avsr compare: end -->")[0]
    table, _, tests = block.partition("sc_stats' matched-pair test")
    rows = [line for line in table.splitlines() if line.startswith("|") and "---" not in line]
    assert rows[0].startswith("|model|streams|params|")
    assert [r.split("|")[1] for r in rows[1:]] == list(LABELS)
    streams = {r.split("|")[1]: r.split("|")[2] for r in rows[1:]}
    assert streams == {"audio-only": "audio", "video-only": "video", "AV full rank": "av",
                       "AV LR-SMS": "av"}  # fmt: skip
    params = {r.split("|")[1]: int(r.split("|")[3].replace(",", "")) for r in rows[1:]}
    assert (
        params["audio-only"] < params["AV full rank"]
        and params["video-only"] < params["AV full rank"]
    )
    for r in rows[1:]:
        assert re.fullmatch(r"\d+\.\d", r.split("|")[-2]), r  # a WER
    for tag in ("av_audio_only", "av_video_only", "av_full_uniinit", "av_lr_sms_uniinit"):
        assert (d / f"exp/asr_{tag}/valid.acc.ave.pth").exists(), tag
    assert not (d / "exp/asr_av_full").exists()  # from scratch: only with --models
    # the SNR sweep sets and the held-out speakers were decoded, and plotted
    header = rows[0].split("|")
    assert header[8] == "seeds" and [r.split("|")[8] for r in rows[1:]] == ["1"] * 4
    assert header[9:-1] == [f"WER {t}" for t in SETS]
    assert "![WER against SNR, one line per model](wer_vs_snr.png)" in block
    assert (d / "wer_vs_snr.png").read_bytes()[:4] == b"\x89PNG"
    pairs = [r.split("|")[1:3] for r in tests.splitlines() if r.startswith("|") and "---" not in r]
    assert pairs[1:] == [["AV full rank", "audio-only"], ["AV full rank", "video-only"],
                         ["AV LR-SMS", "AV full rank"]]  # fmt: skip
    # the audio-only model never built a video front-end
    cfg = (d / "exp/asr_av_audio_only/config.yaml").read_text()
    assert "streams: audio" in cfg


def test_av_models_start_from_the_single_stream_models(smoke):
    d, _ = smoke
    for m in ("audio_only", "video_only"):
        assert (d / f"exp/asr_av_{m}/lr_sms_init/model.pth").is_file()
    for tag in ("av_full_uniinit", "av_lr_sms_uniinit"):
        cfg = yaml.safe_load((d / f"exp/asr_{tag}/config.yaml").read_text())
        assert cfg["init_param"] == [
            "exp/asr_av_audio_only/lr_sms_init/model.pth",
            "exp/asr_av_video_only/lr_sms_init/model.pth:video_frontend:video_frontend",
        ]
        assert cfg["seed"] == 0
