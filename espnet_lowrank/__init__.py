"""espnet_lowrank: low-rank weight training for ESPnet speech recognition.

Importing the package registers its classes with ESPnet (``encoder:
lowrank_conformer``, ``decoder: lowrank_transformer``, ``lm:
lowrank_transformer``) as soon as ESPnet's ASR or LM task is imported, so
``Speech2Text`` and every ESPnet tool can build them. The import itself stays
light (no ESPnet import), for data-preparation tools.
"""

from espnet_lowrank.registry import register, register_when_imported
from espnet_lowrank.version import __version__

register_when_imported()

__all__ = ["__version__", "register"]
