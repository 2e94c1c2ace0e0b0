"""What the service trades: the strategies, their series and sizing, and the bar feed.

Read from YAML (``AITRADER_LIVE_CONFIG``, default ``configs/live/paper.yaml``)
and validated strictly: an unknown key, a bad ensemble or a sizing the
coordinator cannot trade is an error naming the field, before anything runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from aitrader_core.backtest.config import BacktestConfig
from aitrader_core.compliance.pretrade import PretradeConfig
from aitrader_core.domain.market import normalize_symbol, normalize_timeframe
from aitrader_core.errors import ConfigError
from aitrader_core.live.meta import MetaGate
from aitrader_core.live.models import LiveStrategy
from aitrader_core.live.reconcile import ReconcilePolicy
from aitrader_core.live.sizing import check_supported
from aitrader_core.strategies import EnsembleConfig
from aitrader_core.strategies.loader import load_ensemble

_STRICT = ConfigDict(extra="forbid", frozen=True)


class FeedSettings(BaseModel):
    """Where closed bars come from: the store replayed, or the exchange polled."""

    model_config = _STRICT

    mode: Literal["replay", "exchange"] = "replay"
    speed: float = Field(10.0, ge=0, description="replayed bars per second; 0 = unpaced")
    start: date | None = Field(None, description="first replayed bar (UTC day)")
    poll_interval_s: float = Field(10.0, gt=0, description="exchange mode: seconds between polls")


class MetaEntry(BaseModel):
    """A meta-model (``aitrader train-meta`` output folder) gating the strategy's entries."""

    model_config = _STRICT

    model: Path
    threshold: float = Field(0.5, ge=0, le=1)
    mode: Literal["filter", "size"] = "filter"


class StrategyEntry(BaseModel):
    """One traded strategy: an ensemble file on a series, with its backtest configuration."""

    model_config = _STRICT

    name: str = Field(min_length=1, max_length=48, pattern=r"^[A-Za-z0-9_.-]+$")
    symbol: str
    timeframe: str
    ensemble: Path
    backtest: BacktestConfig = BacktestConfig()
    lookback: int = Field(500, ge=50, le=20_000)
    meta: MetaEntry | None = None
    on_restart: Literal["resume", "flatten"] = Field(
        "resume", description="after a restart: trade on, or close the position first"
    )

    @field_validator("symbol")
    @classmethod
    def _symbol(cls, value: str) -> str:
        return normalize_symbol(value)

    @field_validator("timeframe")
    @classmethod
    def _timeframe(cls, value: str) -> str:
        return normalize_timeframe(value)


class LiveConfig(BaseModel):
    """The feed and the strategies.

    Examples
    --------
    >>> LiveConfig.model_validate({"strategies": []}).feed.mode
    'replay'
    """

    model_config = _STRICT

    feed: FeedSettings = FeedSettings()
    strategies: tuple[StrategyEntry, ...] = ()
    reconcile: ReconcilePolicy = ReconcilePolicy()
    pretrade: PretradeConfig = PretradeConfig()
    reconcile_every_s: float = Field(300.0, gt=0, description="periodic reconciliation")

    @field_validator("strategies")
    @classmethod
    def _unique(cls, value: tuple[StrategyEntry, ...]) -> tuple[StrategyEntry, ...]:
        names = [s.name for s in value]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"strategy names must be unique; repeated: {', '.join(dup)}")
        return value

    def live_strategies(self) -> dict[str, LiveStrategy]:
        """Name → :class:`LiveStrategy`, each ensemble loaded and checked."""
        out: dict[str, LiveStrategy] = {}
        for s in self.strategies:
            ensemble: EnsembleConfig = load_ensemble(s.ensemble)
            check_supported(s.name, s.backtest)
            gate = (
                None
                if s.meta is None
                else MetaGate.load(s.meta.model, threshold=s.meta.threshold, mode=s.meta.mode)
            )
            out[s.name] = LiveStrategy(
                s.symbol, s.timeframe, ensemble, s.backtest, s.lookback, meta=gate
            )
        return out

    def series(self) -> list[tuple[str, str]]:
        """The distinct (symbol, timeframe) pairs the strategies trade."""
        return sorted({(s.symbol, s.timeframe) for s in self.strategies})


def load_live_config(path: str | Path) -> LiveConfig:
    """Read and validate a live config; relative ensemble paths are the file's siblings.

    Raises
    ------
    ConfigError
        Unreadable file, or every problem found, each naming its field.
    """
    file = Path(path)
    try:
        raw: Any = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read live config {file}: {exc}") from exc
    if not isinstance(raw, Mapping):
        raise ConfigError(f"live config {file} must be a mapping with 'strategies'")
    try:
        config = LiveConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid live config {file}: {problems}") from exc
    entries = tuple(
        s
        if s.ensemble.is_absolute()
        else s.model_copy(update={"ensemble": file.parent / s.ensemble})
        for s in config.strategies
    )
    return config.model_copy(update={"strategies": entries})


def _resolved(entry: StrategyEntry, folder: Path) -> StrategyEntry:
    """Relative ensemble and meta-model paths, read from the config file's folder."""
    update: dict[str, Any] = {}
    if not entry.ensemble.is_absolute():
        update["ensemble"] = folder / entry.ensemble
    if entry.meta is not None and not entry.meta.model.is_absolute():
        update["meta"] = entry.meta.model_copy(update={"model": folder / entry.meta.model})
    return entry.model_copy(update=update) if update else entry
