"""Candlestick patterns: real bars checked by hand, and synthetic candles.

Thresholds are TA-Lib's candle settings, averaged over the candles *before*
the one tested: "short/long body" = the 10-candle average body, "very short
shadow" = 0.1 x the 10-candle average range, "near" = 0.2 x and "far" = 0.6 x
the 5-candle average range.
"""

from __future__ import annotations

import numpy as np
import pytest

import aitrader_core.indicators as ind

from .conftest import RealSeries

Candle = tuple[float, float, float, float]  # open, high, low, close

# Calm background: white bodies of 0.2 inside a 0.4 range, so the averages are
# body 0.2, range 0.4 -> very short shadow 0.04, near 0.08, far 0.24, doji 0.04.
BACKGROUND: list[Candle] = [(10.0, 10.3, 9.9, 10.2)] * 12


def run(name: str, *candles: Candle, background: list[Candle] = BACKGROUND) -> int:
    o, h, lo, c = (np.array(col) for col in zip(*(background + list(candles)), strict=True))
    assert (h >= np.maximum(o, c)).all()
    assert (lo <= np.minimum(o, c)).all()
    return int(getattr(ind, name)(o, h, lo, c)[-1])


FIRES: list[tuple[str, int, list[Candle]]] = [
    ("doji", 100, [(10.1, 10.3, 9.9, 10.11)]),
    # body 0.05 < 0.2, lower shadow 0.35 > body, upper 0.01 < 0.04,
    # body bottom 9.95 <= prior low 9.9 + 0.08
    ("hammer", 100, [(10.0, 10.01, 9.6, 9.95)]),
    # same shape with its body bottom 10.25 >= prior high 10.3 - 0.08
    ("hanging_man", -100, [(10.3, 10.31, 9.9, 10.25)]),
    # body gaps below the prior body (9.85 < 10.0), long upper, no lower shadow
    ("inverted_hammer", 100, [(9.8, 10.2, 9.79, 9.85)]),
    ("shooting_star", -100, [(10.3, 10.7, 10.24, 10.25)]),
    ("engulfing", 100, [(10.2, 10.3, 9.9, 10.0), (9.95, 10.35, 9.9, 10.3)]),
    ("engulfing", -100, [(10.0, 10.3, 9.9, 10.2), (10.25, 10.3, 9.9, 9.95)]),
    # long white (body 1.0 > 0.2 average), then a short black body inside it
    ("harami", -100, [(10.0, 11.05, 9.95, 11.0), (10.6, 10.65, 10.45, 10.5)]),
    ("harami", 100, [(11.0, 11.05, 9.95, 10.0), (10.4, 10.65, 10.35, 10.5)]),
    # long black, then a long white opening below its low and closing above its midpoint
    ("piercing", 100, [(11.0, 11.05, 9.95, 10.0), (9.8, 10.65, 9.75, 10.6)]),
    ("dark_cloud_cover", -100, [(10.0, 11.05, 9.95, 11.0), (11.1, 11.15, 10.35, 10.4)]),
    (
        "morning_star",
        100,
        [(11.0, 11.05, 9.95, 10.0), (9.8, 9.9, 9.75, 9.85), (9.9, 10.65, 9.85, 10.6)],
    ),
    (
        "evening_star",
        -100,
        [(10.0, 11.05, 9.95, 11.0), (11.2, 11.3, 11.15, 11.25), (11.1, 11.15, 10.35, 10.4)],
    ),
    (
        "three_white_soldiers",
        100,
        [(10.0, 10.5, 9.95, 10.5), (10.4, 10.9, 10.35, 10.9), (10.8, 11.3, 10.75, 11.3)],
    ),
    (
        "three_black_crows",
        -100,
        [
            (10.0, 11.35, 9.95, 11.3),
            (11.2, 11.25, 10.7, 10.7),
            (10.8, 10.85, 10.3, 10.3),
            (10.4, 10.45, 9.9, 9.9),
        ],
    ),
    ("marubozu", 100, [(10.0, 11.01, 9.99, 11.0)]),
    ("marubozu", -100, [(11.0, 11.01, 9.99, 10.0)]),
    ("spinning_top", -100, [(10.1, 10.3, 9.8, 10.05)]),
]

# Each case breaks exactly one rule of the matching FIRES case.
MISSES: list[tuple[str, list[Candle]]] = [
    ("doji", [(10.1, 10.3, 9.9, 10.2)]),  # body 0.1 > 0.04
    ("hammer", [(10.0, 10.1, 9.6, 9.95)]),  # upper shadow 0.1 > 0.04
    ("hammer", [(10.3, 10.31, 9.9, 10.25)]),  # body not near the prior low
    ("hanging_man", [(10.0, 10.01, 9.6, 9.95)]),  # body not near the prior high
    ("inverted_hammer", [(10.0, 10.4, 9.99, 10.05)]),  # no gap down
    ("shooting_star", [(10.3, 10.7, 10.2, 10.25)]),  # lower shadow 0.05 > 0.04
    (
        "engulfing",
        [(10.2, 10.3, 9.9, 10.0), (10.05, 10.35, 9.9, 10.3)],
    ),  # does not cover the prior body
    ("harami", [(10.0, 10.2, 9.95, 10.15), (10.1, 10.12, 10.05, 10.08)]),  # first body not long
    (
        "piercing",
        [(11.0, 11.05, 9.95, 10.0), (9.8, 10.45, 9.75, 10.4)],
    ),  # closes below the midpoint
    (
        "dark_cloud_cover",
        [(10.0, 11.05, 9.95, 11.0), (11.0, 11.15, 10.35, 10.4)],
    ),  # opens inside the range
    (
        "morning_star",
        [(11.0, 11.05, 9.95, 10.0), (9.8, 9.9, 9.75, 9.85), (9.9, 10.25, 9.85, 10.2)],
    ),  # weak close
    (
        "evening_star",
        [(10.0, 11.05, 9.95, 11.0), (10.9, 11.3, 10.85, 10.95), (11.1, 11.15, 10.35, 10.4)],
    ),  # no gap
    (
        "three_white_soldiers",
        [
            (10.0, 10.5, 9.95, 10.5),
            (10.4, 11.0, 10.35, 10.9),
            (10.8, 11.3, 10.75, 11.3),
        ],  # 2nd upper shadow 0.1
    ),
    (
        "three_black_crows",
        [
            (10.0, 11.35, 9.95, 11.3),
            (11.2, 11.25, 10.7, 10.7),
            (10.8, 10.85, 10.3, 10.3),
            (10.2, 10.45, 9.9, 9.9),
        ],
    ),  # 3rd opens below the 2nd body
    ("marubozu", [(10.0, 11.1, 9.99, 11.0)]),  # upper shadow 0.1
    ("spinning_top", [(10.1, 10.45, 9.8, 10.4)]),  # body 0.3 is not small
]


@pytest.mark.parametrize(
    ("name", "signal", "candles"), FIRES, ids=[f"{n}{s:+d}" for n, s, _ in FIRES]
)
def test_synthetic_pattern_fires(name: str, signal: int, candles: list[Candle]) -> None:
    assert run(name, *candles) == signal


@pytest.mark.parametrize(("name", "candles"), MISSES, ids=[m[0] for m in MISSES])
def test_synthetic_near_miss_does_not_fire(name: str, candles: list[Candle]) -> None:
    assert run(name, *candles) == 0


def test_patterns_are_silent_during_their_warm_up() -> None:
    # TA-Lib's look-back: 10 candles for doji/marubozu/spinning top, 11-13 for the others.
    o = np.array([10.0, 10.2] * 6)
    c = o[::-1].copy()
    for name, lookback in [
        ("doji", 10),
        ("hammer", 11),
        ("morning_star", 12),
        ("three_black_crows", 13),
        ("engulfing", 2),
    ]:
        out = getattr(ind, name)(o, np.maximum(o, c) + 1, np.minimum(o, c) - 1, c)
        assert (out[:lookback] == 0).all()


def bars(s: RealSeries, i: int, k: int) -> tuple[np.ndarray, ...]:
    return (
        s.open[i - k : i + 1],
        s.high[i - k : i + 1],
        s.low[i - k : i + 1],
        s.close[i - k : i + 1],
    )


def avg(values: np.ndarray, stop: int, n: int) -> float:
    return float(values[stop - n : stop].mean())


def test_real_hammer(btc_1h: RealSeries) -> None:
    # 2023-07-12 16:00 BTC/USDT 1h after a 212-dollar red candle.
    s, i = btc_1h, 4623
    assert s.frame.index[i].isoformat() == "2023-07-12T16:00:00+00:00"
    o, h, lo, c = s.open[i], s.high[i], s.low[i], s.close[i]
    assert (o, h, lo, c) == (30524.63, 30538.44, 30422.62, 30487.03)
    body, rng = np.abs(s.close - s.open), s.high - s.low
    assert abs(c - o) < avg(body, i, 10)  # body 37.60 < 63.44: small
    assert min(o, c) - lo > abs(c - o)  # lower shadow 64.41 > body: long
    assert h - max(o, c) < 0.1 * avg(rng, i, 10)  # upper shadow 13.81 < 19.68: very short
    assert min(o, c) <= s.low[i - 1] + 0.2 * avg(rng, i - 1, 5)  # body 30487 near prior low 30472
    assert ind.hammer(s.open, s.high, s.low, s.close)[i] == 100


def test_real_bearish_engulfing_with_coinciding_open(btc_1h: RealSeries) -> None:
    # 2023-07-15 20:00: a black candle opening exactly at the prior white close
    # (30326.47) and closing below the prior open (30321.99). TA-Lib: -80, here -100.
    s, i = btc_1h, 4699
    o, _, _, c = bars(s, i, 1)
    assert (o[0], c[0], o[1], c[1]) == (30321.99, 30326.47, 30326.47, 30302.01)
    assert c[0] > o[0]
    assert c[1] < o[1]
    assert o[1] >= c[0]
    assert c[1] < o[0]
    assert ind.engulfing(s.open, s.high, s.low, s.close)[i] == -100


def test_real_morning_star(btc_1h: RealSeries) -> None:
    # 2023-06-02 06:00-08:00: long black (81.54 > 49.76 avg), a 21.40 star whose
    # body top 27071.05 sits one cent below the black body, then a 116.49 white
    # candle closing at 27166.14 > 27071.06 + 0.3 * 81.54.
    s, i = btc_1h, 3655
    o, _, _, c = bars(s, i, 2)
    body = np.abs(s.close - s.open)
    assert c[0] < o[0]
    assert abs(c[0] - o[0]) > avg(body, i - 2, 10)
    assert abs(c[1] - o[1]) <= avg(body, i - 1, 10)
    assert max(o[1], c[1]) < min(o[0], c[0])
    assert c[2] > o[2]
    assert c[2] > c[0] + 0.3 * abs(c[0] - o[0])
    assert abs(c[2] - o[2]) > avg(body, i, 10)
    assert ind.morning_star(s.open, s.high, s.low, s.close)[i] == 100


def test_real_doji_and_marubozu(btc_1h: RealSeries) -> None:
    s = btc_1h
    rng, body = s.high - s.low, np.abs(s.close - s.open)
    # 2023-06-30 23:00: body 4.68 <= 0.1 x 390.70 average range.
    i = 4342
    assert body[i] <= 0.1 * avg(rng, i, 10)
    assert ind.doji(s.open, s.high, s.low, s.close)[i] == 100
    # 2023-08-09 07:00: white body 92.49 > 56.46 average; shadows 3.29 and 6.57 < 14.03.
    i = 5286
    assert body[i] > avg(body, i, 10)
    assert s.high[i] - s.close[i] < 0.1 * avg(rng, i, 10)
    assert s.open[i] - s.low[i] < 0.1 * avg(rng, i, 10)
    assert ind.marubozu(s.open, s.high, s.low, s.close)[i] == 100


def test_real_three_white_soldiers_and_shooting_star(btc_1h: RealSeries) -> None:
    s = btc_1h
    # 2023-11-06 07:00-09:00: three white candles, closes 34904.72 < 34955.34 < 35118.20,
    # each opening at the prior close, upper shadows 17.82, 3.66, 3.40 all under 0.1 x
    # the average range, and a final 162.86 body well above the 68.43 average.
    i = 7424
    o, _, _, c = bars(s, i, 2)
    assert (c > o).all()
    assert c[0] < c[1] < c[2]
    assert o[1] == c[0]
    assert o[2] == c[1]
    assert ind.three_white_soldiers(s.open, s.high, s.low, s.close)[i] == 100
    # 2023-07-10 10:00: body 30140.01-30183.45 gaps above the prior body (top 30140.00),
    # upper shadow 46.54 > body 43.44, lower shadow 0.01.
    i = 4569
    assert min(s.open[i], s.close[i]) > max(s.open[i - 1], s.close[i - 1])
    assert s.high[i] - max(s.open[i], s.close[i]) > abs(s.close[i] - s.open[i])
    assert ind.shooting_star(s.open, s.high, s.low, s.close)[i] == -100
