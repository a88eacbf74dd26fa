import pytest
import yaml

from espnet_lowrank.rescoring.report import build_report, relative_reduction

from .conftest import write_nbest_dir

# dev: 1-best WER 2/4, oracle 0; test: 1-best WER 2/4, oracle 1/4
NBEST = {
    "dev": {"d1": [("a b", -1.0), ("a c", -2.0)], "d2": [("x", -1.0), ("y z", -2.0)]},
    "test": {"t1": [("p", -1.0), ("q", -2.0)], "t2": [("r s", -1.0), ("r t", -2.0)]},
}
REFS = {"dev": "d1 a c\nd2 y z\n", "test": "t1 q\nt2 r s w\n"}
WER = {  # rescored WERs per system
    "base": {"dev": 0.25, "test": 0.4},
    "vanilla": {"dev": 0.0, "test": 0.3},
    "mixed": {"dev": 0.25, "test": 0.5},
}


def _dump(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))


@pytest.fixture
def layout(tmp_path):
    for dset, hyps in NBEST.items():
        write_nbest_dir(tmp_path / "nbest" / dset, hyps)
        (tmp_path / "refs" / dset).mkdir(parents=True)
        (tmp_path / "refs" / dset / "text").write_text(REFS[dset])
    for i, (name, wers) in enumerate(WER.items()):
        sysdir = tmp_path / "rescoring" / name
        _dump(sysdir / "rescore_weights.yaml", dict(lm_weight=0.1 * i, length_bonus=0.5))
        for dset, w in wers.items():
            _dump(sysdir / dset / "rescore_result.yaml", dict(wer_rescored=w))
        _dump(sysdir / "test/nprr.yaml", {"1best": {"nprr": 0.1 + i}, "nbest": {"nprr": 0.2 + i}})
    for name, eff in (("vanilla", 800), ("mixed", 880)):
        _dump(tmp_path / f"lora_{name}/lora_ranks.yaml",
              dict(params=dict(effective=eff, base=12345), vanilla_budget=800))  # fmt: skip
    return tmp_path


def _report(d, **kw):
    args = dict(
        nbest_root=d / "nbest", ref_root=d / "refs", rescore_root=d / "rescoring",
        dev_set="dev", test_sets=["test"], base_name="base",
        strategies={"vanilla": d / "lora_vanilla", "mixed": d / "lora_mixed"}, nbest=2,
    )  # fmt: skip
    args.update(kw)
    return build_report(**args)


def test_table_rows_and_hand_computed_cells(layout):
    text = _report(layout)
    assert text.startswith("### LoRA LM rescoring (2-best)\n")
    assert "12,345 parameters" in text and "vanilla budget of 800" in text
    assert "N-best oracle WER: dev 0.00, test 25.00 (%)" in text
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("|")][2:]
    assert [(r[0], r[1]) for r in rows] == [
        (d, s) for d in ("dev", "test") for s in ("no rescoring", "base", "vanilla", "mixed")
    ]
    cell = {(r[0], r[1]): r for r in rows}
    none_t, base_t, van_t = (
        cell["test", "no rescoring"],
        cell["test", "base"],
        cell["test", "vanilla"],
    )
    assert none_t[5] == "50.00" and none_t[6:] == ["n/a"] * 4
    assert base_t[2] == "0" and base_t[5] == "40.00" and base_t[6] == "20.0" and base_t[7] == "n/a"
    # vanilla: 0.3 vs none 0.5 -> 40 % fewer errors; vs base 0.4 -> 25 %
    assert van_t[2] == "800 (1.00×)" and van_t[3:5] == ["0.1", "0.5"]
    assert van_t[5:8] == ["30.00", "40.0", "25.0"] and van_t[8:] == ["1.100", "1.200"]
    assert cell["test", "mixed"][2] == "880 (1.10×)" and cell["test", "mixed"][7] == "-25.0"
    assert cell["dev", "vanilla"][8:] == ["n/a", "n/a"]  # NPRR only on test sets
    assert cell["dev", "mixed"][7] == "0.0"


def test_relative_reduction():
    assert relative_reduction(0.5, 0.4) == pytest.approx(0.2)
    assert relative_reduction(0.0, 0.1) is None


def test_missing_inputs_are_named(layout):
    (layout / "rescoring/mixed/test/nprr.yaml").unlink()
    with pytest.raises(FileNotFoundError, match="mixed/test/nprr.yaml"):
        _report(layout)
    _dump(layout / "rescoring/mixed/test/nprr.yaml", {"1best": {"nprr": 0.1}})
    with pytest.raises(KeyError, match="nbest.nprr"):
        _report(layout)


def test_nprr_spread_and_common_weight_columns(layout):
    """nprr.yaml with seeds' std and a ``common`` block: mean ± std, and the @λ columns."""
    for i, name in enumerate(WER):
        block = {"1best": {"nprr": 0.1 + i, "nprr_std": 0.01, "wer_clean": 0.4},
                 "nbest": {"nprr": 0.2 + i, "nprr_std": 0.02, "wer_clean": 0.4}}  # fmt: skip
        _dump(layout / "rescoring" / name / "test/nprr.yaml",
              {**block, "common": {**block, "lm_weight": 0.5}})  # fmt: skip
    text = _report(layout)
    assert "@λ=0.5: every LM at that one weight" in text
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("|")]
    assert rows[0][-3:] == ["WER % @λ", "NPRR 1-best @λ", "NPRR N-best @λ"]
    cell = {(r[0], r[1]): r for r in rows[2:]}
    assert cell["test", "base"][8:] == ["0.100 ± 0.010", "0.200 ± 0.020", "40.00",
                                        "0.100 ± 0.010", "0.200 ± 0.020"]  # fmt: skip
    assert cell["test", "no rescoring"][-3:] == ["n/a"] * 3


def test_full_finetuning_row(layout):
    """The fully fine-tuned LM is the last row; its trainable parameters are the base LM's."""
    sysdir = layout / "rescoring" / "full"
    _dump(sysdir / "rescore_weights.yaml", dict(lm_weight=0.3, length_bonus=0.0))
    for dset, w in (("dev", 0.0), ("test", 0.25)):
        _dump(sysdir / dset / "rescore_result.yaml", dict(wer_rescored=w))
    _dump(sysdir / "test/nprr.yaml", {"1best": {"nprr": 0.5}, "nbest": {"nprr": 0.6}})
    text = _report(layout, full_finetune="full")
    rows = [line.split("|")[1:-1] for line in text.splitlines() if line.startswith("|")][2:]
    assert [r[1] for r in rows if r[0] == "test"][-1] == "full"
    full = {(r[0], r[1]): r for r in rows}["test", "full"]
    assert full[2] == "12,345 (15.43×)" and full[5] == "25.00" and full[7] == "37.5"
    with pytest.raises(ValueError, match="at least one --strategy"):
        _report(layout, full_finetune="full", strategies={})
