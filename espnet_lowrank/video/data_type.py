"""Make ``video_npy`` a data type of ESPnet's dataset (``espnet2.train.dataset``).

ESPnet picks a loader for ``--train_data_path_and_name_and_type path,name,type``
by matching ``type`` against the keys of ``DATA_TYPES`` in order with
``re.match``; a new key must therefore not be matched by an existing one
(``npy_video`` would be taken by ``npy``).
"""

from __future__ import annotations

import re

from espnet_lowrank.video.array_io import VideoNpyScpReader

VIDEO_DATA_TYPE = "video_npy"


def register_video_data_type(name: str = VIDEO_DATA_TYPE) -> None:
    """Add ``name`` -> :class:`VideoNpyScpReader` to ESPnet's ``DATA_TYPES``.

    Idempotent. Raises ``ValueError`` if ``name`` is taken by another loader or
    would be shadowed by an earlier key.
    """
    from espnet2.train.dataset import DATA_TYPES

    existing = DATA_TYPES.get(name)
    if existing is not None:
        if existing.get("func") is not VideoNpyScpReader:
            raise ValueError(f"ESPnet data type {name!r} is already {existing['func']}")
        return
    shadowing = [k for k in DATA_TYPES if re.match(k, name)]
    if shadowing:
        raise ValueError(f"data type {name!r} would be matched by {shadowing[0]!r} first")
    DATA_TYPES[name] = dict(
        func=VideoNpyScpReader,
        kwargs=[],
        help="Mouth-ROI video arrays (T, H, W) uint8 in .npy, read as float32 in "
        "[0, 1].\n\n   utterance_id_a /some/where/a.npy\n   ...",
    )
