"""Wrap one of ESPnet's command-line tools with the low-rank classes registered."""

from typing import Callable, Optional, Sequence, Tuple

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register


def wrap(module_name: str) -> Tuple[Callable, Callable]:
    """``(get_parser, main)`` of ESPnet's ``module_name`` (e.g. ``espnet2.bin.pack``)."""
    tool = import_quietly(module_name)[0]
    register()

    def main(cmd: Optional[Sequence[str]] = None) -> None:
        tool.main(cmd)

    main.__doc__ = tool.main.__doc__
    return tool.get_parser, main
