"""Stage 2 formatting: resampling, length filtering, clear errors."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from espnet_lowrank.kaldi_dir import Utterance, read_table, write_data_dir
from espnet_lowrank.recipe.format_data import format_data_dir


def _wav(path: Path, seconds: float, fs: int) -> str:
    t = np.arange(int(seconds * fs)) / fs
    sf.write(str(path), (0.2 * np.sin(2 * np.pi * 300 * t)).astype(np.float32), fs)
    return str(path)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    utts = [
        Utterance("a-1", "a", _wav(tmp_path / "1.wav", 0.5, 16000), "hello"),
        Utterance("a-2", "a", _wav(tmp_path / "2.wav", 0.05, 16000), "short"),
        Utterance("b-3", "b", _wav(tmp_path / "3.wav", 2.0, 16000), "long"),
        Utterance("b-4", "b", _wav(tmp_path / "4.wav", 0.75, 8000), "resampled"),
        Utterance("b-5", "b", _wav(tmp_path / "5.wav", 0.5, 16000), ""),
    ]
    return write_data_dir(tmp_path / "data", utts)


def test_filters_and_resamples(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "dump"
    rep = format_data_dir(src, dst, fs=16000, min_sec=0.1, max_sec=1.5, drop_empty_text=True)
    assert rep.kept == 2 and rep.resampled == 1
    assert set(rep.dropped) == {"a-2", "b-3", "b-5"}
    scp = read_table(dst / "wav.scp")
    assert sorted(scp) == ["a-1", "b-4"]
    assert scp["a-1"] == str(tmp_path / "1.wav")  # kept in place
    info = sf.info(scp["b-4"])
    assert info.samplerate == 16000 and Path(scp["b-4"]).parent == dst / "data"
    n = read_table(dst / "utt2num_samples")
    assert n == {"a-1": "8000", "b-4": str(info.frames)}
    assert abs(info.frames - 12000) <= 1
    for table in ("text", "utt2spk"):
        assert sorted(read_table(dst / table)) == ["a-1", "b-4"]
    assert read_table(dst / "spk2utt") == {"a": "a-1", "b": "b-4"}
    assert (dst / "feats_type").read_text().strip() == "raw"


def test_no_filter_keeps_all(src: Path, tmp_path: Path) -> None:
    rep = format_data_dir(src, tmp_path / "d")
    assert rep.kept == 5 and not rep.dropped


def test_pipe_is_refused(tmp_path: Path) -> None:
    d = write_data_dir(tmp_path / "data", [Utterance("a-1", "a", "sox x.flac -t wav - |", "x")])
    with pytest.raises(ValueError, match="a-1.*Kaldi pipe"):
        format_data_dir(d, tmp_path / "out")


def test_missing_audio_names_file(tmp_path: Path) -> None:
    d = write_data_dir(tmp_path / "data", [Utterance("a-1", "a", "/nonexistent/x.wav", "x")])
    with pytest.raises(FileNotFoundError, match="a-1.*/nonexistent/x.wav"):
        format_data_dir(d, tmp_path / "out")


def test_all_dropped_is_an_error(src: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no utterance"):
        format_data_dir(src, tmp_path / "out", min_sec=5.0)


def test_missing_text_entry(src: Path, tmp_path: Path) -> None:
    (src / "text").write_text("a-1 hello\n")
    with pytest.raises(ValueError, match="text has no entry"):
        format_data_dir(src, tmp_path / "out")
