import os
import shutil
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from espnet_lowrank.bin import lrs3_data
from espnet_lowrank.corpora.lrs3 import (
    dev_speakers,
    prepare_lrs3,
    read_speaker_list,
    read_transcript,
)
from espnet_lowrank.kaldi_dir import read_table
from espnet_lowrank.video.array_io import load_video_array
from espnet_lowrank.video.synthetic import square_frames, write_clip

from ..hang_guard import guarded_run

REPO = Path(__file__).resolve().parents[2]
FRAME = (128, 112)  # width, height of the synthetic face videos
N_FRAMES = 30  # 1.2 s at 25 fps

# (subset, speaker, clip, square x, square y)
GOOD = [
    ("trainval", "spkA", "50001", 40, 50),
    ("trainval", "spkA", "50002", 70, 60),
    ("trainval", "spkB", "50001", 60, 40),
    ("trainval", "spkC", "50001", 50, 70),
    ("trainval", "spkD", "50001", 80, 55),
    ("trainval", "spkE", "50001", 64, 56),
    ("test", "tstA", "00001", 45, 45),
    ("test", "tstB", "00001", 75, 65),
    ("pretrain", "spkA", "00001", 55, 55),
    ("pretrain", "spkB", "00001", 65, 50),
]
NO_AUDIO = ("trainval", "spkB", "50002")
CORRUPT = ("trainval", "spkC", "50002")
NO_LANDMARKS = ("trainval", "spkD", "50002")
NO_TEXT = ("test", "tstA", "00002")


def _text(subset, spk, clip):
    return f"{subset.upper()} CLIP {spk.upper()} {clip}"


def _write(root, subset, spk, clip, x, y, audio=True, landmarks=True):
    d = root / subset / spk
    d.mkdir(parents=True, exist_ok=True)
    centres = [(x, y)] * N_FRAMES
    write_clip(
        d / f"{clip}.mp4",
        square_frames(centres, size=FRAME),
        audio_rate=44100 if audio else None,
    )
    (d / f"{clip}.txt").write_text(
        f"Text:  {_text(subset, spk, clip)} {{LG}}\nConf:  4\n\nWORD START END ASDSCORE\n"
    )
    if landmarks:
        lm = np.zeros((N_FRAMES, 68, 2))
        lm[:, 48:68] = (x, y)
        lm[3:7] = np.nan  # a few frames without detection
        np.save(d / f"{clip}.npy", lm)


@pytest.fixture(scope="module")
def lrs3_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("LRS3")
    for subset, spk, clip, x, y in GOOD:
        _write(root, subset, spk, clip, x, y)
    _write(root, *NO_AUDIO, 60, 60, audio=False)
    _write(root, *NO_LANDMARKS, 60, 60, landmarks=False)
    _write(root, *NO_TEXT, 60, 60)
    (root / "test" / "tstA" / "00002.txt").unlink()
    _write(root, *CORRUPT, 60, 60)
    (root / "trainval" / "spkC" / "50002.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" * 40)
    return root


def _utt(subset, spk, clip):
    return f"{spk}_pretrain_{clip}" if subset == "pretrain" else f"{spk}_{clip}"


def test_read_transcript(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("Text:  SO {LG} WE  WENT {NS}\nConf:  3\n")
    assert read_transcript(p) == "SO WE WENT"
    p.write_bytes("Text:  CAF\xc9 AU LAIT\n".encode("latin-1"))
    assert read_transcript(p) == "CAF\xc9 AU LAIT"
    p.write_text("Conf: 3\n")
    with pytest.raises(ValueError, match="a.txt: first line"):
        read_transcript(p)
    p.write_text("Text:  {LG}\n")
    with pytest.raises(ValueError, match="empty transcript"):
        read_transcript(p)


def test_dev_split_is_deterministic_and_order_free():
    speakers = [f"spk{i:03d}" for i in range(100)]
    dev = dev_speakers(speakers, 0.08)
    assert len(dev) == 8 and set(dev) <= set(speakers)
    assert dev_speakers(list(reversed(speakers)), 0.08) == dev
    # a new speaker can only take a place; the others keep their assignment
    grown = dev_speakers(speakers + ["extra"], 0.08)
    assert len(grown) == 8 and set(grown) - {"extra"} <= set(dev)
    assert len(dev_speakers(["a", "b"], 0.01)) == 1
    with pytest.raises(ValueError, match="at least 2"):
        dev_speakers(["a"], 0.1)
    with pytest.raises(ValueError, match="ratio"):
        dev_speakers(speakers, 1.5)


def test_speaker_list(tmp_path):
    (tmp_path / "dev.txt").write_text("b\na\n")
    assert read_speaker_list(tmp_path / "dev.txt", ["a", "b", "c"]) == ["a", "b"]
    (tmp_path / "dev.txt").write_text("zz\n")
    with pytest.raises(ValueError, match="zz"):
        read_speaker_list(tmp_path / "dev.txt", ["a"])


def _check_sets(data, sets):
    for name in sets:
        d = data / name
        wav = read_table(d / "wav.scp")
        assert set(read_table(d / "text")) == set(wav) == set(read_table(d / "utt2spk"))
        spk2utt = read_table(d / "spk2utt")
        assert sorted(u for v in spk2utt.values() for u in v.split()) == sorted(wav)


def test_audio_only(lrs3_root, tmp_path):
    data, media = tmp_path / "data", tmp_path / "media"
    summary = prepare_lrs3(lrs3_root, data, media, dev_ratio=0.2)
    assert not (data / "pretrain").exists()
    _check_sets(data, ["trainval", "train", "dev", "test"])
    trainval = read_table(data / "trainval" / "text")
    expected = {_utt(s, spk, c): _text(s, spk, c) for s, spk, c, _, _ in GOOD if s == "trainval"}
    expected[_utt(*NO_LANDMARKS)] = _text(*NO_LANDMARKS)  # audio-only: usable
    assert trainval == expected
    assert read_table(data / "test" / "text") == {
        _utt(s, spk, c): _text(s, spk, c) for s, spk, c, _, _ in GOOD if s == "test"
    }
    # dev: speaker-disjoint from train, together exactly trainval
    train_spk = set(read_table(data / "train" / "utt2spk").values())
    dev_spk = set(read_table(data / "dev" / "utt2spk").values())
    assert dev_spk and train_spk and not dev_spk & train_spk
    assert set(read_table(data / "train" / "text")) | set(read_table(data / "dev" / "text")) == set(
        trainval
    )
    assert sorted(dev_spk) == summary.dev_speakers
    assert (data / "local" / "dev_speakers.txt").read_text().split() == summary.dev_speakers
    # WAVs: 16 kHz mono 16-bit, duration 1.2 s within one video frame
    for utt, path in read_table(data / "trainval" / "wav.scp").items():
        with wave.open(path) as w:
            assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (
                16000,
                1,
                2,
            )
            assert abs(w.getnframes() / 16000 - N_FRAMES / 25) <= 1 / 25
        assert Path(path).is_absolute()
        assert abs(float(read_table(data / "trainval" / "utt2dur")[utt]) - 1.2) <= 1 / 25
    # skipped: exactly the three bad clips, each with its reason
    skipped = dict(
        line.split(" ", 1) for line in (data / "local" / "skipped.txt").read_text().splitlines()
    )
    assert set(skipped) == {"/".join(NO_AUDIO), "/".join(CORRUPT), "/".join(NO_TEXT)}
    assert "no audio track" in skipped["/".join(NO_AUDIO)]
    assert "unreadable" in skipped["/".join(CORRUPT)]
    assert "missing transcript" in skipped["/".join(NO_TEXT)]
    assert summary.clips == len(GOOD) - 2 + 4  # pretrain not read; 4 bad/odd clips
    assert not (media / "video").exists()


def test_dev_split_is_reproducible(lrs3_root, tmp_path):
    a = prepare_lrs3(lrs3_root, tmp_path / "a", tmp_path / "media", dev_ratio=0.4)
    b = prepare_lrs3(lrs3_root, tmp_path / "b", tmp_path / "media", dev_ratio=0.4, nj=2)
    assert a.dev_speakers == b.dev_speakers and len(a.dev_speakers) == 2
    for name in ("train", "dev"):
        assert (tmp_path / "a" / name / "text").read_text() == (
            tmp_path / "b" / name / "text"
        ).read_text()


def test_landmarks_video(lrs3_root, tmp_path):
    data, media = tmp_path / "data", tmp_path / "media"
    prepare_lrs3(
        lrs3_root,
        data,
        media,
        video="landmarks",
        use_pretrain=True,
        nj=2,
        dev_ratio=0.2,
    )
    _check_sets(data, ["pretrain", "trainval", "train", "dev", "test"])
    squares = {_utt(s, spk, c): (x, y) for s, spk, c, x, y in GOOD}
    for name in ("pretrain", "trainval", "test"):
        video = read_table(data / name / "video.scp")
        assert set(video) == set(read_table(data / name / "wav.scp"))
        for utt, path in video.items():
            rois = load_video_array(path)
            assert rois.shape == (N_FRAMES, 88, 88) and rois.dtype == np.uint8
            # the square sits at its landmarks, so at the centre of every crop
            ys, xs = np.nonzero(rois.max(axis=0) > 128)
            assert abs(xs.mean() - 43.5) <= 1 and abs(ys.mean() - 43.5) <= 1, utt
            assert utt in squares
    skipped = (data / "local" / "skipped.txt").read_text()
    assert "/".join(NO_LANDMARKS) + " missing landmarks" in skipped
    assert len(skipped.splitlines()) == 4
    # train = trainval + pretrain minus the dev speakers
    dev_spk = set(read_table(data / "dev" / "utt2spk").values())
    train = read_table(data / "train" / "utt2spk")
    assert not dev_spk & set(train.values())
    expected = {
        _utt(s, spk, c)
        for s, spk, c, _, _ in GOOD
        if s in ("trainval", "pretrain") and spk not in dev_spk
    }
    assert set(train) == expected


def test_landmarks_dir_and_precropped(lrs3_root, tmp_path):
    # landmark files moved to their own tree
    lm_dir = tmp_path / "lm"
    for npy in lrs3_root.glob("*/*/*.npy"):
        dst = lm_dir / npy.relative_to(lrs3_root)
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(npy, dst)
    (lm_dir / "trainval" / "spkA" / "50002.npy").unlink()
    # one clip with the text format instead, with two frames missing
    lm = np.load(lm_dir / "trainval" / "spkA" / "50001.npy")
    (lm_dir / "trainval" / "spkA" / "50001.npy").unlink()
    lines = [" ".join(f"{v:g}" for v in frame.ravel()) for frame in lm]
    lines[3] = lines[4] = "-"
    (lm_dir / "trainval" / "spkA" / "50001.landmarks.txt").write_text("\n".join(lines) + "\n")
    data = tmp_path / "data"
    prepare_lrs3(lrs3_root, data, tmp_path / "m", video="landmarks", landmarks_dir=lm_dir)
    assert "trainval/spkA/50002 missing landmarks" in (data / "local" / "skipped.txt").read_text()
    rois = load_video_array(read_table(data / "trainval" / "video.scp")["spkA_50001"])
    ys, xs = np.nonzero(rois.max(axis=0) > 128)
    assert abs(xs.mean() - 43.5) <= 1 and abs(ys.mean() - 43.5) <= 1
    data2 = tmp_path / "data2"
    prepare_lrs3(lrs3_root, data2, tmp_path / "m2", video="precropped")
    for path in read_table(data2 / "trainval" / "video.scp").values():
        assert load_video_array(path).shape == (N_FRAMES, 88, 88)


def test_missing_folders_and_nothing_usable(lrs3_root, tmp_path, capsys):
    rc = lrs3_data.main(
        [
            "--lrs3",
            str(lrs3_root),
            "--data_dir",
            str(tmp_path / "d"),
            "--media_dir",
            str(tmp_path / "m"),
            "--use_pretrain",
            "true",
            "--landmarks_dir",
            str(tmp_path / "nowhere"),
            "--video",
            "landmarks",
        ]
    )
    assert rc == 2 and "nowhere" in capsys.readouterr().err
    partial = tmp_path / "partial"
    shutil.copytree(lrs3_root / "trainval", partial / "trainval")
    rc = lrs3_data.main(["--lrs3", str(partial), "--data_dir", str(tmp_path / "d")])
    assert rc == 2 and f"{partial / 'test'}" in capsys.readouterr().err
    rc = lrs3_data.main(
        [
            "--lrs3",
            str(partial),
            "--data_dir",
            str(tmp_path / "d"),
            "--use_pretrain",
            "true",
        ]
    )
    assert rc == 2 and f"{partial / 'pretrain'}" in capsys.readouterr().err
    # every clip broken -> non-zero exit, skipped list still written
    broken = tmp_path / "broken"
    for subset, spk in [("trainval", "a"), ("trainval", "b"), ("test", "c")]:
        (broken / subset / spk).mkdir(parents=True)
        (broken / subset / spk / "1.mp4").write_bytes(b"junk" * 10)
        (broken / subset / spk / "1.txt").write_text("Text:  HELLO\n")
    rc = lrs3_data.main(
        [
            "--lrs3",
            str(broken),
            "--data_dir",
            str(tmp_path / "db"),
            "--media_dir",
            str(tmp_path / "mb"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "no usable clips" in err and "trainval" in err
    assert len((tmp_path / "db" / "local" / "skipped.txt").read_text().splitlines()) == 3


def test_cli_summary_and_reuse(lrs3_root, tmp_path, capsys):
    argv = [
        "--lrs3",
        str(lrs3_root),
        "--data_dir",
        str(tmp_path / "d"),
        "--media_dir",
        str(tmp_path / "m"),
        "--dev_ratio",
        "0.2",
    ]
    assert lrs3_data.main(argv) == 0
    out = capsys.readouterr().out
    assert "skipped 3 clips" in out and "clips/s" in out
    wav = next((tmp_path / "m" / "wav").rglob("*.wav"))
    mtime = wav.stat().st_mtime_ns
    assert lrs3_data.main(argv) == 0  # second run reuses the extracted files
    assert wav.stat().st_mtime_ns == mtime


def _run_data_sh(recipe, lrs3_root, workdir, *args):
    for name in ("asr1", "avsr1"):  # asr1/local/data.sh runs avsr1's with --video none
        src = REPO / "egs2" / "lrs3_lowrank" / name
        (workdir / name).mkdir(parents=True)
        shutil.copytree(src / "local", workdir / name / "local")
        shutil.copy(src / "db.sh", workdir / name / "db.sh")
    run_dir = workdir / recipe
    env = dict(os.environ)
    env["LRS3"] = str(lrs3_root)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    env["PYTHONPATH"] = f"{REPO}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return guarded_run(
        ["bash", "local/data.sh", *args],
        cwd=run_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    ), run_dir


@pytest.mark.slow
def test_asr1_data_sh(lrs3_root, tmp_path):
    proc, run_dir = _run_data_sh("asr1", lrs3_root, tmp_path, "--nj", "2", "--dev_ratio", "0.2")
    assert proc.returncode == 0, proc.stderr
    assert "skipped 3 clips" in proc.stdout
    for name in ("trainval", "train", "dev", "test"):
        assert (run_dir / "data" / name / "wav.scp").is_file()
        assert not (run_dir / "data" / name / "video.scp").exists()
    bad, _ = _run_data_sh("asr1", lrs3_root, tmp_path / "bad", "--bogus", "1")
    assert bad.returncode == 2 and "unknown option --bogus" in bad.stdout


@pytest.mark.slow
def test_avsr1_data_sh(lrs3_root, tmp_path):
    proc, run_dir = _run_data_sh(
        "avsr1", lrs3_root, tmp_path, "--use_pretrain", "true", "--nj", "2"
    )
    assert proc.returncode == 0, proc.stderr
    assert "skipped 4 clips" in proc.stdout
    for name in ("pretrain", "trainval", "train", "dev", "test"):
        video = read_table(run_dir / "data" / name / "video.scp")
        assert set(video) == set(read_table(run_dir / "data" / name / "wav.scp"))
        assert all(load_video_array(p).shape == (N_FRAMES, 88, 88) for p in video.values())
