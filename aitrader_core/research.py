"""Backtest requests: one validated shape for the CLI, notebooks and the service.

A request names the market data (exchange, symbol, timeframe, range), what
trades (an ensemble, or a single strategy — run as a one-member ensemble so the
two paths cannot diverge) and the engine configuration (costs, sizing, exits,
execution). :func:`backtest_bars` is the pure part; ``App.run_backtest`` adds
the store read.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator

from aitrader_core.backtest import BacktestConfig, BacktestResult, run_signals
from aitrader_core.strategies import Ensemble, EnsembleConfig, MemberConfig

_OHLCV = ["open", "high", "low", "close", "volume"]


class BacktestRequest(BaseModel):
    """What to backtest, on which data, with which engine settings."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "symbol": "BTC/USDT",
                    "timeframe": "1h",
                    "start": "2023-01-01",
                    "end": "2023-07-01",
                    "strategy": {
                        "name": "trend",
                        "kind": "ema_cross",
                        "params": {"fast": 12, "slow": 26},
                    },
                    "config": {"initial_cash": 10000, "costs": {"taker_fee": 0.001}},
                }
            ]
        },
    )

    exchange: str = Field(default="binance", min_length=1, max_length=32)
    symbol: str = Field(min_length=1, max_length=64)
    timeframe: str = Field(min_length=1, max_length=4)
    start: str | int | None = Field(default=None, description="ISO-8601 or epoch ms, inclusive")
    end: str | int | None = Field(default=None, description="ISO-8601 or epoch ms, exclusive")
    ensemble: EnsembleConfig | None = None
    strategy: MemberConfig | None = None
    config: BacktestConfig = BacktestConfig()

    @model_validator(mode="after")
    def _one_source_of_signals(self) -> BacktestRequest:
        if (self.ensemble is None) == (self.strategy is None):
            raise ValueError("give exactly one of ensemble or strategy")
        return self

    def ensemble_config(self) -> EnsembleConfig:
        """The ensemble to run (a lone strategy becomes a one-member ensemble)."""
        if self.ensemble is not None:
            return self.ensemble
        if self.strategy is None:  # unreachable after validation; keeps types honest
            raise ValueError("give exactly one of ensemble or strategy")
        member = self.strategy.model_dump()
        return EnsembleConfig.model_validate(
            {
                "name": member["name"],
                "threshold": 0.0,
                "members": [{**member, "weight": 1.0}],
                "allow_short": bool(member["params"].get("allow_short", False)),
            }
        )


def backtest_bars(
    bars: pd.DataFrame, ensemble: EnsembleConfig, config: BacktestConfig, *, symbol: str
) -> tuple[BacktestResult, pd.Series]:
    """Run ``ensemble`` on ``bars`` (UTC-indexed OHLCV) through the engine.

    Returns the result and the ensemble's signal (target direction per bar).
    """
    signals = Ensemble(ensemble).signals(bars[_OHLCV])
    result = run_signals(
        bars[_OHLCV], signals.direction, config, signals.stop, signals.target, symbol=symbol
    )
    return result, signals.direction


def summary_json(summary: dict[str, Any]) -> dict[str, Any]:
    """A summary with non-finite floats as None (JSON has no NaN or inf)."""
    out: dict[str, Any] = {}
    for key, value in summary.items():
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            out[key] = None
        else:
            out[key] = value
    return out


def records_json(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts: times (and durations) in ISO-8601, NaN/inf as None."""
    return [
        summary_json({k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()})
        for row in frame.to_dict(orient="records")
    ]
