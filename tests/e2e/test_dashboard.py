"""The operator dashboard in a real browser, against the real service (simulator, replay).

The tests share one service, one Voila server and one page, and run in file
order: read-only checks first, then changes, the outage last.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from aitrader_core.ui.format import size

from .conftest import ROOT, Service, wait_until

DOCS_IMG = ROOT / "docs" / "img"
LOAD_TIMEOUT_MS = 120_000


def open_dashboard(browser: Any, url: str) -> Any:
    """A new tab on the dashboard, once its first render is on screen."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url, timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector(".ait-root", timeout=LOAD_TIMEOUT_MS)
    return page


def raws(page: Any, selector: str) -> list[str]:
    """``data-raw`` of every element matching ``selector``."""
    return list(page.eval_on_selector_all(selector, "els => els.map(e => e.dataset.raw)"))


def raw(page: Any, card: str, name: str) -> str | None:
    values = raws(page, f".ait-card-{card} [data-field={name}]")
    return values[0] if values else None


def row_keys(page: Any, table: str) -> list[str]:
    sel = f"table[data-table={table}] tbody tr[data-key]"
    return list(page.eval_on_selector_all(sel, "els => els.map(e => e.dataset.key)"))


def screenshot(page: Any, path: Path, *copies: Path) -> None:
    """The whole dashboard, toasts hidden (the page scrolls inside Voila: grow the viewport).

    ``copies`` (the README's pictures in docs/img) are written when missing or when
    ``AITRADER_DOCS_SCREENSHOTS=1``, so a test run does not dirty the work tree.
    """
    hide = page.add_style_tag(content=".ait-toasts { display: none !important; }")
    height = page.evaluate("document.querySelector('.ait-root').scrollHeight")
    page.set_viewport_size({"width": 1400, "height": int(height) + 40})
    page.evaluate("document.querySelector('.ait-root').scrollIntoView()")
    time.sleep(0.5)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1400, "height": 1000})
    hide.evaluate("el => el.remove()")
    for copy in copies:
        if not copy.exists() or os.environ.get("AITRADER_DOCS_SCREENSHOTS") == "1":
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, copy)


def set_interval(page: Any, label: str) -> None:
    page.select_option(".ait-interval select", label=label)


@pytest.fixture(scope="module")
def page(browser: Any, dashboard_url: str) -> Iterator[Any]:
    tab = open_dashboard(browser, dashboard_url)
    tab.wait_for_selector(".ait-card-balance [data-field=equity]", timeout=LOAD_TIMEOUT_MS)
    yield tab
    tab.close(run_before_unload=True)


def test_every_card_shows_what_the_api_returns(
    page: Any, service: Service, artifacts: Path
) -> None:
    balance, pnl = service.get("/live/balance"), service.get("/live/pnl")
    broker, positions = service.get("/live/broker"), service.get("/live/positions")
    orders = service.get("/live/orders", limit=100)
    trades, strategies = service.get("/live/trades", limit=500), service.get("/live/strategies")
    limits, reports = service.get("/live/limits"), service.get("/reports")
    page.click(".ait-refresh")  # the page reads after the test did (the replay is over)
    page.wait_for_timeout(1500)

    # Balance: venue, TESTNET badge, equity, assets by value, limits.
    assert raw(page, "balance", "equity") == balance["equity"]
    assert raw(page, "balance", "venue") == balance["venue"] == "sim"
    assert "TESTNET" in page.inner_text(".ait-card-balance")
    assert raws(page, ".ait-card-balance [data-field=asset]") == [
        a["asset"] for a in balance["assets"]
    ]
    for key in ("max_daily_loss", "max_trades_per_day", "max_open_positions"):
        assert raw(page, "balance", key) == str(balance["limits"][key])
    # Positions, orders, trades: the same rows in the same order.
    assert raws(page, ".ait-card-positions [data-field=symbol]") == [p["symbol"] for p in positions]
    assert raws(page, ".ait-card-positions [data-field=unrealized]") == [
        p["unrealized"] for p in positions
    ]
    assert row_keys(page, "orders") == [o["client_id"] for o in orders[:20]]
    assert raws(page, ".ait-card-orders [data-field=status]") == [o["status"] for o in orders[:20]]
    assert row_keys(page, "trades") == [t["trade_id"] for t in trades[:15]]
    # Live PnL and broker status.
    for key in ("start_of_day_equity", "equity", "realized", "unrealized", "drawdown"):
        assert raw(page, "pnl", key) == pnl[key], key
    assert raw(page, "pnl", "trades_today") == str(pnl["trades_today"])
    assert raw(page, "broker", "open_orders") == str(broker["open_orders"])
    assert raw(page, "broker", "open_positions") == str(broker["open_positions"])
    assert "connected" in page.inner_text(".ait-card-broker")
    # Header: mode and network.
    assert "PAPER" in page.inner_text(".ait-indicators")
    assert "TESTNET" in page.inner_text(".ait-indicators")
    # Limits and strategies.
    assert raw(page, "strategies", "trades_today") == str(limits["max_trades_per_day"])
    for s in strategies:
        row = page.locator(".ait-strategy-row", has_text=s["name"])
        assert row.locator(".ait-enabled input").is_checked() == s["enabled"]
        assert row.locator(".ait-risk input").input_value() == s["max_risk_fraction"]
    # Reports.
    assert raw(page, "reports", "count") == str(len(reports))
    # Market metrics: the closes' Sharpe as computed here from the API's bars.
    symbol, timeframe = strategies[0]["symbol"], strategies[0]["timeframe"]
    bars = service.get(
        "/ohlcv", symbol=symbol, timeframe=timeframe, end=broker["clock_ms"], limit=169,
        order="desc",
    )["rows"]  # fmt: skip
    closes = np.array([b["close"] for b in reversed(bars)])
    r = closes[1:] / closes[:-1] - 1
    expected = np.mean(r) / np.std(r, ddof=1) * math.sqrt(8760)
    assert float(raw(page, "metrics", "market_sharpe") or "nan") == pytest.approx(expected)
    assert raw(page, "metrics", "window") == "168"
    assert raw(page, "metrics", "ppy") == "8760.0"
    assert raw(page, "metrics", "account_sharpe_grade") in {"good", "weak", "poor", "n/a"}
    page.wait_for_selector(".ait-chart .bk-Column", timeout=30_000)  # bokeh drew the chart
    # Every card explains its fields in a tooltip.
    tips = page.eval_on_selector_all(".ait-card [data-help]", "els => els.map(e => e.title)")
    assert len(tips) == 9
    assert all(len(t) > 80 for t in tips)


def test_disabling_a_strategy_in_the_page_changes_the_api(page: Any, service: Service) -> None:
    row = page.locator(".ait-strategy-row", has_text="default-btc")
    row.locator(".ait-enabled input").uncheck()
    page.wait_for_selector(".ait-strategies-note [data-result=ok]", timeout=20_000)
    assert "default-btc saved" in page.inner_text(".ait-strategies-note")
    by_name = {s["name"]: s for s in service.get("/live/strategies")}
    assert by_name["default-btc"]["enabled"] is False
    assert by_name["default-eth"]["enabled"] is True
    row.locator(".ait-enabled input").check()
    wait_until(
        lambda: {s["name"]: s for s in service.get("/live/strategies")}["default-btc"]["enabled"],
        20,
        "default-btc enabled again",
    )


def test_a_rejected_change_shows_the_server_message(page: Any, service: Service) -> None:
    row = page.locator(".ait-strategy-row", has_text="default-eth")
    row.locator(".ait-risk input").fill("2")
    row.locator(".ait-save").click()
    page.wait_for_selector(".ait-strategies-note [data-result=error]", timeout=20_000)
    assert "less than or equal to 1" in page.inner_text(".ait-strategies-note")
    assert "less than or equal to 1" in page.inner_text(".ait-toasts")
    by_name = {s["name"]: s for s in service.get("/live/strategies")}
    assert by_name["default-eth"]["max_risk_fraction"] == "0.01"  # unchanged
    row.locator(".ait-risk input").fill("0.015")
    row.locator(".ait-save").click()
    wait_until(
        lambda: (
            {s["name"]: s for s in service.get("/live/strategies")}["default-eth"][
                "max_risk_fraction"
            ]
            == "0.015"
        ),
        20,
        "the new max risk fraction",
    )


def test_regenerate_writes_a_pdf_that_opens(page: Any, service: Service, artifacts: Path) -> None:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.fail(
            "pdftoppm is missing: `make test` installs poppler-utils (tools/system-deps.sh)"
        )
    before = {f["name"]: f["modified_ms"] for f in service.get("/reports")}
    page.click(".ait-regenerate")
    page.wait_for_selector(".ait-reports-note [data-result=ok]", timeout=90_000)
    pdfs = [f for f in service.get("/reports") if f["kind"] == "pdf"]
    newest = max(pdfs, key=lambda f: f["modified_ms"])
    assert newest["modified_ms"] > before.get(newest["name"], 0)
    link = page.locator(f".ait-card-reports a[data-kind=pdf][data-name='{newest['name']}']")
    link.wait_for(timeout=20_000)
    assert size(newest["size"]) in page.inner_text(".ait-card-reports")
    href = link.get_attribute("href")
    assert href == f"{service.url}/reports/{newest['name']}"
    pdf = artifacts / "report.pdf"
    pdf.write_bytes(httpx.get(href, timeout=30).raise_for_status().content)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    for old in artifacts.glob("report-page-*.png"):
        old.unlink()
    first_page = [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1"]
    out = str(artifacts / "report-page")
    subprocess.run([*first_page, str(pdf), out], check=True, timeout=60)  # noqa: S603
    pages = list(artifacts.glob("report-page-*.png"))
    assert len(pages) == 1
    assert pages[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pages[0].stat().st_size > 2000


def test_dark_theme_is_remembered_and_a_second_tab_has_full_data_at_once(
    page: Any, browser: Any, dashboard_url: str, service: Service, artifacts: Path
) -> None:
    screenshot(page, artifacts / "dashboard_light.png", DOCS_IMG / "dashboard_light.png")
    page.click(".ait-theme button:has-text('dark')")
    page.wait_for_selector(".ait-root.ait-dark", timeout=10_000)
    time.sleep(2)  # the chart redraws in the dark theme
    screenshot(page, artifacts / "dashboard_dark.png", DOCS_IMG / "dashboard_dark.png")
    set_interval(page, "off")  # the second tab loads with polling off: it cannot catch up later
    time.sleep(0.5)
    second = open_dashboard(browser, dashboard_url)
    try:
        assert "ait-dark" in (second.get_attribute(".ait-root", "class") or "")
        assert second.input_value(".ait-interval select") == "off"
        second.wait_for_selector(".ait-card-balance [data-field=equity]", timeout=5_000)
        assert raw(second, "balance", "equity") == service.get("/live/balance")["equity"]
        assert row_keys(second, "orders")
        assert second.locator(".ait-strategy-row").count() == 2
    finally:
        second.close(run_before_unload=True)
    page.click(".ait-theme button:has-text('light')")


def test_the_polling_control_changes_the_request_rate(page: Any, service: Service) -> None:
    time.sleep(2)  # the second tab's kernel is shut down
    set_interval(page, "2 s")
    time.sleep(1)
    start = service.requests_total("/live/status")
    time.sleep(6)
    polled = service.requests_total("/live/status") - start
    set_interval(page, "off")
    time.sleep(1)
    start = service.requests_total("/live/status")
    time.sleep(6)
    idle = service.requests_total("/live/status") - start
    assert polled >= 2
    assert idle == 0


def test_banner_while_the_service_is_down_cleared_on_restart(
    page: Any, service: Service, artifacts: Path
) -> None:
    set_interval(page, "2 s")
    banner = page.locator(".ait-banner")
    assert not banner.is_visible()
    service.stop()
    try:
        banner.wait_for(state="visible", timeout=20_000)
        assert "Service unreachable" in banner.inner_text()
        assert "ait-alarm" in (page.get_attribute(".ait-card-broker", "class") or "")
        page.screenshot(path=str(artifacts / "dashboard_unreachable.png"))
    finally:
        service.start()
    banner.wait_for(state="hidden", timeout=60_000)
    assert "connected" in page.inner_text(".ait-card-broker")


def test_every_route_and_order_path_shows_in_metrics(service: Service) -> None:
    """After the suite, one request per documented route: each one is in /metrics, and so
    are the order paths (submit latency, outcomes, risk denials), at zero or more."""
    from .conftest import TOKEN

    spec = service.http.get("/openapi.json").json()
    fill = {"{client_id}": "no-such-order", "{name}": "no-such-strategy", "{id}": "999999",
            "{name:path}": "nothing.pdf"}  # fmt: skip
    auth = {"Authorization": f"Bearer {TOKEN}"}
    templates = set()
    for template, operations in spec["paths"].items():
        url = template
        for key, value in fill.items():
            url = url.replace(key, value)
        for method in operations:
            response = service.http.request(method.upper(), url, json={}, headers=auth)
            assert response.status_code < 500, (method, template, response.text)
            templates.add(template)
    metrics = service.http.get("/metrics").text
    seen = {
        line.split('route="', 1)[1].split('"', 1)[0]
        for line in metrics.splitlines()
        if line.startswith("aitrader_http_requests_total{")
    }
    assert templates <= seen, sorted(templates - seen)
    for family in ("aitrader_orders_total", "aitrader_risk_denials_total",
                   "aitrader_order_submit_seconds"):  # fmt: skip
        assert any(line.startswith(family) for line in metrics.splitlines()), family
