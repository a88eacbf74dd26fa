"""What every command-line tool in ``espnet_lowrank.bin`` shares: its parser, its log
format, and how it ends on bad input (a message, never a traceback).

Options are spelled with underscores, as ESPnet's own tools spell them
(``--out_dir``, ``--token_list``). :class:`ArgumentParser` also accepts the dashed
spelling of each option (``--out-dir``), which earlier versions of some tools
used, as a hidden alias: old scripts keep working, help shows one spelling.
:func:`setup_logging` logs in ESPnet's format,
``%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s``.

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

import argparse
import functools
import logging
import os
import sys
from typing import Any, Callable, Iterator, List, NoReturn, Optional, Sequence, Set, Union

from espnet_lowrank.errors import ExternalError, InputError

EXIT_BAD_INPUT = 2
LOG_FORMAT = "%(asctime)s (%(module)s:%(lineno)d) %(levelname)s: %(message)s"  # ESPnet's
DASHED_ALIAS_NOTE = (
    "Options are spelled with underscores (--out_dir), as in ESPnet; the dashed "
    "spelling (--out-dir) of earlier versions is accepted too."
)
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
         prog: Optional[str] = None, keep_exit: bool = False) -> int:  # fmt: skip
    """Run ``main(argv)`` and return the exit status, printing bad input as one line.

    ``main`` returns ``None`` or an int status (other values count as success).
    ``keep_exit``: let ``SystemExit`` (argparse's, or the tool's own) propagate.
    """
    main = getattr(main, "_cli_inner", main)  # a main made by reports_bad_input
    args = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in args or os.environ.get("ESPNET_LOWRANK_DEBUG", "") not in ("", "0")
    args = [a for a in args if a != DEBUG_FLAG]
    prog = prog or _prog_name(main)
    try:
        result = main(args)
    except SystemExit as e:
        if keep_exit:
            raise
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


def reports_bad_input(main: Callable[[List[str]], Any]) -> Callable[..., int]:
    """Decorate a tool's ``main(argv)`` so that, called directly, it too prints bad input
    as one line and returns :data:`EXIT_BAD_INPUT` (what :func:`run` does for it);
    ``SystemExit`` (bad options) propagates, as from any ``main``."""

    @functools.wraps(main)
    def wrapped(argv: Optional[Sequence[str]] = None) -> int:
        return call(main, argv, keep_exit=True)

    wrapped._cli_inner = main  # type: ignore[attr-defined]
    return wrapped


def run(main: Callable[[List[str]], Any], prog: Optional[str] = None) -> NoReturn:
    """``sys.exit(call(main))``: the ``__main__`` block of every tool."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    if prog is None and spec is not None:  # python -m espnet_lowrank.bin.<tool>
        prog = spec.name.rsplit(".", 1)[-1]
    sys.exit(call(main, None, prog))


def _prog_name(main: Callable) -> str:
    return (getattr(main, "__module__", "") or "tool").rsplit(".", 1)[-1]


def setup_logging(level: Union[int, str] = logging.INFO) -> None:
    """Log to stderr in ESPnet's format (what ESPnet's own tools print); ``level``
    as ``logging`` takes it (``logging.INFO`` or ``"INFO"``)."""
    logging.basicConfig(level=level, format=LOG_FORMAT)


class ArgumentParser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` whose options also answer to their dashed spelling.

    ``--out-dir X`` and ``--out-dir=X`` are read as ``--out_dir``: the alias is
    hidden from ``--help`` (the epilog says so) and works in subcommands too.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        epilog = kwargs.get("epilog")
        kwargs["epilog"] = DASHED_ALIAS_NOTE if not epilog else f"{epilog}\n\n{DASHED_ALIAS_NOTE}"
        super().__init__(*args, **kwargs)

    def _option_names(self) -> Iterator[str]:
        for action in self._actions:
            yield from action.option_strings
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    if isinstance(sub, ArgumentParser):
                        yield from sub._option_names()

    def parse_known_args(self, args: Optional[Sequence[str]] = None, namespace: Any = None):
        known: Set[str] = set(self._option_names())
        argv = list(sys.argv[1:] if args is None else args)
        out = []
        for i, arg in enumerate(argv):
            if arg == "--":
                out += argv[i:]
                break
            out.append(underscore_option(arg, known))
        return super().parse_known_args(out, namespace)


def underscore_option(arg: str, known: Set[str]) -> str:
    """``--out-dir`` / ``--out-dir=X`` -> ``--out_dir`` / ``--out_dir=X`` when
    ``--out_dir`` is in ``known``; anything else unchanged."""
    if not arg.startswith("--") or "-" not in arg[2:].split("=", 1)[0]:
        return arg
    flag, sep, value = arg.partition("=")
    spelled = "--" + flag[2:].replace("-", "_")
    return spelled + sep + value if spelled in known else arg
