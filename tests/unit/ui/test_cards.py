"""Each card renders the service's captured JSON: the values shown are the API's values."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest

from aitrader_core.backtest.metrics import annual_volatility, periods_per_year, sharpe
from aitrader_core.ui.balance import render_balance
from aitrader_core.ui.broker import render_broker
from aitrader_core.ui.figures import MetricThresholds, account_equity, market_closes
from aitrader_core.ui.orders import render_orders
from aitrader_core.ui.pnl import render_pnl
from aitrader_core.ui.positions import render_positions
from aitrader_core.ui.reports import render_reports
from aitrader_core.ui.strategies import render_limits, usage_rows
from aitrader_core.ui.trades import render_trades

from .conftest import capture
from .html import parse, raw, text


def test_balance_shows_equity_venue_testnet_assets_by_value_and_limits() -> None:
    data = capture("balance")
    html = render_balance(data)
    assert raw(html, "equity") == [data["equity"]]
    assert raw(html, "venue") == ["sim"]
    assert raw(html, "testnet") == ["True"]
    assert "TESTNET" in text(html)
    values = [Decimal(v) for v in raw(html, "value")]
    assert values == sorted(values, reverse=True)
    assert raw(html, "asset") == [a["asset"] for a in data["assets"]]
    for key in ("max_daily_loss", "max_trades_per_day", "max_open_positions"):
        assert raw(html, key) == [str(data["limits"][key])]
    assert "5.0%" in text(html)  # max daily loss 0.05 as a percentage


def test_balance_flags_stablecoins_valued_without_a_price_and_unpriced_assets() -> None:
    data = capture("balance_stablecoin")
    html = render_balance(data)
    assert raw(html, "asset") == ["USDT", "ETH", "USDC", "XYZ"]  # by value, unvalued last
    assert "stablecoin 1:1 (no price)" in raw(html, "valuation")
    assert "USDC valued 1:1 in USDT (stablecoin, no market price)" in text(html)
    assert "XYZ: no price, not counted in equity" in text(html)
    assert raw(html, "equity") == ["10297.3343271314"]


def test_mainnet_is_flagged() -> None:
    html = render_balance({**capture("balance"), "testnet": False})
    assert "MAINNET" in text(html)
    assert "TESTNET" not in text(html)


def test_positions_colour_side_and_unrealised_pnl() -> None:
    rows = capture("positions")
    html = render_positions(rows)
    p = parse(html)
    assert p.fields["symbol"] == [r["symbol"] for r in rows]
    assert p.fields["unrealized"] == [r["unrealized"] for r in rows]
    assert p.fields["entry"] == [r["entry"] for r in rows]
    assert p.fields["mark"] == [r["mark"] for r in rows]
    assert p.classes["side"] == ["ait-pos"]  # long
    assert p.classes["unrealized"] == ["ait-pos"]  # a gain
    short = render_positions([{**rows[0], "side": "short", "unrealized": "-5"}])
    assert parse(short).classes["side"] == ["ait-neg"]
    assert parse(short).classes["unrealized"] == ["ait-neg"]
    assert "no open position" in text(render_positions([]))


def test_orders_show_status_badges_and_fill_progress() -> None:
    rows = capture("orders")
    html = render_orders(rows)
    p = parse(html)
    assert p.rows == [r["client_id"] for r in rows[:20]]
    assert p.fields["status"] == [r["status"] for r in rows[:20]]
    fills = dict(zip(p.rows, p.fields["fill"], strict=True))
    for r in rows[:20]:
        expected = Decimal(r["filled_qty"]) / Decimal(r["qty"])
        assert float(fills[r["client_id"]]) == pytest.approx(float(expected), abs=1e-4)
    assert "open" in p.fields["status"] or "filled" in p.fields["status"]


def test_pnl_shows_every_figure() -> None:
    data = capture("pnl")
    p = parse(render_pnl(data))
    for key in ("start_of_day_equity", "equity", "realized", "unrealized", "drawdown"):
        assert p.fields[key] == [data[key]]
    assert p.fields["trades_today"] == [str(data["trades_today"])]
    assert p.classes["realized"] == ["ait-neg"]
    assert p.classes["unrealized"] == ["ait-pos"]


def test_broker_shows_connection_counts_and_last_error() -> None:
    data = capture("broker")
    html = render_broker(data)
    p = parse(html)
    assert p.fields["open_orders"] == [str(data["open_orders"])]
    assert p.fields["open_positions"] == [str(data["open_positions"])]
    assert "connected" in text(html)
    down = render_broker(
        {**data, "connected": False, "last_error": "ExchangeError: timeout",
         "last_error_ms": 1704916800000}
    )  # fmt: skip
    assert "DISCONNECTED" in text(down)
    assert "ExchangeError: timeout at 2024-01-10 20:00:00 UTC" in text(down)
    gone = render_broker(data, unreachable="service unreachable: refused")
    assert "SERVICE UNREACHABLE" in text(gone)


def test_trades_show_side_order_status_and_ids() -> None:
    fills, orders = capture("trades"), capture("orders")
    html = render_trades(fills, orders)
    p = parse(html)
    assert p.rows == [f["trade_id"] for f in fills[:15]]
    assert p.fields["client_id"] == [f["client_id"] for f in fills[:15]]
    by_id = {o["client_id"]: o["status"] for o in orders}
    assert p.fields["status"] == [by_id.get(f["client_id"], "") for f in fills[:15]]
    assert p.fields["status"][0] == "filled"
    assert p.classes["side"][0] == ("ait-pos" if fills[0]["side"] == "buy" else "ait-neg")


def test_limits_usage_from_pnl_positions_and_equity() -> None:
    limits, pnl = capture("limits"), capture("pnl")
    positions, balance = capture("positions"), capture("balance")
    rows = {r[0]: r for r in usage_rows(limits, pnl, positions, balance["equity"])}
    assert rows["trades today"][2] == pnl["trades_today"] / limits["max_trades_per_day"]
    assert rows["open positions"][2] == len(positions) / limits["max_open_positions"]
    gross = Decimal(positions[0]["qty"]) * Decimal(positions[0]["mark"])
    assert rows["gross exposure"][2] == pytest.approx(
        float(gross / Decimal(balance["equity"]) / Decimal(limits["max_gross_exposure"]))
    )
    assert rows["daily loss"][2] == 0.0  # equity is above the start of the day
    losing = {**pnl, "equity": str(Decimal(pnl["start_of_day_equity"]) * Decimal("0.97"))}
    loss = {r[0]: r for r in usage_rows(limits, losing, [], balance["equity"])}["daily loss"]
    assert loss[2] == pytest.approx(0.6)  # 3 % of a 5 % limit
    html = render_limits(list(rows.values()), kill_switch=True)
    assert "KILL SWITCH ON" in text(html)


def test_reports_link_the_newest_pdf_and_its_csvs() -> None:
    files = capture("reports")
    html = render_reports(files, lambda name: f"http://svc/reports/{name}")
    p = parse(html)
    assert p.fields["newest_pdf"] == ["daily-2024-01-09.pdf"]
    assert sorted(p.fields["newest_csv"]) == [
        "daily-2024-01-09-pnl.csv",
        "daily-2024-01-09-trades.csv",
    ]
    assert 'href="http://svc/reports/daily-2024-01-09.pdf"' in html
    assert "38.9 KB" in text(html)  # 39884 bytes
    assert "none yet" in text(render_reports([], str))


def test_market_metrics_are_the_metrics_module_on_the_closes() -> None:
    rows = capture("ohlcv_BTCUSDT_1h")["rows"]
    closes = market_closes(rows, 168)
    assert len(closes) == 169
    assert closes.index.is_monotonic_increasing
    r = closes.pct_change().dropna().to_numpy()
    ppy = periods_per_year("1h")
    assert ppy == 8760.0
    assert sharpe(r, ppy) == pytest.approx(np.mean(r) / np.std(r, ddof=1) * math.sqrt(ppy))
    assert annual_volatility(r, ppy) == pytest.approx(np.std(r, ddof=1) * math.sqrt(ppy))


def test_account_equity_ends_at_the_balance_equity_at_the_last_close() -> None:
    bars = {
        "BTC/USDT": capture("ohlcv_BTCUSDT_1h")["rows"],
        "ETH/USDT": capture("ohlcv_ETHUSDT_1h")["rows"],
    }
    balance = capture("balance")
    frame = account_equity(capture("trades"), balance, bars, "1h", 168)
    assert len(frame) == 169
    # The last point values today's holdings at the last close: the balance's equity
    # uses the latest mark, which is that close (the replay is done).
    assert frame["equity"].iloc[-1] == pytest.approx(float(balance["equity"]), rel=1e-9)
    assert (frame["drawdown"] <= 0).all()


def test_thresholds_grade_good_weak_poor() -> None:
    t = MetricThresholds(sharpe_good=2, sharpe_weak=1, vol_good=0.3, vol_weak=0.5)
    assert [t.sharpe_grade(x) for x in (2.5, 1.5, 0.5, math.nan)] == ["good", "weak", "poor", "n/a"]
    assert [t.vol_grade(x) for x in (0.2, 0.4, 0.9)] == ["good", "weak", "poor"]
