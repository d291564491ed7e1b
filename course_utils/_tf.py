"""The one way the package imports TensorFlow: quietly, once, on first use.

TensorFlow's C++ runtime writes its start-up lines (oneDNN, CUDA probing) straight to file
descriptor 2, past Python's ``sys.stderr``, so they would land in stored notebook outputs;
``TF_CPP_MIN_LOG_LEVEL`` alone does not catch all of them. Every module calls
:func:`tensorflow` (or :func:`keras`) inside the function that needs it, so importing
``course_utils`` never imports TensorFlow. ``course_utils.notebook.setup`` calls it first.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType

__all__ = ["stderr_silenced", "tensorflow", "keras"]


@contextlib.contextmanager
def stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null for the duration of the block."""
    try:
        sys.stderr.flush()
        saved_fd = os.dup(2)
    except (OSError, ValueError):  # no real fd 2 (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved_fd, 2)
        os.close(saved_fd)
        os.close(devnull)


def tensorflow() -> ModuleType:
    """Import TensorFlow with its C++ start-up chatter silenced; return the module."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if "tensorflow" in sys.modules and "keras" in sys.modules:
        return sys.modules["tensorflow"]
    with stderr_silenced():
        # Keras probes the backend on first import and may log too.
        import keras as _keras  # noqa: F401
        import tensorflow as tf
    tf.get_logger().setLevel("ERROR")
    return tf


def keras() -> ModuleType:
    """Keras 3, imported (quietly, with TensorFlow) on first use."""
    tensorflow()
    return sys.modules["keras"]
