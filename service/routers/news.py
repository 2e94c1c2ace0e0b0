"""GET /news (filtered, paginated), GET /news/status, POST /ai/sentiment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from aitrader_core.domain.market import time_bounds
from aitrader_core.news import FeedStatus, NewsPage
from service.deps import Core
from service.errors import ERROR_RESPONSES
from service.routers.ohlcv import TimeBound

router = APIRouter(tags=["news"])


class NewsStatus(BaseModel):
    """The poller: enabled by settings, running in this process, items stored, each feed."""

    enabled: bool
    running: bool
    stored: int
    feeds: list[FeedStatus]


@router.get("/news", response_model=NewsPage, responses=ERROR_RESPONSES)
def get_news(
    core: Core,
    symbol: Annotated[
        str | None,
        Query(min_length=1, max_length=64, description="base asset or pair", examples=["BTC"]),
    ] = None,
    source: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    start: TimeBound = None,
    end: TimeBound = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> NewsPage:
    """Stored news, newest first by published time; follow ``next_cursor`` for more."""
    lo, hi = time_bounds(start, end)
    return core.news.page(
        symbol=symbol, start_ms=lo, end_ms=hi, source=source, limit=limit, cursor=cursor
    )


@router.get("/news/status", response_model=NewsStatus, responses=ERROR_RESPONSES)
def get_news_status(core: Core) -> NewsStatus:
    """Per feed: polls, last success, last error with its reason and time, failures in a row."""
    return NewsStatus.model_validate(core.news.status())


class SentimentRequest(BaseModel):
    """Texts to score (headlines, sentences); at most 256 per request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    texts: list[Annotated[str, Field(min_length=1, max_length=2000)]] = Field(
        min_length=1, max_length=256
    )


class SentimentScore(BaseModel):
    """One text's label, class probabilities, and score = p(positive) − p(negative)."""

    text: str
    label: str
    score: float
    probs: dict[str, float]


class SentimentResponse(BaseModel):
    """Scores in request order, and the model that gave them."""

    model: str
    scores: list[SentimentScore]


@router.post("/ai/sentiment", response_model=SentimentResponse, responses=ERROR_RESPONSES)
def post_sentiment(core: Core, request: SentimentRequest) -> SentimentResponse:
    """Sentiment of each text with the configured scorer (cached: a text is scored once)."""
    scorer = core.news.scorer()
    scores = scorer.score(request.texts)
    return SentimentResponse(
        model=scorer.model_id,
        scores=[
            SentimentScore(text=t, label=s.label, score=s.score, probs=dict(s.probs))
            for t, s in zip(request.texts, scores, strict=True)
        ],
    )
