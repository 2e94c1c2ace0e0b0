"""Balance card: venue, TESTNET badge, equity, how each asset is valued, risk limits."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from aitrader_core.ui.card import Card, failed
from aitrader_core.ui.format import badge, dec, esc, field, kv, num, pct, qty, table
from aitrader_core.ui.snapshot import Snapshot

STABLE_NOTE = "stablecoin 1:1 (no price)"

LIMIT_LABELS: tuple[tuple[str, str, str], ...] = (
    ("max_order_notional", "max order notional", "money"),
    ("max_risk_per_trade", "max risk per trade", "pct"),
    ("max_daily_loss", "max daily loss", "pct"),
    ("max_trades_per_day", "max trades per day", "int"),
    ("max_gross_exposure", "max gross exposure", "pct"),
    ("max_symbol_exposure", "max symbol exposure", "pct"),
    ("max_open_positions", "max open positions", "int"),
)


def limit_text(kind: str, value: Any, quote: str = "USDT") -> str:
    """One risk limit as people read it (fractions as %, notional in the quote)."""
    if value is None:
        return "none"
    if kind == "pct":
        return pct(value, 1)
    if kind == "money":
        return f"{num(value, 0)} {quote}"
    return esc(value)


def venue_badges(venue: Any, testnet: Any) -> str:
    """The venue's name and a TESTNET (or MAINNET) badge."""
    net = (
        badge("TESTNET", "warn", "orders go to the exchange's sandbox")
        if testnet
        else badge("MAINNET", "bad", "real money")
    )
    return field("venue", f"<b>{esc(venue)}</b>", venue) + " " + field("testnet", net, testnet)


def amount(value: Any, is_quote: bool) -> str:
    """An asset amount: the quote currency to the cent, other assets exactly."""
    return num(value, 2) if is_quote else qty(value)


def _value(asset: dict[str, Any]) -> Decimal:
    value = dec(asset.get("value"))
    return Decimal(-1) if value is None else value  # unvalued assets last


def render_balance(data: dict[str, Any]) -> str:
    """The card's body from ``GET /live/balance``.

    Assets are sorted by value, largest first (unvalued last). Assets valued
    1:1 as stablecoins without a price are counted in equity and flagged;
    assets with no price at all are listed but not counted.
    """
    quote = str(data.get("quote") or "USDT")
    assets = sorted(
        data.get("assets") or [],
        key=lambda a: _value(a),
        reverse=True,
    )
    rows, keys = [], []
    stable = [a["asset"] for a in assets if a.get("valuation") == STABLE_NOTE]
    unpriced = [a["asset"] for a in assets if a.get("value") is None]
    for a in assets:
        note = a.get("valuation") or ""
        kind = "warn" if note == STABLE_NOTE else ("bad" if a.get("value") is None else "muted")
        rows.append(
            [
                field("asset", f"<b>{esc(a.get('asset'))}</b>", a.get("asset")),
                field("total", amount(a.get("total"), a.get("asset") == quote), a.get("total")),
                field("locked", qty(a.get("locked")), a.get("locked")),
                field("price", num(a.get("price"), 2), a.get("price")),
                field("value", num(a.get("value"), 2), a.get("value")),
                field("valuation", badge(note, kind), note),
            ]
        )
        keys.append(str(a.get("asset")))
    notes = [f"prices and values in {esc(quote)}"]
    if stable:
        notes.append(
            f"{esc(', '.join(stable))} valued 1:1 in {esc(quote)} (stablecoin, no market price)"
        )
    if unpriced:
        notes.append(f"{esc(', '.join(unpriced))}: no price, not counted in equity")
    limits = data.get("limits") or {}
    limit_items = [
        (label, field(key, limit_text(kind, limits.get(key), quote), limits.get(key)))
        for key, label, kind in LIMIT_LABELS
    ]
    if limits.get("kill_switch"):
        limit_items.append(("kill switch", badge("ON", "bad")))
    equity = field(
        "equity", f'<span class="ait-big">{num(data.get("equity"), 2)}</span>', data.get("equity")
    )
    return (
        f"<div>{venue_badges(data.get('venue'), data.get('testnet'))}</div>"
        + kv([("equity", f"{equity} {field('quote', esc(quote), quote)}")])
        + table(
            ["asset", "total", "locked", "price", "value", "valuation"],
            rows,
            name="assets",
            empty="no assets",
            row_keys=keys,
        )
        + "".join(f'<div class="ait-note ait-muted">{n}</div>' for n in notes)
        + '<div class="ait-card-sub ait-muted" style="margin-top:6px">risk limits</div>'
        + f'<div data-section="limits">{kv(limit_items)}</div>'
    )


class BalanceCard(Card):
    """Balance, equity and the account's risk limits."""

    title = "Balance"
    slug = "balance"
    help = (
        "Venue and network (TESTNET: the exchange's sandbox). Equity: the sum of asset values "
        "in the quote currency (USDT). Each asset: total (free + locked), locked in open "
        "orders, price, value and how it was valued: quote, mark (last price of ASSET/USDT), "
        "'stablecoin 1:1 (no price)' when a stablecoin has no market, 'no price' (not counted). "
        "Sorted by value. Risk limits: the guard's current caps (fractions of equity)."
    )

    def render(self, snap: Snapshot) -> str | None:
        data = snap.get("balance")
        if data is None:
            return failed(snap, "balance")
        return render_balance(data)
