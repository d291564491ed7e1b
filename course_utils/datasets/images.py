"""Procedural RGB images of shapes and glyphs for transfer learning (notebooks 03 and 05).

Two tasks share one renderer, so that what a network learns on the first helps with the second:

- the *source* task (``SOURCE_CLASSES``): ten shapes, cheap to label in bulk; the course's
  pre-trained base (``data/pretrained/``) is a small CNN trained on it;
- the *target* task (``TARGET_CLASSES``): five other shapes (letters, a hexagon, an arrow) of which
  a student has only a handful of labelled examples.

Every image varies in foreground colour, fill texture (solid, stripes, checks), position, scale,
rotation, background gradient and pixel noise. Images are ``uint8`` in ``[0, 255]``, shaped
``(n, size, size, 3)``; labels are ``int64`` class indices. Everything is a pure function of the
seed: same seed, same images, on every machine (NumPy's PCG64 generator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from course_utils.validation import check_int

__all__ = [
    "SOURCE_CLASSES",
    "TARGET_CLASSES",
    "make_images",
    "source_task",
    "target_task",
    "labels_per_class_subset",
]

Mask = Callable[[np.ndarray, np.ndarray], np.ndarray]


def _box(u: np.ndarray, v: np.ndarray, u0: float, u1: float, v0: float, v1: float) -> np.ndarray:
    return (u >= u0) & (u <= u1) & (v >= v0) & (v <= v1)


def _radius(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return np.sqrt(u * u + v * v)


# Each shape is an implicit function of object coordinates (u to the right, v up, both
# roughly in [-1, 1]); it returns True inside the shape.
_SHAPES: dict[str, Mask] = {
    # source task
    "disk": lambda u, v: _radius(u, v) < 0.8,
    "ring": lambda u, v: (_radius(u, v) < 0.85) & (_radius(u, v) > 0.5),
    "square": lambda u, v: np.maximum(abs(u), abs(v)) < 0.7,
    "frame": lambda u, v: (np.maximum(abs(u), abs(v)) < 0.8) & (np.maximum(abs(u), abs(v)) > 0.5),
    "triangle": lambda u, v: (v > -0.6) & (v < 0.85 - 1.9 * abs(u)),
    "plus": lambda u, v: (
        _box(u, v, -0.22, 0.22, -0.85, 0.85) | _box(u, v, -0.85, 0.85, -0.22, 0.22)
    ),
    "star": lambda u, v: _radius(u, v) < 0.5 + 0.35 * np.cos(5 * np.arctan2(u, v)),
    "crescent": lambda u, v: (_radius(u, v) < 0.85) & (_radius(u - 0.4, v) > 0.6),
    "bars": lambda u, v: (
        _box(u, v, -0.85, 0.85, 0.25, 0.65) | _box(u, v, -0.85, 0.85, -0.65, -0.25)
    ),
    "ellipse": lambda u, v: (u / 0.9) ** 2 + (v / 0.45) ** 2 < 1.0,
    # target task
    "letter_L": lambda u, v: _box(u, v, -0.7, -0.3, -0.8, 0.8) | _box(u, v, -0.7, 0.7, -0.8, -0.4),
    "letter_T": lambda u, v: _box(u, v, -0.75, 0.75, 0.4, 0.8) | _box(u, v, -0.2, 0.2, -0.8, 0.8),
    "letter_H": lambda u, v: (
        _box(u, v, -0.75, -0.4, -0.8, 0.8)
        | _box(u, v, 0.4, 0.75, -0.8, 0.8)
        | _box(u, v, -0.75, 0.75, -0.18, 0.18)
    ),
    "hexagon": lambda u, v: (abs(v) < 0.74) & (0.866 * abs(u) + 0.5 * abs(v) < 0.74),
    "arrow": lambda u, v: (
        _box(u, v, -0.85, 0.1, -0.18, 0.18)
        | ((u >= 0.1) & (u <= 0.85) & (abs(v) < 0.9 * (0.85 - u)))
    ),
}

SOURCE_CLASSES: tuple[str, ...] = (
    "disk",
    "ring",
    "square",
    "frame",
    "triangle",
    "plus",
    "star",
    "crescent",
    "bars",
    "ellipse",
)
TARGET_CLASSES: tuple[str, ...] = ("letter_L", "letter_T", "letter_H", "hexagon", "arrow")


def _check_count(name: str, value: int, minimum: int) -> None:
    check_int(name, value, minimum=minimum)


def make_images(
    class_names: Sequence[str],
    n_per_class: int,
    *,
    image_size: int = 32,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Render ``n_per_class`` images of each named shape, shuffled; return ``(images, labels)``.

    ``labels[i]`` is the index of the shape in ``class_names``. Exactly ``n_per_class`` images
    per class (balanced). Deterministic in ``seed``.
    """
    names = tuple(class_names)
    if not names:
        raise ValueError("class_names is empty: pass e.g. SOURCE_CLASSES or TARGET_CLASSES")
    unknown = [name for name in names if name not in _SHAPES]
    if unknown:
        raise ValueError(f"unknown shape(s) {unknown}; known shapes: {sorted(_SHAPES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"class_names has duplicates: {names}")
    _check_count("n_per_class", n_per_class, 1)
    _check_count("image_size", image_size, 8)
    rng = np.random.default_rng(seed)
    n = len(names) * n_per_class
    labels = rng.permutation(np.repeat(np.arange(len(names)), n_per_class))

    # Pixel centres in [-1, 1], y pointing up.
    axis = ((np.arange(image_size) + 0.5) / image_size * 2.0 - 1.0).astype(np.float32)
    px, py = np.meshgrid(axis, -axis)
    scale = rng.uniform(0.45, 0.85, n).astype(np.float32)[:, None, None]
    cx, cy = (rng.uniform(-1, 1, (2, n)).astype(np.float32) * (1 - scale[:, 0, 0]))[..., None, None]
    angle = np.deg2rad(rng.uniform(-30.0, 30.0, n)).astype(np.float32)[:, None, None]
    dx, dy = px[None] - cx, py[None] - cy
    u = (np.cos(angle) * dx + np.sin(angle) * dy) / scale
    v = (-np.sin(angle) * dx + np.cos(angle) * dy) / scale

    inside = np.zeros((n, image_size, image_size), dtype=bool)
    for index, name in enumerate(names):
        rows = labels == index
        inside[rows] = _SHAPES[name](u[rows], v[rows])

    # Background: a linear gradient between two random colours.
    bg0, bg1 = rng.uniform(0, 255, (2, n, 1, 1, 3)).astype(np.float32)
    direction = rng.uniform(0, 2 * np.pi, n).astype(np.float32)[:, None, None]
    t = (np.cos(direction) * px + np.sin(direction) * py + 1.0) / 2.0
    background = bg0 + (bg1 - bg0) * t[..., None]
    # Foreground: a random colour kept far from the background's mean colour.
    fg = rng.uniform(0, 255, (n, 3))
    bg_mean = (bg0 + bg1)[:, 0, 0] / 2.0
    too_close = np.linalg.norm(fg - bg_mean, axis=1) < 120.0
    fg[too_close] = np.where(bg_mean[too_close] > 127.5, 25.0, 230.0)
    # Fill texture: 0 solid, 1 stripes, 2 checks, drawn with a darker copy of the colour.
    texture = rng.integers(0, 3, n)[:, None, None]
    freq = rng.uniform(2.5, 5.0, n)[:, None, None] * np.pi
    stripes = np.sin(freq * u) > 0
    checks = stripes ^ (np.sin(freq * v) > 0)
    second = ((texture == 1) & stripes) | ((texture == 2) & checks)
    foreground = fg[:, None, None, :].astype(np.float32) * np.where(second, 0.55, 1.0)[..., None]

    image = np.where(inside[..., None], foreground, background)
    noise = rng.standard_normal(image.shape, dtype=np.float32)
    image += noise * rng.uniform(0.0, 12.0, (n, 1, 1, 1)).astype(np.float32)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8), labels.astype(np.int64)


def source_task(
    n_per_class: int, *, image_size: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Images of the ten source shapes (the task the shipped base was pre-trained on)."""
    return make_images(SOURCE_CLASSES, n_per_class, image_size=image_size, seed=seed)


def target_task(
    n_per_class: int, *, image_size: int = 32, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Images of the five target shapes (the new task with few labels)."""
    return make_images(TARGET_CLASSES, n_per_class, image_size=image_size, seed=seed)


def labels_per_class_subset(
    labels: np.ndarray, labels_per_class: int, *, seed: int = 0
) -> np.ndarray:
    """Indices of ``labels_per_class`` examples of every class, drawn without replacement.

    Used for the few-label experiments: the same pool, ever smaller labelled subsets.
    """
    labels = np.asarray(labels)
    _check_count("labels_per_class", labels_per_class, 1)
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < labels_per_class:
            raise ValueError(
                f"class {label} has only {len(rows)} examples, fewer than "
                f"labels_per_class={labels_per_class}: make a bigger pool"
            )
        chosen.append(rng.choice(rows, labels_per_class, replace=False))
    return np.sort(np.concatenate(chosen))
