"""Backtest unit tests: the numba cache directory is set before anything compiles."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault(
    "NUMBA_CACHE_DIR", str(Path(__file__).resolve().parents[3] / ".cache" / "numba")
)
