"""Limits and strategies card: daily limits with usage bars; strategies edited inline.

Enabling or disabling a strategy is saved at once; its caps (max risk
fraction, max daily trades) are saved with the row's Save button. Every change
goes through ``PATCH /live/strategies/{name}`` with the token; the card shows
the server's confirmation or its error message word for word. A row being
edited is not overwritten by the polling until it is saved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ipywidgets as w

from aitrader_core.ui.card import Actions, Card, failed
from aitrader_core.ui.format import bar, dec, esc, field, qty, table
from aitrader_core.ui.snapshot import Snapshot


def _d(value: Any) -> Decimal:
    return dec(value) or Decimal(0)


def usage_rows(
    limits: dict[str, Any],
    pnl: dict[str, Any] | None,
    positions: list[dict[str, Any]] | None,
    equity: Any,
) -> list[tuple[str, str, float | None, str]]:
    """(limit, used / cap text, used fraction of the cap, raw cap) for the daily limits.

    Examples
    --------
    >>> rows = usage_rows({"max_trades_per_day": 50}, {"trades_today": 5}, [], "1000")
    >>> [(r[0], r[2]) for r in rows if r[0] == "trades today"]
    [('trades today', 0.1)]
    """
    out: list[tuple[str, str, float | None, str]] = []
    pnl = pnl or {}
    start, now = dec(pnl.get("start_of_day_equity")), dec(pnl.get("equity"))
    cap = dec(limits.get("max_daily_loss"))
    if cap is not None:
        loss = max(Decimal(0), 1 - now / start) if start and now is not None else Decimal(0)
        out.append(
            (
                "daily loss",
                f"{loss:.2%} of {cap:.1%}",
                float(loss / cap) if cap else None,
                str(limits.get("max_daily_loss")),
            )
        )
    trades_cap = limits.get("max_trades_per_day")
    if trades_cap is not None:
        done = int(pnl.get("trades_today") or 0)
        out.append(
            (
                "trades today",
                f"{done} of {trades_cap}",
                done / trades_cap if trades_cap else None,
                str(trades_cap),
            )
        )
    pos_cap = limits.get("max_open_positions")
    if pos_cap is not None:
        n = len(positions or [])
        out.append(
            ("open positions", f"{n} of {pos_cap}", n / pos_cap if pos_cap else None, str(pos_cap))
        )
    gross_cap, eq = dec(limits.get("max_gross_exposure")), dec(equity)
    if gross_cap is not None and eq:
        gross = sum(
            (abs(_d(p.get("qty")) * _d(p.get("mark"))) for p in positions or []),
            Decimal(0),
        )
        used = gross / eq
        out.append(
            (
                "gross exposure",
                f"{used:.1%} of {gross_cap:.0%} of equity",
                float(used / gross_cap),
                str(limits.get("max_gross_exposure")),
            )
        )
    return out


def render_limits(rows: list[tuple[str, str, float | None, str]], kill_switch: bool) -> str:
    """Usage bars: green below 70 % of a cap, amber below 100 %, red at the cap."""
    body = []
    for name, text, frac, cap in rows:
        f = frac or 0.0
        kind = "bad" if f >= 1 else "warn" if f >= 0.7 else "ok"
        body.append([esc(name), bar(f, kind, text), field(name.replace(" ", "_"), esc(text), cap)])
    ks = '<span class="ait-badge ait-badge-bad">KILL SWITCH ON</span>' if kill_switch else ""
    return ks + table(["daily limit", "usage", ""], body, name="limits", empty="no limit set")


class StrategyRow:
    """One strategy: enabled toggle, caps, Save; tracks whether the operator is editing."""

    def __init__(self, name: str, on_enable: Any, on_save: Any) -> None:
        self.name = name
        self.label = w.HTML(f"<b>{esc(name)}</b>")
        self.series = w.HTML()
        self.position = w.HTML()
        self.enabled = w.Checkbox(description="enabled", indent=False)
        self.risk = w.Text(placeholder="0..1", continuous_update=True)
        self.trades = w.IntText()
        self.save = w.Button(description="Save", icon="save", disabled=True)
        self.dirty = False
        self.data: dict[str, Any] = {}
        self._updating = False
        for widget, cls in (
            (self.enabled, "ait-enabled"),
            (self.risk, "ait-risk"),
            (self.trades, "ait-trades"),
            (self.save, "ait-save"),
        ):
            widget.add_class(cls)
        for cell in (self.label, self.series, self.position, self.risk, self.trades):
            cell.layout.width = "130px"
        self.enabled.layout.width = "90px"
        self.save.layout.width = "90px"
        self.widget = w.HBox(
            [
                self.label,
                self.series,
                self.position,
                self.enabled,
                self.risk,
                self.trades,
                self.save,
            ]
        )
        self.widget.add_class("ait-strategy-row")
        self.enabled.observe(lambda ch: None if self._updating else on_enable(self), "value")
        self.risk.observe(lambda ch: self._edited(), "value")
        self.trades.observe(lambda ch: self._edited(), "value")
        self.save.on_click(lambda _: on_save(self))

    def _edited(self) -> None:
        if not self._updating:
            self.dirty = True
            self.save.disabled = False
            self.save.button_style = "primary"

    def show(self, data: dict[str, Any], *, force: bool = False) -> None:
        """Display the server's values (kept while the operator edits, unless ``force``)."""
        self.data = data
        self._updating = True
        try:
            self.series.value = field(
                "series", esc(f"{data.get('symbol')} {data.get('timeframe')}")
            )
            self.position.value = "position " + field(
                "position", qty(data.get("position")), data.get("position")
            )
            self.enabled.value = bool(data.get("enabled"))
            if force or not self.dirty:
                self.risk.value = str(data.get("max_risk_fraction") or "")
                self.trades.value = int(data.get("max_daily_trades") or 0)
                self.dirty = False
                self.save.disabled = True
                self.save.button_style = ""
        finally:
            self._updating = False

    def changes(self) -> dict[str, Any]:
        """The caps as typed (the server validates them)."""
        return {"max_risk_fraction": self.risk.value.strip(), "max_daily_trades": self.trades.value}


class StrategiesCard(Card):
    """Daily limits and their usage; strategies with inline controls."""

    title = "Limits and strategies"
    slug = "strategies"
    wide = True
    help = (
        "Daily limits with usage: today's loss from the start-of-day equity against the max "
        "daily loss, trades today against the max per day, open positions against the max, "
        "gross exposure (Σ|quantity × mark| / equity) against the max (green < 70 %, amber, "
        "red at the cap). Strategies: series, position, enabled (saved on click), max risk "
        "fraction of equity per trade and max daily trades (saved with Save), through "
        "PATCH /live/strategies/{name} with the API token."
    )

    def __init__(self, actions: Actions) -> None:
        self.actions = actions
        self.rows: dict[str, StrategyRow] = {}
        self.table = w.VBox()
        self.note = w.HTML()
        self.note.add_class("ait-strategies-note")
        self.saves = 0
        super().__init__()

    def extra_bottom(self) -> list[w.Widget]:
        header = w.HTML(
            '<div class="ait-muted" style="display:flex;gap:6px">'
            + "".join(
                f'<span style="width:{px}px">{h}</span>'
                for h, px in (
                    ("strategy", 130),
                    ("series", 130),
                    ("position", 130),
                    ("", 90),
                    ("max risk fraction", 130),
                    ("max daily trades", 130),
                )
            )
            + "</div>"
        )
        return [header, self.table, self.note]

    def render(self, snap: Snapshot) -> str | None:
        strategies = snap.get("strategies")
        if strategies is not None:
            self._show_rows(strategies)
        limits = snap.get("limits")
        if limits is None:
            return failed(snap, "limits")
        balance = snap.get("balance") or {}
        rows = usage_rows(limits, snap.get("pnl"), snap.get("positions"), balance.get("equity"))
        return render_limits(rows, bool(limits.get("kill_switch"))) + (
            failed(snap, "strategies") or ""
        )

    def _show_rows(self, strategies: list[dict[str, Any]]) -> None:
        names = [str(s["name"]) for s in strategies]
        if names != list(self.rows):
            self.rows = {
                n: self.rows.get(n) or StrategyRow(n, self._enable, self._save) for n in names
            }
            self.table.children = [r.widget for r in self.rows.values()]
        for s in strategies:
            self.rows[str(s["name"])].show(s)

    # -- actions -------------------------------------------------------------------------------
    def _enable(self, row: StrategyRow) -> None:
        self._patch(row, {"enabled": bool(row.enabled.value)})

    def _save(self, row: StrategyRow) -> None:
        self._patch(row, row.changes())

    def _patch(self, row: StrategyRow, changes: dict[str, Any]) -> None:
        client = self.actions.client
        what = ", ".join(f"{k} → {v}" for k, v in changes.items())
        self.note.value = (
            f'<span class="ait-note ait-muted">saving {esc(row.name)}: {esc(what)}…</span>'
        )

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.note.value = (
                    f'<span class="ait-note ait-note-bad" data-result="error">✗ {esc(row.name)} '
                    f"not saved: {esc(error)}</span>"
                )
                self.actions.notify(f"{row.name} not saved: {error}", "error")
                self.actions.refresh()  # show the server's values again
                return
            self.saves += 1
            row.show({**row.data, **result}, force=True)
            state = ", ".join(
                f"{k}={result.get(k)}" for k in ("enabled", "max_risk_fraction", "max_daily_trades")
            )
            self.note.value = (
                f'<span class="ait-note ait-note-ok" data-result="ok">✓ {esc(row.name)} saved: '
                f"{esc(what)} (server: {esc(state)})</span>"
            )
            self.actions.notify(f"{row.name} saved", "ok")

        self.actions.background(lambda: client.patch_strategy(row.name, changes), done)
