"""Make stock ESPnet commands know espnet_lowrank's classes, with no import in user code.

``espnet_lowrank_autoload.pth``, installed next to this module in site-packages,
imports it at every Python start-up. It only puts a finder on ``sys.meta_path``
(no other import, so the start-up stays cheap): the first time ESPnet's ASR or LM
task module (``espnet2.tasks.asr`` / ``espnet2.tasks.lm``) is imported, the finder
imports ``espnet_lowrank``, whose own hook (:mod:`espnet_lowrank.registry`) then
registers our classes right after that task module has run. So
``python -m espnet2.bin.asr_train`` with ``encoder: lowrank_e_branchformer``,
``asr_inference``, ``pack`` and ``Speech2Text(...)`` work as they are.

Set ``ESPNET_LOWRANK_AUTOLOAD=0`` to turn it off (ESPnet then knows only its own
classes until ``import espnet_lowrank``).
"""

import os
import sys

ENV = "ESPNET_LOWRANK_AUTOLOAD"
# the task modules whose import registers our classes (espnet_lowrank.registry.TASK_MODULES)
TRIGGERS = ("espnet2.tasks.asr", "espnet2.tasks.lm")


class AutoloadFinder:
    """Meta-path finder that finds nothing itself: on the first import of a task module
    in ``TRIGGERS`` it imports ``espnet_lowrank`` and lets its hook load that module."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in TRIGGERS:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        try:
            from espnet_lowrank.registry import find_registering_spec
        except Exception as e:
            raise ImportError(
                f"espnet_lowrank's start-up hook cannot import espnet_lowrank ({e}); "
                f"fix the install, or set {ENV}=0 to use ESPnet without it"
            ) from e
        return find_registering_spec(fullname, path, target)


def install():
    """Put the finder first on ``sys.meta_path`` unless ``ESPNET_LOWRANK_AUTOLOAD=0``."""
    if os.environ.get(ENV, "1").strip() == "0":
        return
    if not any(type(f).__name__ == "AutoloadFinder" for f in sys.meta_path):
        sys.meta_path.insert(0, AutoloadFinder())


install()
