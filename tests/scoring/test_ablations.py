"""The ablation grid: its file, its jobs, the table over seeds, sc_stats verdicts, the plot."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from espnet_lowrank.bin import make_results, recipe_tools
from espnet_lowrank.scoring import ablations
from espnet_lowrank.scoring.sclite import run_sclite
from espnet_lowrank.scoring.trn import write_trn

pytestmark = pytest.mark.skipif(
    shutil.which("sclite") is None and not Path("/usr/lib/sctk/bin/sclite").exists(),
    reason="needs NIST sclite/sc_stats (Debian sctk; make test installs it as root)",
)

ROOT = Path(__file__).parents[2]
MINI_GRID = ROOT / "egs2" / "mini_lowrank" / "asr1" / "conf" / "ablations.yaml"
WORDS = "the cat sat on a mat and dog ran far away".split()
GRID = """\
reference: train_full
rows:
  - {config: conf/train_full.yaml, label: full rank, baseline: true}
  - {config: conf/tuning/train_good.yaml, label: good}
  - {config: conf/tuning/train_bad.yaml, label: bad}
claims:
  - {claim: good is better than bad, systems: [train_good, train_bad], expect: better}
  - {claim: bad is better than full, systems: [train_bad, train_full], expect: better}
  - {claim: good is not worse than full, systems: [train_good, train_full], expect: not_worse}
"""


def _grid(tmp_path: Path, text: str = GRID) -> Path:
    path = tmp_path / "ablations.yaml"
    path.write_text(text)
    return path


def _system(exp: Path, error_rate: float, seed: int, sets=("test", "test_unseen")) -> None:
    """A scored experiment: sclite's report and trn files of 120 utterances per set."""
    rng = random.Random(1000 + seed)
    refs = {f"u{i:03d}": [random.Random(i).choice(WORDS) for _ in range(8)] for i in range(120)}
    spk = {u: u for u in refs}
    for dset in sets:
        score = exp / "decode_asr_model_valid.acc.ave" / dset / "score_wer"
        score.mkdir(parents=True)
        hyp = {u: [w if rng.random() > error_rate else rng.choice(WORDS) for w in r]
               for u, r in refs.items()}  # fmt: skip
        ref_trn = write_trn(score / "ref.trn", refs, spk)
        hyp_trn = write_trn(score / "hyp.trn", hyp, spk)
        run_sclite(ref_trn, hyp_trn, score / "result.txt")
    (exp / "train.log").write_text(
        "1epoch results: [train] loss=1.0, time=2 minutes and 3.5 seconds, total_count=10\n"
    )


def _exp(tmp_path: Path) -> Path:
    exp = tmp_path / "exp"
    _system(exp / "asr_train_full_raw_en_bpe300", 0.10, 0)
    _system(exp / "asr_train_full_seed1_raw_en_bpe300", 0.11, 1)
    _system(exp / "asr_train_good_raw_en_bpe300", 0.10, 2)
    _system(exp / "asr_train_bad_raw_en_bpe300", 0.45, 3)
    return exp


def test_the_mini_grid_is_valid_and_its_configs_exist():
    grid = ablations.load_grid(MINI_GRID)
    recipe = MINI_GRID.parents[1]
    assert grid.reference == "train_asr_full"
    assert all((recipe / r.config).is_file() for r in grid.rows)
    assert {r.name for r in grid.rows if r.baseline} == {"train_asr_full", "train_asr_lr_sms"}
    assert len(grid.claims) >= 6


@pytest.mark.parametrize(
    "text, message",
    [
        ("rows: []\n", "missing key 'reference'"),
        ("reference: a\nrows: []\ncolour: red\n", "unknown key(s) ['colour']"),
        ("reference: a\nrows: [{config: a.yaml, label: A}]\n", None),
        ("reference: b\nrows: [{config: a.yaml, label: A}]\n", "reference 'b' is not a row"),
        ("reference: a\nrows: [{config: a.yml, label: A}]\n", "config must be a .yaml file"),
        ("reference: a\nrows: [{config: a.yaml}]\n", "rows[0]: missing key 'label'"),
        ("reference: a\nrows: [{config: a.yaml, label: A, baseline: 1}]\n",
         "baseline must be true or false, not 1"),
        ("reference: a\nrows: [{config: a.yaml, label: A}, {config: x/a.yaml, label: B}]\n",
         "row 'a' (x/a.yaml) is listed twice"),
        ("reference: a\nrows: [{config: a.yaml, label: A}]\n"
         "claims: [{claim: c, systems: [a, z], expect: better}]\n",
         "claims[0]: systems must be two different rows"),
        ("reference: a\nrows: [{config: a.yaml, label: A}, {config: b.yaml, label: B}]\n"
         "claims: [{claim: c, systems: [a, b], expect: best}]\n",
         "expect must be one of ['better', 'worse', 'not_worse'], not 'best'"),
    ],
)  # fmt: skip
def test_grid_errors_name_the_file_and_key(tmp_path, text, message):
    path = _grid(tmp_path, text)
    if message is None:
        assert ablations.load_grid(path).rows[0].name == "a"
        return
    with pytest.raises(ablations.GridError) as e:
        ablations.load_grid(path)
    assert message in str(e.value) and str(path) in str(e.value)


def test_jobs_go_seed_by_seed_and_baselines_take_their_own_seeds(tmp_path):
    grid = ablations.load_grid(_grid(tmp_path))
    got = [(r.name, s) for r, s in ablations.jobs(grid, [0, 1, 2], [0, 1])]
    assert got == [
        ("train_full", 0), ("train_good", 0), ("train_bad", 0),
        ("train_full", 1), ("train_good", 1), ("train_bad", 1),
        ("train_full", 2),
    ]  # fmt: skip
    assert ablations.exp_name("train_full", 0, "raw_en_bpe300") == "asr_train_full_raw_en_bpe300"
    assert ablations.exp_name("train_full", 2, "raw_en_char") == "asr_train_full_seed2_raw_en_char"
    with pytest.raises(ablations.GridError, match="seeds must be integers >= 0"):
        ablations.jobs(grid, [-1], [0])


def test_collect_takes_exp_before_kept_and_skips_unscored(tmp_path):
    exp = _exp(tmp_path)
    kept = tmp_path / "results"
    _system(kept / "asr_train_bad_raw_en_bpe300", 0.9, 9)  # exp/ has it: ignored
    _system(kept / "asr_train_bad_seed1_raw_en_bpe300", 0.40, 4)
    _system(exp / "asr_train_good_seed1_raw_en_bpe300", 0.1, 5, sets=("test",))  # unscored set
    grid = ablations.load_grid(_grid(tmp_path))
    res = ablations.collect(grid, [exp, kept], ["test", "test_unseen"])
    assert sorted(res["train_full"]) == [0, 1] and sorted(res["train_good"]) == [0]
    assert sorted(res["train_bad"]) == [0, 1]
    assert res["train_bad"][0].exp_dir.parent == exp and res["train_bad"][1].exp_dir.parent == kept
    assert 30 < res["train_bad"][0].wer["test"] < 60
    assert res["train_full"][0].epoch_s == pytest.approx(123.5)


def test_render_verdicts_follow_sc_stats(tmp_path):
    exp = _exp(tmp_path)
    grid = ablations.load_grid(_grid(tmp_path))
    res = ablations.collect(grid, [exp], ["test", "test_unseen"])
    text = "\n".join(ablations.render(grid, res, ["test", "test_unseen"], "plot.png"))
    assert "|row|config|params|full / this|seeds|WER test|WER test_unseen|" in text
    full = res["train_full"]
    mean = (full[0].wer["test"] + full[1].wer["test"]) / 2
    assert f"|full rank|`conf/train_full.yaml`|n/a|n/a|0, 1|{mean:.1f} ± " in text
    assert "|bad|`conf/tuning/train_bad.yaml`|n/a|n/a|0|" in text and "worse ***" in text
    lines = {ln.split("|")[1]: ln for ln in text.splitlines() if ln.startswith("|")}
    assert lines["good is better than bad"].endswith("|**reproduced**|")
    assert lines["bad is better than full"].endswith("|**contradicted**|")
    assert lines["good is not worse than full"].endswith("|**reproduced**|")
    assert "![WER against parameters](plot.png)" in text


def test_verdict_rules():
    def t(better):
        return ablations.PairTest("a", "b", better, "0.001" if better else "0.5")

    assert ablations.verdict("better", t(None)) == "not significant at this size"
    assert ablations.verdict("worse", t("b")) == "reproduced"
    assert ablations.verdict("worse", t("a")) == "contradicted"
    assert ablations.verdict("not_worse", t(None)) == "reproduced"
    assert ablations.verdict("not_worse", t("b")) == "contradicted"
    assert ablations.verdict("better", None) == "not measured yet"


def test_rows_without_results_are_listed_and_the_plot_skips_them(tmp_path):
    grid = ablations.load_grid(_grid(tmp_path))
    exp = tmp_path / "exp"
    _system(exp / "asr_train_full_raw_en_bpe300", 0.1, 0)
    res = ablations.collect(grid, [exp], ["test"])
    text = "\n".join(ablations.render(grid, res, ["test"]))
    assert "|good|`conf/tuning/train_good.yaml`|n/a|n/a|none yet|n/a|n/a|n/a|" in text
    assert "**not measured yet**" in text
    empty = ablations.collect(grid, [tmp_path / "none"], ["test"])
    assert ablations.plot(grid, empty, ["test"], tmp_path / "p.png") is None
    assert not (tmp_path / "p.png").exists()


def test_replace_section_needs_both_markers_once(tmp_path):
    text = f"intro\n{ablations.SECTION_BEGIN}\nold\n{ablations.SECTION_END}\nrest\n"
    new = ablations.replace_section(text, ["### Ablations", "new"], "README.md")
    begin, end = ablations.SECTION_BEGIN, ablations.SECTION_END
    assert new == f"intro\n{begin}\n### Ablations\nnew\n{end}\nrest\n"
    assert ablations.replace_section(new, ["### Ablations", "new"], "README.md") == new
    with pytest.raises(ablations.GridError, match="README.md: needs the lines"):
        ablations.replace_section("no markers\n", ["x"], "README.md")


def test_make_results_writes_the_section_plot_and_readme(tmp_path, monkeypatch):
    exp = _exp(tmp_path)
    grid = _grid(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"# R\n{ablations.SECTION_BEGIN}\n{ablations.SECTION_END}\nend\n")
    monkeypatch.chdir(tmp_path)
    rc = make_results.main(["--exp_dir", str(exp), "--out", "RESULTS.md", "--ablations", str(grid),
                            "--kept_dir", "results", "--readme", str(readme)])  # fmt: skip
    assert rc == 0
    results = (tmp_path / "RESULTS.md").read_text()
    assert "## Ablations" in results
    assert "![WER against parameters](results/ablations_wer_vs_params.png)" in results
    assert (tmp_path / "results" / "ablations_wer_vs_params.png").stat().st_size > 1000
    body = readme.read_text()
    assert body.startswith("# R\n") and body.endswith("end\n") and "### Ablations" in body
    assert make_results.main(["--exp_dir", str(exp), "--out", "-", "--ablations", "nope.yaml"]) == 2


def test_ablation_jobs_tool_splits_lanes_and_leaves_out_done(tmp_path, capsys):
    grid = _grid(tmp_path)
    exp = _exp(tmp_path)  # full 0, full 1, good 0, bad 0 are done
    args = ["ablation-jobs", "--grid", str(grid), "--seeds", "0", "1", "2", "--ablation_seeds",
            "0", "1", "--done_dirs", str(exp), "--test_sets", "test", "test_unseen"]  # fmt: skip
    assert recipe_tools.main(args + ["--lane", "0/2"]) == 0
    out = capsys.readouterr()
    assert out.out.split("\n")[:-1] == ["conf/tuning/train_good.yaml 1", "conf/train_full.yaml 2"]
    assert "lane 0/2: 2 training(s); the grid has 7, 4 of them done" in out.err
    assert recipe_tools.main(args + ["--lane", "1/2"]) == 0
    assert capsys.readouterr().out == "conf/tuning/train_bad.yaml 1\n"
    assert recipe_tools.main(args + ["--lane", "2/2"]) == 2
    assert "--lane must be K/N with 0 <= K < N, not '2/2'" in capsys.readouterr().err


def test_a_row_is_tested_with_its_lowest_seed(tmp_path):
    """A reference whose seed 0 never finished is compared through its lowest trained seed."""
    grid = ablations.load_grid(_grid(tmp_path))
    exp = tmp_path / "exp"
    _system(exp / "asr_train_full_seed1_raw_en_bpe300", 0.10, 0)
    _system(exp / "asr_train_bad_raw_en_bpe300", 0.45, 3)
    res = ablations.collect(grid, [exp], ["test"])
    assert ablations.first(res["train_full"]).exp_dir.name == "asr_train_full_seed1_raw_en_bpe300"
    text = "\n".join(ablations.render(grid, res, ["test"]))
    assert "|bad|`conf/tuning/train_bad.yaml`|n/a|n/a|0|" in text and "|worse ***" in text
    assert ablations.first({}) is None
