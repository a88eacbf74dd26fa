"""One-epoch smoke of every stage of egs2/librispeech_lowrank/asr1/run.sh on a fixture corpus.

A copy of the recipe in tmp_path runs stages 1-13 on the LibriSpeech-layout fixture
(``tests/corpora/librispeech_fixture.py``, pointed at through ``LIBRISPEECH`` as db.sh
allows): data prep, speed perturbation, format, BPE, LM stats/training/perplexity, ASR
stats/training (one epoch of a tiny LR-SMS Conformer), decoding with the LM, scoring,
RESULTS.md, packing and the upload dry run. Only sizes are overridden on the command
line, as a user would (and two of the four test sets are decoded); the recipe's own set
names, BPE/LM text and speed factors are used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from espnet_lowrank.kaldi_dir import read_table

from ..corpora.librispeech_fixture import make_librispeech
from ..hang_guard import guarded_run

REPO = Path(__file__).resolve().parents[2]
RECIPE = REPO / "egs2" / "librispeech_lowrank" / "asr1"
TEST_SETS = ["test_clean", "test_other", "dev_clean", "dev_other"]  # the recipe's
DECODED = ["test_clean", "test_other"]  # two of them are decoded, to keep the test short
NBPE = 12

ASR_YAML = """\
# smoke: a tiny LR-SMS Conformer (the recipe's rank-map preset), 1 epoch on CPU
encoder: lowrank_conformer
encoder_conf:
    output_size: 16
    attention_heads: 2
    linear_units: 32
    num_blocks: 1
    dropout_rate: 0.0
    positional_dropout_rate: 0.0
    attention_dropout_rate: 0.0
    input_layer: conv2d
    normalize_before: true
    macaron_style: true
    rel_pos_type: latest
    pos_enc_layer_type: rel_pos
    selfattention_layer_type: rel_selfattn
    activation_type: swish
    use_cnn_module: true
    cnn_module_kernel: 3
    rank_map: lr_sms
decoder: lowrank_transformer
decoder_conf:
    attention_heads: 2
    linear_units: 32
    num_blocks: 1
    dropout_rate: 0.0
    positional_dropout_rate: 0.0
    self_attention_dropout_rate: 0.0
    src_attention_dropout_rate: 0.0
    rank_map: lr_sms
frontend_conf:
    n_fft: 256
    hop_length: 64
    n_mels: 20
model_conf:
    ctc_weight: 0.3
    lsm_weight: 0.1
    length_normalized_loss: false
optim: adam
optim_conf:
    lr: 0.002
batch_type: numel
batch_bins: 100000
max_epoch: 1
num_workers: 0
best_model_criterion:
-   - valid
    - acc
    - max
keep_nbest_models: 1
seed: 0
"""

LM_YAML = """\
# smoke: a tiny low-rank Transformer LM, 1 epoch on CPU
lm: lowrank_transformer
lm_conf:
    embed_unit: 16
    att_unit: 16
    head: 2
    unit: 32
    layer: 1
    dropout_rate: 0.0
    rank_map: uniform
optim: adam
optim_conf:
    lr: 0.002
batch_type: numel
batch_bins: 2000
max_epoch: 1
num_workers: 0
best_model_criterion:
-   - valid
    - loss
    - min
keep_nbest_models: 1
seed: 0
"""

DECODE_YAML = """\
beam_size: 2
ctc_weight: 0.3
lm_weight: 0.3
penalty: 0.0
maxlenratio: 0.0
minlenratio: 0.0
"""


def _recipe_copy(tmp: Path) -> Path:
    """egs2/librispeech_lowrank/asr1 copied into tmp, beside a link to the shared TEMPLATE."""
    (tmp / "egs2").mkdir()
    (tmp / "egs2" / "TEMPLATE").symlink_to(REPO / "egs2" / "TEMPLATE", target_is_directory=True)
    work = tmp / "egs2" / "librispeech_lowrank" / "asr1"
    shutil.copytree(RECIPE, work, ignore=shutil.ignore_patterns("data", "dump", "exp", "downloads"))
    smoke = work / "conf" / "smoke"
    smoke.mkdir()
    (smoke / "train_asr_smoke.yaml").write_text(ASR_YAML)
    (smoke / "train_lm_smoke.yaml").write_text(LM_YAML)
    (smoke / "decode_smoke.yaml").write_text(DECODE_YAML)
    return work


def _run(work: Path, corpus: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, LIBRISPEECH=str(corpus), OMP_NUM_THREADS="1")
    env.pop("HF_TOKEN", None)  # stage 13 must stay a dry run
    # Nothing may be downloaded: any HTTP(S) request goes to a closed loopback port.
    env.update(http_proxy="http://127.0.0.1:9", https_proxy="http://127.0.0.1:9")
    env.update(HTTP_PROXY="http://127.0.0.1:9", HTTPS_PROXY="http://127.0.0.1:9")
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    cmd = ["bash", "run.sh", "--train_set", "train_clean_100", "--lm_corpus", "false",
           "--python", sys.executable, "--ngpu", "0", "--nj", "1", "--inference_nj", "1",
           "--nbpe", str(NBPE), "--asr_config", "conf/smoke/train_asr_smoke.yaml",
           "--lm_config", "conf/smoke/train_lm_smoke.yaml",
           "--inference_config", "conf/smoke/decode_smoke.yaml", "--skip_upload", "false",
           "--test_sets", " ".join(DECODED), *args]  # fmt: skip
    return guarded_run(
        cmd, cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=3600,
    )  # fmt: skip


@pytest.mark.slow
def test_run_sh_all_stages_on_the_fixture(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    expected = make_librispeech(corpus)
    work = _recipe_copy(tmp_path)
    repo_files = sorted(RECIPE.rglob("*"))
    r = _run(work, corpus)
    assert r.returncode == 0, r.stdout[-6000:]
    out = r.stdout

    # stage 1: data dirs of every set the recipe names, from the fixture's FLAC files
    train = {u for u, v in expected.items() if v[0] == "train-clean-100"}
    assert set(read_table(work / "data/train_clean_100/text")) == train
    for name in TEST_SETS + ["dev"]:
        assert (work / "data" / name / "wav.scp").is_file()
    assert not (work / "data/local/other_text").exists()  # --lm_corpus false: no LM corpus
    # stage 2: speed perturbation 0.9/1.0/1.1 -> the training set is train_clean_100_sp
    sp = read_table(work / "dump/raw/train_clean_100_sp/utt2num_samples")
    assert set(sp) == {f"{p}{u}" for p in ("", "sp0.9-", "sp1.1-") for u in train}
    for u in train:
        n = expected[u][2]
        assert int(sp[u]) == n and abs(int(sp[f"sp0.9-{u}"]) - n / 0.9) <= 1
    # stage 3: BPE from the unperturbed transcripts
    bpe_dir = work / f"data/token_list/bpe_unigram{NBPE}"
    assert (bpe_dir / "bpe.model").is_file()
    assert "token list from data/train_clean_100/text" in out
    # stages 4-6: LM
    lm_exp = work / f"exp/lm_train_lm_smoke_en_bpe{NBPE}"
    assert float((lm_exp / "perplexity_test_clean/ppl").read_text()) > 1
    # stages 7-8: ASR stats on the perturbed set, one epoch of the LR-SMS Conformer
    asr_exp = work / f"exp/asr_train_asr_smoke_raw_en_bpe{NBPE}_sp"
    stats = work / f"exp/asr_stats_raw_en_bpe{NBPE}_sp"
    assert len(read_table(stats / "train/speech_shape")) == len(sp)
    log = (asr_exp / "train.log").read_text()
    assert "1epoch results" in log and "2epoch results" not in log
    assert "encoder (LowRankConformerEncoder):" in log  # its per-layer rank table
    assert (asr_exp / "valid.acc.ave.pth").exists()
    # stages 9-10: decoding with the LM and scoring
    (decode,) = asr_exp.glob("decode_smoke_lm_*")
    for name in DECODED:
        keys = set(read_table(work / "dump/raw" / name / "wav.scp"))
        assert set(read_table(decode / name / "text")) == keys
        for metric in ("wer", "cer"):
            assert "Sum/Avg" in (decode / name / f"score_{metric}/result.txt").read_text()
    # stages 11-13: RESULTS.md, packed model, upload dry run
    results = (asr_exp / "RESULTS.md").read_text().replace(" ", "")
    assert "|dataset|Snt|Wrd|" in results
    assert all(name in results for name in DECODED)
    (packed,) = asr_exp.glob("*.zip")
    names = zipfile.ZipFile(packed).namelist()
    assert "meta.yaml" in names and any(n.endswith("bpe.model") for n in names)
    assert (asr_exp / "hf_upload_dry_run/.done").is_file()
    assert "Successfully finished" in out
    assert sorted(RECIPE.rglob("*")) == repo_files  # nothing was written into the repo


def test_run_sh_options_reach_the_driver(tmp_path: Path) -> None:
    """run.sh's own options (anywhere on the line) and the pass-through, with no stage run."""
    work = _recipe_copy(tmp_path)
    r = _run(work, tmp_path / "corpus", "--stage", "99", "--train_set", "train_960")
    assert r.returncode == 0, r.stdout
    assert "--train_set train_960 " in r.stdout  # the later --train_set wins for run.sh too
    assert "--local_data_opts --train_set\\ train_960\\ --lm_text\\ false" in r.stdout
    assert "--speed_perturb_factors 0.9\\ 1.0\\ 1.1" in r.stdout
    assert "--lm_train_text data/train_960/text " in r.stdout
    assert f"asr_exp=exp/asr_train_asr_smoke_raw_en_bpe{NBPE}_sp " in r.stdout
    r = _run(work, tmp_path / "corpus", "--stage", "99", "--lm_corpus", "true")
    assert "--lm_train_text data/train_clean_100/text\\ data/local/other_text/text" in r.stdout
    for bad, message in (
        ("--lm_corpus", "--lm_corpus must be true or false, not 'maybe'"),
        ("--train_set", "--train_set must be train_960 or train_clean_100"),
    ):
        r = _run(work, tmp_path / "corpus", bad, "maybe")
        assert r.returncode == 2 and message in r.stdout
    assert not (work / "data").exists() and not (work / "exp").exists()
