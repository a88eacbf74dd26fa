"""Tests for espnet_lowrank.recipe.speed_perturb, its CLI and asr.sh's speed perturbation."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict

import numpy as np
import pytest
import soundfile as sf

from espnet_lowrank.bin import recipe_tools
from espnet_lowrank.kaldi_dir import Utterance, read_table, write_data_dir
from espnet_lowrank.recipe import speed_perturb as sp

from .conftest import recipe_dir, run_asr

FS = 16000
FACTORS = sp.parse_factors("0.9 1.0 1.1")


def _tone(n: int, freq: float, fs: int = FS) -> np.ndarray:
    return (0.5 * np.sin(2 * np.pi * freq * np.arange(n) / fs)).astype(np.float32)


def _peak_hz(x: np.ndarray, fs: int = FS) -> float:
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spec)) * fs / len(x)


def _source(root: Path, lengths: Dict[str, int] | None = None) -> Path:
    """data/train: 3 utterances of 2 speakers (FLAC tones), with utt2gender/spk2gender."""
    lengths = lengths or {"spkA-u1": 8000, "spkA-u2": 9001, "spkB-u1": 7777}
    (root / "wav").mkdir(parents=True, exist_ok=True)
    utts = []
    for i, (utt, n) in enumerate(sorted(lengths.items())):
        path = root / "wav" / f"{utt}.flac"
        sf.write(str(path), _tone(n, 300 + 100 * i), FS, subtype="PCM_16")
        spk = utt.split("-")[0]
        utts.append(Utterance(utt, spk, str(path), f"words of {utt}", {"utt2gender": "f"}))
    d = write_data_dir(root / "data" / "train", utts)
    (d / "spk2gender").write_text("spkA f\nspkB f\nspkZ m\n")
    (d / "utt2dur").write_text("".join(f"{u} {n / FS}\n" for u, n in sorted(lengths.items())))
    return d


# ---------------------------------------------------------------- factors


def test_parse_factors_keeps_the_written_text() -> None:
    fs = sp.parse_factors(" 0.9  1 1.10 ")
    assert [(f.value, f.text, f.prefix) for f in fs] == [
        (0.9, "0.9", "sp0.9-"),
        (1.0, "1", ""),
        (1.1, "1.10", "sp1.10-"),
    ]


@pytest.mark.parametrize(
    "text, match",
    [
        ("0.9 fast", "factor 'fast' is not a number"),
        ("0.9 0", "factor '0' must be a finite number > 0"),
        ("-1.1", "factor '-1.1' must be a finite number > 0"),
        ("nan", "factor 'nan' must be"),
        ("inf", "factor 'inf' must be"),
        ("0.9 1.0 1", r"factor '1' is given twice \(already as '1.0'\)"),
        ("  ", "no speed perturbation factor"),
    ],
)
def test_parse_factors_errors_name_the_value(text: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        sp.parse_factors(text)


# ---------------------------------------------------------------- audio


@pytest.mark.parametrize("factor", [0.9, 1.1, 0.8, 1.25])
def test_perturbation_changes_length_and_pitch_by_the_factor(factor: float) -> None:
    n = 16000
    y = sp.perturb_audio(_tone(n, 1000.0), factor, FS)
    assert abs(len(y) - n / factor) <= 1
    bin_hz = FS / len(y)
    assert abs(_peak_hz(y) - 1000.0 * factor) <= 1.5 * bin_hz  # pitch moves with the speed
    # the tone itself is kept (no attenuation beyond the resampler's ripple)
    assert np.abs(y[1000:-1000]).max() == pytest.approx(0.5, abs=0.02)


def test_perturbation_keeps_channels_and_identity() -> None:
    x = np.stack([_tone(4000, 500), _tone(4000, 700)], axis=1)  # (T, 2)
    y = sp.perturb_audio(x, 1.1, FS)
    assert y.shape == (round(4000 / 1.1), 2)
    assert _peak_hz(y[:, 1]) > _peak_hz(y[:, 0])
    np.testing.assert_array_equal(sp.perturb_audio(x, 1.0, FS), x)


# ---------------------------------------------------------------- data dirs


def test_data_dir_ids_speakers_text_and_lengths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    src = _source(tmp_path)
    dst = tmp_path / "data" / "train_sp"
    report = sp.speed_perturb_data_dir(src, dst, FACTORS)
    assert (report.utterances, report.written, report.reused) == (9, 6, 0)
    assert report.left_out == ["utt2dur"]  # lengths change: not carried over

    wav_src, text_src = read_table(src / "wav.scp"), read_table(src / "text")
    wav, text, utt2spk = (read_table(dst / n) for n in ("wav.scp", "text", "utt2spk"))
    uniq = read_table(dst / "utt2uniq")
    expected_ids = {f"{p}{u}" for p in ("", "sp0.9-", "sp1.1-") for u in wav_src}
    assert set(wav) == set(text) == set(utt2spk) == set(uniq) == expected_ids
    for utt in wav:
        orig = uniq[utt]
        prefix = utt[: len(utt) - len(orig)]
        assert utt == prefix + orig and text[utt] == text_src[orig]
        assert utt2spk[utt] == prefix + orig.split("-")[0]
        n_orig = sf.info(wav_src[orig]).frames
        if prefix == "":
            assert wav[utt] == wav_src[orig]  # factor 1.0: the original entry as it is
            continue
        factor = float(prefix[2:-1])
        path = Path(wav[utt])
        assert path.is_absolute() and path.suffix == ".flac"
        assert path.parent == dst.absolute() / "audio" / f"sp{factor}" / utt2spk[utt]
        info = sf.info(str(path))
        assert info.samplerate == FS and info.subtype == "PCM_16"
        assert abs(info.frames - n_orig / factor) <= 1
    # spk2utt agrees with utt2spk; every table is sorted (Kaldi's order)
    spk2utt = {s: us.split() for s, us in read_table(dst / "spk2utt").items()}
    assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
    for name in ("wav.scp", "text", "utt2spk", "spk2utt", "utt2gender", "spk2gender"):
        keys = [line.split()[0] for line in (dst / name).read_text().splitlines()]
        assert keys == sorted(keys), name
    assert read_table(dst / "utt2gender") == {u: "f" for u in expected_ids}
    assert read_table(dst / "spk2gender") == {
        f"{p}{s}": "f" for p in ("", "sp0.9-", "sp1.1-") for s in ("spkA", "spkB")
    }  # spkZ has no utterance: not carried over


def test_jobs_then_tables_are_deterministic_and_resume(tmp_path: Path) -> None:
    src = _source(tmp_path)
    a, b = tmp_path / "a_sp", tmp_path / "b_sp"
    keys = sorted(read_table(src / "wav.scp"))
    assert sp.write_perturbed_audio(src, a, FACTORS, keys[:1]) == (2, 0)  # job 1 of 2
    assert sp.write_perturbed_audio(src, a, FACTORS, keys[1:]) == (4, 0)  # job 2 of 2
    report = sp.speed_perturb_data_dir(src, a, FACTORS)
    assert (report.written, report.reused) == (0, 6)  # the jobs made every file
    sp.speed_perturb_data_dir(src, b, FACTORS)  # all in one process
    files_a = sorted(p.relative_to(a) for p in (a / "audio").rglob("*.flac"))
    assert files_a == sorted(p.relative_to(b) for p in (b / "audio").rglob("*.flac"))
    for rel in files_a:
        assert (a / rel).read_bytes() == (b / rel).read_bytes()
    # a truncated file (wrong length) is made again; no temporary file is left
    victim = a / files_a[0]
    data, _ = sf.read(str(victim))
    sf.write(str(victim), data[:100], FS, subtype="PCM_16")
    report = sp.speed_perturb_data_dir(src, a, FACTORS)
    assert (report.written, report.reused) == (1, 5)
    assert victim.read_bytes() == (b / files_a[0]).read_bytes()
    assert not list(a.rglob("*.tmp"))


def test_wav_output_format(tmp_path: Path) -> None:
    src = _source(tmp_path, {"s-u": 5000})
    sp.speed_perturb_data_dir(src, tmp_path / "sp", sp.parse_factors("1.1"), audio_format="wav")
    (path,) = read_table(tmp_path / "sp" / "wav.scp").values()
    assert path.endswith("sp1.1-s-u.wav") and sf.info(path).format == "WAV"
    assert sf.info(path).frames == round(5000 / 1.1)


def test_errors_name_the_dir_file_or_utterance(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=f"data dir {tmp_path / 'nope'} not found"):
        sp.speed_perturb_data_dir(tmp_path / "nope", tmp_path / "out", FACTORS)
    src = _source(tmp_path)
    with pytest.raises(ValueError, match="must differ from its source"):
        sp.speed_perturb_data_dir(src, src, FACTORS)
    (src / "video.scp").write_text("spkA-u1 /v.npy\n")
    with pytest.raises(ValueError, match=f"{src} has a video.scp: speed perturbation of audio-v"):
        sp.speed_perturb_data_dir(src, tmp_path / "out", FACTORS)
    (src / "video.scp").unlink()
    (src / "segments").write_text("spkA-u1 rec 0 1\n")
    with pytest.raises(ValueError, match="has a segments file"):
        sp.speed_perturb_data_dir(src, tmp_path / "out", FACTORS)
    (src / "segments").unlink()
    text = (src / "text").read_text()
    (src / "text").write_text("\n".join(text.splitlines()[1:]) + "\n")
    with pytest.raises(
        ValueError, match=r"text has no entry for 1 id\(s\) of wav.scp, e.g. spkA-u1"
    ):
        sp.speed_perturb_data_dir(src, tmp_path / "out", FACTORS)
    (src / "text").write_text(text)
    wav = (src / "wav.scp").read_text()
    (src / "wav.scp").write_text(
        wav.replace(str(tmp_path / "wav/spkA-u2.flac"), "sox x.wav -t wav - |")
    )
    with pytest.raises(ValueError, match="utterance spkA-u2 is a Kaldi pipe"):
        sp.speed_perturb_data_dir(src, tmp_path / "out", FACTORS)
    (src / "wav.scp").write_text(wav)
    (tmp_path / "wav/spkB-u1.flac").unlink()
    with pytest.raises(FileNotFoundError, match="audio of spkB-u1 not found"):
        sp.speed_perturb_data_dir(src, tmp_path / "out", FACTORS)
    with pytest.raises(ValueError, match="utterance nobody is not in"):
        sp.write_perturbed_audio(src, tmp_path / "out", FACTORS, ["nobody"])


def test_cli(tmp_path: Path, capsys) -> None:
    src = _source(tmp_path)
    dst = tmp_path / "sp"
    keys = tmp_path / "keys.1.scp"
    keys.write_text((src / "wav.scp").read_text().splitlines()[0] + "\n")
    base = ["speed-perturb", str(src), str(dst), "--factors", "0.9 1.0 1.1", "--no_progress"]
    assert recipe_tools.main([*base, "--keys", str(keys)]) == 0
    assert "2 audio file(s) written, 0 already there" in capsys.readouterr().err
    assert not (dst / "wav.scp").exists()  # a job writes audio only
    assert recipe_tools.main(base) == 0
    assert "9 utterances (4 audio files written, 2 already there)" in capsys.readouterr().err
    assert recipe_tools.main(["speed-perturb", "--check", "--factors", "1.1 0.9"]) == 0
    assert recipe_tools.main(["speed-perturb", "--check", "--factors", "0.9 -2"]) == 2
    assert "error: speed perturbation factor '-2' must be" in capsys.readouterr().err
    assert recipe_tools.main(["speed-perturb", "--factors", "0.9"]) == 2
    assert "needs SRC and DST" in capsys.readouterr().err
    (src / "video.scp").write_text("x y\n")
    assert recipe_tools.main(["speed-perturb", str(src), "--check", "--factors", "0.9"]) == 2
    assert "has a video.scp" in capsys.readouterr().err


# ---------------------------------------------------------------- asr.sh


def test_asr_sh_trains_on_the_perturbed_set(tmp_path: Path) -> None:
    d = recipe_dir(tmp_path, {"train": 4, "dev": 2, "test": 2})
    args = ["--stage", "2", "--stop_stage", "3", "--speed_perturb_factors", "0.9 1.0 1.1"]
    r = run_asr(d, args)
    assert r.returncode == 0, r.stdout[-3000:]
    assert "asr_exp=exp/asr_train_asr_smoke_raw_noinfo_char_sp " in r.stdout
    logs = sorted(p.name for p in (d / "data/train_sp/logdir").glob("speed_perturb.*.log"))
    assert logs == ["speed_perturb.1.log", "speed_perturb.2.log"]  # --nj 2 jobs
    train = read_table(d / "dump/raw/train_sp/utt2num_samples")
    orig = read_table(d / "data/train/wav.scp")
    assert len(train) == 3 * len(orig)
    for utt, path in orig.items():
        n = sf.info(path).frames
        assert int(train[utt]) == n
        assert abs(int(train[f"sp0.9-{utt}"]) - n / 0.9) <= 1
        assert abs(int(train[f"sp1.1-{utt}"]) - n / 1.1) <= 1
    assert not (d / "dump/raw/train").exists()  # only the perturbed set is formatted
    assert (d / "dump/raw/dev/.done").is_file() and (d / "dump/raw/test/.done").is_file()
    assert "Stage 3: char token list from data/train/text" in r.stdout  # unperturbed text
    again = run_asr(d, args)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Stage 2: skipped speed perturbation (data/train_sp/.done exists)" in again.stdout
    assert "Stage 2: skipped train_sp" in again.stdout


@pytest.mark.parametrize(
    "factors, message",
    [("0.9 x", "factor 'x' is not a number"), ("1.1 1.10", "factor '1.10' is given twice")],
)
def test_asr_sh_refuses_bad_factors(tmp_path: Path, factors: str, message: str) -> None:
    d = recipe_dir(tmp_path, {"train": 1, "dev": 1, "test": 1})
    r = run_asr(d, ["--stage", "2", "--speed_perturb_factors", factors])
    assert r.returncode == 2, r.stdout[-2000:]
    assert f"Error: --speed_perturb_factors '{factors}': speed perturbation {message}" in r.stdout
    assert not (d / "dump").exists()


def test_asr_sh_refuses_video_with_speed_perturbation(tmp_path: Path) -> None:
    d = recipe_dir(tmp_path, {"train": 1, "dev": 1, "test": 1})
    (d / "data/train/video.scp").write_text("spk0-train000 /clip.npy\n")
    r = run_asr(d, ["--stage", "2", "--stop_stage", "2", "--speed_perturb_factors", "1.1"])
    assert r.returncode != 0
    assert "data/train has a video.scp: speed perturbation of audio-visual data" in r.stdout
    assert not (d / "dump").exists()


def test_help_lists_the_option() -> None:
    from .conftest import ASR_SH

    r = subprocess.run(["bash", str(ASR_SH), "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and '--speed_perturb_factors "0.9 1.0 1.1"' in r.stdout
