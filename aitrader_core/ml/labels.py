"""Triple-barrier labels: did a trade reach its profit target before its stop or timeout?

For each event (an entry at a bar's open, long or short) the price path from
that bar is watched for at most ``max_holding`` bars. The first barrier
touched decides: profit-taking (``pt``), stop-loss (``sl``) or the vertical
barrier (``time``, the close of the last bar held). Highs and lows are used
inside each bar; when both horizontal barriers are inside the same bar the
stop is taken first (the backtest's pessimistic convention), and a bar that
opens beyond a barrier exits at its open (a gap). A label uses bars from the
entry to ``t1`` only: nothing after ``t1`` can change it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aitrader_core.errors import ValidationError


def barrier_width(close: pd.Series, *, span: int = 100, horizon: int = 24) -> pd.Series:
    """Expected move over ``horizon`` bars: EWM std of log returns x sqrt(horizon).

    Causal (the value at a bar uses closes up to it); use it as the events'
    ``trgt`` so ``pt`` and ``sl`` are multiples of the volatility at entry.

    Examples
    --------
    >>> close = pd.Series(100 * np.exp(np.cumsum(np.tile([0.01, -0.01], 50))))
    >>> round(float(barrier_width(close, span=20, horizon=4).iloc[-1]), 3)
    0.02
    """
    log_ret = np.log(close.astype(float)).diff()
    return (log_ret.ewm(span=span, min_periods=min(span, 20)).std() * np.sqrt(horizon)).rename(
        "trgt"
    )


def triple_barrier_labels(
    bars: pd.DataFrame,
    events: pd.DataFrame,
    *,
    pt: float = 1.0,
    sl: float = 1.0,
    max_holding: int = 24,
) -> pd.DataFrame:
    """Label each event by the first barrier its price path touches.

    Parameters
    ----------
    bars
        ``open, high, low, close`` on a sorted, unique index.
    events
        Indexed by entry bar (a label of ``bars.index``), with ``side`` (+1 long,
        -1 short) and optionally ``price`` (entry price; default the entry
        bar's open) and ``trgt`` (barrier width as a fraction of the price;
        default 1, so ``pt`` and ``sl`` are plain fractions).
    pt, sl
        Profit-taking and stop-loss distance in units of ``trgt``; ``0``
        disables that barrier.
    max_holding
        Bars held at most, the entry bar being the first.

    Returns
    -------
    pandas.DataFrame
        Per event: ``side``, ``t1`` (the exit bar), ``barrier`` (``pt``, ``sl``
        or ``time``), ``ret`` (side-adjusted return to the exit) and ``label``
        (1 when ``ret > 0``, else 0). Events whose horizon runs past the last
        bar without a touch are left out: their outcome is not known yet.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=5, freq="1h", tz="UTC")
    >>> bars = pd.DataFrame({"open": [100, 100, 101, 102, 104.0],
    ...                      "high": [101, 102, 103, 106, 105.0],
    ...                      "low": [99, 99.5, 100, 101, 103.0],
    ...                      "close": [100, 101, 102, 104, 104.0]}, index=idx)
    >>> events = pd.DataFrame({"side": [1]}, index=idx[:1])
    >>> out = triple_barrier_labels(bars, events, pt=0.05, sl=0.02, max_holding=4)
    >>> out["barrier"].iloc[0], int(out["label"].iloc[0]), out["t1"].iloc[0].hour
    ('pt', 1, 3)
    """
    if max_holding < 1:
        raise ValidationError("must be ≥ 1", field="max_holding")
    if pt < 0 or sl < 0:
        raise ValidationError("barrier multiples must be ≥ 0", field="pt" if pt < 0 else "sl")
    if not (bars.index.is_monotonic_increasing and bars.index.is_unique):
        raise ValidationError("bars must be on a sorted, unique index", field="bars")
    pos = bars.index.get_indexer(events.index)
    if (pos < 0).any():
        raise ValidationError("every event must start on a bar", field="events")
    side = events["side"].to_numpy(dtype=float)
    if not np.isin(side, (-1.0, 1.0)).all():
        raise ValidationError("side must be +1 or -1", field="side")
    opens, high, low, close = (
        bars[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close")
    )
    price = events["price"].to_numpy(float) if "price" in events else opens[pos]
    trgt = events["trgt"].to_numpy(float) if "trgt" in events else np.ones(len(events))
    if not (np.isfinite(trgt) & (trgt > 0)).all():
        raise ValidationError("trgt must be finite and > 0", field="trgt")
    rows = []
    for k, i0 in enumerate(pos):
        row = _first_touch(
            opens,
            high,
            low,
            close,
            int(i0),
            price[k],
            side[k],
            pt * trgt[k],
            sl * trgt[k],
            max_holding,
        )
        if row is not None:
            rows.append((events.index[k], int(side[k]), bars.index[row[0]], row[1], row[2]))
    out = pd.DataFrame(rows, columns=["t0", "side", "t1", "barrier", "ret"])
    out = out.set_index("t0").rename_axis(events.index.name)
    out["label"] = (out["ret"] > 0).astype(np.int64)
    return out


def _first_touch(
    opens: np.ndarray,
    high: np.ndarray,
    low: np.ndarray,
    close: np.ndarray,
    i0: int,
    price: float,
    side: float,
    up: float,
    down: float,
    max_holding: int,
) -> tuple[int, str, float] | None:
    """(exit bar, barrier, side-adjusted return), or None when not resolved yet."""
    last = i0 + max_holding - 1
    end = min(last, len(close) - 1)
    # In side-adjusted terms a long's target is above, a short's below the price.
    target = price * (1 + side * up) if up > 0 else None
    stop = price * (1 - side * down) if down > 0 else None
    for i in range(i0, end + 1):
        if i > i0:  # a gap through a barrier exits at the open (the entry bar's open is the entry)
            if stop is not None and side * (opens[i] - stop) <= 0:
                return i, "sl", side * (opens[i] / price - 1)
            if target is not None and side * (opens[i] - target) >= 0:
                return i, "pt", side * (opens[i] / price - 1)
        fav, adv = (high[i], low[i]) if side > 0 else (low[i], high[i])
        if stop is not None and side * (adv - stop) <= 0:  # both inside the bar: stop first
            return i, "sl", side * (stop / price - 1)
        if target is not None and side * (fav - target) >= 0:
            return i, "pt", side * (target / price - 1)
    if end < last:
        return None
    return last, "time", side * (close[last] / price - 1)
