"""Argument checks shared by every ``course_utils`` module: one rule for numbers.

The rule, the same in every module:

- A wrong **type** raises ``TypeError``; the right type with a bad **value** raises
  ``ValueError``. ``DataPartitioner(2.0)``, ``DataPartitioner("3")`` and
  ``DataPartitioner(True)`` are type errors; ``DataPartitioner(0)`` is a value error.
- An **integer** is a Python ``int`` or a NumPy integer (``np.int64(3)``, e.g. from an array).
  ``bool`` is never an integer, and neither is a float with an integral value (``2.0``): both
  raise ``TypeError`` rather than being silently converted.
- A **real number** is an integer as above or a Python or NumPy float; ``bool`` is refused
  (``TypeError``). NaN is a bad value (``ValueError``), and so is infinity unless the argument
  allows it (``allow_inf=True``, e.g. a timeout).
- ``None`` is accepted only where the argument is optional (``optional=True``); the messages
  then say "or None".

Messages name the argument, the value and the rule::

    num_workers must be >= 1, got 0
    num_workers must be an int >= 1, got float 2.0
    decay must be a number in (0, 1], got 1.5

``check_*`` return the value as a plain Python ``int`` or ``float`` (or None), so a NumPy
scalar does not leak into results. Every notebook relies on these checks indirectly.
"""

from __future__ import annotations

import math
import numbers
from typing import Literal, SupportsFloat, SupportsInt, cast, overload

import numpy as np

__all__ = [
    "check_bool",
    "check_float",
    "check_int",
    "check_positive_float",
    "check_positive_int",
]


def _is_int(value: object) -> bool:
    # numbers.Integral covers int and NumPy integers; bool is an int subclass, refused here.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _int_rule(minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"in {minimum}..{maximum}"
    if minimum is not None:
        return f">= {minimum}"
    if maximum is not None:
        return f"<= {maximum}"
    return ""


def _described(value: object) -> str:
    return f"{type(value).__name__} {value!r}"


@overload
def check_int(
    name: str,
    value: object,
    *,
    minimum: int | None = ...,
    maximum: int | None = ...,
    optional: Literal[False] = ...,
) -> int: ...
@overload
def check_int(
    name: str,
    value: object,
    *,
    minimum: int | None = ...,
    maximum: int | None = ...,
    optional: bool,
) -> int | None: ...
def check_int(
    name: str,
    value: object,
    *,
    minimum: int | None = None,
    maximum: int | None = None,
    optional: bool = False,
) -> int | None:
    """``value`` as an ``int`` if it is an integer in ``minimum..maximum`` (bounds included).

    ``TypeError`` if it is not an integer (``bool`` and ``2.0`` are not), ``ValueError`` if it is
    out of range; None passes only with ``optional=True``.
    """
    rule = _int_rule(minimum, maximum)
    or_none = " or None" if optional else ""
    if value is None and optional:
        return None
    if not _is_int(value):
        kind = f"an int {rule}" if rule else "an int"
        raise TypeError(f"{name} must be {kind}{or_none}, got {_described(value)}")
    number = int(cast(SupportsInt, value))  # _is_int checked it
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValueError(f"{name} must be {rule}{or_none}, got {number}")
    return number


@overload
def check_positive_int(name: str, value: object, *, optional: Literal[False] = ...) -> int: ...
@overload
def check_positive_int(name: str, value: object, *, optional: bool) -> int | None: ...
def check_positive_int(name: str, value: object, *, optional: bool = False) -> int | None:
    """``check_int(name, value, minimum=1)``: a count such as workers, epochs or steps."""
    return check_int(name, value, minimum=1, optional=optional)


def _float_rule(
    minimum: float | None, maximum: float | None, above: float | None, below: float | None
) -> str:
    low = f"({above:g}" if above is not None else f"[{minimum:g}" if minimum is not None else None
    high = f"{below:g})" if below is not None else f"{maximum:g}]" if maximum is not None else None
    if low is not None and high is not None:
        return f"in {low}, {high}"
    if above is not None:
        return f"> {above:g}"
    if minimum is not None:
        return f">= {minimum:g}"
    if below is not None:
        return f"< {below:g}"
    if maximum is not None:
        return f"<= {maximum:g}"
    return ""


@overload
def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = ...,
    maximum: float | None = ...,
    above: float | None = ...,
    below: float | None = ...,
    allow_inf: bool = ...,
    optional: Literal[False] = ...,
) -> float: ...
@overload
def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = ...,
    maximum: float | None = ...,
    above: float | None = ...,
    below: float | None = ...,
    allow_inf: bool = ...,
    optional: bool,
) -> float | None: ...
def check_float(
    name: str,
    value: object,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    above: float | None = None,
    below: float | None = None,
    allow_inf: bool = False,
    optional: bool = False,
) -> float | None:
    """``value`` as a ``float`` if it is a real number in range.

    ``minimum``/``maximum`` are inclusive bounds, ``above``/``below`` exclusive ones. NaN is
    always refused, infinity unless ``allow_inf``. ``TypeError`` for a wrong type (``bool``,
    ``str``, ``None`` unless ``optional``), ``ValueError`` for a bad value.
    """
    rule = _float_rule(minimum, maximum, above, below)
    or_none = " or None" if optional else ""
    if value is None and optional:
        return None
    if not _is_real(value):
        kind = f"a number {rule}" if rule else "a number"
        raise TypeError(f"{name} must be {kind}{or_none}, got {_described(value)}")
    number = float(cast(SupportsFloat, value))  # _is_real checked it
    bad = (
        math.isnan(number)
        or (math.isinf(number) and not allow_inf)
        or (minimum is not None and number < minimum)
        or (maximum is not None and number > maximum)
        or (above is not None and number <= above)
        or (below is not None and number >= below)
    )
    if bad:
        finite = "" if allow_inf else "finite "
        kind = f"a {finite}number {rule}".rstrip()
        raise ValueError(f"{name} must be {kind}{or_none}, got {value!r}")
    return number


@overload
def check_positive_float(
    name: str, value: object, *, allow_inf: bool = ..., optional: Literal[False] = ...
) -> float: ...
@overload
def check_positive_float(
    name: str, value: object, *, allow_inf: bool = ..., optional: bool
) -> float | None: ...
def check_positive_float(
    name: str, value: object, *, allow_inf: bool = False, optional: bool = False
) -> float | None:
    """``check_float(name, value, above=0)``: a rate, a duration, a factor."""
    return check_float(name, value, above=0, allow_inf=allow_inf, optional=optional)


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False`` (NumPy ``bool_`` too); ``TypeError`` otherwise."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {_described(value)}")
    return bool(value)
