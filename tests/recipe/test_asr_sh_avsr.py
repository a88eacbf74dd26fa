"""asr.sh --task avsr end to end on a tiny audio-visual corpus (real ESPnet training).

Stages 2-12: video.scp formatted beside wav.scp, AV statistics and training through
``avsr_train``, N-best decoding through ``avsr_inference`` (AV and audio-only via
``--inference_args``), scoring, RESULTS.md and packing of the AV model.
"""

import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from espnet_lowrank.kaldi_dir import Utterance, read_table, write_data_dir
from espnet_lowrank.video.array_io import save_video_array
from tests.avsr.tiny_av import FPS, FS, TINY_CONFIG, WORDS

from .conftest import run_asr

pytestmark = pytest.mark.slow

EXP = Path("exp/asr_train_avsr_tiny_raw_noinfo_char")
DECODE = "decode_asr_asr_model_valid.acc.ave"


def make_av_corpus(root: Path, sizes, seed: int = 0) -> None:
    """Kaldi dirs ``root/data/<set>`` with wav.scp, text, utt2spk and video.scp.

    Videos are a frame longer or shorter than the audio for some utterances; one
    training utterance has a video 10 frames short (stage 2 must drop it).
    """
    rng = np.random.default_rng(seed)
    media = root / "media"
    media.mkdir(parents=True, exist_ok=True)
    for name, n in sizes.items():
        utts = []
        for i in range(n):
            spk, utt = f"spk{i % 2}", f"spk{i % 2}-{name}{i:03d}"
            frames = 10 + 2 * i
            audio = rng.normal(0, 0.1, frames * FS // FPS).astype(np.float32)
            n_video = frames + (i % 3) - 1 - (10 if (name == "train" and i == 0) else 0)
            video = rng.integers(0, 256, (max(n_video, 1), 88, 88), dtype=np.uint8)
            wav, npy = media / f"{utt}.wav", media / f"{utt}.npy"
            sf.write(wav, audio, FS, subtype="PCM_16")
            save_video_array(npy, video)
            text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(1 + i % 2))
            utts.append(Utterance(utt, spk, str(wav), text, extra={"video.scp": str(npy)}))
        write_data_dir(root / "data" / name, utts)


@pytest.fixture(scope="module")
def avsr_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("avsr") / "avsr1"
    (d / "conf").mkdir(parents=True)
    shutil.copy(TINY_CONFIG, d / "conf" / "train_avsr_tiny.yaml")
    decode = dict(beam_size=2, ctc_weight=0.3, maxlenratio=0.5, minlenratio=0.0, penalty=0.0)
    (d / "conf" / "decode_asr.yaml").write_text(yaml.safe_dump(decode))
    make_av_corpus(d, {"train": 8, "dev": 3, "test": 3})
    common = ["--task", "avsr", "--asr_config", "conf/train_avsr_tiny.yaml", "--use_lm", "false",
              "--nbest", "2"]  # fmt: skip
    r = run_asr(d, ["--stage", "2", "--stop_stage", "12", *common])
    assert r.returncode == 0, r.stdout[-5000:]
    audio = run_asr(d, ["--stage", "9", "--stop_stage", "10", *common,
                        "--inference_args", "--modality audio"])  # fmt: skip
    assert audio.returncode == 0, audio.stdout[-5000:]
    return d, r.stdout, audio.stdout


def test_stage2_formats_video_and_drops_mismatched_clips(avsr_run) -> None:
    d, out, _ = avsr_run
    for s, n in (("train", 7), ("dev", 3), ("test", 3)):
        videos = read_table(d / f"dump/raw/{s}/video.scp")
        assert set(videos) == set(read_table(d / f"dump/raw/{s}/wav.scp")), s
        assert len(videos) == n and all(Path(p).is_absolute() for p in videos.values())
    assert "spk0-train000" in (d / "dump/raw/train/video_dropped").read_text()
    assert "spk0-train000" not in read_table(d / "dump/raw/train/text")
    assert "no feature normalisation" in out


def test_training_used_the_av_task_and_video(avsr_run) -> None:
    d, _, _ = avsr_run
    cfg = yaml.safe_load((d / EXP / "config.yaml").read_text())
    assert cfg["model"] == "avsr" and cfg["normalize"] is None
    streams = [tuple(x) for x in cfg["train_data_path_and_name_and_type"]]
    assert ("dump/raw/train/video.scp", "video", "video_npy") in streams
    assert (d / EXP / "valid.acc.ave.pth").exists()
    assert "avsr_train" in (d / EXP / "train.log").read_text()


def test_decodes_scores_and_packs(avsr_run) -> None:
    d, _, _ = avsr_run
    keys = set(read_table(d / "dump/raw/test/wav.scp"))
    for n in (1, 2):
        assert set(read_table(d / EXP / DECODE / f"test/{n}best_recog/token")) == keys
    log = (d / EXP / DECODE / "test/logdir/asr_inference.1.log").read_text()
    assert "avsr_inference" in log and "video.scp,video,video_npy" in log
    assert "Sum/Avg" in (d / EXP / DECODE / "test/score_wer/result.txt").read_text()
    (zp,) = (d / EXP).glob("*.zip")
    names = zipfile.ZipFile(zp).namelist()
    assert "meta.yaml" in names and any(n.endswith("RESULTS.md") for n in names)
    assert not any(n.endswith("feats_stats.npz") for n in names)
    packed_cfg = next(n for n in names if n.endswith("config.yaml"))
    assert yaml.safe_load(zipfile.ZipFile(zp).read(packed_cfg))["model"] == "avsr"


def test_audio_only_decode_of_the_av_model_gets_its_own_dir(avsr_run) -> None:
    d, _, out = avsr_run
    dec = d / EXP / f"{DECODE}_audio" / "test"
    assert "--modality audio" in (dec / "logdir/asr_inference.1.log").read_text()
    assert set(read_table(dec / "1best_recog/token")) == set(
        read_table(d / "dump/raw/test/wav.scp")
    )
    assert "Sum/Avg" in (dec / "score_wer/result.txt").read_text()


@pytest.mark.parametrize(
    "args,message",
    [(["--task", "vsr"], "--task must be asr or avsr"),
     (["--task", "avsr", "--feats_normalize", "utterance_mvn"], "takes no --feats_normalize")],
)  # fmt: skip
def test_bad_task_options_are_errors(tmp_path, args, message) -> None:
    r = run_asr(tmp_path, ["--stage", "2", "--stop_stage", "2", *args])
    assert r.returncode == 2 and message in r.stdout
