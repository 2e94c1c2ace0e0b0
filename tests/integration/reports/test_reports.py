"""Daily reports of the paper coordinator trading real replayed candles: CSV, PDF, API, CLI.

The PDF is checked the way a reader sees it: rendered by poppler (``pdftoppm``)
and read back with ``pdftotext -bbox``, whose word boxes must never overlap on
a page (the earlier codebase printed every line of a page at the same height).
"""

from __future__ import annotations

import csv
import html
import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aitrader_core.app import App
from aitrader_core.app.reports import ReportDesk
from aitrader_core.cli.report import report_cli
from aitrader_core.compliance import VerifyReport
from aitrader_core.domain.orders import Fill, Side
from aitrader_core.errors import ValidationError
from aitrader_core.reports import DailyInputs, build_daily, day_window, find_font, render_pdf
from aitrader_core.risk import RiskLimits
from aitrader_core.settings import Settings
from service.app import create_app
from service.routers import reports
from tests.conftest import SAMPLE

TOKEN = "test-token-0123456789"  # noqa: S105 - a test token
AUTH = {"Authorization": f"Bearer {TOKEN}"}
# The paper config replays from 2023-09-01 00:00; its first trades are on 2023-09-04.
# 98 bars later the clock reads 2023-09-05 02:00: the last complete day is 2023-09-04.
STEPS = 24 * 4 + 2


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(
            f"{name} is not installed: `make test` installs it (Debian package `poppler-utils`) "
            "through tools/system-deps.sh; run that script as root, or "
            "`sudo apt-get install -y poppler-utils`",
            pytrace=False,
        )
    return path


@pytest.fixture(autouse=True)
def _unicode_font() -> None:
    if find_font() is None:
        pytest.fail(
            "no DejaVu Sans font on this machine (reports fall back to ASCII): "
            "`sudo apt-get install -y fonts-dejavu-core`",
            pytrace=False,
        )


@pytest.fixture
def core(db_url: str, tmp_path: Path) -> Iterator[App]:
    settings = Settings(home=tmp_path, db_url=db_url, api_token=TOKEN, _env_file=None)
    app = App.from_settings(settings)
    app.upgrade_db()
    for pair, name in (("BTC/USDT", "BTCUSDT"), ("ETH/USDT", "ETHUSDT")):
        frame = pd.read_csv(SAMPLE / f"{name}_1h_20230101_20240110.csv.gz")
        window = frame[(frame["timestamp"] >= "2023-07-01") & (frame["timestamp"] < "2023-10-01")]
        app.store_candles("binance", pair, "1h", window)
    yield app
    app.live.stop()
    app.close()


# --- reading PDFs back ----------------------------------------------------------------------------

_PAGE = re.compile(r"<page [^>]*>(.*?)</page>", re.S)
_WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)


def pdf_words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Every page's words with their boxes (points), as poppler lays the text out."""
    out = subprocess.run(  # noqa: S603 - poppler on our own file
        [_tool("pdftotext"), "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [
        [(float(a), float(b), float(c), float(d), html.unescape(w)) for a, b, c, d, w in
         _WORD.findall(page)]
        for page in _PAGE.findall(out)
    ]  # fmt: skip


def overprinted(page: list[tuple[float, float, float, float, str]]) -> list[tuple[str, str]]:
    """Pairs of words whose boxes overlap (by more than half a point each way)."""
    clashes = []
    words = sorted(page, key=lambda w: w[1])
    for i, (x0, y0, x1, y1, text) in enumerate(words):
        for u0, v0, u1, v1, other in words[i + 1 :]:
            if v0 >= y1 - 0.5:
                break
            if min(x1, u1) - max(x0, u0) > 0.5 and min(y1, v1) - max(y0, v0) > 0.5:
                clashes.append((text, other))
    return clashes


def pdf_text(pdf: Path) -> str:
    return subprocess.run(  # noqa: S603
        [_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def first_page_png(pdf: Path, out: Path) -> Path:
    subprocess.run(  # noqa: S603
        [_tool("pdftoppm"), "-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf),
         str(out.with_suffix(""))],
        check=True, capture_output=True,
    )  # fmt: skip
    return out


def test_the_overprint_check_catches_lines_at_one_height() -> None:
    same_line = [(10.0, 100.0, 60.0, 110.0, "first"), (12.0, 100.0, 50.0, 110.0, "second")]
    next_line = [(10.0, 100.0, 60.0, 110.0, "first"), (10.0, 114.0, 60.0, 124.0, "second")]
    assert overprinted(same_line) == [("first", "second")]
    assert overprinted(next_line) == []


# --- the report of a traded day -------------------------------------------------------------------


def test_daily_report_of_paper_trading(core: App, tmp_path: Path) -> None:
    for _ in range(STEPS):
        core.live.step()
    desk = ReportDesk(core.settings, core)
    written = desk.daily()
    assert written.day == "2023-09-04"
    assert written.window.complete
    window = written.window
    expected = [f for f in core.live.call(lambda c: c.fills())
                if window.start_ms <= f.fill.ts_ms < window.end_ms]  # fmt: skip
    assert len(expected) >= 2  # the day traded

    with written.csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    got = [(r["trade_id"], r["client_id"], r["strategy"], r["role"], r["side"], r["qty"],
            r["price"], r["fee"], int(r["ts_ms"])) for r in rows]  # fmt: skip
    want = [(f.fill.trade_id, f.fill.client_id, f.strategy, f.role.value, f.fill.side.value,
             format(f.fill.qty, "f"), format(f.fill.price, "f"), format(f.fill.fee, "f"),
             f.fill.ts_ms) for f in expected]  # fmt: skip
    assert got == want

    with written.pnl_csv.open(newline="") as fh:
        days = {r["day"]: r for r in csv.DictReader(fh)}
    assert list(days)[-1] == "2023-09-04"
    assert Decimal(days["2023-09-04"]["start_equity"]) == core.settings.sim_start_balance
    assert int(days["2023-09-04"]["fills"]) == len(expected)
    # the guard's own start-of-day equity (read from the venue at the day's first bar)
    counter = core.live.call(lambda c: c.state.day("2023-09-04"))
    assert written.report.summary.start_equity == counter.start_of_day_equity
    assert written.report.journal.ok

    png = first_page_png(written.pdf, tmp_path / "page1.png")
    assert png.stat().st_size > 5_000
    text = pdf_text(written.pdf)
    for needle in ("daily report 2023-09-04", "2023-09-04 00:00 → 2023-09-05 00:00 UTC",
                   "✓ Journal verified", "Trades today ≤ max_trades_per_day",
                   expected[0].fill.trade_id, "Sharpe (annualised)"):  # fmt: skip
        assert needle in text, needle
    pages = pdf_words(written.pdf)
    assert pages
    assert all(overprinted(page) == [] for page in pages)

    # the day so far ends at the clock, at the venue's own equity to the last decimal
    today = desk.daily("2023-09-05").report
    assert not today.window.complete
    assert today.summary.end_equity == core.live.balance()["equity"]


def _inputs(n: int, journal: VerifyReport) -> DailyInputs:
    """A hand-built day of ``n`` round trips, for layout checks without a coordinator."""
    start = 1_693_785_600_000  # 2023-09-04 00:00 UTC
    window = day_window("2023-09-04", start + 86_400_000)
    fills = []
    for i in range(n):
        ts = start + i * 86_400_000 // (n + 1)
        side = Side.BUY if i % 2 == 0 else Side.SELL
        price = Decimal(26_000 + (i % 7) * 11)
        fill = Fill(f"ait-{i:032x}", f"sim-{i}-1", "BTC/USDT", side, Decimal("0.01"), price,
                    price * Decimal("0.00001"), "USDT", ts)  # fmt: skip
        role = "entry" if side is Side.BUY else "exit"
        fills.append(_LiveFill(fill, "strategy-é≤λ-with-a-very-long-name", role))
    closes = pd.Series([26_000.0 + i for i in range(25)],
                       index=[start - 3_600_000 + i * 3_600_000 for i in range(25)])  # fmt: skip
    return DailyInputs(
        window=window,
        period_start_ms=window.start_ms,
        fills=fills,
        closes={"BTC/USDT": closes},
        timeframe="1h",
        start={"USDT": Decimal(10_000)},
        limits=RiskLimits(),
        journal=journal,
        venue="sim",
        mode="paper",
        generated_ms=window.end_ms,
    )


class _LiveFill:
    def __init__(self, fill: Fill, strategy: str, role: str) -> None:
        self.fill, self.strategy, self.role = fill, strategy, role


def test_long_tables_break_pages_and_repeat_their_header(tmp_path: Path) -> None:
    broken = VerifyReport(False, 120, "ab" * 32, 17, "hash of record 17 does not match")
    report = build_daily(_inputs(150, broken))
    assert len(report.trades) == 150
    assert report.limits[0].text == "75 of 50"  # entries counted from the fills: over the limit
    pdf = render_pdf(report, tmp_path / "long.pdf")
    pages = pdf_words(pdf)
    assert len(pages) >= 4
    for number, page in enumerate(pages, 1):
        assert overprinted(page) == [], number
        words = [w[4] for w in page]
        if number > 1:  # every page the trades run onto starts with their header
            assert "Trade" in words, number
            assert "Price" in words, number
    text = pdf_text(pdf)
    assert "✗ Journal BROKEN at record 17: hash of record 17 does not match" in text
    assert "strategy-é≤λ" in text  # Unicode (cut with "…" to its column)
    assert "75 of 50" in text


def test_without_a_unicode_font_the_report_still_renders_in_ascii(tmp_path: Path) -> None:
    ok = VerifyReport(True, 3, "cd" * 32)
    pdf = render_pdf(build_daily(_inputs(4, ok)), tmp_path / "ascii.pdf", font_dirs=["/nowhere"])
    text = pdf_text(pdf)
    assert "OK Journal verified" in text
    assert "Trades today <= max_trades_per_day" in text
    assert all(overprinted(page) == [] for page in pdf_words(pdf))


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def client(core: App) -> Iterator[TestClient]:
    app: FastAPI = create_app(core.settings, core)
    if not any(getattr(r, "path", "").startswith("/reports") for r in app.routes):
        app.include_router(reports.router)  # until service.app includes it
    with TestClient(app) as test_client:
        for _ in range(3):  # bars for both symbols: the coordinator's clock is 2023-09-01 03:00
            core.live.step()
        yield test_client


def test_generate_list_and_download(client: TestClient, core: App) -> None:
    assert client.post("/reports/generate").status_code == 401
    assert (
        client.post("/reports/generate", headers={"Authorization": "Bearer no"}).status_code == 401
    )
    assert client.get("/reports").json() == []

    made = client.post("/reports/generate", headers=AUTH)  # no body: the last complete day
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["day"] == "2023-08-31"  # before the replay's first bar: an empty day
    assert body["window"]["complete"] is True
    names = [f["name"] for f in body["files"]]
    assert names == ["daily-2023-08-31-trades.csv", "daily-2023-08-31-pnl.csv",
                     "daily-2023-08-31.pdf"]  # fmt: skip
    again = client.post("/reports/generate", headers=AUTH, json={"day": "2023-09-01"})
    assert again.status_code == 201, again.text
    assert again.json()["window"]["complete"] is False  # the day so far

    listed = client.get("/reports").json()
    assert len(listed) == 6
    assert {f["name"] for f in listed} >= set(names)
    assert [f["modified_ms"] for f in listed] == sorted((f["modified_ms"] for f in listed),
                                                        reverse=True)  # fmt: skip
    folder = core.settings.home / "reports"
    for f in listed:
        assert f["size"] == (folder / f["name"]).stat().st_size > 0
    pdf = client.get("/reports/daily-2023-08-31.pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content == (folder / "daily-2023-08-31.pdf").read_bytes()
    assert pdf.content.startswith(b"%PDF")
    trades = client.get("/reports/daily-2023-08-31-trades.csv")
    assert trades.headers["content-type"].startswith("text/csv")
    assert trades.text.splitlines()[0].startswith("time,ts_ms,trade_id,client_id")
    assert client.get("/reports/daily-1999-01-01.pdf").status_code == 404


TRAVERSALS = [
    "..%2Fstore.db",
    "..%2F..%2Fetc%2Fpasswd",
    "%2E%2E%2Fstore.db",
    "..",
    "store.db",
    ".daily-2023-08-31.pdf.tmp",
    "daily-2023-08-31.pdf%00.txt",
    "..%5Cstore.db",
    "%2Fetc%2Fpasswd",
    "daily-2023-08-31.pdf%2F..%2F..%2Fstore.db",
]


def test_names_outside_the_folder_are_refused(client: TestClient, core: App) -> None:
    client.post("/reports/generate", headers=AUTH)
    (core.settings.home / "reports" / "store.db").write_bytes(b"SQLite format 3")  # unlisted kind
    for name in TRAVERSALS:
        answer = client.get(f"/reports/{name}")
        assert 400 <= answer.status_code < 500, (name, answer.status_code)
        assert not answer.content.startswith(b"SQLite"), name
    desk = ReportDesk(core.settings, core)
    for name in ("../store.db", "/etc/passwd", "a/b.pdf", "..", "x.pdf\n", "store.db"):
        with pytest.raises(ValidationError):
            desk.path(name)


def test_bad_days_are_422_naming_day(client: TestClient) -> None:
    for day in ("2023-02-30", "2023-13-01", "yesterday", "2099-01-01", "2023-9-1", 20230901):
        answer = client.post("/reports/generate", headers=AUTH, json={"day": day})
        assert answer.status_code == 422, (day, answer.text)
        assert any("day" in d["loc"] for d in answer.json()["detail"]), (day, answer.json())
    extra = client.post("/reports/generate", headers=AUTH, json={"day": None, "days": 2})
    assert extra.status_code == 422


# --- the CLI -------------------------------------------------------------------------------------


def test_cli_writes_the_files(core: App, db_url: str, tmp_path: Path) -> None:
    for _ in range(3):
        core.live.step()
    out = tmp_path / "out"
    env = {"AITRADER_HOME": str(tmp_path), "AITRADER_DB_URL": db_url, "AITRADER_API_TOKEN": TOKEN}
    result = CliRunner().invoke(report_cli, ["daily", "--date", "2023-08-31", "--out", str(out)],
                                env=env)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "daily report 2023-08-31" in result.output
    for name in ("daily-2023-08-31-trades.csv", "daily-2023-08-31-pnl.csv", "daily-2023-08-31.pdf"):
        size = (out / name).stat().st_size
        assert f"{out / name}  {size} bytes" in result.output
    bad = CliRunner().invoke(report_cli, ["daily", "--date", "2023-02-30"], env=env)
    assert bad.exit_code != 0
    assert "day" in str(bad.exception)


def test_an_account_without_fills_or_bars_reports_its_start_balance(tmp_path: Path) -> None:
    inputs = _inputs(0, VerifyReport(True, 0, "0" * 64))
    empty = DailyInputs(**{**inputs.__dict__, "closes": {}})
    report = build_daily(empty)
    assert (report.summary.start_equity, report.summary.end_equity) == (10_000, 10_000)
    assert [(d.day, d.pnl, d.fills) for d in report.days] == [("2023-09-04", 0, 0)]
    assert report.trades == []
    assert report.positions == []
    text = pdf_text(render_pdf(report, tmp_path / "empty.pdf"))
    assert "No trades in the window." in text
    assert "No open position at the end of the window." in text
