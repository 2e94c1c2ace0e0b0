"""Cells of notebooks/03_sentiment_analysis.ipynb: feeds, scores, an analysis and its trace."""

from __future__ import annotations

CELLS: list[tuple[str, str]] = [
    (
        "md",
        """
# 03 · News, sentiment and market analysis

Poll the news feeds (here the bundled real captures, replayed: no network),
score every headline (cached: a headline is scored once per model), measure
the scorer on labelled financial tweets, and analyse a market from its fast
and slow bars plus the news — with a trace that explains every point of the
score. `GET /news`, `POST /ai/sentiment` and `GET /analysis` run the same code.
""",
    ),
    (
        "code",
        """
# parameters
symbol = "BTC/USDT"
timeframe = "1h"
slow_timeframe = "4h"
news_config = "configs/news/demo.yaml"
labelled = "tests/data/sentiment/twitter_financial_news_heldout20.csv"
sentiment_model = "lexicon"  # or a fitted-model folder, or a local transformers folder
""",
    ),
    (
        "code",
        """
from pathlib import Path

import pandas as pd
from bokeh.io import output_notebook, show
from bokeh.resources import INLINE

import aitrader_core
from aitrader_core import App, Settings
from aitrader_core.analysis import ScoredNews, analyze_market
from aitrader_core.charts import waterfall_figure
from aitrader_core.domain.market import ms_to_iso

output_notebook(INLINE, hide_banner=True)
ROOT = Path(aitrader_core.__file__).resolve().parents[1]
app = App.from_settings(
    Settings(news_config=ROOT / news_config, sentiment_model=sentiment_model)
)
app.upgrade_db()
if not app.series():
    app.ingest_sample(progress=True)
""",
    ),
    ("md", "## Feeds"),
    (
        "code",
        """
summary = await app.news.poll_once()
pd.DataFrame([r.__dict__ for r in summary.results])[["feed", "outcome", "seen", "new", "reason"]]
""",
    ),
    (
        "code",
        """
page = app.news.page(limit=200)
scores = app.news.score([item.title for item in page.items])
news = pd.DataFrame(
    {
        "published": [ms_to_iso(i.published_ms) for i in page.items],
        "source": [i.source for i in page.items],
        "symbols": [",".join(i.symbols) for i in page.items],
        "label": [s.label for s in scores],
        "score": [s.score for s in scores],
        "title": [i.title for i in page.items],
    }
)
news.groupby(["source", "label"]).size().unstack(fill_value=0)
""",
    ),
    (
        "code",
        """
news.sort_values("score").head(5)
""",
    ),
    ("md", "## How good is the scorer? Held-out labelled financial tweets"),
    (
        "code",
        """
report = app.evaluate_sentiment(ROOT / labelled, model=sentiment_model)
print(report.format())
assert report.accuracy > 0.5
""",
    ),
    ("md", "## Market analysis from the store"),
    (
        "code",
        """
analysis = app.news.analyze("binance", symbol, timeframe, slow_timeframe=slow_timeframe)
pd.Series({k: v for k, v in analysis.to_dict().items() if k != "trace"})
""",
    ),
    (
        "code",
        """
trace = pd.DataFrame([step.__dict__ for step in analysis.trace])
assert abs(trace["contribution"].sum() - analysis.score) < 1e-12
trace[["component", "weight", "raw", "contribution", "running_score", "note"]]
""",
    ),
    (
        "code",
        """
show(waterfall_figure([(s.component, s.contribution) for s in analysis.trace],
                      title=f"{symbol} {timeframe}: {analysis.signal} ({analysis.score:+.3f})"))
""",
    ),
    (
        "md",
        """
## What the news would have done

The bundled candles end before the bundled news was published, so the
analysis above saw no news (its trace says so: news is used only once it was
*received*, never before). To see the news component at work, this replay
re-times the captured CoinDesk headlines as if each had arrived in the hours
before the last bar closed — a labelled counterfactual, not history.
""",
    ),
    (
        "code",
        """
bars = app.bars("binance", symbol, timeframe).iloc[-2000:]
close_ms = int(bars["ts"].iloc[-1]) + 3_600_000
coindesk = news[news["source"] == "coindesk"].reset_index(drop=True)
replayed = [
    ScoredNews(received_ms=close_ms - (k + 1) * 3_600_000,
               published_ms=close_ms - (k + 1) * 3_600_000,
               title=row.title, source=row.source, score=row.score, label=row.label)
    for k, row in enumerate(coindesk.itertuples())
]
with_news = analyze_market(symbol, bars, timeframe, None, slow_timeframe, replayed)
late = [ScoredNews(close_ms + 1, close_ms + 1, "after the close", "x", -1.0, "negative")]
unchanged = analyze_market(symbol, bars, timeframe, None, slow_timeframe, replayed + late)
assert unchanged == with_news  # an item received after the close changes nothing
show(waterfall_figure([(s.component, s.contribution) for s in with_news.trace],
                      title=f"with replayed news: {with_news.signal} ({with_news.score:+.3f})"))
""",
    ),
]
