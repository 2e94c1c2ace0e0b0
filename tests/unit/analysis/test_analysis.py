"""analyze_market: the score is its trace's sum, nothing after as_of leaks in, signs are right."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aitrader_core.analysis import (
    Analysis,
    AnalysisConfig,
    ComponentWeights,
    MinBars,
    ScoredNews,
    TraceStep,
    analyze_market,
)
from aitrader_core.errors import ValidationError
from aitrader_core.indicators import resample_ohlcv
from aitrader_core.sentiment import Score
from tests.conftest import SAMPLE

HOUR = 3_600_000
START = pd.Timestamp("2024-01-01", tz="UTC")


def bars(closes: np.ndarray | list[float], freq: str = "1h") -> pd.DataFrame:
    """OHLCV bars from closes, opening hourly (or ``freq``) from START."""
    close = np.asarray(closes, dtype=np.float64)
    prev = np.concatenate([close[:1], close[:-1]])
    idx = pd.date_range(START, periods=len(close), freq=freq)
    return pd.DataFrame(
        {"open": prev, "high": np.maximum(prev, close) * 1.002,
         "low": np.minimum(prev, close) * 0.998, "close": close, "volume": 1.0},
        index=idx,
    )  # fmt: skip


def close_ms(frame: pd.DataFrame, step: int = HOUR) -> int:
    return int(frame.index[-1].timestamp()) * 1000 + step


def news(at_ms: int, score: float, title: str = "headline", age_ms: int = 0) -> ScoredNews:
    return ScoredNews(at_ms, at_ms - age_ms, title, "wire", score)


def check_invariants(a: Analysis, cfg: AnalysisConfig) -> None:
    contributions = [s.contribution for s in a.trace]
    assert math.isclose(sum(contributions), a.score, rel_tol=0, abs_tol=1e-12)
    assert math.fsum(contributions) == pytest.approx(a.score, abs=1e-15)
    assert a.score == a.trace[-1].running_score
    running = 0.0
    for step in a.trace:
        assert step.contribution == step.weight * step.raw
        assert -1.0 <= step.raw <= 1.0
        running += step.contribution
        assert step.running_score == running
    assert -1.0 <= a.score <= 1.0
    assert 0.0 <= a.confidence <= 1.0
    active = [s.weight for s in a.trace if s.weight > 0]
    assert not active or math.isclose(sum(active), 1.0, rel_tol=1e-12)
    expected = (
        "buy" if a.score >= cfg.buy_threshold
        else "sell" if a.score <= -cfg.sell_threshold else "hold"
    )  # fmt: skip
    assert a.signal == expected
    assert all(s < a.price for s in a.support)
    assert all(r > a.price for r in a.resistance)
    assert list(a.support) == sorted(a.support, reverse=True)
    assert list(a.resistance) == sorted(a.resistance)
    json.dumps(a.to_dict(), allow_nan=False)


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "BTCUSDT_1h_20230101_20240110.csv.gz")
    frame.index = pd.to_datetime(frame.pop("timestamp"), utc=True)
    return frame


@pytest.fixture(scope="module")
def btc_slow(btc: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {tf: resample_ohlcv(btc, tf) for tf in ("4h", "1d")}


CONFIGS = {
    "default": AnalysisConfig(),
    "news_heavy": AnalysisConfig(weights=ComponentWeights(news=3.0), news_half_life_hours=2),
    "no_news": AnalysisConfig(weights=ComponentWeights(news=0.0), buy_threshold=0.05),
    "fast_only": AnalysisConfig(
        weights=ComponentWeights(slow_trend=0, news=0.1), ema_fast=5, ema_slow=8,
        min_bars=MinBars(fast_trend=8, momentum=5, volatility=20), sell_threshold=0.5,
    ),
}  # fmt: skip
#: Two times a month, every other month, half past the hour (mid-bar).
AS_OF = [
    f"2023-{m:02d}-{d:02d}T{h:02d}:30:00Z" for m in range(1, 13, 2) for d, h in ((3, 5), (19, 17))
]


@pytest.mark.parametrize("slow_tf", ["4h", "1d"])
@pytest.mark.parametrize("config", CONFIGS.values(), ids=CONFIGS.keys())
@pytest.mark.parametrize("when", AS_OF)
def test_contributions_sum_to_score_on_real_bars(btc, btc_slow, slow_tf, config, when) -> None:
    as_of = int(pd.Timestamp(when).timestamp()) * 1000
    items = [news(as_of - k * 5 * HOUR, s) for k, s in enumerate([-0.8, 0.3, 0.9, -0.1, 0.6])]
    a = analyze_market("BTCUSDT", btc, "1h", btc_slow[slow_tf], slow_tf, items,
                       config=config, as_of_ms=as_of)  # fmt: skip
    check_invariants(a, config)
    assert a.as_of_ms == as_of - 30 * 60_000  # the 1h bar that closed at hh:00
    assert a.price == float(btc.loc[pd.Timestamp(a.as_of_ms - HOUR, unit="ms", tz="UTC"), "close"])


def test_bars_after_as_of_are_never_read(btc, btc_slow) -> None:
    as_of = int(pd.Timestamp("2023-05-17T09:00:00Z").timestamp()) * 1000
    full = analyze_market("BTC/USDT", btc, "1h", btc_slow["4h"], "4h", as_of_ms=as_of)
    cut = btc[btc.index < pd.Timestamp(as_of, unit="ms", tz="UTC")]
    # The cut frame's last 4h bucket is still open at as_of: it must be dropped, not read.
    alone = analyze_market("BTC/USDT", cut, "1h", resample_ohlcv(cut, "4h"), "4h")
    assert full == alone
    # A wild spike after as_of changes nothing.
    spiked = btc.copy()
    spiked.loc[spiked.index >= pd.Timestamp(as_of, unit="ms", tz="UTC"), ["high", "close"]] *= 3
    again = analyze_market("BTC/USDT", spiked, "1h", resample_ohlcv(spiked, "4h"), "4h",
                           as_of_ms=as_of)  # fmt: skip
    assert again == full


def test_slow_none_resamples_fast(btc, btc_slow) -> None:
    given_slow = analyze_market("BTC/USDT", btc, "1h", btc_slow["4h"], "4h")
    derived = analyze_market("BTC/USDT", btc, "1h", None, "4h")
    assert derived.trace == given_slow.trace
    assert derived.support == given_slow.support
    assert any("resampled" in n for n in derived.notes)


def test_news_received_after_close_is_ignored_and_before_close_counts(btc) -> None:
    as_of = int(pd.Timestamp("2023-08-10T12:00:00Z").timestamp()) * 1000
    base_items = [news(as_of - 3 * HOUR, 0.4)]
    base = analyze_market("BTC/USDT", btc, "1h", None, "4h", base_items, as_of_ms=as_of)
    # Published before the close, received after it (a late feed): still the future.
    doom = [ScoredNews(as_of + d, as_of - HOUR, "Exchange collapses", "wire", -1.0, "negative")
            for d in (1, 60_000, 48 * HOUR)]  # fmt: skip
    assert analyze_market("BTC/USDT", btc, "1h", None, "4h", base_items + doom,
                          as_of_ms=as_of) == base  # fmt: skip
    known = [ScoredNews(as_of - d, as_of - HOUR, "Exchange collapses", "wire", -1.0, "negative")
             for d in (0, 60_000)]  # fmt: skip
    after = analyze_market("BTC/USDT", btc, "1h", None, "4h", base_items + known, as_of_ms=as_of)
    step = {s.component: s for s in after.trace}["news"]
    base_step = {s.component: s for s in base.trace}["news"]
    assert step.inputs["items"] == 3
    assert step.contribution < 0 < base_step.contribution
    assert after.score < base.score


def test_bearish_news_in_a_downtrend_sells_and_bullish_in_an_uptrend_buys() -> None:
    down = bars(np.linspace(200, 120, 400))
    end = close_ms(down)
    bear = analyze_market("BTC/USDT", down, "1h", None, "4h", [news(end, -0.9, "Hack")])
    assert bear.signal == "sell"
    assert bear.score < -0.5
    assert bear.trend == "down"
    assert all(s.contribution <= 0 for s in bear.trace)
    up = bars(np.linspace(120, 200, 400))
    bull = analyze_market("BTC/USDT", up, "1h", None, "4h", [news(close_ms(up), 0.9, "ETF")])
    assert bull.signal == "buy"
    assert bull.score > 0.5
    assert bull.trend == "up"


def test_bearish_news_alone_sells_never_buys() -> None:
    """The old code inverted the news sign: bearish news must push towards sell."""
    flat = bars([100.0] * 10)
    end = close_ms(flat)
    a = analyze_market("BTC/USDT", flat, "1h", None, "1d", [news(end, -0.8)])
    assert a.score == pytest.approx(-0.8)
    assert a.signal == "sell"
    b = analyze_market("BTC/USDT", flat, "1h", None, "1d", [news(end, 0.8)])
    assert b.score == pytest.approx(0.8)
    assert b.signal == "buy"


def test_older_news_contributes_less() -> None:
    frame = bars(100 + np.sin(np.arange(300) / 7.0))
    end = close_ms(frame)
    cfg = AnalysisConfig(news_half_life_hours=6)

    def news_step(age_hours: float) -> TraceStep:
        item = news(end, -0.7, age_ms=int(age_hours * HOUR))
        a = analyze_market("BTC/USDT", frame, "1h", None, "4h", [item], config=cfg)
        return {s.component: s for s in a.trace}["news"]

    fresh, half, old, stale = (news_step(h) for h in (0, 6, 30, 100))
    assert abs(fresh.contribution) > abs(half.contribution) > abs(old.contribution) > 0
    assert half.raw == pytest.approx(fresh.raw / 2)  # one half-life halves a lone item
    assert stale.contribution == 0
    assert stale.inputs["items"] == 0


def test_ten_bars_work_and_say_what_was_skipped() -> None:
    frame = bars([100, 101, 102, 101, 103, 104, 103, 105, 106, 107])
    a = analyze_market("ETH/USDT", frame, "1h", None, "4h", [])
    cfg = AnalysisConfig()
    check_invariants(a, cfg)
    assert a.score == 0
    assert a.signal == "hold"
    assert a.confidence == 0
    skipped = {s.component for s in a.trace if s.note.startswith("skipped")}
    assert skipped == {"fast_trend", "slow_trend", "momentum", "volatility"}
    assert "fast_trend skipped: 10 fast bars < 50 needed" in a.notes
    assert any(n.startswith("news: no news") for n in a.notes)
    assert a.trend == "unknown"
    assert a.volatility == "unknown"


def test_skipped_components_renormalise_the_rest() -> None:
    frame = bars(np.linspace(100, 130, 40))  # momentum runs (30), fast_trend (50) does not
    end = close_ms(frame)
    a = analyze_market("BTC/USDT", frame, "1h", None, "1d", [news(end, 0.5)])
    check_invariants(a, AnalysisConfig())
    w = {s.component: s.weight for s in a.trace}
    assert w["fast_trend"] == w["slow_trend"] == 0
    assert w["momentum"] == pytest.approx(0.15 / 0.4)
    assert w["news"] == pytest.approx(0.25 / 0.4)
    assert any(n.startswith("weights renormalised over momentum, news") for n in a.notes)


def test_levels_bracket_price_on_the_slow_timeframe(btc, btc_slow) -> None:
    a = analyze_market("BTC/USDT", btc, "1h", btc_slow["1d"], "1d")
    assert 1 <= len(a.support) <= 3
    assert 1 <= len(a.resistance) <= 3
    window = btc_slow["1d"].iloc[-120:]
    assert set(a.support) <= set(window["low"])
    assert set(a.resistance) <= set(window["high"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(1, 260),
    seed=st.integers(0, 2**32 - 1),
    drift=st.floats(-0.02, 0.02),
    items=st.lists(
        st.tuples(st.integers(-200, 50), st.integers(0, 100), st.floats(-1, 1)), max_size=12
    ),
    weights=st.tuples(*[st.floats(0, 5)] * 4).filter(lambda w: sum(w) > 0.01),
    threshold=st.floats(0.01, 1.0),
)
def test_invariants_hold_for_any_bars_and_news(n, seed, drift, items, weights, threshold) -> None:
    rng = np.random.default_rng(seed)
    frame = bars(100 * np.exp(np.cumsum(rng.normal(drift, 0.02, n))))
    end = close_ms(frame)
    scored = [ScoredNews(end + r * HOUR, end + r * HOUR - a * HOUR, "t", "s", s)
              for r, a, s in items]  # fmt: skip
    cfg = AnalysisConfig(
        weights=ComponentWeights(**dict(zip(("fast_trend", "slow_trend", "momentum", "news"),
                                            weights, strict=True))),
        buy_threshold=threshold, sell_threshold=threshold,
    )  # fmt: skip
    a = analyze_market("BTC/USDT", frame, "1h", None, "4h", scored, config=cfg)
    check_invariants(a, cfg)
    if a.score <= -threshold:
        assert a.signal == "sell"
    assert not (a.score < 0 and a.signal == "buy")
    future_free = [x for x in scored if x.received_ms <= end]
    assert analyze_market("BTC/USDT", frame, "1h", None, "4h", future_free, config=cfg) == a


def test_scored_news_from_a_sentiment_score() -> None:
    item = ScoredNews.of(5, 4, "t", "s", Score.from_probs({"negative": 0.9, "neutral": 0.1}))
    assert (item.label, item.score) == ("negative", pytest.approx(-0.9))


FAST = bars(np.linspace(100, 110, 60))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"fast": FAST.iloc[:0]}, "fast"),
        ({"fast": pd.DataFrame()}, "fast"),
        ({"fast": FAST.drop(columns="close")}, "fast.close"),
        ({"fast": FAST.reset_index(drop=True)}, "fast.index"),
        ({"fast": FAST.assign(high=FAST["high"].where(FAST.index != FAST.index[7]))}, "fast.high"),
        ({"fast": pd.concat([FAST, FAST.iloc[-1:]])}, "fast.index"),
        ({"fast_timeframe": "7h"}, "fast_timeframe"),
        ({"slow_timeframe": "fortnight"}, "slow_timeframe"),
        ({"slow_timeframe": "15m"}, "slow_timeframe"),
        ({"fast_timeframe": "4h"}, "fast_timeframe"),  # hourly bars are not 4h bars
        ({"slow": FAST.drop(columns="low")}, "slow.low"),
        ({"as_of_ms": int(START.timestamp()) * 1000}, "as_of_ms"),
        ({"symbol": "not a symbol"}, "symbol"),
    ],
)  # fmt: skip
def test_bad_input_names_the_field(kwargs, field) -> None:
    args = {"symbol": "BTC/USDT", "fast": FAST, "fast_timeframe": "1h", "slow": None,
            "slow_timeframe": "4h"} | kwargs  # fmt: skip
    with pytest.raises(ValidationError) as info:
        analyze_market(**args)
    assert info.value.field == field


def test_bad_news_and_config_are_rejected() -> None:
    with pytest.raises(ValidationError, match=r"news\.score"):
        ScoredNews(1, 1, "t", "s", -1.5)
    with pytest.raises(ValueError, match="extra"):
        AnalysisConfig(weigths=ComponentWeights())  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="at least one"):
        ComponentWeights(fast_trend=0, slow_trend=0, momentum=0, news=0)
    with pytest.raises(ValueError, match="ema_fast"):
        AnalysisConfig(ema_fast=30, ema_slow=26)


@given(st.lists(st.floats(1e-6, 1e6), min_size=1, max_size=6))
def test_normalised_weights_never_add_above_one(weights) -> None:
    from aitrader_core.analysis.market import _normalised

    out = _normalised({str(i): w for i, w in enumerate(weights)})
    total = 0.0
    for w in out.values():  # in the order the trace adds contributions
        total += w
    assert total <= 1.0
    assert total == pytest.approx(1.0, abs=1e-12)


def test_normalising_trims_the_ulp_that_division_leaves() -> None:
    from aitrader_core.analysis.market import _normalised

    weights = {"fast_trend": 0.7, "slow_trend": 0.35, "momentum": 0.1, "news": 0.15}
    naive = 0.0
    for w in weights.values():
        naive += w / math.fsum(weights.values())
    assert naive > 1.0  # the case the trim exists for
    total = 0.0
    for w in _normalised(weights).values():
        total += w
    assert total <= 1.0
