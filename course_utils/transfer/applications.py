"""Pre-trained bases from ``keras.applications``, and the preprocessing every base needs.

For students who are online: ``PretrainedModel.from_application("MobileNetV2",
weights="imagenet")`` downloads ImageNet weights. Offline (this course's machines, CI), the same
architecture builds with ``weights=None``, and asking for ImageNet weights fails fast with a clear
``ConnectionError`` instead of hanging on the download. Taught in notebook 05.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import socket
import threading
from collections.abc import Iterator

import numpy as np

from course_utils._tf import keras as _keras

__all__ = [
    "APPLICATIONS",
    "WEIGHTS_HOST",
    "build_application",
    "network_guard",
    "preprocess_images",
    "weights_cached",
    "weights_reachable",
]


def preprocess_images(images, *, mode: str = "tf") -> np.ndarray:
    """Validate RGB images ``(n, h, w, 3)`` in ``[0, 255]``; return float32 scaled for the base.

    ``mode="tf"`` maps to ``[-1, 1]`` (``x / 127.5 - 1``: the course base and MobileNetV2);
    ``mode="none"`` only casts (networks such as EfficientNet rescale inside the model).
    """
    array = np.asarray(images)
    if array.ndim != 4:
        raise ValueError(
            f"images must be a batch shaped (n, height, width, 3), got shape {array.shape}; "
            "for a single image use images[None]"
        )
    if array.shape[-1] != 3:
        raise ValueError(
            f"images have {array.shape[-1]} channel(s), the base expects 3 (RGB); "
            "turn grayscale into RGB with np.repeat(images, 3, axis=-1)"
        )
    if mode == "tf":
        return array.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    if mode == "none":
        return array.astype(np.float32)
    raise ValueError(f"unknown preprocessing mode {mode!r}: use 'tf' or 'none'")


# keras.applications networks we support: preprocessing mode, cached-weights file prefix, and
# how many final layers form the "top block" that fine-tuning unfreezes.
APPLICATIONS = {
    "MobileNetV2": ("tf", "mobilenet_v2", 9),
    "EfficientNetB0": ("none", "efficientnetb0", 9),
}
WEIGHTS_HOST = "storage.googleapis.com"


def weights_reachable(timeout: float = 3.0, host: str = WEIGHTS_HOST) -> bool:
    """True if a TCP connection to the weights' host opens within ``timeout`` seconds.

    Runs in a daemon thread so that even a slow DNS lookup cannot block longer than ``timeout``.
    """
    result: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection((host, 443), timeout=timeout).close()
            result.append(True)
        except OSError:
            result.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout)
    return bool(result and result[0])


def _weights_cached(prefix: str) -> bool:
    folder = pathlib.Path(os.environ.get("KERAS_HOME", pathlib.Path.home() / ".keras")) / "models"
    return folder.is_dir() and any(p.name.startswith(prefix) for p in folder.iterdir())


def weights_cached(name: str) -> bool:
    """True if Keras' cache already holds ImageNet weights of the application ``name``."""
    if name not in APPLICATIONS:
        raise ValueError(f"unknown application {name!r}; supported: {sorted(APPLICATIONS)}")
    return _weights_cached(APPLICATIONS[name][1])


@contextlib.contextmanager
def network_guard() -> Iterator[list[str]]:
    """Refuse every host lookup and connection inside the block; yield the list of attempts.

    While it is active, ``socket.getaddrinfo``, ``socket.create_connection`` and
    ``socket.socket.connect`` raise ``OSError`` at once and append the host they were asked
    for, in every thread. Notebook 05 uses it to show that ``offline=True`` never probes.
    """
    attempts: list[str] = []
    originals = (socket.getaddrinfo, socket.create_connection, socket.socket.connect)

    def refuse(address) -> None:
        host = address[0] if isinstance(address, tuple) else address
        attempts.append(str(host))
        raise OSError(f"network_guard: refused a connection to {host!r}")

    socket.getaddrinfo = lambda host, *args, **kwargs: refuse(host)  # type: ignore[assignment]
    socket.create_connection = lambda address, *a, **k: refuse(address)  # type: ignore[assignment]
    socket.socket.connect = lambda self, address: refuse(address)  # type: ignore[method-assign]
    try:
        yield attempts
    finally:
        socket.getaddrinfo, socket.create_connection = originals[0], originals[1]
        socket.socket.connect = originals[2]  # type: ignore[method-assign]


def _offline_error(name: str) -> ConnectionError:
    return ConnectionError(
        f"cannot download the ImageNet weights of {name}: {WEIGHTS_HOST} is not reachable "
        "(no network, or offline=True). Use weights=None to build the same architecture with "
        "random weights (enough to test the code path), pass weights='/path/to/file.h5' for a "
        "weights file you copied here, or use the course's own base: PretrainedModel.from_file()."
    )


def build_application(
    name: str,
    *,
    weights: str | None,
    input_shape: tuple[int, int, int],
    offline: bool | None,
    timeout: float,
    **kwargs,
):
    """Build a headless, average-pooled ``keras.applications`` network; see ``from_application``."""
    keras = _keras()

    if name not in APPLICATIONS:
        raise ValueError(f"unknown application {name!r}; supported: {sorted(APPLICATIONS)}")
    preprocessing, prefix, top_size = APPLICATIONS[name]
    if weights not in (None, "imagenet"):
        if not pathlib.Path(weights).is_file():
            raise FileNotFoundError(
                f"weights file {weights!r} not found: pass an existing .h5 file, "
                "weights=None (random weights) or weights='imagenet' (download)"
            )
    if weights == "imagenet" and not _weights_cached(prefix):
        if offline or (offline is None and not weights_reachable(timeout)):
            raise _offline_error(name)
    try:
        base = getattr(keras.applications, name)(
            include_top=False, weights=weights, input_shape=input_shape, pooling="avg", **kwargs
        )
    except Exception as error:  # keras.utils.get_file raises a bare Exception on URL errors
        if weights == "imagenet" and "URL fetch failure" in str(error):
            raise _offline_error(name) from error
        raise
    top_block = tuple(layer.name for layer in base.layers[-top_size:])
    return base, preprocessing, top_block
