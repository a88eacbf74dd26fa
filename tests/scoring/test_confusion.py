"""Letter-slot confusions against the lips' look-alike groups."""

from __future__ import annotations

from espnet_lowrank.bin import av_confusion
from espnet_lowrank.scoring import confusion


def _texts(tmp_path, pairs):
    ref = tmp_path / "ref"
    hyp = tmp_path / "hyp"
    ref.write_text("".join(f"u{i} bin blue at {r} two now\n" for i, (r, _) in enumerate(pairs)))
    hyp.write_text("".join(f"u{i} bin blue at {h} two now\n" for i, (_, h) in enumerate(pairs)))
    return ref, hyp


def test_errors_inside_groups_against_chance(tmp_path):
    pairs = [("b", "p")] * 6 + [("t", "d")] * 2 + [("f", "s")] * 2 + [("a", "a")] * 5
    ref, hyp = _texts(tmp_path, pairs)
    with hyp.open("a") as f:
        f.write("u99 bin blue\n")
    with ref.open("a") as f:
        f.write("u99 bin blue at e two now\n")
    counts, compared, skipped = confusion.slot_confusions(ref, hyp, 3, 6)
    assert (compared, skipped) == (15, 1) and counts[("b", "p")] == 6
    groups = [("b", "p"), ("c", "d", "t", "z"), ("n", "s")]
    s = confusion.summarise(counts, compared, skipped, list("abcdefghijklmnopqrstuvxyz"), groups)
    assert (s.errors, s.within_group) == (10, 8) and s.within_share == 0.8
    # chance: b (group of 2) 6 x 1/24, t (group of 4) 2 x 3/24, f (alone) 0
    assert abs(s.chance_within - (6 / 24 + 6 / 24) / 10) < 1e-9
    text = "\n".join(confusion.render(s, "video-only"))
    assert "10 slot errors, 8 of them (80 %) inside a look-alike group, against 5 %" in text
    assert "b→p 6, t→d 2, f→s 2." in text


def test_tool_prints_the_report_and_names_bad_files(tmp_path, capsys):
    ref, hyp = _texts(tmp_path, [("b", "p"), ("n", "s"), ("x", "x")])
    assert av_confusion.main(["--ref", str(ref), "--hyp", str(hyp), "--name", "v"]) == 0
    assert "2 slot errors, 2 of them (100 %)" in capsys.readouterr().out
    assert av_confusion.main(["--ref", str(ref), "--hyp", str(tmp_path / "none")]) == 2
    assert "text file not found" in capsys.readouterr().err
