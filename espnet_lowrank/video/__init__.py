"""Audio-visual media for AVSR recipes: decoding with PyAV, mouth crops, arrays.

Mouth regions of interest are stored as ``.npy`` arrays of shape ``(T, 88, 88)``
and dtype ``uint8`` (grayscale, 25 frames per second), one file per utterance,
listed in a ``video.scp`` (``utt_id /abs/path.npy``). Training reads them with
:class:`~espnet_lowrank.video.array_io.VideoNpyScpReader` (float32 in ``[0, 1]``),
registered as the ESPnet data type ``video_npy`` by
:func:`~espnet_lowrank.video.data_type.register_video_data_type`.
"""

from espnet_lowrank.video.array_io import (
    VideoNpyScpReader,
    load_video_array,
    load_video_tensor,
    save_video_array,
)
from espnet_lowrank.video.audio import extract_audio
from espnet_lowrank.video.data_type import register_video_data_type
from espnet_lowrank.video.errors import MediaError
from espnet_lowrank.video.mouth import (
    MouthCropConfig,
    mouth_rois_from_landmarks,
    mouth_rois_precropped,
)

__all__ = [
    "MediaError",
    "MouthCropConfig",
    "VideoNpyScpReader",
    "extract_audio",
    "load_video_array",
    "load_video_tensor",
    "mouth_rois_from_landmarks",
    "mouth_rois_precropped",
    "register_video_data_type",
    "save_video_array",
]
