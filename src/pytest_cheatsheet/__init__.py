"""Markdown cheat-sheets whose code blocks are tests, across device x dtype x autocast."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
