"""The signal governor: limits how often a target direction may change.

It works on a target-direction series and reads it bar by bar, so its output
at bar ``t`` depends on bars ``<= t`` only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

_DAY_NS = 86_400 * 10**9


class GovernorConfig(BaseModel):
    """Limits on new signals.

    Attributes
    ----------
    min_bars_between_signals
        An entry or reversal waits until at least this many bars have passed
        since the last accepted change of direction (0: no spacing).
    max_signals_per_day
        An entry or reversal waits for the next UTC day once this many
        changes of direction were accepted in the current one (None: no cap).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)

    min_bars_between_signals: int = Field(0, ge=0)
    max_signals_per_day: int | None = Field(None, ge=1)


def govern(signal: pd.Series, config: GovernorConfig) -> tuple[pd.Series, pd.DataFrame]:
    """Apply the governor to a target-direction series.

    Bar by bar, when the wanted direction differs from the one held, moving
    to flat is always allowed; moving to a non-zero direction (an entry or a
    reversal) is suppressed while fewer than ``min_bars_between_signals``
    bars have passed since the last accepted change, or once
    ``max_signals_per_day`` changes were accepted that UTC day. A suppressed
    reversal still closes the open position. The wish is re-examined on the
    next bars: if it persists it is taken as soon as the limits allow (a
    cool-down), if it vanishes first it was dropped. Every change of the
    output counts as an accepted change.

    Parameters
    ----------
    signal
        Wanted direction in {-1, 0, 1} on a tz-aware DatetimeIndex.
    config
        The limits.

    Returns
    -------
    (pandas.Series, pandas.DataFrame)
        The governed int8 direction, and the suppressed changes: one row at
        the first bar of each suppressed run, with ``signal`` (the wanted
        direction) and ``reason`` (``min_bars`` or ``daily_cap``).

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=6, freq="1h", tz="UTC")
    >>> wanted = pd.Series([1, 0, 1, 1, 1, 1], index=idx)
    >>> out, suppressed = govern(wanted, GovernorConfig(min_bars_between_signals=3))
    >>> out.tolist()  # the re-entry wanted at bar 2 waits until 3 bars after the exit
    [1, 0, 0, 0, 1, 1]
    >>> suppressed
                               signal    reason
    2024-01-01 02:00:00+00:00       1  min_bars
    """
    wanted = signal.to_numpy().astype(np.int8).tolist()
    days = (pd.DatetimeIndex(signal.index).as_unit("ns").asi8 // _DAY_NS).tolist()
    gap, cap = config.min_bars_between_signals, config.max_signals_per_day
    out = np.zeros(len(wanted), dtype=np.int8)
    rows: list[tuple[int, int, str]] = []
    held, last_change, day, count = 0, -(10**12), None, 0
    blocked: tuple[int, str] | None = None  # (direction, reason) suppressed on the previous bar
    for t, want in enumerate(wanted):
        if days[t] != day:
            day, count = days[t], 0
        target, reason = want, None
        if want not in (0, held):
            if t - last_change < gap:
                reason = "min_bars"
            elif cap is not None and count >= cap:
                reason = "daily_cap"
        if reason is not None:
            target = 0
            if blocked != (want, reason):
                rows.append((t, want, reason))
        blocked = None if reason is None else (want, reason)
        if target != held:
            held, last_change, count = target, t, count + 1
        out[t] = held
    suppressed = pd.DataFrame(
        {
            "signal": pd.Series([r[1] for r in rows], dtype=np.int8),
            "reason": pd.Series([r[2] for r in rows], dtype=object),
        }
    )
    suppressed.index = signal.index[[r[0] for r in rows]]
    return pd.Series(out, index=signal.index, name="signal"), suppressed
