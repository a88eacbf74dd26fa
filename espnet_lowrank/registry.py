"""Add this package's classes to ESPnet's ``ClassChoices`` registries.

ESPnet has no plugin API: the choices of ``--encoder``, ``--decoder`` and ``--lm``
are module-level ``ClassChoices`` objects whose ``classes`` dict is read when a
parser is built. :func:`register` adds our lower-case names to those dicts. It is
idempotent, raises when a name is already taken by another class, and checks the
base class (adding to the dict bypasses ESPnet's own type check). The classes
are the registered parts of :mod:`espnet_lowrank.catalogue`.

Importing ESPnet's tasks takes several seconds, which tools that only prepare
data should not pay. ``import espnet_lowrank`` therefore calls
:func:`register_when_imported`: it registers at once if ESPnet's ASR/LM task
module is already imported, and otherwise as soon as it is (an import hook on
exactly those modules). Training and inference entry points call
:func:`register` directly.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import sys
import threading
from typing import Dict, List, Tuple

from espnet_lowrank import catalogue
from espnet_lowrank._espnet_import import import_quietly, quiet_espnet_output

TASK_MODULES = catalogue.TASK_MODULES
conversions = catalogue.conversions

# Modules whose import prints offline noise (see espnet_lowrank._espnet_import).
QUIET_MODULES = (
    "g2p_en",
    "espnet.nets.pytorch_backend.transformer.attention",
    "espnet2.legacy.nets.pytorch_backend.transformer.attention",
)
_lock = threading.RLock()


def register(tasks: Tuple[str, ...] = TASK_MODULES) -> Dict[str, List[str]]:
    """Register the classes of ``tasks``; returns ``{choices attribute: [names]}``."""
    done: Dict[str, List[str]] = {}
    with _lock:
        for p in catalogue.registered():
            task_mod, choices_attr, name = p.task_module, p.choices_attr, p.name
            if task_mod not in tasks:
                continue
            choices = getattr(import_quietly(task_mod)[0], choices_attr)
            cls = p.load_class()
            base = catalogue.load_object(catalogue.CHOICE_BASES[p.part])
            if not issubclass(cls, base):
                raise TypeError(f"{cls.__name__} must subclass {base.__name__}")
            current = choices.classes.get(name)
            if current is not None and current is not cls:
                raise RuntimeError(
                    f"cannot register {name!r} in {task_mod}.{choices_attr}: the name "
                    f"is already taken by {current.__module__}.{current.__qualname__}"
                )
            choices.classes[name] = cls
            done.setdefault(f"{task_mod}.{choices_attr}", []).append(name)
        if "espnet2.tasks.asr" in tasks:
            # the audio-visual model reads mouth-crop videos: `video.scp,video,video_npy`
            from espnet_lowrank.video.data_type import register_video_data_type

            register_video_data_type()
    return done


class _RegisterAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself; wraps the loader of ESPnet's task modules so that
    :func:`register` runs right after such a module has been executed, and runs
    the noisy modules of ``QUIET_MODULES`` quietly."""

    def find_spec(self, fullname, path, target=None):
        if fullname not in TASK_MODULES and fullname not in QUIET_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _Loader(spec.loader, fullname)
                return spec
        return None


class _Loader(importlib.abc.Loader):
    def __init__(self, inner: importlib.abc.Loader, fullname: str) -> None:
        self.inner = inner
        self.fullname = fullname

    def create_module(self, spec):
        return self.inner.create_module(spec)

    def exec_module(self, module) -> None:
        with quiet_espnet_output(f"import of {self.fullname}"):
            self.inner.exec_module(module)
        if self.fullname in TASK_MODULES:
            register((self.fullname,))


_hook = _RegisterAfterImport()


def register_when_imported() -> None:
    """Register now for task modules already imported, later for the others."""
    loaded = tuple(m for m in TASK_MODULES if m in sys.modules)
    if loaded:
        register(loaded)
    if _hook not in sys.meta_path:
        sys.meta_path.insert(0, _hook)


def find_registering_spec(fullname: str, path=None, target=None):
    """The spec of task module ``fullname`` with a loader that registers our classes
    after the module has run (used by the start-up hook, ``_espnet_lowrank_autoload``)."""
    register_when_imported()
    return _hook.find_spec(fullname, path, target)
