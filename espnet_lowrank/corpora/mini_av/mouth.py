"""Draw a grayscale mouth crop from mouth controls and a speaker's appearance.

The drawing (88x88 by default) is parametric: skin with a lighting gradient,
lips as an outer ellipse darker than the skin, the mouth cavity as a dark inner
ellipse whose height follows ``open`` (the jaw drops more than the upper lip
rises), width from ``width`` narrowed by ``round`` (rounded lips also get
thicker and brighter, as protruding lips catch light), a bright band of upper
teeth (``teeth``) and a mid-grey tongue tip (``tongue``) inside the cavity.
With the mouth closed only the lip seam is left. :class:`Appearance` gives
each speaker a size, position, skin tone, lip contrast and lighting.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Optional

import numpy as np

SIZE = 88
CAVITY = 15.0  # grey level of the mouth interior
TEETH = 225.0
TONGUE = 120.0


@dataclass(frozen=True)
class Appearance:
    """One speaker's look (pixels and grey levels of an ``SIZE x SIZE`` crop)."""

    centre_x: float = SIZE / 2
    centre_y: float = SIZE / 2 + 4
    half_width: float = 26.0  # mouth half-width at width 0.5, round 0
    max_open: float = 22.0  # cavity height (pixels) at open = 1
    lip: float = 5.0  # lip thickness
    skin: float = 150.0
    lip_contrast: float = 0.72  # lip grey = skin * lip_contrast
    light_dx: float = 0.0  # lighting gradient: grey change per pixel along x
    light_dy: float = 0.0
    noise: float = 3.0  # sensor noise (grey levels, standard deviation)


def draw_appearance(seed: int, spk_id: str) -> Appearance:
    """A speaker's appearance; depends only on ``seed`` and ``spk_id``."""
    digest = hashlib.sha256(f"{seed}:{spk_id}:appearance".encode()).digest()
    rng = np.random.default_rng(int.from_bytes(digest[:8], "little"))
    scale = rng.uniform(0.8, 1.2)
    return Appearance(
        centre_x=SIZE / 2 + rng.uniform(-5, 5),
        centre_y=SIZE / 2 + 4 + rng.uniform(-5, 5),
        half_width=26.0 * scale,
        max_open=22.0 * scale,
        lip=rng.uniform(4.0, 7.0),
        skin=rng.uniform(95, 200),
        lip_contrast=rng.uniform(0.6, 0.85),
        light_dx=rng.uniform(-0.6, 0.6),
        light_dy=rng.uniform(-0.6, 0.6),
        noise=rng.uniform(2.0, 6.0),
    )


_Y, _X = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)


def _ellipse(cx: float, cy: float, ax: float, ay_up: float, ay_down: float) -> np.ndarray:
    """Mask of an ellipse with different upper and lower half-heights."""
    ay = np.where(_Y < cy, max(ay_up, 1e-3), max(ay_down, 1e-3))
    return ((_X - cx) / max(ax, 1e-3)) ** 2 + ((_Y - cy) / ay) ** 2 <= 1.0


def render_frame(
    controls: np.ndarray,
    look: Appearance,
    offset: tuple = (0.0, 0.0),
    rng: Optional[np.random.Generator] = None,
) -> np.ndarray:
    """One ``(SIZE, SIZE)`` uint8 frame.

    Args:
        controls: ``(5,)`` open, width, round, teeth, tongue in ``[0, 1]``.
        look: the speaker's appearance.
        offset: ``(dx, dy)`` head motion in pixels.
        rng: source of sensor noise (``None``: no noise).
    """
    open_, width, round_, teeth, tongue = (float(c) for c in controls)
    cx, cy = look.centre_x + offset[0], look.centre_y + offset[1]
    img = look.skin + look.light_dx * (_X - SIZE / 2) + look.light_dy * (_Y - SIZE / 2)
    ax = look.half_width * (0.75 + 0.5 * width) * (1.0 - 0.35 * round_)
    gap = look.max_open * open_  # cavity height
    lip = look.lip * (1.0 + 0.5 * round_)
    lips = _ellipse(cx, cy, ax + lip * 0.5, lip + 0.4 * gap, lip + 0.6 * gap)
    lip_grey = look.skin * look.lip_contrast * (1.0 + 0.12 * round_)
    img = np.where(lips, lip_grey + 0.5 * (img - look.skin), img)
    if gap >= 0.75:
        cavity = _ellipse(cx, cy, ax * (0.85 - 0.2 * round_), 0.4 * gap, 0.6 * gap)
        img = np.where(cavity, CAVITY, img)
        top = cy - 0.4 * gap
        band = cavity & (_Y < top + teeth * min(0.35 * gap + 1.0, 4.0))
        img = np.where(band, TEETH, img)
        if tongue > 0.05:
            tip = _ellipse(cx, cy + 0.45 * gap, ax * 0.45, 0.35 * gap * tongue, 0.2 * gap)
            img = np.where(cavity & tip, TONGUE, img)
    else:  # closed: the lip seam only
        seam = (np.abs(_Y - cy) < 0.6) & (np.abs(_X - cx) < ax)
        img = np.where(seam, lip_grey * 0.8, img)
    if rng is not None and look.noise > 0:
        img = img + rng.normal(0.0, look.noise, img.shape)
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


def mouth_interior_pixels(frame: np.ndarray, threshold: float = 38.0) -> int:
    """Pixels darker than ``threshold``: the visible mouth cavity (a measure of opening)."""
    return int((frame < threshold).sum())
