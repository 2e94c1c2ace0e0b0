"""Feeding bars one at a time to a stream reproduces the batch values bar by bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import pytest

import aitrader_core.indicators as ind

from .conftest import RealSeries
from .specs import as_arrays

BARS = 4000


class Bar(NamedTuple):
    """A minimal bar object, as the domain layer would pass one."""

    high: float
    low: float
    close: float


def _feed_close(stream: Any, s: RealSeries) -> list[Any]:
    return [stream.update(float(x)) for x in s.close[:BARS]]


def _feed_hlc(stream: Any, s: RealSeries) -> list[Any]:
    return [
        stream.update(h, lo, c)
        for h, lo, c in zip(s.high[:BARS], s.low[:BARS], s.close[:BARS], strict=True)
    ]


def _feed_bar(stream: Any, s: RealSeries) -> list[Any]:
    bars = (Bar(*v) for v in zip(s.high[:BARS], s.low[:BARS], s.close[:BARS], strict=True))
    return [stream.update(b) for b in bars]


CASES: list[
    tuple[
        str, Callable[[], Any], Callable[[Any, RealSeries], list[Any]], Callable[[RealSeries], Any]
    ]
] = [
    ("ema", lambda: ind.EMAStream(30), _feed_close, lambda s: ind.ema(s.close[:BARS], 30)),
    ("ema_1", lambda: ind.EMAStream(1), _feed_close, lambda s: ind.ema(s.close[:BARS], 1)),
    ("rsi", lambda: ind.RSIStream(14), _feed_close, lambda s: ind.rsi(s.close[:BARS], 14)),
    ("macd", lambda: ind.MACDStream(), _feed_close, lambda s: ind.macd(s.close[:BARS])),
    (
        "macd_signal_1",
        lambda: ind.MACDStream(26, 12, 1),
        _feed_close,
        lambda s: ind.macd(s.close[:BARS], 26, 12, 1),
    ),
    ("bbands", lambda: ind.BBandsStream(20), _feed_close, lambda s: ind.bbands(s.close[:BARS], 20)),
    (
        "bbands_asym_ema",
        lambda: ind.BBandsStream(10, 2.5, 1.5, matype=1),
        _feed_close,
        lambda s: ind.bbands(s.close[:BARS], 10, 2.5, 1.5, matype=1),
    ),
    (
        "atr",
        lambda: ind.ATRStream(14),
        _feed_hlc,
        lambda s: ind.atr(s.high[:BARS], s.low[:BARS], s.close[:BARS]),
    ),
    (
        "atr_bar",
        lambda: ind.ATRStream(7),
        _feed_bar,
        lambda s: ind.atr(s.high[:BARS], s.low[:BARS], s.close[:BARS], 7),
    ),
    (
        "adx",
        lambda: ind.ADXStream(14),
        _feed_hlc,
        lambda s: ind.adx(s.high[:BARS], s.low[:BARS], s.close[:BARS]),
    ),
    (
        "adx_bar",
        lambda: ind.ADXStream(5),
        _feed_bar,
        lambda s: ind.adx(s.high[:BARS], s.low[:BARS], s.close[:BARS], 5),
    ),
]


@pytest.mark.parametrize(("name", "make", "feed", "batch"), CASES, ids=[c[0] for c in CASES])
def test_stream_matches_batch_bar_by_bar(
    name: str,
    make: Callable[[], Any],
    feed: Callable[[Any, RealSeries], list[Any]],
    batch: Callable[[RealSeries], Any],
    real_series: RealSeries,
) -> None:
    streamed = feed(make(), real_series)
    expected = as_arrays(batch(real_series))
    got = (
        [np.array(v, dtype=np.float64) for v in zip(*streamed, strict=True)]
        if isinstance(streamed[0], tuple)
        else [np.array(streamed, dtype=np.float64)]
    )
    assert len(got) == len(expected)
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        scale = float(np.nanmax(np.abs(b)))
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12 * scale, equal_nan=True)


def test_stream_rejects_invalid_period() -> None:
    with pytest.raises(ValueError, match="timeperiod"):
        ind.RSIStream(1)
    with pytest.raises(ValueError, match="signalperiod"):
        ind.MACDStream(12, 26, 0)
    with pytest.raises(ValueError, match="nbdevup"):
        ind.BBandsStream(20, -1.0)
