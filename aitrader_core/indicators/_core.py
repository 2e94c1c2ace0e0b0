"""Plumbing shared by every indicator: input coercion, pandas wrapping, validation.

Every public indicator is a plain function on float64 numpy arrays. The
:func:`indicator` decorator adds the conveniences around it:

* pandas ``Series`` in, ``Series`` out with the same index (multi-output
  functions return a named tuple of Series);
* inputs are coerced to contiguous float64 and handed to the numba kernels as
  read-only views, so a kernel cannot mutate the caller's data and numba sees a
  single array type (one compiled specialisation per kernel);
* leading NaNs (e.g. the warm-up of another indicator used as input) are skipped
  the way TA-Lib's Python wrapper does: the computation starts at the first bar
  where every input is valid and the output is padded back to full length.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numba as nb
import numpy as np
import numpy.typing as npt
import pandas as pd

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.integer[Any]]
Values = TypeVar("Values", npt.NDArray[Any], pd.Series)

F = TypeVar("F", bound=Callable[..., Any])

#: numba options used by every kernel; ``cache=True`` writes to NUMBA_CACHE_DIR
#: when set (the test-suite and the benchmark point it at ``.cache/numba``).
#: numba keys its cache on each kernel's own source file, so after editing these
#: options clear ``.cache/numba`` (and ``__pycache__/*.nbi``) by hand.
#: ``error_model="numpy"``: a float division by zero gives inf/NaN instead of a
#: Python exception check per division (every kernel guards its divisors), which
#: also lets LLVM vectorise loops that divide.
JIT = {"cache": True, "nogil": True, "error_model": "numpy"}
#: Kernels whose TA-Lib counterpart is built with fused multiply-add (the EMA and
#: Wilder recursions): letting LLVM contract ``a * b + c`` reproduces TA-Lib's
#: rounding bit for bit and shortens the loop-carried dependency chain.
JIT_FMA = {**JIT, "fastmath": {"contract"}}

#: Cast of a loop index known to be >= 0 for array access in the hottest loops:
#: numba indexes with a signed integer through a negative-index wraparound
#: (a compare and select on every access); an unsigned index skips it.
U = np.uint64

# TA-Lib's zero tests (ta_utility.h): |v| < 1e-14 is zero; v < 1e-14 is "zero or negative".
TA_EPSILON = 1e-14


def as_float_array(values: Any, name: str) -> FloatArray:
    """Return ``values`` as a 1-D contiguous float64 array without copying when possible."""
    if isinstance(values, pd.Series):
        values = values.to_numpy(dtype=np.float64, na_value=np.nan)
    arr = np.ascontiguousarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def readonly(arr: FloatArray) -> FloatArray:
    """Return a read-only view of ``arr`` (cheap; guarantees kernels never write to inputs)."""
    view = arr.view()
    view.flags.writeable = False
    return view


@nb.njit(**JIT)
def _first_valid(x: FloatArray) -> int:
    for i in range(x.shape[0]):
        if not math.isnan(x[i]):
            return i
    return x.shape[0]


def _pad(out: Any, begin: int, fill: float | int) -> Any:
    if isinstance(out, np.ndarray):
        padded = np.empty(out.shape[0] + begin, dtype=out.dtype)
        padded[:begin] = fill
        padded[begin:] = out
        return padded
    return type(out)(*(_pad(o, begin, fill) for o in out))


def _wrap(out: Any, index: pd.Index, name: str) -> Any:
    if isinstance(out, np.ndarray):
        return pd.Series(out, index=index, name=name, copy=False)
    fields = getattr(out, "_fields", None)
    if fields is None:
        return type(out)(_wrap(o, index, name) for o in out)
    return type(out)(*(_wrap(o, index, f) for o, f in zip(out, fields, strict=True)))


def indicator(*inputs: str, int_output: bool = False, skip_nan: bool = True) -> Callable[[F], F]:
    """Decorate an indicator whose parameters named ``inputs`` are price/volume arrays.

    Parameters
    ----------
    *inputs
        Names of the array parameters (in signature order).
    int_output
        The function returns integer arrays (candlestick patterns): leading
        NaN bars are padded with 0 instead of NaN.
    skip_nan
        Skip leading bars where any input is NaN (TA-Lib's behaviour).
    """

    def decorate(func: F) -> F:
        signature = inspect.signature(func)
        label = func.__name__

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(*args, **kwargs)
            index: pd.Index | None = None
            arrays: dict[str, FloatArray] = {}
            for name in inputs:
                value = bound.arguments[name]
                if index is None and isinstance(value, pd.Series):
                    index = value.index
                arrays[name] = as_float_array(value, name)
            lengths = {a.shape[0] for a in arrays.values()}
            if len(lengths) > 1:
                raise ValueError(f"{', '.join(inputs)} must have the same length")
            begin = 0
            if skip_nan:
                begin = max(_first_valid(a) for a in arrays.values())
            for name, arr in arrays.items():
                bound.arguments[name] = readonly(arr[begin:] if begin else arr)
            out = func(*bound.args, **bound.kwargs)
            if begin:
                out = _pad(out, begin, 0 if int_output else np.nan)
            if index is not None:
                out = _wrap(out, index, label)
            return out

        return wrapper  # type: ignore[return-value]

    return decorate


def check_period(name: str, value: Any, minimum: int = 1) -> int:
    """Validate an integer period parameter and return it as ``int``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_float(name: str, value: Any, minimum: float = 0.0, maximum: float = math.inf) -> float:
    """Validate a finite float parameter within ``[minimum, maximum]`` and return it."""
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(f"{name} must be a number in [{minimum}, {maximum}], got {value!r}")
    result = float(value)
    if not (minimum <= result <= maximum) or math.isnan(result):
        raise ValueError(f"{name} must be a number in [{minimum}, {maximum}], got {value!r}")
    return result


def check_matype(name: str, value: Any) -> int:
    """Validate a TA-Lib moving-average type; 0 (SMA) and 1 (EMA) are supported."""
    if isinstance(value, bool) or value not in (0, 1):
        raise ValueError(f"{name} must be 0 (SMA) or 1 (EMA), got {value!r}")
    return int(value)


def run(kernel: Callable[..., None], size: int, *args: Any, outputs: int = 1) -> Any:
    """Allocate ``outputs`` float64 arrays of ``size`` with numpy and let ``kernel`` fill them.

    The kernel receives ``*args`` followed by the output arrays. One array is
    returned as is, several as a tuple.
    """
    outs = tuple(np.empty(size) for _ in range(outputs))
    kernel(*args, *outs)
    return outs[0] if outputs == 1 else outs


def run_pattern(kernel: Callable[..., None], size: int, *args: Any) -> IntArray:
    """Allocate a zeroed int32 signal array of ``size`` and let ``kernel`` mark the hits."""
    out = np.zeros(size, dtype=np.int32)
    kernel(*args, out)
    return out
