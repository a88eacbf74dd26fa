"""WER per engine / room of a decoding."""

from __future__ import annotations

import pytest

from espnet_lowrank.bin import score_by_group
from espnet_lowrank.scoring import by_group


@pytest.fixture
def files(tmp_path):
    (tmp_path / "ref").write_text("u1 a b c d\nu2 a b c d\nu3 e f\n")
    (tmp_path / "hyp").write_text("u1 a b c d\nu2 a x c\nu3 e f\n")
    (tmp_path / "utt2engine").write_text("u1 espeak:en-us\nu2 flite:awb\nu3 espeak:en+f2\n")
    (tmp_path / "acoustics").write_text(
        "u1 rt60=0.000 drr=0.00 snr=20\nu2 rt60=0.500 drr=2 snr=20\nu3 rt60=0.2 drr=1 snr=9\n"
    )
    return tmp_path


def test_wer_per_engine_and_room(files):
    c = by_group.wer_by_group(files / "ref", files / "hyp", files / "utt2engine")
    assert list(c) == ["espeak", "flite"]
    assert (c["espeak"].wrd, c["espeak"].err) == (6, 0)
    assert (c["flite"].sub, c["flite"].dele) == (1, 1)
    r = by_group.wer_by_group(files / "ref", files / "hyp", files / "acoustics", by_group.reverb_of)
    assert sorted(r) == ["RT60 < 0.35 s", "RT60 >= 0.35 s", "dry"]
    assert by_group.render(c, "engine")[2:] == ["|espeak|2|6|0.0|", "|flite|1|4|50.0|"]


def test_errors_name_the_file(files, capsys):
    (files / "short").write_text("u1 espeak:x\n")
    with pytest.raises(ValueError, match="short: no group for 2 utterance"):
        by_group.wer_by_group(files / "ref", files / "hyp", files / "short")
    with pytest.raises(ValueError, match="no rt60"):
        by_group.reverb_of("snr=3")
    args = ["--ref", str(files / "ref"), "--hyp", str(files / "hyp")]
    assert score_by_group.main(args + ["--groups", str(files / "utt2engine")]) == 0
    assert "|flite|1|4|50.0|" in capsys.readouterr().out
    assert score_by_group.main(args + ["--groups", str(files / "none")]) == 2
