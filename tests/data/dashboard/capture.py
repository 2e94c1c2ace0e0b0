"""Capture the service's answers the dashboard reads, as JSON files in this folder.

Run against a service trading the paper config (see README.md here):
``.venv/bin/python tests/data/dashboard/capture.py http://127.0.0.1:8011 [--reports]``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
READS = {
    "status": "/live/status",
    "balance": "/live/balance",
    "positions": "/live/positions",
    "orders": "/live/orders?limit=100",
    "trades": "/live/trades?limit=500",
    "pnl": "/live/pnl",
    "broker": "/live/broker",
    "limits": "/live/limits",
    "strategies": "/live/strategies",
}


def main(base: str, reports: bool) -> None:
    with httpx.Client(base_url=base, timeout=10) as http:
        out = {key: http.get(path).raise_for_status().json() for key, path in READS.items()}
        if reports:
            out["reports"] = http.get("/reports").raise_for_status().json()
        clock = out["broker"]["clock_ms"]
        for symbol in sorted({s["symbol"] for s in out["strategies"]}):
            params = {
                "symbol": symbol,
                "timeframe": "1h",
                "end": clock,
                "limit": 169,
                "order": "desc",
            }
            page = http.get("/ohlcv", params=params).raise_for_status().json()
            out[f"ohlcv_{symbol.replace('/', '')}_1h"] = page
    for key, body in out.items():
        (HERE / f"{key}.json").write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {key}.json")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000", "--reports" in sys.argv)
