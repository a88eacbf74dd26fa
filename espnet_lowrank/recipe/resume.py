"""Resume helper for stage 8: is ESPnet's ``checkpoint.pth`` usable?

ESPnet writes ``checkpoint.pth`` in place after each epoch, so a job killed while
saving leaves a torn file and ``--resume true`` then fails deep inside ``torch.load``.
"""

from __future__ import annotations

from pathlib import Path

CHECKPOINT_KEYS = ("model", "reporter", "optimizers", "schedulers")


def checkpoint_epoch(path: Path | str) -> int:
    """The number of finished epochs stored in a training ``checkpoint.pth``.

    Raises ``ValueError`` naming the file when it cannot be read or lacks ESPnet's keys.
    """
    import torch

    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"checkpoint {str(p)!r} does not exist")
    try:
        state = torch.load(p, map_location="cpu", weights_only=False)
    except Exception as e:  # torn zip, truncated pickle, ...
        reason = (str(e).strip().splitlines() or [""])[0].split(". ")[0]
        raise ValueError(
            f"{p} is unreadable ({type(e).__name__}: {reason}); the job was probably killed "
            f"while saving it. Remove it to restart training, or restore a copy."
        ) from e
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(state, dict) or k not in state]
    if missing:
        raise ValueError(f"{p} is not an ESPnet training checkpoint (no {missing})")
    return int(state["reporter"]["epoch"])
