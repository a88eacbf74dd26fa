"""ESPnet's ``asr_inference`` with the low-rank classes registered (same options)."""

from espnet_lowrank._espnet_import import import_quietly
from espnet_lowrank.registry import register

_espnet_tool = import_quietly("espnet2.bin.asr_inference")[0]
get_parser = _espnet_tool.get_parser
register()


def main(cmd=None):
    _espnet_tool.main(cmd)


if __name__ == "__main__":
    main()
