"""ESPnet's ``pack`` with the low-rank classes registered (same options).

The archive is written under a temporary name next to ``--outpath`` and renamed
when complete: a failed pack leaves the previous archive or none.
"""

import sys

from espnet_lowrank.atomic import atomic_file
from espnet_lowrank.bin._cli import run
from espnet_lowrank.bin._espnet_tool import wrap

get_parser, _pack = wrap("espnet2.bin.pack")


def main(cmd=None) -> None:
    argv = sys.argv[1:] if cmd is None else list(cmd)
    at = [i for i, a in enumerate(argv) if a == "--outpath" or a.startswith("--outpath=")]
    if not at or (argv[at[-1]] == "--outpath" and at[-1] + 1 >= len(argv)):
        return _pack(argv)  # ESPnet's parser reports the missing option (or --help)
    i = at[-1]
    value = argv[i + 1] if argv[i] == "--outpath" else argv[i].partition("=")[2]
    with atomic_file(value) as tmp:
        if argv[i] == "--outpath":
            argv[i + 1] = str(tmp)
        else:
            argv[i] = f"--outpath={tmp}"
        _pack(argv)
    print(f"Renamed to {value}")


if __name__ == "__main__":
    run(main)
