"""The only place the course touches TensorFlow's private checkpoint API.

Async saving (``snapshot.py``) captures a ``tf.train.Checkpoint``'s tensors on the training
thread and writes them later with TensorFlow's own saver, so that the files are an ordinary
checkpoint. TensorFlow has no public API for "serialise now, write later"; this module uses two
private ones, pinned to TensorFlow 2.20-2.21:

- ``checkpoint._saver._gather_serialized_tensors(None)``: the tensors to save, keyed as a
  ``Checkpoint.write`` would key them, plus the registered savers;
- ``tensorflow.python.checkpoint.functional_saver.MultiDeviceSaver``: writes them.

Everything that uses them runs inside one ``try``: if TensorFlow renames, removes or changes
either, :func:`capture` returns ``None`` and the caller falls back to the public API (slower, the
same files). ``tests/checkpoints/test_snapshot.py`` removes each one and checks the fallback.
"""

from __future__ import annotations

import importlib
import pathlib
from collections.abc import Callable

from course_utils._tf import tensorflow

__all__ = ["capture"]

# The private names, in one place (tests rename them to simulate an upstream change).
_GATHER = "_gather_serialized_tensors"  # a method of checkpoint._saver (TrackableSaver)
_SAVER_MODULE = "tensorflow.python.checkpoint.functional_saver"
_SAVER = "MultiDeviceSaver"


def _materialise(value):
    tf = tensorflow()
    if isinstance(value, dict):
        return {key: _materialise(item) for key, item in value.items()}
    return tf.identity(getattr(value, "tensor", value))  # SaveSpec/Callable -> tensor


def capture(checkpoint) -> Callable[[str | pathlib.Path], None] | None:
    """Capture ``checkpoint``'s tensors now; return ``write(prefix)``, or ``None`` if the private
    API is missing or has changed (then use the public fallback)."""
    tf = tensorflow()
    try:
        saver_class = getattr(importlib.import_module(_SAVER_MODULE), _SAVER)
        gather = getattr(checkpoint._saver, _GATHER)
        serialized, _, registered, _ = gather(None)
        # An ObjectIdentityDictionary (variables are unhashable): replace its values in place.
        for trackable, tensors in list(serialized.items()):
            serialized[trackable] = {key: _materialise(value) for key, value in tensors.items()}
        saver = saver_class(serialized, registered)
        save = saver.save
    except (ImportError, AttributeError, TypeError, ValueError, KeyError):
        return None

    def write(prefix: str | pathlib.Path) -> None:
        save(tf.constant(str(prefix)))

    return write
