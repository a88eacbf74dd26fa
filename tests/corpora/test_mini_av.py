"""The audio-visual mini corpus: visemes, mouth drawing, tracks, and a smoke corpus.

The grammar and the split plan are tested in ``test_mini_av_grid.py``.
"""

import shutil
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf

from espnet_lowrank.corpora.mini_av import grid
from espnet_lowrank.corpora.mini_av.corpus import (
    AVCorpusConfig,
    add_snr_sweep,
    build_av_corpus,
    read_phones_ctm,
    render_video,
    sweep_set_name,
)
from espnet_lowrank.corpora.mini_av.mouth import (
    Appearance,
    draw_appearance,
    mouth_interior_pixels,
    render_frame,
)
from espnet_lowrank.corpora.mini_av.track import (
    Articulation,
    draw_articulation,
    frame_count,
    mouth_track,
)
from espnet_lowrank.corpora.mini_av.visemes import (
    CONTROLS,
    PHONEME_VISEMES,
    VISEMES,
    UnknownPhonemeError,
    base_phoneme,
    phoneme_shapes,
    viseme_sequence,
)
from espnet_lowrank.kaldi_dir import read_table

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")

# Every mnemonic espeak-ng 1.51 emitted for the mini corpus (3 h, all its accents).
MINI_CORPUS_PHONEMES = (
    "t n _: I d s m l E z w k @ a u: aI V r 0 D f j v i: _ a# b oU p eI h I2 g N 3 i O@ U T ; "
    "3: @2 aU O: r- A@ tS @L S dZ e@ aa o@ i@3 t# U@ t[ I# i@ @5 OI A: O2 @- aI2 Z aI@ t2 w# "
    "_! VR n- ? aI3 IR"
).split()


def _shape(name):
    return np.asarray(VISEMES[name].as_tuple(), dtype=np.float32)


def test_viseme_table_covers_the_mini_corpus_phonemes():
    for phone in MINI_CORPUS_PHONEMES:
        shapes = phoneme_shapes(phone)
        assert 1 <= len(shapes) <= 2, phone
        for s in shapes:
            assert all(0.0 <= v <= 1.0 for v in s.as_tuple()), phone
    assert base_phoneme("t#") == "t" and base_phoneme("i@3") == "i@" and base_phoneme("0") == "0"
    assert all(v in VISEMES for vs in PHONEME_VISEMES.values() for v in vs)


@pytest.mark.parametrize("phone", ["Q", "xx9", "", "#"])
def test_unknown_phoneme_is_a_clear_error(phone):
    with pytest.raises(UnknownPhonemeError, match="no viseme for espeak-ng phoneme"):
        phoneme_shapes(phone)


@needs_espeak
def test_espeak_phonemes_of_every_mini_accent_have_visemes():
    """Phone events of espeak-ng itself, for each accent the mini corpus uses."""
    from espnet_lowrank.corpora.mini.phone_times import phone_times
    from espnet_lowrank.corpora.mini.tts import Speaker
    from espnet_lowrank.corpora.mini.voices import ACCENT_CODES, VoiceConfig

    cfg = VoiceConfig()
    text = "the quick brown fox jumps over the lazy dog while pure azure water flows"
    for voice in sorted(set(cfg.train_accents) | set(cfg.unseen_accents)):
        speaker = Speaker(voice=voice, variant="", pitch=50, rate=160, code=ACCENT_CODES[voice])
        for ph in phone_times(text, speaker):
            phoneme_shapes(ph.phone)


def test_open_vowel_opens_and_bilabial_closes_the_mouth_on_pixels():
    look = Appearance()
    pixels = {v: mouth_interior_pixels(render_frame(_shape(v), look)) for v in VISEMES}
    assert pixels["bilabial"] == 0 and pixels["rest"] == 0
    assert pixels["open"] > 200
    assert pixels["open"] > pixels["mid_central"] > pixels["close_back_round"]
    # rounding narrows the mouth: fewer columns of lips than spread lips
    spread = render_frame(_shape("close_front"), look)
    rounded = render_frame(_shape("close_back_round"), look)
    lip_cols = lambda f: int(((f < look.skin - 15).any(axis=0)).sum())  # noqa: E731
    assert lip_cols(spread) > lip_cols(rounded) + 10
    # teeth are the bright pixels, shown for f/v, not for u
    assert (render_frame(_shape("labiodental"), look) > 200).sum() > 0
    assert (rounded > 200).sum() == 0


def test_track_follows_phone_timings_with_smoothing():
    phones = [("m", 0.0, 0.4), ("a", 0.4, 0.8), ("p", 0.8, 1.2)]
    track = mouth_track(phones, 30, fps=25)
    assert track.shape == (30, len(CONTROLS)) and track.dtype == np.float32
    opening = track[:, CONTROLS.index("open")]
    assert opening[3] < 0.05 and opening[15] > 0.9 and opening[27] < 0.05
    assert 0.05 < opening[10] < 0.9  # the boundary frame is blended (co-articulation)
    raw = mouth_track(phones, 30, fps=25, coarticulation_ms=0)
    assert raw[10, 0] in (0.0, 1.0)
    look = Appearance()
    frames = [render_frame(track[i], look) for i in (3, 15, 27)]
    assert mouth_interior_pixels(frames[1]) > 200 > mouth_interior_pixels(frames[0])
    # a diphthong moves from its start to its end shape
    diph = mouth_track([("aI", 0.0, 1.0)], 25, coarticulation_ms=0)
    assert diph[1, 0] > 0.9 and diph[-1, 1] > 0.8 and diph[-1, 0] < 0.3


def test_bad_phone_times_are_errors():
    with pytest.raises(ValueError, match="ends before it starts"):
        mouth_track([("a", 0.5, 0.2)], 10)
    with pytest.raises(UnknownPhonemeError, match="'Q'"):
        mouth_track([("Q", 0.0, 0.2)], 10)


def test_frame_count_is_duration_at_25_fps():
    assert frame_count(16000) == 25 and frame_count(16000 * 3 + 320) == 76
    assert frame_count(1) == 1


def test_speakers_look_different_and_rendering_is_deterministic():
    a, b = draw_appearance(1, "spk-a"), draw_appearance(1, "spk-b")
    assert a != b and draw_appearance(1, "spk-a") == a and draw_appearance(2, "spk-a") != a
    phones = [("h", 0.0, 0.1), ("oU", 0.1, 0.5)]
    v1 = render_video(phones, 14, "spk-a", "u1", seed=1)
    assert v1.shape == (14, 88, 88) and v1.dtype == np.uint8
    assert np.array_equal(v1, render_video(phones, 14, "spk-a", "u1", seed=1))
    assert not np.array_equal(v1, render_video(phones, 14, "spk-b", "u1", seed=1))
    assert not np.array_equal(v1, render_video(phones, 14, "spk-a", "u2", seed=1))


@pytest.fixture(scope="module")
def smoke_corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("mini_av")
    info = build_av_corpus(AVCorpusConfig.smoke(seed=3), root / "data", root / "wav",
                           root / "video", nj=2)  # fmt: skip
    return root, info


@needs_espeak
def test_smoke_corpus_videos_match_audio_and_phones(smoke_corpus):
    root, info = smoke_corpus
    for split in ("train", "dev", "test", "test_unseen"):
        d = root / "data" / split
        wavs, videos = read_table(d / "wav.scp"), read_table(d / "video.scp")
        assert set(wavs) == set(videos) == set(read_phones_ctm(d / "phones.ctm"))
        for utt in sorted(wavs)[:4]:
            video = np.load(videos[utt])
            samples = sf.info(wavs[utt]).frames
            assert video.shape == (round(samples / 16000 * 25), 88, 88)
            assert video.dtype == np.uint8
    assert info["video"]["fps"] == 25 and info["config"]["snr_high"] <= 5.0
    # transcripts are grammar sentences; no sentence text in two of train, dev, test
    texts = {}
    for split in ("train", "dev", "test", "test_unseen"):
        texts[split] = set(read_table(root / "data" / split / "text").values())
        for t in texts[split]:
            grid.sentence_index(t.split())
    assert not texts["train"] & texts["test"] and not texts["train"] & texts["dev"]
    assert texts["test_unseen"] == texts["test"]
    assert info["splits"]["train"]["utterances"] == 24 and info["vocabulary_size"] == 51
    assert (root / "data" / "local" / "LICENSE-NOTE").read_text().count("espeak-ng") >= 1


@needs_espeak
def test_smoke_corpus_is_deterministic(smoke_corpus, tmp_path):
    """Re-rendering from the tables gives identical bytes; a second build the same tables."""
    root, _ = smoke_corpus
    d = root / "data" / "train"
    utt = sorted(read_table(d / "video.scp"))[0]
    phones = read_phones_ctm(d / "phones.ctm")[utt]
    original = np.load(read_table(d / "video.scp")[utt])
    again = render_video(phones, len(original), read_table(d / "utt2spk")[utt], utt, seed=3)
    assert np.array_equal(original, again)
    build_av_corpus(AVCorpusConfig.smoke(seed=3), tmp_path / "data", tmp_path / "wav",
                    tmp_path / "video", nj=1)  # fmt: skip
    for name in ("text", "utt2spk", "phones.ctm", "utt2num_frames"):
        assert (tmp_path / "data/train" / name).read_text() == (d / name).read_text(), name
    # the info file holds no timings, so it is identical too (whatever nj)
    info = "data/local/corpus_info.json"
    assert (tmp_path / info).read_text() == (root / info).read_text()
    other = np.load(tmp_path / "video" / "train" / f"{utt}.npy")
    assert np.array_equal(original, other)


def test_speaker_articulation_is_seeded_and_varies_by_speaker():
    a, b = draw_articulation(1, "spk-a"), draw_articulation(1, "spk-b")
    assert a == draw_articulation(1, "spk-a") and a != b and a != draw_articulation(2, "spk-a")
    for art in (a, b):
        assert 0.6 <= art.open_gain <= 1.1 and 30 <= art.coarticulation_ms <= 55
        assert -40 <= art.lag_ms <= 40 and 0.03 <= art.jitter <= 0.08


def test_articulation_gain_undershoot_lag_and_jitter():
    opening = CONTROLS.index("open")
    phones = [("a", 0.0, 0.4), ("p", 0.4, 0.43), ("a", 0.43, 0.8)]  # a 30 ms closure
    clean = mouth_track(phones, 20, coarticulation_ms=0)
    assert clean[10, opening] == 0.0  # the closure frame is closed
    undershoot = Articulation(coarticulation_ms=0, undershoot_ms=60)
    short = mouth_track(phones, 20, articulation=undershoot)
    assert 0.4 < short[10, opening] < 0.6  # reaches half of the way to closed
    half = mouth_track(phones, 20, articulation=Articulation(coarticulation_ms=0, open_gain=0.5))
    assert half[3, opening] == pytest.approx(0.5)
    late = mouth_track(phones, 20, articulation=Articulation(coarticulation_ms=0, lag_ms=40))
    assert late[11, opening] == 0.0 and late[10, opening] > 0.9  # one frame (40 ms) later
    with pytest.raises(ValueError, match="needs rng"):
        mouth_track(phones, 20, articulation=Articulation(jitter=0.05))
    jittery = Articulation(jitter=0.05)
    j1 = mouth_track(phones, 20, articulation=jittery, rng=np.random.default_rng(0))
    j2 = mouth_track(phones, 20, articulation=jittery, rng=np.random.default_rng(0))
    assert np.array_equal(j1, j2) and not np.allclose(j1, mouth_track(phones, 20))


def test_letters_that_look_alike_on_the_lips():
    """The grammar's letters whose names show the same visemes: the video cannot separate
    them (b/p bilabial, c/d/t/z alveolar, n/s), only the audio can."""
    assert grid.letter_viseme_groups() == [("b", "p"), ("c", "d", "t", "z"), ("n", "s")]
    assert viseme_sequence("b'i:") == ("bilabial", "close_front") == viseme_sequence("p'i:")
    assert viseme_sequence("'Em") != viseme_sequence("'En")
    with pytest.raises(UnknownPhonemeError, match="'Q'"):
        viseme_sequence("'Q")


def test_sweep_set_names_are_safe_and_distinct():
    names = [sweep_set_name(s) for s in (None, 10.0, 5.0, 0.0, -5.0, 2.5)]
    assert names == ["test_snr_clean", "test_snr_10", "test_snr_5", "test_snr_0",
                     "test_snr_m5", "test_snr_2p5"]  # fmt: skip
    with pytest.raises(ValueError, match="twice"):
        AVCorpusConfig(snr_sweep=(5.0, 5.0)).validate()
    with pytest.raises(ValueError, match="finite"):
        AVCorpusConfig(snr_sweep=(float("inf"),)).validate()


def _speech_snr(clean, noisy):
    speech = np.abs(clean) > 0.01 * np.abs(clean).max()
    return 10 * np.log10(np.mean(clean[speech] ** 2) / np.mean((noisy - clean) ** 2))


@needs_espeak
def test_snr_sweep_is_the_test_set_with_only_the_noise_level_changed(smoke_corpus):
    root, info = smoke_corpus
    data = root / "data"
    assert info["splits"]["test_snr_clean"]["snr_db"] is None
    assert info["splits"]["test_snr_m5"]["snr_db"] == -5.0
    test = {n: read_table(data / "test" / n) for n in ("text", "utt2spk", "video.scp")}
    clean = read_table(data / "test_snr_clean" / "wav.scp")
    noisy = read_table(data / "test_snr_m5" / "wav.scp")
    for name in ("test_snr_clean", "test_snr_m5"):
        for table, rows in test.items():  # same utterances, text, speakers and videos
            assert read_table(data / name / table) == rows, (name, table)
        assert (data / name / "phones.ctm").read_text() == (data / "test/phones.ctm").read_text()
    for utt in sorted(clean):
        x, _ = sf.read(clean[utt])
        y, _ = sf.read(noisy[utt])
        t, _ = sf.read(read_table(data / "test" / "wav.scp")[utt])
        assert x.shape == y.shape == t.shape
        assert abs(_speech_snr(x, y) + 5.0) < 0.05  # exactly -5 dB up to 16-bit rounding
        # the test recording is the same speech and noise at its own SNR in -5..5 dB
        assert -5.05 < _speech_snr(x, t) < 5.05


@needs_espeak
def test_add_snr_sweep_to_an_existing_corpus_checks_its_config(smoke_corpus, tmp_path):
    import json

    root, _ = smoke_corpus
    data = tmp_path / "data"
    shutil.copytree(root / "data", data)
    cfg = replace(AVCorpusConfig.smoke(seed=3), snr_sweep=(10.0,))
    info = add_snr_sweep(cfg, data, root / "wav", nj=1)
    assert "test_snr_10" in info["splits"] and "test_snr_m5" not in info["splits"]
    assert json.loads((data / "local/corpus_info.json").read_text()) == info
    assert read_table(data / "test_snr_10" / "text") == read_table(data / "test" / "text")
    with pytest.raises(ValueError, match="config.seed"):
        add_snr_sweep(replace(cfg, seed=4), data, tmp_path / "wav", nj=1)
    with pytest.raises(FileNotFoundError, match="corpus_info.json"):
        add_snr_sweep(cfg, tmp_path / "nothing", tmp_path / "wav", nj=1)


@pytest.mark.parametrize("snr", [None, 10.0, 5.0, 0.0, -5.0, 2.5, -12.5])
def test_sweep_set_names_round_trip(snr):
    from espnet_lowrank.corpora.mini_av.corpus import is_sweep_set, sweep_set_name, sweep_set_snr

    name = sweep_set_name(snr)
    assert is_sweep_set(name) and sweep_set_snr(name) == snr


@pytest.mark.parametrize("name", ["test", "test_unseen", "test_snr_", "test_snr_x", "test_snr_m"])
def test_other_set_names_are_not_sweep_sets(name):
    from espnet_lowrank.corpora.mini_av.corpus import is_sweep_set, sweep_set_snr

    assert not is_sweep_set(name)
    with pytest.raises(ValueError, match=name):
        sweep_set_snr(name)
