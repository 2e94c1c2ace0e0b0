"""The equity curve rebuilt from hand-built fills: exact Decimal figures at every mark."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from aitrader_core.domain.orders import Fill, Side
from aitrader_core.reports.equity import (
    bar_close_marks,
    equity_frame,
    mark_to_market,
    roll_back,
)

H = 3_600_000
D = Decimal


def fill(
    tid: str, symbol: str, side: Side, qty: str, price: str, fee: str, asset: str, ts: int
) -> Fill:
    return Fill(f"c-{tid}", tid, symbol, side, D(qty), D(price), D(fee), asset, ts)


FILLS = [
    fill("t1", "BTC/USDT", Side.BUY, "0.5", "100", "0.05", "USDT", H // 2),
    fill("t2", "ETH/USDT", Side.BUY, "2", "10", "0.02", "USDT", H),  # at a mark time: counts after
    fill("t3", "BTC/USDT", Side.SELL, "0.2", "120", "0.024", "USDT", 5 * H // 2),
    fill("t4", "ETH/USDT", Side.BUY, "1", "11", "0.001", "ETH", 3 * H),  # fee taken in the base
    fill("t5", "BTC/USDT", Side.SELL, "0.3", "1", "0", "USDT", 9 * H),  # after the last mark
]
MARKS = pd.DataFrame(
    {"BTC/USDT": [102.0, 110.0, np.nan, 130.0], "ETH/USDT": [10.5, 11.0, 12.0, 9.0]},
    index=[H, 2 * H, 3 * H, 4 * H],
)
START = {"USDT": D("1000")}


def test_every_point_is_exact() -> None:
    points = mark_to_market(reversed(FILLS), MARKS, START)  # any order in
    got = [(p.ts_ms, p.cash, p.equity, p.gross) for p in points]
    assert got == [
        # t1: 1000 - 0.5 x 100 - 0.05; 0.5 BTC at 102
        (H, D("949.95"), D("1000.95"), D("51.0")),
        # t2: - 2 x 10 - 0.02; BTC at 110, ETH at 11
        (2 * H, D("929.93"), D("1006.93"), D("77.0")),
        # t3: + 0.2 x 120 - 0.024; no BTC bar: the last price seen (t3's 120) marks it
        (3 * H, D("953.906"), D("1013.906"), D("60.0")),
        # t4: - 11, and 0.001 ETH of fee: 2.999 ETH at 9, 0.3 BTC at 130
        (4 * H, D("942.906"), D("1008.897"), D("65.991")),
    ]
    assert points[-1].holdings == {"USDT": D("942.906"), "BTC": D("0.3"), "ETH": D("2.999")}


def test_rolling_back_the_fills_gives_the_start_balances() -> None:
    end = mark_to_market(FILLS, pd.DataFrame(index=[10 * H]), START)[-1]
    start = roll_back(end.holdings, FILLS)
    assert {k: v for k, v in start.items() if v != 0} == START


def test_short_positions_count_negative_value_and_positive_exposure() -> None:
    sold = [fill("s1", "BTC/USDT", Side.SELL, "0.1", "100", "0", "USDT", 0)]
    marks = pd.DataFrame({"BTC/USDT": [90.0]}, index=[H])
    (p,) = mark_to_market(sold, marks, START)
    assert (p.cash, p.value, p.gross, p.equity) == (D("1010.0"), D("-9.0"), D("9.0"), D("1001.0"))


def test_no_fills_and_no_prices_leave_the_start_balance() -> None:
    points = mark_to_market([], pd.DataFrame(index=[H, 2 * H]), START)
    assert [p.equity for p in points] == [D("1000"), D("1000")]


def test_frame_in_floats_with_drawdown_from_the_running_peak() -> None:
    frame = equity_frame(mark_to_market(FILLS, MARKS, START))
    assert frame.index.tz is not None
    assert frame["equity"].tolist() == [1000.95, 1006.93, 1013.906, 1008.897]
    assert frame["drawdown"].iloc[:3].tolist() == [0.0, 0.0, 0.0]
    assert frame["drawdown"].iloc[3] == pytest.approx(1008.897 / 1013.906 - 1, abs=1e-15)
    assert equity_frame([]).empty


def test_bar_close_marks_shift_open_times_by_one_bar() -> None:
    frame = bar_close_marks({"BTC/USDT": pd.Series([1.0], index=[0]),
                             "ETH/USDT": pd.Series([2.0], index=[H])}, H)  # fmt: skip
    assert frame.index.tolist() == [H, 2 * H]
    assert frame["ETH/USDT"].isna().tolist() == [True, False]
