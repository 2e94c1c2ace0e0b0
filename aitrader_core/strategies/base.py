"""The strategy protocol, its result type and the base class of the built-in rules.

A strategy turns bars into a *target direction* per bar: ``+1`` long, ``0``
flat, ``-1`` short. The value at bar ``t`` may use bars ``<= t`` only; the
backtester acts on it at the next bar. Strategies do no I/O, read no clock and
keep no state between calls, so the same bars always give the same signals.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Generic, NamedTuple, Protocol, TypeVar, runtime_checkable

import numpy as np
import numpy.typing as npt
import pandas as pd
from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from aitrader_core.errors import ValidationError

OHLCV = ("open", "high", "low", "close", "volume")
FloatArray = npt.NDArray[np.float64]


class StrategyParams(BaseModel):
    """Base of every strategy's parameters: frozen, unknown fields rejected.

    Attributes
    ----------
    allow_short
        When false (the default) a short signal becomes flat (``-1 -> 0``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)

    allow_short: bool = False


@dataclass(frozen=True, eq=False)
class Signals:
    """What a strategy returns: target direction and optional price hints.

    Attributes
    ----------
    direction
        int8 Series in {-1, 0, +1} on the bars' index.
    stop, target
        float Series of protective-stop / take-profit prices for the position
        held at that bar (NaN when flat or no hint), or None when the strategy
        gives no such hints.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    >>> s = Signals(pd.Series([0, 1, 1], index=idx, dtype="int8"))
    >>> s.frame().columns.tolist()
    ['direction', 'stop', 'target']
    """

    direction: pd.Series
    stop: pd.Series | None = None
    target: pd.Series | None = None

    def frame(self) -> pd.DataFrame:
        """Return direction, stop and target as one DataFrame (missing hints are NaN)."""
        nan = pd.Series(np.nan, index=self.direction.index)
        return pd.DataFrame(
            {
                "direction": self.direction,
                "stop": nan if self.stop is None else self.stop,
                "target": nan if self.target is None else self.target,
            }
        )


@runtime_checkable
class Strategy(Protocol):
    """Anything that maps bars (and optional features) to :class:`Signals`.

    ``bars`` has ``open, high, low, close, volume`` on an ascending UTC
    DatetimeIndex; ``features`` holds optional precomputed columns on the same
    index (sentiment, model scores) for strategies that use them; the
    built-ins compute their own indicators and ignore it. The direction at
    bar ``t`` must depend on rows ``<= t`` only.
    """

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame | None = None) -> Signals:
        """Return the target direction for every bar of ``bars``."""
        ...


class Rule(NamedTuple):
    """A rule's raw output: direction (NaN or 0 where undecided) and optional hints."""

    direction: npt.ArrayLike
    stop: npt.ArrayLike | None = None
    target: npt.ArrayLike | None = None


P = TypeVar("P", bound=StrategyParams)


class RuleStrategy(ABC, Generic[P]):
    """Base of the built-in strategies: typed params in, :class:`Signals` out.

    Subclasses set ``kind`` and ``params_model`` and implement :meth:`rule`;
    this class checks the bars, zeroes the warm-up (NaN -> 0), turns shorts
    into flat unless ``params.allow_short``, and keeps hints only where a
    position is held.
    """

    kind: ClassVar[str]
    params_model: ClassVar[type[StrategyParams]]

    def __init__(self, params: P | None = None) -> None:
        self.params: P = params if params is not None else self.params_model()  # type: ignore[assignment]
        if not isinstance(self.params, self.params_model):
            raise TypeError(
                f"{type(self).__name__} needs {self.params_model.__name__}, "
                f"got {type(self.params).__name__}"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.params!r})"

    @property
    @abstractmethod
    def warmup(self) -> int:
        """Number of leading bars on which the rule cannot fire (always 0 there)."""

    @abstractmethod
    def rule(self, bars: pd.DataFrame, features: pd.DataFrame | None) -> Rule:
        """Compute the raw direction (shorts included) from checked bars."""

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame | None = None) -> Signals:
        """Return the target direction (int8 in {-1, 0, 1}) and hints for every bar."""
        check_bars(bars)
        out = self.rule(bars, features)
        raw = np.nan_to_num(np.asarray(out.direction, dtype=np.float64), nan=0.0)
        if not self.params.allow_short:
            raw = np.maximum(raw, 0.0)
        direction = np.sign(raw).astype(np.int8)
        held = direction != 0
        index = bars.index
        return Signals(
            direction=pd.Series(direction, index=index, name="direction"),
            stop=_hint(out.stop, held, index, "stop"),
            target=_hint(out.target, held, index, "target"),
        )


def _hint(
    values: npt.ArrayLike | None, held: npt.NDArray[np.bool_], index: pd.Index, name: str
) -> pd.Series | None:
    if values is None:
        return None
    arr = np.where(held, np.asarray(values, dtype=np.float64), np.nan)
    return pd.Series(arr, index=index, name=name)


def check_bars(bars: pd.DataFrame) -> None:
    """Raise :class:`~aitrader_core.errors.ValidationError` unless ``bars`` is usable.

    Bars need the OHLCV columns and an ascending tz-aware UTC DatetimeIndex.

    Examples
    --------
    >>> check_bars(pd.DataFrame({"close": [1.0]}))
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ValidationError: bars: missing columns open, high, low, volume
    """
    missing = [c for c in OHLCV if c not in bars.columns]
    if missing:
        raise ValidationError(f"missing columns {', '.join(missing)}", field="bars")
    index = bars.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise ValidationError("the index must be a tz-aware UTC DatetimeIndex", field="bars")
    if not index.is_monotonic_increasing:
        raise ValidationError("the index must be ascending", field="bars")


def column(bars: pd.DataFrame, name: str) -> FloatArray:
    """Return one column of ``bars`` as a float64 numpy array (NaN for missing)."""
    return bars[name].to_numpy(dtype=np.float64, na_value=np.nan)


def latch(
    long_entry: npt.ArrayLike,
    short_entry: npt.ArrayLike,
    long_exit: npt.ArrayLike,
    short_exit: npt.ArrayLike,
) -> npt.NDArray[np.int8]:
    """Hold a position from its entry bar until its exit (or the opposite entry).

    On each bar an open long is closed by ``long_exit`` and an open short by
    ``short_exit``; then ``long_entry`` opens (or keeps) a long, else
    ``short_entry`` a short. State at bar ``t`` depends on bars ``<= t`` only.

    Examples
    --------
    >>> latch([0, 1, 0, 0, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 0], [0, 0, 0, 0, 0]).tolist()
    [0, 1, 1, 0, -1]
    """
    le = np.asarray(long_entry, dtype=bool).tolist()
    se = np.asarray(short_entry, dtype=bool).tolist()
    lx = np.asarray(long_exit, dtype=bool).tolist()
    sx = np.asarray(short_exit, dtype=bool).tolist()
    out = np.zeros(len(le), dtype=np.int8)
    state = 0
    for t in range(len(le)):
        if (state == 1 and lx[t]) or (state == -1 and sx[t]):
            state = 0
        if le[t]:
            state = 1
        elif se[t]:
            state = -1
        out[t] = state
    return out


def signal_changes(direction: pd.Series) -> pd.DataFrame:
    """Return the bars where the target direction changes, with ``before`` and ``after``.

    A change up (``after > before``) is a buy, a change down a sell; the
    direction before the first bar is taken as flat.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
    >>> signal_changes(pd.Series([0, 1, 1, -1], index=idx)).values.tolist()
    [[0, 1], [1, -1]]
    """
    before = direction.shift(1, fill_value=0).astype(np.int8)
    changed = direction.to_numpy() != before.to_numpy()
    return pd.DataFrame(
        {"before": before[changed], "after": direction[changed].astype(np.int8)},
        index=direction.index[changed],
    )


def bars_from_close(
    close: npt.ArrayLike, *, start: str = "2024-01-01", freq: str = "1h"
) -> pd.DataFrame:
    """Build flat OHLCV bars (open = high = low = close, volume 1) for examples and tests.

    Examples
    --------
    >>> bars_from_close([1.0, 2.0]).iloc[-1].tolist()
    [2.0, 2.0, 2.0, 2.0, 1.0]
    """
    values = np.asarray(close, dtype=np.float64)
    index = pd.date_range(start, periods=values.shape[0], freq=freq, tz="UTC")
    frame = {name: values for name in OHLCV[:4]} | {"volume": np.ones(values.shape[0])}
    return pd.DataFrame(frame, index=index)


def ordered(*pairs: tuple[str, int | float], strict: bool = True) -> None:
    """Raise a validation error naming the fields unless the values ascend.

    Examples
    --------
    >>> ordered(("fast", 12), ("slow", 26))
    >>> ordered(("fast", 30), ("slow", 26))
    Traceback (most recent call last):
    ...
    pydantic_core._pydantic_core.PydanticCustomError: fast (30) must be smaller than slow (26)
    """
    for (a, va), (b, vb) in itertools.pairwise(pairs):
        if va > vb or (strict and va == vb):
            word = "smaller than" if strict else "at most"
            raise PydanticCustomError(
                "field_order", f"{a} ({va}) must be {word} {b} ({vb})", {"a": a, "b": b}
            )


def shift(values: FloatArray, bars: int) -> FloatArray:
    """Shift ``values`` ``bars`` places later (NaN fills the start): the value known then."""
    out = np.full(values.shape[0], np.nan)
    if bars < values.shape[0]:
        out[bars:] = values[: values.shape[0] - bars]
    return out
