"""Companion package of the Training Patterns course."""

__version__ = "0.1.0"
