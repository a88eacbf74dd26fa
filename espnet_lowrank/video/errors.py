"""The error raised for media that cannot be used (recipes skip and list such clips)."""


class MediaError(ValueError):
    """A media file cannot be used; the message names the file and the reason."""

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
