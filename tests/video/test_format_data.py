"""Stage 2 of ``asr.sh --task avsr``: video.scp beside the formatted wav.scp."""

import numpy as np
import pytest

from espnet_lowrank.bin import avsr_data
from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.video.array_io import save_video_array
from espnet_lowrank.video.format_data import format_video_scp


def _dirs(tmp_path, frames):
    """data/ with video.scp and a formatted dump/ (wav.scp, utt2num_samples, text...)."""
    src, dst = tmp_path / "data", tmp_path / "dump"
    src.mkdir()
    dst.mkdir()
    scp, rows = [], {k: [] for k in ("wav.scp", "utt2num_samples", "text", "utt2spk")}
    for i, n in enumerate(frames):
        utt = f"s{i % 2}-u{i}"
        npy = tmp_path / "v" / f"{utt}.npy"
        save_video_array(npy, np.zeros((n, 88, 88), np.uint8))
        scp.append(f"{utt} {npy}")
        rows["wav.scp"].append(f"{utt} /a/{utt}.wav")
        rows["utt2num_samples"].append(f"{utt} {10 * 640}")  # 10 frames of audio
        rows["text"].append(f"{utt} A B")
        rows["utt2spk"].append(f"{utt} s{i % 2}")
    (src / "video.scp").write_text("\n".join(scp) + "\n")
    for name, r in rows.items():
        (dst / name).write_text("\n".join(r) + "\n")
    return src, dst


def test_keeps_matching_video_and_drops_mismatched_utterances(tmp_path):
    src, dst = _dirs(tmp_path, [10, 12, 7, 9])  # u2 is 3 frames short: dropped
    report = format_video_scp(src, dst, max_mismatch=2)
    assert report.kept == 3 and list(report.dropped) == ["s0-u2"]
    assert set(read_table(dst / "video.scp")) == set(read_table(dst / "wav.scp"))
    assert "s0-u2" not in read_table(dst / "text") and "s0-u2" not in read_table(dst / "utt2spk")
    assert read_table(dst / "video_shape")["s1-u1"] == "12,88,88"
    assert "s0-u2" not in (dst / "spk2utt").read_text()
    assert "7 video frames vs 10" in (dst / "video_dropped").read_text()


def test_missing_entry_file_or_bad_array_is_an_error(tmp_path):
    src, dst = _dirs(tmp_path, [10, 10])
    lines = (src / "video.scp").read_text().splitlines()
    (src / "video.scp").write_text(lines[0] + "\n")
    with pytest.raises(ValueError, match=r"video.scp has no entry for 1 utterance.*s1-u1"):
        format_video_scp(src, dst)
    (src / "video.scp").write_text(lines[0] + "\ns1-u1 /nowhere/x.npy\n")
    with pytest.raises(FileNotFoundError, match="video of s1-u1 not found: /nowhere/x.npy"):
        format_video_scp(src, dst)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((3, 4), np.float32))
    (src / "video.scp").write_text(lines[0] + f"\ns1-u1 {bad}\n")
    with pytest.raises(ValueError, match="bad.npy: expected non-empty"):
        format_video_scp(src, dst)


def test_cli_exit_status_and_message(tmp_path, capsys):
    src, dst = _dirs(tmp_path, [10, 11])
    assert avsr_data.main(["format-video", str(src), str(dst)]) == 0
    assert "video of 2 utterance(s) kept" in capsys.readouterr().err
    assert avsr_data.main(["format-video", str(tmp_path / "nope"), str(dst)]) == 2
    assert "video.scp is missing" in capsys.readouterr().err
