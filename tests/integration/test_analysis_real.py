"""analyze_market on real candles and real headlines scored by the shipped lexicon scorer."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from aitrader_core.analysis import Analysis, AnalysisConfig, ScoredNews, analyze_market
from aitrader_core.sentiment import LexiconScorer, read_labelled
from tests.conftest import DATA, SAMPLE

HOUR = 3_600_000


@pytest.fixture(scope="module")
def eth() -> pd.DataFrame:
    frame = pd.read_csv(SAMPLE / "ETHUSDT_1h_20230101_20240110.csv.gz")
    frame.index = pd.to_datetime(frame.pop("timestamp"), utc=True)
    return frame


@pytest.fixture(scope="module")
def headlines() -> dict[str, list[tuple[str, float]]]:
    """Real headlines the lexicon scores clearly, by their human label."""
    texts, labels = read_labelled(DATA / "sentiment" / "twitter_financial_news_heldout20.csv")
    scores = LexiconScorer().score(texts)
    out: dict[str, list[tuple[str, float]]] = {"negative": [], "positive": []}
    for text, label, score in zip(texts, labels, scores, strict=True):
        if label in out and score.label == label:
            out[label].append((text, score.score))
    return out


@pytest.mark.parametrize("when", ["2023-03-09T20:00:00Z", "2023-06-15T08:00:00Z",
                                  "2023-11-20T14:00:00Z"])  # fmt: skip
def test_real_headlines_move_the_score_their_way_and_only_once_received(
    eth, headlines, when
) -> None:
    as_of = int(pd.Timestamp(when).timestamp()) * 1000
    cfg = AnalysisConfig()

    def run(items: list[ScoredNews]) -> Analysis:
        a = analyze_market("ETH/USDT", eth, "1h", None, "4h", items, config=cfg, as_of_ms=as_of)
        assert math.isclose(sum(s.contribution for s in a.trace), a.score, abs_tol=1e-12)
        return a

    def items(label: str, shift_ms: int) -> list[ScoredNews]:
        return [ScoredNews.of(as_of + shift_ms - k * HOUR, as_of - (k + 1) * HOUR, text, "twitter",
                              LexiconScorer().score([text])[0])
                for k, (text, _) in enumerate(headlines[label][:8])]  # fmt: skip

    quiet = run([])
    bearish, bullish = run(items("negative", 0)), run(items("positive", 0))
    assert bearish.score < quiet.score < bullish.score
    news_step = {s.component: s for s in bearish.trace}["news"]
    assert news_step.raw < 0
    assert news_step.inputs["items"] == 8
    assert run(items("negative", 9 * HOUR)) == quiet  # all received after the close
