"""Paper trading: closed bars go to the simulated venue first, then to the coordinator.

The order matters and is the backtest's: the venue matches its resting orders
against the bar (a market order decided at the previous close fills at this
bar's open, a stop hit inside the bar fills), then the coordinator records
those fills and decides at the bar's close. In a replay the shared
:class:`~aitrader_core.clock.ReplayClock` is set to the bar's close first, so
orders, fills and journal records carry replay time.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import numpy as np
import pandas as pd

from aitrader_core.backtest.runner import index_ms
from aitrader_core.brokers.simulator import SimulatedBroker
from aitrader_core.clock import Clock, ReplayClock
from aitrader_core.domain.market import TIMEFRAMES
from aitrader_core.errors import ValidationError
from aitrader_core.live.coordinator import LiveTradingCoordinator
from aitrader_core.live.models import BarOutcome


class PaperTrader:
    """A :class:`~aitrader_core.brokers.simulator.SimulatedBroker` and a coordinator, bar by bar.

    ``on_bar`` has the coordinator's signature, so a feed's ``BarClosed``
    events can be wired to either.
    """

    def __init__(
        self, broker: SimulatedBroker, coordinator: LiveTradingCoordinator, clock: Clock
    ) -> None:
        if coordinator.gateway is not broker:
            raise ValidationError("the coordinator must trade on this simulator", field="broker")
        self.broker = broker
        self.coordinator = coordinator
        self.clock = clock

    def on_bar(
        self,
        symbol: str,
        timeframe: str,
        ts_ms: int,
        open: float | Decimal,
        high: float | Decimal,
        low: float | Decimal,
        close: float | Decimal,
        volume: float | Decimal,
    ) -> BarOutcome:
        """Push one closed bar to the simulator, then to the coordinator."""
        step = TIMEFRAMES.get(timeframe)
        if step is None:
            raise ValidationError(f"no fixed length for timeframe {timeframe}", field="timeframe")
        if isinstance(self.clock, ReplayClock):
            self.clock.set(ts_ms + step)  # the bar has just closed
        self.broker.on_bar(symbol, ts_ms, open, high, low, close, volume)
        return self.coordinator.on_bar(symbol, timeframe, ts_ms, open, high, low, close, volume)

    def replay(self, bars: pd.DataFrame, symbol: str, timeframe: str) -> Iterator[BarOutcome]:
        """Feed every bar of an OHLCV frame (UTC DatetimeIndex), oldest first, as fast as it can.

        Pacing (a replay at some speed) belongs to the feed that calls :meth:`on_bar`.
        """
        ts = index_ms(pd.DatetimeIndex(bars.index))
        columns = [bars[c].to_numpy(dtype=np.float64) for c in ("open", "high", "low", "close")]
        volume = bars["volume"].to_numpy(dtype=np.float64, na_value=0.0)
        for i, t in enumerate(ts.tolist()):
            o, h, lo, c = (float(col[i]) for col in columns)
            yield self.on_bar(symbol, timeframe, int(t), o, h, lo, c, float(volume[i]))
