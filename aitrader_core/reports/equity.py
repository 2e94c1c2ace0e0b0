"""The account's equity curve, reconstructed from its fills and the stored candles' closes.

No equity history is stored: the curve is rebuilt by replaying the fills as
cash flows (exact ``Decimal``, fees included) over a starting balance, and
valuing the assets held at each bar's close. A point at time ``T`` (a bar's
close) holds every fill stamped before ``T``, so a report's window
``[start, end)`` owns the fills its start and end points enclose. The figures
become floats only in :func:`equity_frame`, for charts and metrics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from aitrader_core.backtest.metrics import drawdown
from aitrader_core.domain.money import ZERO, to_decimal
from aitrader_core.domain.orders import Fill

__all__ = [
    "EquityPoint",
    "bar_close_marks",
    "base_quote",
    "equity_frame",
    "mark_to_market",
    "roll_back",
]


@dataclass(frozen=True)
class EquityPoint:
    """The account at one mark time: cash (the quote), assets held and their value."""

    ts_ms: int
    cash: Decimal
    holdings: Mapping[str, Decimal]
    value: Decimal
    """Signed value of the non-quote assets at their marks."""
    gross: Decimal
    """Gross exposure: Σ |holding| × mark over the non-quote assets."""

    @property
    def equity(self) -> Decimal:
        """Cash plus the value of the assets held."""
        return self.cash + self.value


def base_quote(symbol: str) -> tuple[str, str]:
    """The base and quote assets of a ccxt symbol (settle suffix dropped).

    Examples
    --------
    >>> base_quote("BTC/USDT"), base_quote("ETH/USDT:USDT")
    (('BTC', 'USDT'), ('ETH', 'USDT'))
    """
    base, _, rest = symbol.partition("/")
    return base, rest.partition(":")[0]


def _apply(held: dict[str, Decimal], fill: Fill, sign: int = 1) -> None:
    """Move the balances by one fill (``sign=-1`` undoes it)."""
    base, quote = base_quote(fill.symbol)
    flow = fill.qty * fill.side.sign * sign
    held[base] = held.get(base, ZERO) + flow
    held[quote] = held.get(quote, ZERO) - flow * fill.price
    held[fill.fee_asset] = held.get(fill.fee_asset, ZERO) - fill.fee * sign


def roll_back(balances: Mapping[str, Decimal], later_fills: Iterable[Fill]) -> dict[str, Decimal]:
    """The balances before ``later_fills``: each fill's cash flows undone.

    A venue without a known starting balance is anchored on its current
    balances this way (exact for the assets traded, deposits aside).

    Examples
    --------
    >>> from aitrader_core.domain.orders import Side
    >>> f = Fill("c", "t", "BTC/USDT", Side.BUY, Decimal("0.5"), Decimal("100"),
    ...          Decimal("0.05"), "USDT", 0)
    >>> roll_back({"USDT": Decimal("949.95"), "BTC": Decimal("0.5")}, [f])
    {'USDT': Decimal('1000.00'), 'BTC': Decimal('0.0')}
    """
    held = dict(balances)
    for fill in later_fills:
        _apply(held, fill, -1)
    return held


def mark_to_market(
    fills: Iterable[Fill],
    marks: pd.DataFrame,
    start: Mapping[str, Decimal],
    *,
    quote: str = "USDT",
) -> list[EquityPoint]:
    """Equity at each row of ``marks`` from the ``start`` balances and the fills before it.

    Parameters
    ----------
    fills
        Executions (any order); a fill counts at the first mark time after its ``ts_ms``.
        A buy pays ``qty × price`` in the quote, a sell receives it; the fee
        leaves the balance of its ``fee_asset``.
    marks
        Prices by mark time: an integer index of epoch ms (ascending) and one
        column per symbol (``BTC/USDT``) of closes; NaN where a bar is missing
        (the last price seen stands in: the latest close, or a fill's price).
    start
        Balances before the first fill, e.g. ``{"USDT": Decimal("10000")}``.
    quote
        The currency of the figures; other assets are valued at ``ASSET/quote``.

    Examples
    --------
    >>> from aitrader_core.domain.orders import Side
    >>> buy = Fill("c1", "t1", "BTC/USDT", Side.BUY, Decimal("0.1"), Decimal("100"),
    ...            Decimal("0.01"), "USDT", 1_000)
    >>> marks = pd.DataFrame({"BTC/USDT": [100.0, 110.0]}, index=[1_000, 2_000])
    >>> [(p.ts_ms, p.cash, p.equity) for p in mark_to_market([buy], marks, {"USDT": Decimal(50)})]
    [(1000, Decimal('50'), Decimal('50')), (2000, Decimal('39.99'), Decimal('50.99'))]
    """
    pending = sorted(fills, key=lambda f: (f.ts_ms, f.trade_id))
    held = {asset: to_decimal(amount) for asset, amount in start.items()}
    last: dict[str, Decimal] = {}  # asset -> its latest price in the quote
    columns = {base_quote(str(sym))[0]: str(sym) for sym in marks.columns
               if base_quote(str(sym))[1] == quote}  # fmt: skip
    values = {sym: marks[sym].to_numpy(dtype=np.float64) for sym in columns.values()}
    points: list[EquityPoint] = []
    i = 0
    for row, ts in enumerate(marks.index.to_numpy(dtype=np.int64).tolist()):
        while i < len(pending) and pending[i].ts_ms < ts:
            fill = pending[i]
            _apply(held, fill)
            base, fill_quote = base_quote(fill.symbol)
            if fill_quote == quote:
                last[base] = fill.price
            i += 1
        for asset, sym in columns.items():
            close = values[sym][row]
            if not np.isnan(close):
                last[asset] = to_decimal(float(close))
        points.append(_point(int(ts), held, last, quote))
    return points


def _point(
    ts: int, held: Mapping[str, Decimal], last: Mapping[str, Decimal], quote: str
) -> EquityPoint:
    value = gross = ZERO
    for asset, qty in held.items():
        if asset == quote or qty == 0:
            continue
        price = last.get(asset, ZERO)  # never priced: counts zero (as the venue's equity does)
        value += qty * price
        gross += abs(qty) * price
    return EquityPoint(ts, held.get(quote, ZERO), dict(held), value, gross)


def bar_close_marks(closes: Mapping[str, pd.Series], step_ms: int) -> pd.DataFrame:
    """Closes by their bars' close time: each series indexed by bar open ms, shifted by a bar.

    Examples
    --------
    >>> closes = pd.Series([1.0, 2.0], index=[0, 3_600_000])
    >>> marks = bar_close_marks({"BTC/USDT": closes}, 3_600_000)
    >>> marks.index.tolist(), marks["BTC/USDT"].tolist()
    ([3600000, 7200000], [1.0, 2.0])
    """
    frame = pd.DataFrame({sym: s.astype(np.float64) for sym, s in closes.items()})
    frame.index = pd.Index(np.asarray(frame.index, dtype=np.int64) + step_ms)
    return frame.sort_index()


def equity_frame(points: Iterable[EquityPoint]) -> pd.DataFrame:
    """The curve in float64 for charts: equity, cash, gross exposure, drawdown (≤ 0).

    Indexed by tz-aware UTC mark time. The drawdown is measured from the
    running peak, the first point included (``backtest.metrics.drawdown``).

    Examples
    --------
    >>> pts = [EquityPoint(t, Decimal(e), {}, ZERO, ZERO) for t, e in [(0, 100), (1, 80), (2, 120)]]
    >>> equity_frame(pts)["drawdown"].round(12).tolist()
    [0.0, -0.2, 0.0]
    """
    rows = list(points)
    equity = np.array([float(p.equity) for p in rows], dtype=np.float64)
    index = pd.to_datetime([p.ts_ms for p in rows], unit="ms", utc=True)
    frame = pd.DataFrame(
        {
            "equity": equity,
            "cash": [float(p.cash) for p in rows],
            "gross": [float(p.gross) for p in rows],
        },
        index=index,
    )
    if len(equity):
        with np.errstate(divide="ignore", invalid="ignore"):
            returns = np.where(equity[:-1] != 0, equity[1:] / equity[:-1] - 1.0, 0.0)
        frame["drawdown"] = np.concatenate([[0.0], drawdown(returns)])
    else:
        frame["drawdown"] = np.array([], dtype=np.float64)
    frame.index.name = "time"
    return frame
