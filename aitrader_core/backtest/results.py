"""The outcome of a backtest: journal, trades, equity, summary and exports.

:class:`BacktestResult` holds the engine's raw arrays and builds labelled
pandas tables on first access (timestamps as a UTC DatetimeIndex, the edges'
convention), so a run in a parameter sweep pays only for what it reads.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from aitrader_core.backtest import records as R
from aitrader_core.backtest.config import BacktestConfig
from aitrader_core.backtest.fills import ORDER_TYPE_NAMES

FloatMatrix = npt.NDArray[np.float64]

_FORMATS = ("csv", "json", "parquet")


def _names(codes: npt.NDArray[np.float64], names: Sequence[str], missing: str = "") -> list[str]:
    return [names[int(c)] if c >= 0 else missing for c in codes]


class BacktestResult:
    """Journal, trades and curves of one backtest run (single symbol or portfolio).

    Attributes built lazily: :attr:`orders` (alias :attr:`journal`),
    :attr:`fills`, :attr:`trades`, :attr:`equity`, :attr:`returns`,
    :attr:`drawdown`, :attr:`cash`, :attr:`positions`.
    """

    def __init__(
        self,
        *,
        symbols: list[str],
        ts: npt.NDArray[np.int64],
        orders_raw: FloatMatrix,
        trades_raw: FloatMatrix,
        equity_raw: npt.NDArray[np.float64],
        cash_raw: npt.NDArray[np.float64],
        positions_raw: FloatMatrix,
        close: FloatMatrix,
        config: BacktestConfig,
        timeframe: str | None,
    ) -> None:
        self.symbols = symbols
        self.ts = ts
        self.orders_raw = orders_raw
        self.trades_raw = trades_raw
        self.equity_raw = equity_raw
        self.cash_raw = cash_raw
        self.positions_raw = positions_raw
        self.close_raw = close
        self.config = config
        self.timeframe = timeframe

    def __repr__(self) -> str:
        final = self.equity_raw[-1] if len(self.equity_raw) else math.nan
        return (
            f"BacktestResult(symbols={self.symbols}, bars={len(self.ts)}, "
            f"trades={len(self.trades_raw)}, final_equity={final:.2f})"
        )

    @property
    def initial_cash(self) -> float:
        """Starting cash."""
        return float(self.config.initial_cash)

    @cached_property
    def index(self) -> pd.DatetimeIndex:
        """Bar open times, UTC."""
        return pd.DatetimeIndex(pd.to_datetime(self.ts, unit="ms", utc=True), name="time")

    def _times(self, bars: npt.NDArray[np.float64]) -> pd.DatetimeIndex:
        idx = np.asarray(bars, dtype=np.int64)
        out = self.index[np.clip(idx, 0, max(len(self.index) - 1, 0))]
        return out.where(np.asarray(bars) >= 0)

    @cached_property
    def orders(self) -> pd.DataFrame:
        """Every order event: fills, rejections (with a reason), cancellations, expiries."""
        o = self.orders_raw
        df = pd.DataFrame(
            {
                "symbol": [self.symbols[int(c)] for c in o[:, R.O_COL]],
                "time": self._times(o[:, R.O_BAR]),
                "signal_time": self._times(o[:, R.O_SIG]),
                "bar": o[:, R.O_BAR].astype(np.int64),
                "signal_bar": o[:, R.O_SIG].astype(np.int64),
                "order_type": _names(o[:, R.O_TYPE], ORDER_TYPE_NAMES),
                "side": np.where(o[:, R.O_SIDE] > 0, "buy", "sell"),
                "reason": _names(o[:, R.O_REASON], R.REASON_NAMES),
                "status": _names(o[:, R.O_STATUS], R.STATUS_NAMES),
                "reject_reason": _names(o[:, R.O_REJECT], R.REJECT_NAMES),
            }
        )
        for name, col in (
            ("qty_requested", R.O_QREQ),
            ("qty", R.O_QTY),
            ("price", R.O_PRICE),
            ("ref_price", R.O_REF),
            ("fee", R.O_FEE),
            ("slippage", R.O_SLIP),
            ("position", R.O_POS),
            ("cash", R.O_CASH),
        ):
            df[name] = o[:, col]
        return df

    @property
    def journal(self) -> pd.DataFrame:
        """Alias of :attr:`orders`."""
        return self.orders

    @property
    def fills(self) -> pd.DataFrame:
        """Filled orders only."""
        df = self.orders
        return df[df["status"] == "filled"].reset_index(drop=True)

    @cached_property
    def trades(self) -> pd.DataFrame:
        """One row per round trip; open ones (``close_at_end=False``) valued at the last close.

        ``pnl`` is net of both fees; ``return`` is PnL over entry value; ``mae`` /
        ``mfe`` are the worst / best excursion as fractions of the entry price.
        """
        t = self.trades_raw
        entry_time = self._times(t[:, R.T_ENTRY_BAR])
        exit_time = self._times(t[:, R.T_EXIT_BAR])
        df = pd.DataFrame(
            {
                "symbol": [self.symbols[int(c)] for c in t[:, R.T_COL]],
                "direction": np.where(t[:, R.T_DIR] > 0, "long", "short"),
                "entry_time": entry_time,
                "exit_time": exit_time,
                "entry_bar": t[:, R.T_ENTRY_BAR].astype(np.int64),
                "exit_bar": t[:, R.T_EXIT_BAR].astype(np.int64),
            }
        )
        for name, col in (
            ("qty", R.T_QTY),
            ("entry_price", R.T_ENTRY_PX),
            ("exit_price", R.T_EXIT_PX),
            ("entry_fees", R.T_ENTRY_FEES),
            ("exit_fees", R.T_EXIT_FEES),
            ("pnl", R.T_PNL),
            ("return", R.T_RET),
            ("mae", R.T_MAE),
            ("mfe", R.T_MFE),
        ):
            df[name] = t[:, col]
        df["duration"] = exit_time - entry_time
        df["bars_held"] = df["exit_bar"] - df["entry_bar"]
        df["exit_reason"] = _names(t[:, R.T_REASON], R.REASON_NAMES, missing="open")
        df["status"] = _names(t[:, R.T_STATUS], R.TRADE_STATUS_NAMES)
        return df

    @cached_property
    def equity(self) -> pd.Series:
        """Cash plus positions at each bar's close."""
        return pd.Series(self.equity_raw, index=self.index, name="equity")

    @cached_property
    def returns(self) -> pd.Series:
        """Per-bar simple returns of equity (the first against the initial cash)."""
        prev = np.concatenate([[self.initial_cash], self.equity_raw[:-1]])
        return pd.Series(self.equity_raw / prev - 1.0, index=self.index, name="returns")

    @cached_property
    def drawdown(self) -> pd.Series:
        """Equity over its running peak (the initial cash included) minus one, ≤ 0."""
        peak = np.maximum.accumulate(np.concatenate([[self.initial_cash], self.equity_raw]))[1:]
        return pd.Series(self.equity_raw / peak - 1.0, index=self.index, name="drawdown")

    @cached_property
    def cash(self) -> pd.Series:
        """Cash at each bar's close (short-sale proceeds included)."""
        return pd.Series(self.cash_raw, index=self.index, name="cash")

    @cached_property
    def positions(self) -> pd.DataFrame:
        """Signed position per symbol at each bar's close."""
        return pd.DataFrame(self.positions_raw, index=self.index, columns=self.symbols)

    def summary(self, timeframe: str | None = None) -> dict[str, Any]:
        """Headline numbers, plus the standard metrics when the timeframe is known.

        ``timeframe`` defaults to the one inferred from the bar spacing.
        """
        from aitrader_core.backtest.metrics import compute_metrics, max_drawdown

        tf = timeframe or self.timeframe
        trades = self.trades
        closed = trades[trades["status"] == "closed"]
        fills = self.fills
        out: dict[str, Any] = {
            "symbols": list(self.symbols),
            "start": self.index[0].isoformat() if len(self.index) else None,
            "end": self.index[-1].isoformat() if len(self.index) else None,
            "bars": len(self.ts),
            "initial_cash": self.initial_cash,
            "final_equity": float(self.equity_raw[-1]) if len(self.ts) else self.initial_cash,
            "total_fees": float(fills["fee"].sum()),
            "total_slippage": float(fills["slippage"].sum()),
            "orders": len(self.orders),
            "rejected_orders": int((self.orders["status"] == "rejected").sum()),
            "total_return": float(self.equity_raw[-1] / self.initial_cash - 1.0)
            if len(self.ts)
            else 0.0,
            "max_drawdown": max_drawdown(self.returns.to_numpy()),
            "trades": len(closed),
            "exposure": float((self.positions_raw != 0).any(axis=1).mean())
            if len(self.ts)
            else 0.0,
        }
        if tf is not None and len(self.ts):
            in_market = (self.positions_raw != 0).any(axis=1)
            metrics = compute_metrics(
                self.returns.to_numpy(), tf, in_market=in_market, trade_pnl=closed["pnl"]
            )
            out |= metrics.as_dict()
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """The exported tables: trades, orders and the per-bar curves."""
        curves = pd.concat(
            [
                self.equity,
                self.returns,
                self.drawdown,
                self.cash,
                self.positions.add_prefix("pos_"),
            ],
            axis=1,
        )
        return {"trades": self.trades, "orders": self.orders, "equity": curves.reset_index()}

    def export(self, folder: str | Path, formats: Iterable[str] = _FORMATS) -> list[Path]:
        """Write trades, orders, equity (and ``summary.json``) to ``folder``.

        Returns the written paths.

        Examples
        --------
        >>> import tempfile
        >>> from aitrader_core.backtest.runner import run
        >>> idx = pd.date_range("2024-01-01", periods=4, freq="1h", tz="UTC")
        >>> px = [100.0, 100.1, 100.2, 100.1]
        >>> bars = pd.DataFrame({c: px for c in ("open", "high", "low", "close")}, index=idx)
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     paths = run(bars, signal=[1, 1, 0, 0]).export(tmp, formats=("csv",))
        ...     sorted(p.name for p in paths)
        ['equity.csv', 'orders.csv', 'summary.json', 'trades.csv']
        """
        formats = tuple(formats)
        unknown = set(formats) - set(_FORMATS)
        if unknown:
            raise ValueError(f"unknown export formats {sorted(unknown)}; use {_FORMATS}")
        out_dir = Path(folder)
        out_dir.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for name, df in self.tables().items():
            for fmt in formats:
                path = out_dir / f"{name}.{fmt}"
                if fmt == "csv":
                    df.to_csv(path, index=False)
                elif fmt == "json":
                    df.to_json(path, orient="records", date_format="iso", date_unit="ms")
                else:
                    df.to_parquet(path, index=False)
                written.append(path)
        summary = out_dir / "summary.json"
        summary.write_text(json.dumps(_jsonable(self.summary()), indent=2))
        written.append(summary)
        return written


def _jsonable(value: Any) -> Any:
    """Plain JSON values: NaN and infinities become null."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
