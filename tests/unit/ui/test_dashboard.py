"""The dashboard composed over a fake service: refresh, outage banner, settings, actions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from aitrader_core.ui import Dashboard, DashboardPrefs, PrefsStore
from aitrader_core.ui.snapshot import READS

from .conftest import FakeService, capture
from .html import raw, text

Make = Callable[..., Dashboard]


def card(board: Dashboard, slug: str) -> str:
    return board.card(slug).body.value


def test_one_refresh_fills_every_card_with_one_read_per_endpoint(
    make_dashboard: Make, service: FakeService
) -> None:
    board = make_dashboard()
    board.refresh()
    for key in READS:
        path = f"/live/{key}" if key != "reports" else "/reports"
        assert service.count("GET", path) == 1, key
    assert service.count("GET", "/ohlcv") == 2  # the traded symbols' bars for the metrics
    assert raw(card(board, "balance"), "equity") == [capture("balance")["equity"]]
    assert raw(card(board, "pnl"), "realized") == [capture("pnl")["realized"]]
    assert raw(card(board, "positions"), "symbol") == ["ETH/USDT"]
    assert raw(card(board, "reports"), "newest_pdf") == ["daily-2024-01-09.pdf"]
    assert "account equity" in text(card(board, "metrics"))
    assert [w for w in text(board.header.badges.value).split()[:2]] == ["PAPER", "TESTNET"]
    assert not board.banner.visible
    assert board.toasts.history == []
    assert len(board.charts) == 1  # type: ignore[attr-defined]
    board.refresh()
    assert len(board.charts) == 1  # type: ignore[attr-defined]  # same data: no redraw


def test_every_card_explains_its_fields(make_dashboard: Make) -> None:
    board = make_dashboard()
    for c in board.cards:
        assert len(c.help) > 80, c.slug
        assert 'data-help="1"' in c.head.value


def test_banner_while_unreachable_then_cleared(make_dashboard: Make, service: FakeService) -> None:
    board = make_dashboard()
    board.refresh()
    service.down = True
    board.refresh()
    assert board.banner.visible
    assert "Service unreachable" in board.banner.widget.value
    assert "ait-alarm" in board.card("broker").widget._dom_classes  # broker card turns red
    assert raw(card(board, "balance"), "equity") == [capture("balance")["equity"]]  # last data
    service.down = False
    board.refresh()
    assert not board.banner.visible
    assert "ait-alarm" not in board.card("broker").widget._dom_classes


def test_endpoint_errors_toast_the_server_message_once(
    make_dashboard: Make, service: FakeService
) -> None:
    service.answers[("GET", "/reports")] = (503, {"detail": "database unavailable"})
    board = make_dashboard()
    board.refresh()
    board.refresh()
    assert board.toasts.history == [("error", "GET /reports: 503 database unavailable")]
    assert "database unavailable" in card(board, "reports")


def test_interval_and_theme_are_remembered(make_dashboard: Make, tmp_path: Path) -> None:
    board = make_dashboard()
    assert board.prefs == DashboardPrefs()
    board.header.interval.value = 2
    board.header.theme.value = "dark"
    assert board.poller.interval == 2
    assert "ait-dark" in board.root._dom_classes
    assert "ait-light" not in board.root._dom_classes
    saved = json.loads((tmp_path / "dashboard.json").read_text())
    assert (saved["interval"], saved["theme"]) == (2, "dark")
    again = make_dashboard()
    assert (again.header.interval.value, again.header.theme.value) == (2, "dark")
    assert "ait-dark" in again.root._dom_classes


def test_broken_settings_file_gives_defaults(tmp_path: Path) -> None:
    path = tmp_path / "dashboard.json"
    path.write_text("{not json")
    assert PrefsStore(path).load() == DashboardPrefs()
    path.write_text('{"interval": 7, "theme": "dark"}')
    assert PrefsStore(path).load() == DashboardPrefs(interval=5, theme="dark")


def test_disabling_a_strategy_patches_it_with_the_token(
    make_dashboard: Make, service: FakeService
) -> None:
    board = make_dashboard()
    board.refresh()
    strategies = board.card("strategies")
    row = strategies.rows["default-btc"]  # type: ignore[attr-defined]
    row.enabled.value = False
    patch = [r for r in service.requests if r.method == "PATCH"]
    assert len(patch) == 1
    assert json.loads(patch[0].content) == {"enabled": False}
    assert service.strategies[0]["enabled"] is False
    note = strategies.note.value  # type: ignore[attr-defined]
    assert "✓ default-btc saved" in note
    assert "enabled=False" in note


def test_caps_are_saved_or_the_server_error_is_shown(
    make_dashboard: Make, service: FakeService
) -> None:
    board = make_dashboard()
    board.refresh()
    strategies = board.card("strategies")
    row = strategies.rows["default-eth"]  # type: ignore[attr-defined]
    row.risk.value = "0.02"
    row.trades.value = 7
    assert not row.save.disabled
    board.refresh()  # polling does not overwrite a row being edited
    assert (row.risk.value, row.trades.value) == ("0.02", 7)
    row.save.click()
    assert service.strategies[1]["max_risk_fraction"] == "0.02"
    assert service.strategies[1]["max_daily_trades"] == 7
    assert row.save.disabled
    message = "max_risk_fraction: Input should be less than or equal to 1"
    detail = [{"loc": ["body", "max_risk_fraction"], "msg": message.split(": ")[1]}]
    service.answers[("PATCH", "/live/strategies/default-eth")] = (422, {"detail": detail})
    row.risk.value = "2"
    row.save.click()
    assert message in strategies.note.value  # type: ignore[attr-defined]
    assert any(message in m for _, m in board.toasts.history)


def test_regenerate_posts_and_refreshes(make_dashboard: Make, service: FakeService) -> None:
    board = make_dashboard()
    board.refresh()
    reports = board.card("reports")
    reports.button.click()  # type: ignore[attr-defined]
    assert service.count("POST", "/reports/generate") == 1
    assert "✓ generated daily-2024-01-09.pdf" in reports.note.value  # type: ignore[attr-defined]
    assert service.count("GET", "/reports") == 2


def test_trades_refresh_button_reads_trades_now(make_dashboard: Make, service: FakeService) -> None:
    board = make_dashboard()
    board.refresh()
    board.card("trades").button.click()  # type: ignore[attr-defined]
    assert service.count("GET", "/live/trades") == 2
    assert service.count("GET", "/live/balance") == 1


def test_polling_follows_the_interval(make_dashboard: Make, service: FakeService) -> None:
    async def run() -> tuple[int, int]:
        board = make_dashboard(loop=asyncio.get_running_loop())
        board.poller.set_interval(0.05)
        await asyncio.sleep(0.6)
        polled = service.count("GET", "/live/status")
        board.poller.set_interval(0)
        await asyncio.sleep(0.1)
        stopped_at = service.count("GET", "/live/status")
        await asyncio.sleep(0.3)
        assert service.count("GET", "/live/status") == stopped_at
        return polled, board.poller.ticks

    polled, ticks = asyncio.run(run())
    assert polled >= 3
    assert ticks >= 3


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_theme_redraws_the_chart(make_dashboard: Make, theme: str) -> None:
    board = make_dashboard()
    board.refresh()
    board.set_theme(theme)
    charts = board.charts  # type: ignore[attr-defined]
    assert len(charts) == (1 if theme == "light" else 2)
