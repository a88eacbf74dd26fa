"""Tests for espnet_lowrank.corpora.librispeech, its CLI and the recipe's local/data.sh.

The fixture writes a tiny corpus in the exact LibriSpeech layout: real FLAC
files (soundfile), ``<reader>-<chapter>.trans.txt`` and ``SPEAKERS.TXT`` with
its ``;`` comment header and ``|`` columns.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import logging
import os
import subprocess
import sys
import tarfile
import threading
from pathlib import Path
from typing import Dict, List, Tuple

import pytest

from espnet_lowrank.bin import librispeech_data
from espnet_lowrank.corpora import librispeech as ls
from espnet_lowrank.kaldi_dir import read_table

from ..hang_guard import guarded_run
from .librispeech_fixture import SR, make_librispeech

REPO = Path(__file__).resolve().parents[2]
DATA_SH = REPO / "egs2" / "librispeech_lowrank" / "asr1" / "local" / "data.sh"


@pytest.fixture
def corpus(tmp_path):
    root = tmp_path / "corpus"
    return root, make_librispeech(root)


SMALL = ["dev-clean", "dev-other", "test-clean", "test-other", "train-clean-100"]


def _lines(path: Path) -> List[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _check_dir(d: Path, expected: Dict[str, Tuple[str, str, int]], root: Path) -> None:
    """Sorted, mutually consistent tables matching the fixture."""
    wav, text, utt2spk = (read_table(d / n) for n in ("wav.scp", "text", "utt2spk"))
    for name in ("wav.scp", "text", "utt2spk", "utt2gender", "spk2utt", "spk2gender"):
        keys = [line.split(" ", 1)[0] for line in _lines(d / name)]
        assert keys == sorted(keys), name
    assert set(wav) == set(text) == set(utt2spk) == set(expected)
    for utt, (part, transcript, _) in expected.items():
        reader, chapter, _ = utt.split("-")
        assert utt2spk[utt] == f"{reader}-{chapter}"
        assert text[utt] == transcript
        assert Path(wav[utt]).is_absolute()
        assert (
            Path(wav[utt])
            == (root / "LibriSpeech" / part / reader / chapter / f"{utt}.flac").absolute()
        )
    spk2utt = {k: v.split() for k, v in read_table(d / "spk2utt").items()}
    assert {u: s for s, us in spk2utt.items() for u in us} == utt2spk
    genders = {
        "60": "m",
        "103": "f",
        "1034": "m",
        "1040": "f",
        "1088": "f",
        "2412": "f",
        "3005": "m",
    }
    spk2gender = read_table(d / "spk2gender")
    assert set(spk2gender) == set(spk2utt)
    assert all(g == genders[s.split("-")[0]] for s, g in spk2gender.items())
    utt2gender = read_table(d / "utt2gender")
    assert utt2gender == {u: spk2gender[s] for u, s in utt2spk.items()}


def test_prepare_writes_parts_and_combined_sets(corpus, tmp_path):
    root, expected = corpus
    stray = root / "LibriSpeech/dev-clean/103/1240/.DS_Store"
    stray.write_text("x")
    data = tmp_path / "data"
    reports = ls.prepare(root, data, parts=SMALL, train_set="train_clean_100")
    assert [r.part for r in reports] == SMALL
    for part in SMALL:
        sub = {u: v for u, v in expected.items() if v[0] == part}
        _check_dir(data / part.replace("-", "_"), sub, root)
    dev = {u: v for u, v in expected.items() if v[0] in ("dev-clean", "dev-other")}
    _check_dir(data / "dev", dev, root)
    assert reports[0].skipped == [str(stray)]
    assert reports[0].utterances == 3 and reports[0].speakers == 2
    assert sum(r.utterances for r in reports) == sum(v[0] in SMALL for v in expected.values())
    assert not (data / "train_960").exists()
    assert not (data / "local").exists()


def test_train_960_combines_three_parts(corpus, tmp_path):
    root, expected = corpus
    data = tmp_path / "data"
    ls.prepare(root, data, train_set="train_960")
    train = {u: v for u, v in expected.items() if v[0].startswith("train-")}
    _check_dir(data / "train_960", train, root)
    assert {d.name for d in data.iterdir()} == {
        "dev_clean",
        "dev_other",
        "test_clean",
        "test_other",
        "train_clean_100",
        "train_clean_360",
        "train_other_500",
        "train_960",
        "dev",
    }


def test_wav_scp_is_readable_by_espnet(corpus, tmp_path):
    from espnet2.fileio.sound_scp import SoundScpReader

    root, expected = corpus
    data = tmp_path / "data"
    ls.prepare(root, data, parts=SMALL, train_set="train_clean_100")
    for name in ("dev", "train_clean_100", "test_other"):
        reader = SoundScpReader(str(data / name / "wav.scp"), dtype="int16")
        assert len(reader) > 0
        for utt in reader:
            rate, array = reader[utt]
            assert rate == SR
            assert array.shape == (expected[utt][2],)


def test_read_speakers_handles_comments_and_pipes_in_names(corpus):
    root, _ = corpus
    spk = ls.read_speakers(root / "LibriSpeech" / "SPEAKERS.TXT")
    assert len(spk) == 7
    assert spk["60"] == ls.Speaker("60", "m", "train-clean-100", 20.18, "|CBW|Simon")
    assert spk["1034"].name == "Kevin O'Coin" and spk["103"].gender == "f"


def test_read_speakers_errors_name_the_line(tmp_path):
    p = tmp_path / "SPEAKERS.TXT"
    p.write_text(";ID|SEX|SUBSET|MINUTES|NAME\n14 | X | dev-clean | 1.0 | A\n")
    with pytest.raises(ls.CorpusError, match=r"SPEAKERS.TXT:2: sex of reader 14"):
        ls.read_speakers(p)
    p.write_text("14 | F | dev-clean\n")
    with pytest.raises(ls.CorpusError, match=r"SPEAKERS.TXT:1: expected"):
        ls.read_speakers(p)
    with pytest.raises(ls.CorpusError, match="speaker table not found"):
        ls.read_speakers(tmp_path / "nope.txt")


def _chapter(root: Path) -> Path:
    return root / "LibriSpeech/dev-clean/103/1240"


def test_missing_transcript_file(corpus, tmp_path):
    root, _ = corpus
    trans = _chapter(root) / "103-1240.trans.txt"
    trans.unlink()
    with pytest.raises(ls.CorpusError, match="missing transcript file") as err:
        ls.prepare_part(root, "dev-clean", tmp_path / "data")
    assert str(trans) in str(err.value)


def test_flac_without_transcript_line(corpus, tmp_path):
    root, _ = corpus
    trans = _chapter(root) / "103-1240.trans.txt"
    trans.write_text(_lines(trans)[0] + "\n")
    with pytest.raises(ls.CorpusError, match="has no line for 1 .flac") as err:
        ls.prepare_part(root, "dev-clean", tmp_path / "data")
    assert str(_chapter(root) / "103-1240-0001.flac") in str(err.value)


def test_transcript_line_without_flac(corpus, tmp_path):
    root, _ = corpus
    (_chapter(root) / "103-1240-0001.flac").unlink()
    with pytest.raises(ls.CorpusError, match="utterance\\(s\\) with no .flac") as err:
        ls.prepare_part(root, "dev-clean", tmp_path / "data")
    assert "103-1240-0001.flac" in str(err.value)


def test_duplicate_transcript_id(corpus, tmp_path):
    root, _ = corpus
    trans = _chapter(root) / "103-1240.trans.txt"
    trans.write_text(trans.read_text() + "103-1240-0000 AGAIN\n")
    with pytest.raises(ls.CorpusError, match=r"trans.txt:3: duplicate utterance id"):
        ls.prepare_part(root, "dev-clean", tmp_path / "data")


def test_misnamed_flac(corpus, tmp_path):
    root, _ = corpus
    (_chapter(root) / "103-1240-0001.flac").rename(_chapter(root) / "103-9999-0001.flac")
    with pytest.raises(ls.CorpusError, match="expected a name 103-1240-<number>.flac"):
        ls.prepare_part(root, "dev-clean", tmp_path / "data")


def test_missing_part_folder_and_unknown_reader(corpus, tmp_path):
    root, _ = corpus
    with pytest.raises(ls.CorpusError, match="part folder not found") as err:
        ls.prepare_part(tmp_path / "elsewhere", "dev-clean", tmp_path / "data")
    assert str(tmp_path / "elsewhere" / "LibriSpeech" / "dev-clean") in str(err.value)
    spk = root / "LibriSpeech" / "SPEAKERS.TXT"
    spk.write_text("".join(x + "\n" for x in _lines(spk) if not x.startswith("103 ")))
    with pytest.raises(ls.CorpusError, match="reader 103 .* is not in SPEAKERS.TXT"):
        ls.prepare_part(root, "dev-clean", tmp_path / "data")


def test_combine_refuses_duplicate_ids(corpus, tmp_path):
    root, _ = corpus
    data = tmp_path / "data"
    ls.prepare_part(root, "dev-clean", data)
    with pytest.raises(ls.CorpusError, match="utterance 103-1240-0000 is in both"):
        ls.combine_data_dirs(data / "twice", [data / "dev_clean", data / "dev_clean"])


def test_train_set_needs_its_parts(corpus, tmp_path):
    root, _ = corpus
    with pytest.raises(ls.CorpusError, match="train set train_960 needs parts"):
        ls.prepare(root, tmp_path / "data", parts=SMALL, train_set="train_960")
    with pytest.raises(ls.CorpusError, match="unknown LibriSpeech part 'dev_cleen'"):
        ls.prepare(root, tmp_path / "data", parts=["dev_cleen"])


def test_lm_text_ids_and_normalisation(tmp_path):
    gz = tmp_path / ls.LM_TEXT_GZ
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write("A BANK CHECK\n\n  TWO   SPACES \nLAST LINE")
    path, written, empty = ls.write_lm_text(gz, tmp_path / "other_text")
    assert (written, empty) == (3, 1)
    assert _lines(path) == [
        "librispeech_lng_00000001 A BANK CHECK",
        "librispeech_lng_00000003 TWO SPACES",
        "librispeech_lng_00000004 LAST LINE",
    ]
    assert not (tmp_path / "other_text" / "text.tmp").exists()
    gz.write_bytes(b"not gzip")
    with pytest.raises(ls.CorpusError, match="cannot read the LM text"):
        ls.write_lm_text(gz, tmp_path / "other_text")
    assert _lines(path)[0].startswith("librispeech_lng_00000001")  # old file kept


def test_md5_table_and_md5sum_file(tmp_path):
    assert set(ls.MD5) == {f"{p}.tar.gz" for p in ls.PARTS} | {ls.LM_TEXT_GZ}
    assert all(len(v) == 32 for v in ls.MD5.values())
    p = tmp_path / "md5sum.txt"
    p.write_text(
        "42E2234BA48799C1F50F24A7926300A1  dev-clean.tar.gz\n\n"
        "c8d0bcc9cca99d4f8b62fcc847357931 *sub/dev-other.tar.gz\n"
    )
    assert ls.read_md5sum_file(p) == {
        "dev-clean.tar.gz": "42e2234ba48799c1f50f24a7926300a1",
        "dev-other.tar.gz": "c8d0bcc9cca99d4f8b62fcc847357931",
    }
    p.write_text("xyz dev-clean.tar.gz\n")
    with pytest.raises(ls.CorpusError, match="md5sum.txt:1"):
        ls.read_md5sum_file(p)


def test_cli_prepare_and_error_exit(corpus, tmp_path, capsys):
    root, expected = corpus
    data = tmp_path / "data"
    rc = librispeech_data.main(
        [
            "prepare",
            "--root",
            str(root),
            "--data_dir",
            str(data),
            "--train_set",
            "train_clean_100",
        ]
    )
    assert rc == 0
    assert len(_lines(data / "train_clean_100" / "text")) == 4
    rc = librispeech_data.main(
        [
            "prepare",
            "--root",
            str(tmp_path / "nowhere"),
            "--data_dir",
            str(data),
            "--parts",
            "dev_clean",
        ]
    )
    assert rc == 2
    err = capsys.readouterr().err
    assert "error: LibriSpeech part folder not found" in err
    assert str(tmp_path / "nowhere" / "LibriSpeech" / "dev-clean") in err


# ---------------------------------------------------------------------------
# local/data.sh end to end: archives served from 127.0.0.1


def _make_archives(corpus_root: Path, out: Path) -> Dict[str, str]:
    """<part>.tar.gz (LibriSpeech/<part> + SPEAKERS.TXT) and the LM text; md5s."""
    out.mkdir()
    for part in ls.PARTS:
        with tarfile.open(out / f"{part}.tar.gz", "w:gz") as tar:
            tar.add(corpus_root / "LibriSpeech" / "SPEAKERS.TXT", "LibriSpeech/SPEAKERS.TXT")
            tar.add(corpus_root / "LibriSpeech" / part, f"LibriSpeech/{part}")
    with gzip.open(out / ls.LM_TEXT_GZ, "wt") as f:
        f.write("A BANK CHECK\nTHE END\n")
    return {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in out.iterdir()}


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002
        self.server.paths.append(self.path)


@pytest.fixture
def archive_server(corpus, tmp_path):
    root, expected = corpus
    served = tmp_path / "served"
    md5 = _make_archives(root, served)
    handler = functools.partial(_Handler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.paths = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.paths, md5, expected
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _run_data_sh(cwd: Path, env_root: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, LIBRISPEECH=str(env_root), python=sys.executable)
    return guarded_run(
        ["bash", str(DATA_SH), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


@pytest.mark.slow
def test_data_sh_end_to_end(archive_server, tmp_path, capsys, caplog):
    url, paths, md5, expected = archive_server
    md5_file = tmp_path / "md5sum.txt"
    md5_file.write_text("".join(f"{v}  {k}\n" for k, v in md5.items()))
    work = tmp_path / "recipe"
    work.mkdir()
    dl = tmp_path / "downloads"
    args = (
        "--train_set",
        "train_clean_100",
        "--url_base",
        url,
        "--lm-url-base",
        url,
        "--md5_file",
        str(md5_file),
    )
    r = _run_data_sh(work, dl, *args)
    assert r.returncode == 0, r.stderr
    assert sorted(paths) == sorted([f"/{p}.tar.gz" for p in SMALL] + [f"/{ls.LM_TEXT_GZ}"])
    data = work / "data"
    small = {u: v for u, v in expected.items() if v[0] in SMALL}
    for part in SMALL:
        sub = {u: v for u, v in small.items() if v[0] == part}
        _check_dir(data / part.replace("-", "_"), sub, dl)
    _check_dir(data / "dev", {u: v for u, v in small.items() if v[0].startswith("dev")}, dl)
    assert _lines(data / "local/other_text/text") == [
        "librispeech_lng_00000001 A BANK CHECK",
        "librispeech_lng_00000002 THE END",
    ]
    # second download run (in-process: each python start-up imports ESPnet):
    # everything is present, nothing is fetched
    caplog.set_level(logging.INFO)
    rc = librispeech_data.main(
        ["download", "--root", str(dl), "--train_set", "train_clean_100"]
        + ["--url_base", url, "--lm_url_base", url, "--md5_file", str(md5_file)]
        + ["--lm_text_dir", str(data / "local/other_text")]
    )
    assert rc == 0
    assert len(paths) == len(SMALL) + 1
    err = capsys.readouterr().err + caplog.text
    assert err.count("skipping its download") == len(SMALL)
    assert "md5 matches; not downloading" in err  # the LM text


def test_cli_refuses_a_corrupted_archive(archive_server, tmp_path, capsys):
    url, paths, md5, _ = archive_server
    md5_file = tmp_path / "md5sum.txt"
    md5_file.write_text(f"{'0' * 32}  dev-clean.tar.gz\n")
    work = tmp_path / "recipe"
    work.mkdir()
    dl = tmp_path / "downloads"
    rc = librispeech_data.main(
        ["download", "--root", str(dl), "--parts", "dev-clean", "--url_base", url]
        + ["--md5_file", str(md5_file), "--backoff", "0"]
    )
    assert rc == 2
    assert "md5 mismatch" in capsys.readouterr().err
    assert paths == ["/dev-clean.tar.gz"] * 2
    assert not (dl / "LibriSpeech").exists()
    assert [p.name for p in dl.iterdir()] == []
    # the data stage then fails with a clear message instead of using anything
    rc = librispeech_data.main(
        [
            "prepare",
            "--root",
            str(dl),
            "--parts",
            "dev-clean",
            "--data_dir",
            str(work / "data"),
        ]
    )
    assert rc == 2
    assert "part folder not found" in capsys.readouterr().err


def test_data_sh_rejects_unknown_option(tmp_path):
    r = guarded_run(
        ["bash", str(DATA_SH), "--no_such_option", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 2
    assert "unknown option --no_such_option" in r.stderr
