"""Lazy exports for sub-packages: ``from course_utils.transfer import X`` imports X's module only.

Used by ``course_utils.transfer`` and ``course_utils.distribution`` so that importing a
sub-package stays cheap (no TensorFlow until a class that needs it is used).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_getattr(package: str, exports: Mapping[str, str]) -> Callable[[str], object]:
    """A module-level ``__getattr__`` importing ``package.<module>`` for each exported name."""

    def __getattr__(name: str) -> object:
        if name not in exports:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        module = importlib.import_module(f"{package}.{exports[name]}")
        return getattr(module, name)

    return __getattr__
