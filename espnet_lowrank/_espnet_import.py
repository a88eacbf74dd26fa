"""Import ESPnet's task modules without their offline noise.

Importing ``espnet2.tasks.asr`` (or ``lm``) imports ``g2p_en``, which calls
``nltk.download`` for two resources; offline that prints a multi-line error on
every start. ESPnet's attention module also prints a line when ``flash_attn`` is
missing. Neither matters for this package's models, but both show up in every
training log and test run.

:func:`import_quietly` keeps the behaviour and drops only the noise:
``nltk.download`` still runs (so an online machine still fetches the resources)
but with ``quiet=True`` and its error stream captured; whatever it could not
fetch is logged at DEBUG level. The flash-attention line is logged at DEBUG level.
"""

from __future__ import annotations

import builtins
import contextlib
import functools
import importlib
import io
import logging
import sys
from types import ModuleType
from typing import Iterator, List

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def _quiet_nltk_download() -> Iterator[None]:
    try:
        import nltk
    except ImportError:  # ESPnet 202611 no longer needs nltk
        yield
        return
    original = nltk.download

    @functools.wraps(original)
    def quiet_download(info_or_id=None, *args, **kwargs):
        errors = io.StringIO()
        kwargs["quiet"] = True
        kwargs["print_error_to"] = errors
        ok = original(info_or_id, *args, **kwargs)
        if not ok:
            logger.debug(
                "NLTK resource %r could not be downloaded: %s",
                info_or_id,
                " ".join(errors.getvalue().split()),
            )
        return ok

    nltk.download = quiet_download
    try:
        yield
    finally:
        nltk.download = original


@contextlib.contextmanager
def _print_to_log(what: str) -> Iterator[None]:
    """Send ``print()`` calls to stdout/stderr made meanwhile to the DEBUG log.

    Only ``print`` is diverted, not ``sys.stdout``: ESPnet binds ``sys.stdout`` as
    a default argument at import time (``print_config(file=sys.stdout)``), so
    redirecting the stream during an import would swallow later output.
    """
    original = builtins.print

    @functools.wraps(original)  # numba looks print up by module and name
    def to_log(*args, sep=" ", end="\n", file=None, flush=False):
        if file is not None and file is not sys.stdout and file is not sys.stderr:
            original(*args, sep=sep, end=end, file=file, flush=flush)
            return
        text = sep.join(str(a) for a in args).strip()
        if text:
            logger.debug("(%s printed) %s", what, text)

    builtins.print = to_log
    try:
        yield
    finally:
        builtins.print = original


@contextlib.contextmanager
def quiet_espnet_output(what: str) -> Iterator[None]:
    """Run an ESPnet import quietly; what it printed is logged at DEBUG level."""
    with _quiet_nltk_download(), _print_to_log(what):
        yield


def import_quietly(*module_names: str) -> List[ModuleType]:
    """Import ``module_names`` (e.g. ``"espnet2.tasks.asr"``) without offline noise.

    Returns the imported modules in order. Exceptions propagate unchanged.
    """
    with quiet_espnet_output(f"import of {', '.join(module_names)}"):
        return [importlib.import_module(name) for name in module_names]
