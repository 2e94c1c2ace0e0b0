"""Live sizing and protective levels, mirroring the backtest's arithmetic.

The backtest sizes an entry at its fill from the fill's reference price; live,
the quantity must be known when the order leaves, one bar earlier, so it is
sized from the decision bar's close. Quantity-based sizing (``FixedQuantity``)
is therefore identical in both; equity- and notional-based sizing differ by
the close-to-next-open move. Stop and target levels are computed exactly as
the engine computes them (float64 from the entry's price, then rounded to the
tick like the engine rounds the exit's fill), then become ``Decimal`` here, at
one boundary.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from aitrader_core.backtest.config import (
    BacktestConfig,
    FixedNotional,
    FixedQuantity,
    PercentCash,
    PercentEquity,
    RiskPerTrade,
)
from aitrader_core.backtest.fills import BUY, SELL, round_price
from aitrader_core.domain.money import ZERO, Instrument, to_decimal
from aitrader_core.errors import ConfigError


def check_supported(name: str, config: BacktestConfig) -> None:
    """Raise :class:`~aitrader_core.errors.ConfigError` for settings the coordinator cannot trade.

    Examples
    --------
    >>> from aitrader_core.backtest.config import Exits
    >>> check_supported("s", BacktestConfig(exits=Exits(trailing_stop=0.05)))
    Traceback (most recent call last):
    ...
    aitrader_core.errors.ConfigError: strategy s: live trading does not support trailing_stop
    """
    ex, xo = config.exits, config.execution
    unsupported = [
        n for n in ("trailing_stop", "trailing_atr", "max_bars") if getattr(ex, n) is not None
    ]
    if xo.entry_order != "market":
        unsupported.append(f"entry_order={xo.entry_order}")
    if not isinstance(
        config.sizing, FixedQuantity | FixedNotional | PercentEquity | PercentCash | RiskPerTrade
    ):
        unsupported.append(f"sizing {config.sizing.kind}")
    if unsupported:
        raise ConfigError(
            f"strategy {name}: live trading does not support {', '.join(unsupported)}"
        )


def entry_quantity(
    config: BacktestConfig,
    instrument: Instrument,
    *,
    price: Decimal,
    equity: Decimal,
    free_quote: Decimal,
    stop: Decimal | None,
    direction: int = 1,
) -> Decimal:
    """Units an entry at ``price`` asks for: the sizing model, capped by cash, on the lot step.

    A buy never asks for more than the free quote pays with the taker fee, so
    the venue's funds check passes at submission. Zero means "cannot size"
    (no stop for risk sizing, no cash).

    Examples
    --------
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
    >>> cfg = BacktestConfig(sizing=PercentEquity(fraction=0.5))
    >>> entry_quantity(cfg, btc, price=Decimal("30000"), equity=Decimal("10000"),
    ...                free_quote=Decimal("10000"), stop=None)
    Decimal('0.16666')
    """
    sizing = config.sizing
    if price <= 0:
        return ZERO
    if isinstance(sizing, FixedQuantity):
        qty = to_decimal(sizing.qty) if sizing.qty != float("inf") else Decimal("Infinity")
    elif isinstance(sizing, FixedNotional):
        qty = to_decimal(sizing.notional) / price
    elif isinstance(sizing, PercentEquity):
        qty = to_decimal(sizing.fraction) * equity / price
    elif isinstance(sizing, PercentCash):
        fee = to_decimal(config.costs.taker_fee)
        qty = to_decimal(sizing.fraction) * free_quote / (price * (1 + fee))
    elif isinstance(sizing, RiskPerTrade):
        if stop is None or stop == price:
            return ZERO
        qty = to_decimal(sizing.risk) * equity / abs(price - stop)
    else:  # pragma: no cover - rejected by check_supported
        raise ConfigError(f"unsupported sizing {sizing!r}")
    if direction > 0:
        fee = to_decimal(config.costs.taker_fee)
        affordable = max(free_quote, ZERO) / (price * (1 + fee))
        qty = min(qty, affordable)
    qty = max(qty, ZERO)
    if instrument.qty_step > 0:
        return instrument.snap_qty(qty)
    return qty.quantize(Decimal("1e-8"), rounding=ROUND_DOWN)


def stop_level(
    config: BacktestConfig, instrument: Instrument, anchor: Decimal, direction: int
) -> Decimal | None:
    """The protective stop of a position entered at ``anchor`` (None without ``stop_loss``).

    Examples
    --------
    >>> from aitrader_core.backtest.config import Exits
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
    >>> stop_level(BacktestConfig(exits=Exits(stop_loss=0.02)), btc, Decimal("16541.77"), 1)
    Decimal('16210.93')
    """
    pct = config.exits.stop_loss
    if pct is None:
        return None
    level = float(anchor) * (1.0 - direction * pct)
    # The engine fills a stop exit at round_price(level, exit side): trigger and price match it.
    side = SELL if direction > 0 else BUY
    return _on_tick(round_price(level, side, float(instrument.price_tick)), instrument)


def target_level(
    config: BacktestConfig, instrument: Instrument, anchor: Decimal, direction: int
) -> Decimal | None:
    """The take-profit limit of a position entered at ``anchor`` (None without ``take_profit``).

    Rounded passively (a sell up, a buy down), so the limit triggers on the
    same bars as the engine's unrounded level; the engine then books the fill
    rounded the other way, up to one tick apart.

    Examples
    --------
    >>> from aitrader_core.backtest.config import Exits
    >>> btc = Instrument("BTC/USDT", "BTC", "USDT", Decimal("0.01"), Decimal("0.00001"))
    >>> target_level(BacktestConfig(exits=Exits(take_profit=0.04)), btc, Decimal("16541.77"), 1)
    Decimal('17203.45')
    """
    pct = config.exits.take_profit
    if pct is None:
        return None
    level = float(anchor) * (1.0 + direction * pct)
    side = BUY if direction > 0 else SELL  # passive: against the exit's side
    return _on_tick(round_price(level, side, float(instrument.price_tick)), instrument)


def _on_tick(value: float, instrument: Instrument) -> Decimal:
    price = to_decimal(float(value))
    return price.quantize(instrument.price_tick) if instrument.price_tick > 0 else price
