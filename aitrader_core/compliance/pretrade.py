"""Pre-trade compliance: rules an order must pass, beside the risk guard, before it leaves.

The risk guard protects the account (exposure, loss, risk per trade); these
checks protect against orders nobody should send: a restricted symbol, a
fat-finger size or price, an order too large for the market, one outside the
trading hours, or a new position without a sensible stop. Each denial names its
rule and reason, with the same :class:`~aitrader_core.risk.guard.Decision` the
guard returns, and :func:`journal_decision` writes it to the journal.

Market inputs (:class:`MarketContext`) come from the store and the broker, never
from the client. A configured check whose input is missing denies (fails
closed): no last trade price means no price band, hence no order.

Reducing orders (``reducing=True``: they only shrink an existing position) pass
the restricted list, the trading windows and the stop rule, so an operator can
always flatten; size, price band and volume share still apply to them, since a
fat-finger close is as harmful as a fat-finger open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from aitrader_core.compliance.journal import Journal, Record
from aitrader_core.domain.market import normalize_symbol
from aitrader_core.domain.orders import Side
from aitrader_core.errors import ValidationError
from aitrader_core.risk.guard import ALLOW, Decision, Proposal

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
Fraction = Annotated[Decimal, Field(gt=0, le=1)]


class TradingWindow(BaseModel):
    """Hours (UTC) when new risk may be taken: ``days`` 0 = Monday … 6 = Sunday.

    ``start`` is inclusive and ``end`` exclusive, as ``"HH:MM"`` (``end`` may be
    ``"24:00"``). A window whose ``end`` is earlier than its ``start`` runs
    overnight: it opens on each listed day and closes on the following day.

    Examples
    --------
    >>> w = TradingWindow(days=[4], start="22:00", end="02:00")  # Friday night
    >>> w.contains(4, 23 * 60), w.contains(5, 60), w.contains(5, 23 * 60)
    (True, True, False)
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: frozenset[Annotated[int, Field(ge=0, le=6)]] = Field(min_length=1)
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not _HHMM.match(value):
            raise ValueError(f"{value!r} is not a time of day as HH:MM (00:00 to 24:00)")
        return value

    @model_validator(mode="after")
    def _not_empty(self) -> TradingWindow:
        if self.start == "24:00":
            raise ValueError("start must be before 24:00")
        if self.start == self.end:
            raise ValueError(f"start {self.start} equals end {self.end}: use 00:00-24:00")
        return self

    def contains(self, weekday: int, minute: int) -> bool:
        """Whether minute-of-day ``minute`` of ``weekday`` (0 = Monday) is inside."""
        start, end = _minutes(self.start), _minutes(self.end)
        if start < end:
            return weekday in self.days and start <= minute < end
        return (weekday in self.days and minute >= start) or (
            (weekday - 1) % 7 in self.days and minute < end
        )


class PretradeConfig(BaseModel):
    """Which pre-trade rules apply and their thresholds; ``None`` switches one off.

    Fractions are shares (``0.05`` = 5 %): ``price_band`` of the last trade
    price, ``max_volume_share`` of the base volume traded in the last
    ``volume_bars`` bars, ``min_stop_distance`` of the order price.

    Examples
    --------
    >>> PretradeConfig(restricted_symbols={"lunausdt"}).restricted_symbols
    frozenset({'LUNA/USDT'})
    >>> from pydantic import ValidationError as Invalid
    >>> try:
    ...     PretradeConfig(price_band="1.5")
    ... except Invalid as exc:
    ...     print(exc.errors()[0]["loc"], exc.errors()[0]["msg"])
    ('price_band',) Input should be less than or equal to 1
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    restricted_symbols: frozenset[str] = frozenset()
    max_order_notional: Decimal | None = Field(default=None, gt=0)
    price_band: Fraction | None = None
    max_volume_share: Fraction | None = None
    volume_bars: int = Field(default=24, ge=1, description="bars summed into recent_volume")
    trading_windows: tuple[TradingWindow, ...] = ()
    min_stop_distance: Annotated[Decimal, Field(gt=0, lt=1)] | None = None

    @field_validator("restricted_symbols", mode="before")
    @classmethod
    def _symbols(cls, value: object) -> frozenset[str]:
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise ValueError("must be a list of symbols such as ['BTC/USDT']")
        try:
            return frozenset(normalize_symbol(s) for s in value)
        except ValidationError as exc:
            raise ValueError(exc.message) from None


@dataclass(frozen=True)
class MarketContext:
    """What the market looks like at decision time (from the store or the broker)."""

    last_trade_price: Decimal | None
    recent_volume: Decimal | None  # base units traded over the configured window
    now_ms: int


class PretradeCheck:
    """Checks proposals against a :class:`PretradeConfig`; the first failing rule decides.

    Examples
    --------
    >>> check = PretradeCheck(PretradeConfig(price_band=Decimal("0.05")))
    >>> ctx = MarketContext(Decimal("100"), None, 1_704_067_200_000)
    >>> order = Proposal("s", "BTC/USDT", Side.BUY, Decimal("1"), Decimal("110"))
    >>> check.check(order, ctx).reason
    'price 110 is 10% from the last trade 100, band 0.05'
    >>> check.check(order, MarketContext(Decimal("108"), None, 1_704_067_200_000)).allowed
    True
    """

    def __init__(self, config: PretradeConfig) -> None:
        self.config = config

    def check(self, p: Proposal, ctx: MarketContext, *, reducing: bool = False) -> Decision:
        """Allow or deny ``p``; ``reducing`` orders may flatten outside the windows."""
        cfg = self.config
        if p.qty <= 0 or p.price <= 0:
            return Decision(False, "input", "quantity and price must be positive")
        if not reducing and _canonical(p.symbol) in cfg.restricted_symbols:
            return Decision(False, "restricted_symbol", f"{p.symbol} is restricted")
        notional = p.qty * p.price
        if cfg.max_order_notional is not None and notional > cfg.max_order_notional:
            return Decision(
                False,
                "max_order_notional",
                f"order notional {notional} exceeds the limit {cfg.max_order_notional}",
            )
        for decision in (_band(cfg, p, ctx), _volume(cfg, p, ctx)):
            if decision is not None:
                return decision
        if reducing:
            return ALLOW
        if cfg.trading_windows and not _in_windows(cfg.trading_windows, ctx.now_ms):
            when = datetime.fromtimestamp(ctx.now_ms // 1000, tz=UTC)
            return Decision(
                False,
                "trading_window",
                f"{when:%a %H:%M} UTC is outside the trading windows; only reducing orders pass",
            )
        return _stop(cfg, p) or ALLOW


def journal_decision(
    journal: Journal, proposal: Proposal, decision: Decision, *, source: str = "pretrade"
) -> Record:
    """Append a ``decision`` record: the rule, the reason and the proposal (exact amounts).

    Examples
    --------
    >>> from aitrader_core.clock import ReplayClock
    >>> from aitrader_core.store import make_engine, upgrade
    >>> engine = make_engine("sqlite://"); upgrade(engine)
    >>> p = Proposal("s", "BTC/USDT", Side.BUY, Decimal("0.10"), Decimal("100"))
    >>> record = journal_decision(Journal(engine, ReplayClock(0)), p,
    ...                           Decision(False, "restricted_symbol", "BTC/USDT is restricted"))
    >>> record.kind, record.actor, record.payload["rule"], record.payload["proposal"]["qty"]
    ('decision', 'pretrade', 'restricted_symbol', '0.10')
    """
    payload = {
        "source": source,
        "allowed": decision.allowed,
        "rule": decision.rule,
        "reason": decision.reason,
        "proposal": {
            "strategy": proposal.strategy,
            "symbol": proposal.symbol,
            "side": proposal.side.value,
            "qty": str(proposal.qty),
            "price": str(proposal.price),
            "stop_price": None if proposal.stop_price is None else str(proposal.stop_price),
        },
    }
    return journal.append("decision", payload, actor=source)


def _band(cfg: PretradeConfig, p: Proposal, ctx: MarketContext) -> Decision | None:
    if cfg.price_band is None:
        return None
    last = ctx.last_trade_price
    if last is None or last <= 0:
        return Decision(False, "price_band", "no last trade price to check the price band")
    if abs(p.price - last) > cfg.price_band * last:
        off = (abs(p.price - last) / last * 100).normalize()
        return Decision(
            False,
            "price_band",
            f"price {p.price} is {off:f}% from the last trade {last}, band {cfg.price_band}",
        )
    return None


def _volume(cfg: PretradeConfig, p: Proposal, ctx: MarketContext) -> Decision | None:
    if cfg.max_volume_share is None:
        return None
    if ctx.recent_volume is None:
        return Decision(False, "volume_share", "no recent volume to check the order size")
    cap = cfg.max_volume_share * ctx.recent_volume
    if p.qty > cap:
        return Decision(
            False,
            "volume_share",
            f"quantity {p.qty} exceeds {cfg.max_volume_share} of the recent volume "
            f"{ctx.recent_volume} ({cfg.volume_bars} bars)",
        )
    return None


def _stop(cfg: PretradeConfig, p: Proposal) -> Decision | None:
    if cfg.min_stop_distance is None:
        return None
    if p.stop_price is None:
        return Decision(False, "stop_distance", "an order that opens risk must carry a stop")
    distance = (p.price - p.stop_price) * p.side.sign  # a buy's stop sits below its price
    if distance <= 0:
        where = "below" if p.side is Side.BUY else "above"
        return Decision(False, "stop_distance", f"a {p.side} stop must sit {where} the price")
    if distance < cfg.min_stop_distance * p.price:
        return Decision(
            False,
            "stop_distance",
            f"stop {p.stop_price} is {distance} from the price {p.price}, "
            f"less than {cfg.min_stop_distance} of it",
        )
    return None


def _in_windows(windows: tuple[TradingWindow, ...], now_ms: int) -> bool:
    when = datetime.fromtimestamp(now_ms // 1000, tz=UTC)
    minute = when.hour * 60 + when.minute
    return any(w.contains(when.weekday(), minute) for w in windows)


def _canonical(symbol: str) -> str:
    # "btcusdt" must not slip past a restriction on "BTC/USDT"
    try:
        return normalize_symbol(symbol)
    except ValidationError:
        return symbol


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)
