"""The error for bad user input: a message naming the file, key or value, no traceback.

Command-line tools (:mod:`espnet_lowrank.bin._cli`) print an :class:`InputError`
(and the other input errors listed there) as one line and exit with status 2.
It subclasses ``ValueError`` so library callers that catch ``ValueError`` keep working.
"""

from pathlib import Path
from typing import Type, Union


class InputError(ValueError):
    """A file, key or value given by the user cannot be used; the message says which."""


def require_file(path: Union[str, Path], what: str, error: Type[InputError] = InputError) -> Path:
    """``path`` as a ``Path`` if it is an existing file, else ``error`` naming it as ``what``."""
    p = Path(path)
    if not p.exists():
        raise error(f"{what} {str(path)!r} does not exist")
    if not p.is_file():
        raise error(f"{what} {str(path)!r} is not a file")
    return p


class ExternalError(RuntimeError):
    """A service or program the tool relies on failed (download server, the Hub);
    the message says what failed and what to check."""
