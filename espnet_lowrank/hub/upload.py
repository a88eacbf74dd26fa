"""Push a model folder to the Hugging Face Hub with ``huggingface_hub``.

The token is read from the ``HF_TOKEN`` environment variable and handed to
``HfApi`` only; it is never printed or logged.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from espnet_lowrank.errors import ExternalError
from espnet_lowrank.extras import require

logger = logging.getLogger(__name__)

TOKEN_ENV = "HF_TOKEN"


def check_repo_id(repo_id: str) -> None:
    """Raise unless ``repo_id`` has the ``user/name`` form of a Hub model repo."""
    if repo_id.count("/") != 1 or not all(repo_id.split("/")) or " " in repo_id:
        raise ValueError(f"--hf_repo must look like user/name, got {repo_id!r}")


def upload_folder(
    folder: Path | str,
    repo_id: str,
    private: bool = False,
    commit_message: str = "Upload ESPnet model (espnet_lowrank)",
) -> str:
    """Create ``repo_id`` (a model repo; kept if it exists) and upload ``folder``.

    Returns the URL of the commit (or of the repo) that ``huggingface_hub`` reports.
    """
    token = os.environ.get(TOKEN_ENV)
    if not token:
        raise ExternalError(
            f"{TOKEN_ENV} is not set: export a Hugging Face write token as "
            f"{TOKEN_ENV}, or use --dry_run DIR to only write the folder"
        )
    check_repo_id(repo_id)
    huggingface_hub = require("huggingface_hub", "uploading to the Hugging Face Hub")
    from huggingface_hub.errors import HfHubHTTPError

    # HF_ENDPOINT read per call (huggingface_hub reads it once, at import)
    api = huggingface_hub.HfApi(token=token, endpoint=os.environ.get("HF_ENDPOINT") or None)
    try:
        api.create_repo(repo_id=repo_id, repo_type="model", private=private, exist_ok=True)
        logger.info("uploading %s to %s", folder, repo_id)
        info = api.upload_folder(
            folder_path=str(folder),
            repo_id=repo_id,
            repo_type="model",
            commit_message=commit_message,
        )
    except HfHubHTTPError as e:
        status = getattr(e.response, "status_code", None)
        hint = (
            f"check that {TOKEN_ENV} is a valid write token with access to {repo_id}"
            if status in (401, 403)
            else "check the repo id and your connection, or use --dry_run DIR"
        )
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise ExternalError(
            f"the Hugging Face Hub refused the upload to {repo_id}: {first}; {hint}"
        ) from None
    return str(getattr(info, "commit_url", None) or info)
