"""The error for bad user input: a message naming the file, key or value, no traceback.

Command-line tools (:mod:`espnet_lowrank.bin._cli`) print an :class:`InputError`
(and the other input errors listed there) as one line and exit with status 2.
It subclasses ``ValueError`` so library callers that catch ``ValueError`` keep working.
"""


class InputError(ValueError):
    """A file, key or value given by the user cannot be used; the message says which."""


class ExternalError(RuntimeError):
    """A service or program the tool relies on failed (download server, the Hub);
    the message says what failed and what to check."""
