"""Store benchmark: 1,000,000 real bars into SQLite and PostgreSQL, re-ingest, CSV export.

The bars are the bundled real BTC/USDT 5m series repeated with shifted
timestamps. For each database it prints rows/s for the first ingest (insert),
the re-ingest (all unchanged) and the CSV export streamed through the running
service (uvicorn in a subprocess, read with httpx), plus peak RSS growth of the
ingesting process and of the service during the export.

Run: ``.venv/bin/python bench/store.py [--rows N] [--pg-url URL]``
(PostgreSQL is measured when ``--pg-url`` or ``AITRADER_TEST_PG_URL`` is set).
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import httpx
import pandas as pd
import psutil
from sqlalchemy import create_engine, text

from aitrader_core.domain.market import to_epoch_ms
from aitrader_core.store import CandleStore, SeriesKey, make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "BTCUSDT_5m_20240301_20250702.csv.gz"
KEY = SeriesKey.of("binance", "BTC/USDT", "5m")


def million_bars(rows: int) -> pd.DataFrame:
    """The real 5m series repeated, each copy shifted after the previous one."""
    real = pd.read_csv(SAMPLE)
    real["ts"] = to_epoch_ms(real.pop("timestamp"))
    span = int(real["ts"].iloc[-1] - real["ts"].iloc[0]) + 300_000
    copies = -(-rows // len(real))
    frames = [real.assign(ts=real["ts"] + k * span) for k in range(copies)]
    return pd.concat(frames, ignore_index=True).iloc[:rows]


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def export_through_service(db_url: str, home: Path, rows: int) -> tuple[float, float]:
    """Stream /ohlcv.csv from a real service; return (rows/s, service RSS growth MB)."""
    port = free_port()
    env = {**os.environ, "AITRADER_DB_URL": db_url, "AITRADER_HOME": str(home)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "service.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                if httpx.get(f"{base}/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        server = psutil.Process(proc.pid)
        baseline = server.memory_info().rss
        peak = [baseline]
        done = threading.Event()

        def watch() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], server.memory_info().rss)
                time.sleep(0.02)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        lines = 0
        started = time.perf_counter()
        params = {"symbol": KEY.symbol, "timeframe": KEY.timeframe}
        with httpx.stream("GET", f"{base}/ohlcv.csv", params=params, timeout=600) as resp:
            resp.raise_for_status()
            for chunk in resp.iter_bytes():
                lines += chunk.count(b"\n")
        elapsed = time.perf_counter() - started
        done.set()
        watcher.join()
        if lines - 1 != rows:
            raise SystemExit(f"export returned {lines - 1} rows, expected {rows}")
        return rows / elapsed, (peak[0] - baseline) / 2**20
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def bench(name: str, db_url: str, frame: pd.DataFrame, home: Path) -> dict[str, float]:
    engine = make_engine(db_url)
    upgrade(engine)
    store = CandleStore(engine)
    rss0 = peak_rss_mb()
    t = time.perf_counter()
    first = store.upsert(KEY, frame)
    ingest = len(frame) / (time.perf_counter() - t)
    t = time.perf_counter()
    again = store.upsert(KEY, frame)
    reingest = len(frame) / (time.perf_counter() - t)
    assert first.inserted == len(frame), first
    assert again.unchanged == len(frame), again
    assert store.count(KEY) == len(frame)
    ingest_rss = peak_rss_mb() - rss0
    engine.dispose()
    export_rate, export_rss = export_through_service(db_url, home, len(frame))
    return {
        "ingest rows/s": ingest,
        "re-ingest rows/s": reingest,
        "ingest peak RSS +MB": ingest_rss,
        "CSV export rows/s": export_rate,
        "export service peak RSS +MB": export_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("AITRADER_TEST_PG_URL"))
    args = parser.parse_args()
    frame = million_bars(args.rows)
    first, last = (pd.Timestamp(int(frame.ts.iloc[i]), unit="ms") for i in (0, -1))
    print(f"{len(frame):,} real BTC/USDT 5m bars ({first} → {last})")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="aitrader-bench-") as tmp:
        home = Path(tmp)
        results["SQLite"] = bench("SQLite", f"sqlite:///{home / 'bench.db'}", frame, home)
        if args.pg_url:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg_url)
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.pg_url else "?"
            try:
                url = f"{args.pg_url}{sep}options=-csearch_path%3D{schema}"
                results["PostgreSQL"] = bench("PostgreSQL", url, frame, home)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    table = pd.DataFrame(results).round(1)
    print(table.to_string())
    sqlite = results["SQLite"]
    print(
        f"\nSQLite ingest vs target 300,000 rows/s: {sqlite['ingest rows/s'] / 300_000:.2f}x; "
        f"1M-row CSV export service RSS growth {sqlite['export service peak RSS +MB']:.1f} MB "
        "(target < 100 MB)"
    )


if __name__ == "__main__":
    main()
