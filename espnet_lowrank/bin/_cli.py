"""How every command-line tool in ``espnet_lowrank.bin`` ends: a message, never a traceback.

Each tool's ``if __name__ == "__main__":`` block is ``run(main)``. Bad input (a
missing or unreadable file, a malformed YAML or weights file, a value a check
rejects: :class:`~espnet_lowrank.errors.InputError`, ``ValueError``, the
failures of services named in :class:`~espnet_lowrank.errors.ExternalError`, the
file-not-found family, ESPnet's load errors, ``SystemExit("message")``) prints one
line ``<tool>: error: <message>`` and exits with status 2, as argparse does for bad
options. Anything else is a bug and keeps its traceback. ``--debug`` anywhere on
the command line (or ``ESPNET_LOWRANK_DEBUG=1``) shows the traceback for bad input
too; the flag is taken out before the tool parses its options.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, List, NoReturn, Optional, Sequence

from espnet_lowrank.errors import ExternalError, InputError

EXIT_BAD_INPUT = 2
DEBUG_FLAG = "--debug"
INPUT_ERRORS = (
    InputError,
    ExternalError,
    ValueError,  # includes UnicodeDecodeError and json.JSONDecodeError
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def is_input_error(e: BaseException) -> bool:
    """Whether ``e`` reports bad input (the user can fix it) rather than a bug."""
    if isinstance(e, INPUT_ERRORS):
        return True
    import yaml

    if isinstance(e, yaml.YAMLError):
        return True
    # nn.Module.load_state_dict: our load check and ESPnet's strict loads
    return isinstance(e, RuntimeError) and str(e).startswith("Error(s) in loading state_dict")


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    if isinstance(e, OSError) and e.filename is not None and str(e.filename) not in text:
        text = f"{e.filename}: {text}"
    return text


def call(main: Callable[[List[str]], Any], argv: Optional[Sequence[str]] = None,
         prog: Optional[str] = None) -> int:  # fmt: skip
    """Run ``main(argv)`` and return the exit status, printing bad input as one line.

    ``main`` returns ``None`` or an int status (other values count as success).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or os.environ.get("ESPNET_LOWRANK_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != DEBUG_FLAG]
    prog = prog or _prog_name(main)
    try:
        result = main(args)
    except SystemExit as e:
        if e.code is None or isinstance(e.code, int):
            return int(e.code or 0)
        text = str(e.code)
        print(text if text.startswith(f"{prog}:") else f"{prog}: error: {text}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if debug or not is_input_error(e):
            raise
        print(f"{prog}: error: {_one_line(e)} (add {DEBUG_FLAG} for a traceback)",
              file=sys.stderr)  # fmt: skip
        return EXIT_BAD_INPUT
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def run(main: Callable[[List[str]], Any], prog: Optional[str] = None) -> NoReturn:
    """``sys.exit(call(main))``: the ``__main__`` block of every tool."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if prog is None and spec is not None:  # python -m espnet_lowrank.bin.<tool>
        prog = spec.name.rsplit(".", 1)[-1]
    sys.exit(call(main, None, prog))


def _prog_name(main: Callable) -> str:
    return (getattr(main, "__module__", "") or "tool").rsplit(".", 1)[-1]
