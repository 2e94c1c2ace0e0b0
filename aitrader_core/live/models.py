"""What the live coordinator is configured with and what it reports.

:class:`LiveStrategy` binds a strategy (or an ensemble config) to a series and
the backtest configuration whose sizing and exits it trades with;
:class:`RetryPolicy` caps the back-off of submissions; the read models
(:class:`LiveStatus`, :class:`PnL`, :class:`StrategyView`, :class:`BarOutcome`)
are plain frozen dataclasses the service turns into JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.backtest.config import BacktestConfig
from aitrader_core.live.meta import MetaGate
from aitrader_core.live.state import LiveFill, LiveOrder
from aitrader_core.risk import StrategyControl
from aitrader_core.strategies import Ensemble, EnsembleConfig
from aitrader_core.strategies.base import Strategy


class RetryPolicy(BaseModel):
    """Capped exponential back-off: wait ``min(cap_s, base_s * 2 ** (n - 1))`` after try ``n``.

    Examples
    --------
    >>> p = RetryPolicy(max_attempts=5, base_s=0.5, cap_s=2.0)
    >>> [p.delay(n) for n in range(1, 5)]
    [0.5, 1.0, 2.0, 2.0]
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(5, ge=1, le=50)
    base_s: float = Field(0.5, ge=0.0)
    cap_s: float = Field(30.0, ge=0.0)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after the ``attempt``-th failed try (1-based)."""
        return float(min(self.cap_s, self.base_s * 2 ** max(attempt - 1, 0)))


@dataclass(frozen=True)
class LiveStrategy:
    """A strategy the coordinator trades: what signals, on which series, sized how.

    ``config`` is the backtest configuration the strategy was researched with:
    its sizing, ``exits.stop_loss`` / ``exits.take_profit``, ``execution.reentry``
    and the long/short permissions apply live, its taker fee caps what cash
    buys. ``lookback`` bars of history feed each decision.

    Examples
    --------
    >>> cfg = EnsembleConfig.model_validate({"name": "x", "members": [
    ...     {"name": "t", "kind": "ema_cross", "params": {"fast": 2, "slow": 3}}]})
    >>> LiveStrategy("BTC/USDT", "1h", cfg).signals()
    Ensemble('x', members=['t'])
    """

    symbol: str
    timeframe: str
    strategy: Strategy | EnsembleConfig
    config: BacktestConfig = field(default_factory=BacktestConfig)
    lookback: int = 500
    meta: MetaGate | None = None

    def signals(self) -> Strategy:
        """The object whose ``signals(bars)`` gives the target direction."""
        if isinstance(self.strategy, EnsembleConfig):
            return Ensemble(self.strategy)
        return self.strategy

    @property
    def series(self) -> str:
        """The series key ``symbol|timeframe`` (the cursor's name)."""
        return f"{self.symbol}|{self.timeframe}"


@dataclass(frozen=True)
class BarOutcome:
    """What one bar did: whether it was new, the fills recorded and the orders touched."""

    series: str
    ts_ms: int
    processed: bool
    fills: list[LiveFill] = field(default_factory=list)
    orders: list[LiveOrder] = field(default_factory=list)


@dataclass(frozen=True)
class StrategyView:
    """A strategy as operators see it: its series, control and position."""

    name: str
    symbol: str
    timeframe: str
    control: StrategyControl
    position: Decimal
    last_bar_ms: int | None


@dataclass(frozen=True)
class PnL:
    """Today's account figures (quote currency) and the trades of the day."""

    day: str
    start_of_day_equity: Decimal
    equity: Decimal
    realized: Decimal
    unrealized: Decimal
    drawdown: Decimal
    trades_today: int


@dataclass(frozen=True)
class LiveStatus:
    """The coordinator at a glance."""

    venue: str
    testnet: bool
    kill_switch: bool
    strategies: list[str]
    cursors: dict[str, int]
    open_orders: int
    unknown_orders: int
    marks: dict[str, Decimal]


@dataclass(frozen=True)
class SyncReport:
    """What :meth:`~aitrader_core.live.coordinator.LiveTradingCoordinator.sync` changed."""

    orders: list[LiveOrder]
    fills: list[LiveFill]
