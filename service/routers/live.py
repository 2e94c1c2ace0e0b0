"""The /live API: what the coordinator holds (GET) and what operators may do (token).

Every figure comes from the venue and the store, never from the request; money
is exact (decimal strings). Reads change nothing; every mutating route needs
``Authorization: Bearer <AITRADER_API_TOKEN>`` and is journaled with its actor.
"""

from __future__ import annotations

from dataclasses import asdict, is_dataclass
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.domain.market import ms_to_iso
from aitrader_core.live.state import LiveFill, LiveOrder
from service.auth import Operator
from service.deps import Core
from service.errors import ERROR_RESPONSES

router = APIRouter(prefix="/live", tags=["live"])
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERROR_RESPONSES,
    401: {"description": "Missing or invalid bearer token"},
}
Json = dict[str, Any]


def _plain(value: Any) -> Any:
    """Dataclasses, models, enums and Decimals as JSON values (Decimals as exact strings)."""
    if is_dataclass(value) and not isinstance(value, type):
        return _plain(asdict(value))
    if isinstance(value, BaseModel):
        return _plain(value.model_dump())
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, Enum):
        return value.value
    return value


def order_json(live: LiveOrder) -> Json:
    """One order as the API shows it: the order's fields, its strategy, role and times."""
    o = live.order
    return _plain(
        {
            "client_id": o.client_id,
            "venue_id": o.venue_id,
            "strategy": live.strategy,
            "role": live.role,
            "parent_id": live.parent_id,
            "symbol": o.symbol,
            "side": o.side,
            "type": o.type,
            "qty": o.qty,
            "price": o.price,
            "stop_price": o.stop_price,
            "status": o.status,
            "filled_qty": o.filled_qty,
            "avg_price": o.avg_price,
            "reason": o.reason,
            "created_ms": o.created_ms,
            "time": ms_to_iso(o.created_ms) if o.created_ms else None,
            "updated_ms": live.updated_ms,
        }
    )


def fill_json(live: LiveFill) -> Json:
    """One execution with its order ids, strategy and role."""
    f = live.fill
    return _plain(
        {
            "trade_id": f.trade_id,
            "client_id": f.client_id,
            "strategy": live.strategy,
            "role": live.role,
            "symbol": f.symbol,
            "side": f.side,
            "qty": f.qty,
            "price": f.price,
            "fee": f.fee,
            "fee_asset": f.fee_asset,
            "ts_ms": f.ts_ms,
            "time": ms_to_iso(f.ts_ms),
        }
    )


# --- reads -----------------------------------------------------------------------------------
@router.get("/status", responses=ERROR_RESPONSES)
def status(core: Core) -> Json:
    """Venue, mode, kill switch, strategies, processed bars, open and unknown orders."""
    out: Json = _plain(core.live.call(lambda c: c.status()))
    out["running"] = core.live.running
    return out


@router.get("/balance", responses=ERROR_RESPONSES)
def balance(core: Core) -> Json:
    """Equity in USDT, assets by value (stablecoins 1:1 without a price), risk limits."""
    return _plain(core.live.balance())


@router.get("/positions", responses=ERROR_RESPONSES)
def positions(core: Core) -> list[Json]:
    """Open positions per strategy: side, quantity, entry, mark, unrealised PnL."""
    return _plain(core.live.positions())


@router.get("/orders", responses=ERROR_RESPONSES)
def orders(
    core: Core,
    open_only: bool = False,
    strategy: Annotated[str | None, Query(max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Json]:
    """Orders, newest first."""
    got = core.live.call(lambda c: c.orders(open_only=open_only, strategy=strategy, limit=limit))
    return [order_json(o) for o in got]


@router.get("/trades", responses=ERROR_RESPONSES)
def trades(
    core: Core,
    strategy: Annotated[str | None, Query(max_length=48)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Json]:
    """The latest executions, newest first."""
    got = core.live.call(lambda c: c.fills(strategy=strategy))
    return [fill_json(f) for f in reversed(got[-limit:])]


@router.get("/pnl", responses=ERROR_RESPONSES)
def pnl(core: Core) -> Json:
    """Start-of-day equity, current equity, realised, unrealised, drawdown, trades today."""
    return _plain(core.live.call(lambda c: c.pnl()))


@router.get("/broker", responses=ERROR_RESPONSES)
def broker(core: Core) -> Json:
    """Connection, last error with its time, counts, feed progress."""
    return _plain(core.live.broker())


@router.get("/limits", responses=ERROR_RESPONSES)
def limits(core: Core) -> Json:
    """The account's risk limits and kill switch."""
    return _plain(core.live.call(lambda c: c.limits()))


@router.get("/strategies", responses=ERROR_RESPONSES)
def strategies(core: Core) -> list[Json]:
    """Every strategy: series, enabled, max risk fraction, max daily trades, position."""
    return [{**_plain(v), **_plain(v.control)} for v in core.live.call(lambda c: c.strategies())]


# --- actions (token) ---------------------------------------------------------------------------
class TradeRequest(BaseModel):
    """A manual order; it passes the same risk guard and journal as the strategies' orders."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    symbol: str = Field(min_length=3, max_length=32, examples=["BTC/USDT"])
    side: Literal["buy", "sell"]
    qty: Decimal = Field(gt=0, max_digits=28, allow_inf_nan=False)
    type: Literal["market", "limit", "stop", "stop_limit"] = "market"
    price: Decimal | None = Field(None, gt=0, max_digits=28, allow_inf_nan=False)
    stop: Decimal | None = Field(
        None, gt=0, max_digits=28, allow_inf_nan=False, description="stop trigger / risk level"
    )
    client_id: str | None = Field(
        None, min_length=8, max_length=36, pattern=r"^[A-Za-z0-9._:-]+$",
        description="idempotency key: the same id never places a second order",
    )  # fmt: skip


@router.post("/trade", responses=AUTH_RESPONSES, status_code=201)
def trade(core: Core, actor: Operator, request: TradeRequest) -> Json:
    """Place a manual order (denied orders come back with their reason, journaled)."""
    live = core.live.call(
        lambda c: c.manual_trade(
            request.symbol, request.side, request.qty, request.type, request.price,
            request.stop, actor=actor, client_id=request.client_id,
        )
    )  # fmt: skip
    return order_json(live)


ClientId = Annotated[str, Path(min_length=1, max_length=64)]


@router.post("/orders/{client_id}/cancel", responses=AUTH_RESPONSES)
def cancel(core: Core, actor: Operator, client_id: ClientId) -> Json:
    """Cancel an open order (an order already final comes back as it is)."""
    return order_json(core.live.call(lambda c: c.cancel(client_id, actor=actor)))


@router.post("/sync", responses=AUTH_RESPONSES)
def sync(core: Core, actor: Operator) -> Json:
    """Reconcile now: settle unknown orders, book missing fills, classify every difference
    between the store and the venue, journal each step, compensate; alerts need an operator."""
    report = core.live.reconcile(reason=f"operator {actor}")
    return {
        "actor": actor,
        "clean": report.clean,
        "discrepancies": [_plain(d) for d in report.discrepancies],
        "actions": [{"action": type(a).__name__, **_plain(a)} for a in report.actions],
        "alerts": [_plain(d) for d in report.alerts],
    }


class KillSwitch(BaseModel):
    """On: no order that adds risk leaves (exits still do). Off: back to normal."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    on: bool


@router.post("/kill-switch", responses=AUTH_RESPONSES)
def kill_switch(core: Core, actor: Operator, body: KillSwitch) -> Json:
    """Set the kill switch (journaled as an operator action)."""
    return _plain(core.live.call(lambda c: c.kill_switch(body.on, actor=actor)))


class StrategyPatch(BaseModel):
    """The fields of a strategy's control operators may change; absent ones stay."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = None
    max_risk_fraction: Decimal | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    max_daily_trades: int | None = Field(None, ge=0, le=10_000)


StrategyName = Annotated[str, Path(min_length=1, max_length=48)]


@router.patch("/strategies/{name}", responses=AUTH_RESPONSES)
def patch_strategy(core: Core, actor: Operator, name: StrategyName, body: StrategyPatch) -> Json:
    """Enable/disable a strategy or change its caps (journaled as ``config``)."""
    core.live.require_strategy(name)
    changes = body.model_dump(exclude_none=True)
    control = core.live.call(lambda c: c.set_strategy_control(name, actor=actor, **changes))
    return {"name": name, **_plain(control)}


@router.post("/strategies/{name}/flatten", responses=AUTH_RESPONSES)
def flatten(core: Core, actor: Operator, name: StrategyName) -> list[Json]:
    """Cancel the strategy's protective orders and close its position at market (journaled)."""
    core.live.require_strategy(name)
    return [order_json(o) for o in core.live.call(lambda c: c.flatten(name, actor=actor))]


class LimitsPatch(BaseModel):
    """Risk limits to change (fractions of equity; see RiskLimits); absent ones stay."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_order_notional: Decimal | None = Field(None, gt=0, allow_inf_nan=False)
    max_risk_per_trade: Decimal | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    max_daily_loss: Decimal | None = Field(None, gt=0, le=1, allow_inf_nan=False)
    max_trades_per_day: int | None = Field(None, ge=0, le=100_000)
    max_gross_exposure: Decimal | None = Field(None, gt=0, le=100, allow_inf_nan=False)
    max_symbol_exposure: Decimal | None = Field(None, gt=0, le=100, allow_inf_nan=False)
    max_open_positions: int | None = Field(None, ge=0, le=1000)


@router.patch("/limits", responses=AUTH_RESPONSES)
def patch_limits(core: Core, actor: Operator, body: LimitsPatch) -> Json:
    """Change risk limits (journaled as ``config``); the kill switch has its own route."""
    changes = body.model_dump(exclude_none=True)
    return _plain(core.live.call(lambda c: c.set_limits(actor=actor, **changes)))
