"""The real `aitrader` command in a subprocess: summaries, one-line errors, exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
FORMATS = ROOT / "tests" / "data" / "ohlcv" / "formats"


def run(args: list[str], home: Path, db_url: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "AITRADER_HOME": str(home)}
    env.pop("AITRADER_DB_URL", None)
    if db_url:
        env["AITRADER_DB_URL"] = db_url
    return subprocess.run(  # noqa: S603 - our own entry point
        [sys.executable, "-m", "aitrader_core.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=120,
        check=False,
    )


def test_ingest_twice_then_export(tmp_path: Path, db_url: str) -> None:
    src = FORMATS / "UNITTESTBTC_1m_gappy.csv"
    args = ["ingest", "csv", str(src), "--symbol", "UNITTEST/BTC", "--timeframe", "1m"]
    first = run(args, tmp_path, db_url)
    assert first.returncode == 0, first.stderr
    assert "13681 rows, inserted 13681, updated 0, unchanged 0, rejected 0" in first.stdout
    second = run(args, tmp_path, db_url)
    assert "inserted 0, updated 0, unchanged 13681" in second.stdout
    out = run(["export", "--symbol", "UNITTEST/BTC", "--timeframe", "1m"], tmp_path, db_url)
    assert out.returncode == 0, out.stderr
    pd.testing.assert_frame_equal(pd.read_csv(io.StringIO(out.stdout)), pd.read_csv(src))


@pytest.mark.parametrize(
    ("name", "symbol", "timeframe", "rows"),
    [
        ("ADABTC-1m-2021-11-27.csv", "ADA/BTC", "1m", None),
        ("xylotech_ETH_USDT-5m.json", "ETH/USDT", "5m", None),
        ("XRP_USDT_USDT-1h-futures.json.gz", "XRP/USDT:USDT", "1h", None),
        ("XRP_ETH-5m.feather", "XRP/ETH", "5m", None),
        ("ADABTC_5m_tinyprice.csv", "ADA/BTC", "5m", None),
    ],
)
def test_every_native_layout_ingests(
    tmp_path: Path, name: str, symbol: str, timeframe: str, rows: int | None
) -> None:
    result = run(
        ["ingest", "csv", str(FORMATS / name), "--symbol", symbol, "--timeframe", timeframe],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert f"{symbol} {timeframe}:" in result.stdout
    assert "rejected 0" in result.stdout
    inserted = int(result.stdout.split("inserted ")[1].split(",")[0])
    assert inserted > 0


def test_invalid_file_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-03-01T00:00:00Z,10,12,9,11,1\n"
        "2024-03-01T00:05:00Z,10,8,9,11,1\n"
    )
    result = run(["ingest", "csv", str(bad), "--symbol", "BTC/USDT", "--timeframe", "5m"], tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("error: batch rejected, nothing written")
    assert "row 1, high" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    listing = run(["export", "--symbol", "BTC/USDT", "--timeframe", "5m"], tmp_path)
    assert listing.returncode == 2
    assert "no candles stored" in listing.stderr


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (
            ["ingest", "csv", "missing.csv", "--symbol", "BTC/USDT", "--timeframe", "1h"],
            "missing.csv",
        ),
        (["export", "--symbol", "BTC/USDT", "--timeframe", "2x"], "timeframe"),
        (["export", "--symbol", "BTC USDT", "--timeframe", "1h"], "symbol"),
        (["ingest", "csv"], "Missing argument"),
    ],
)
def test_errors_name_the_field(tmp_path: Path, args: list[str], needle: str) -> None:
    result = run(args, tmp_path)
    assert result.returncode != 0
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_database_url_names_the_setting(tmp_path: Path) -> None:
    result = run(["db", "upgrade"], tmp_path, db_url="mysql://x")
    assert result.returncode == 2
    assert "AITRADER_DB_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_ensemble_validate_prints_every_problem(tmp_path: Path) -> None:
    good = run(["ensemble", "validate", str(ROOT / "configs" / "ensembles" / "default.yaml")],
               tmp_path)  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert "valid" in good.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: broken\nthreshold: 1.5\nmembers:\n"
        "  - {name: a, kind: ema_cross, params: {fast: 1}}\n"
        "  - {name: a, kind: nope}\n"
    )
    result = run(["ensemble", "validate", str(bad)], tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("members[0].params.fast:") for line in lines)
    assert any(line.startswith("members[1].kind:") for line in lines)
    assert any(line.startswith("threshold:") for line in lines)
    assert "Traceback" not in result.stderr


def test_journal_verify_and_export(tmp_path: Path) -> None:
    from aitrader_core.app import App
    from aitrader_core.settings import Settings

    app = App.from_settings(Settings(home=tmp_path, _env_file=None))
    app.upgrade_db()
    for i in range(3):
        app.journal.append("operator", {"action": "test", "i": i}, actor="cli-test")
    app.close()
    ok = run(["journal", "verify"], tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("journal OK: 3 records")
    exported = run(["journal", "export"], tmp_path)
    assert len(exported.stdout.strip().splitlines()) == 3
    wrong_head = run(["journal", "verify", "--head", "ab" * 32], tmp_path)
    assert wrong_head.returncode == 1
    assert "BROKEN at seq 4" in wrong_head.stderr


def test_sentiment_eval_prints_accuracy_f1_and_confusion(tmp_path: Path) -> None:
    held_out = ROOT / "tests" / "data" / "sentiment" / "twitter_financial_news_heldout20.csv"
    result = run(["sentiment", "eval", str(held_out), "--model", "lexicon"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    accuracy = float(next(line for line in lines if line.startswith("accuracy")).split()[1])
    assert accuracy > 0.656  # beats always-neutral on this data
    assert any(line.startswith("macro-F1") for line in lines)
    assert any(line.startswith("true \\ predicted") for line in lines)
    bad = run(["sentiment", "eval", str(held_out), "--label-map", "0=bearish"], tmp_path)
    assert bad.returncode == 2
    assert "--label-map" in bad.stderr
