"""``aitrader news …``: poll the feeds, list stored news, score texts."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from aitrader_core.app import App
from aitrader_core.app.news import PollSummary
from aitrader_core.cli.common import app_from_env
from aitrader_core.domain.market import ms_to_iso, time_bounds

news_cli = typer.Typer(help="News feeds and headline sentiment.", no_args_is_help=True)


@news_cli.command("poll")
def news_poll() -> None:
    """Poll every enabled feed once (AITRADER_NEWS_CONFIG); exit 1 if any feed failed."""
    app = app_from_env()
    summary = asyncio.run(_poll(app))
    for r in summary.results:
        detail = f"{r.seen} items, {r.new} new" if r.outcome != "error" else f"error: {r.reason}"
        warning = f" (warning: {r.warning})" if r.warning else ""
        typer.echo(f"{r.feed}: {r.outcome}, {detail}{warning}")
    typer.echo(f"{summary.stored} items stored")
    if summary.failed:
        names = ", ".join(r.feed for r in summary.failed)
        typer.echo(f"error: {len(summary.failed)} feed(s) failed: {names}", err=True)
        raise typer.Exit(1)


async def _poll(app: App) -> PollSummary:
    try:
        return await app.news.poll_once()
    finally:
        await app.news.stop()


@news_cli.command("list")
def news_list(
    symbol: Annotated[str | None, typer.Option(help="base asset or pair: BTC, ETH/USDT")] = None,
    source: Annotated[str | None, typer.Option(help="feed name")] = None,
    start: Annotated[str | None, typer.Option(help="published at or after (ISO/epoch)")] = None,
    end: Annotated[str | None, typer.Option(help="published before (ISO/epoch)")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 20,
) -> None:
    """Stored news, newest first, with each headline's sentiment."""
    app = app_from_env()
    lo, hi = time_bounds(start, end)
    page = app.news.page(symbol=symbol, source=source, start_ms=lo, end_ms=hi, limit=limit)
    scores = app.news.score([i.title for i in page.items]) if page.items else []
    for item, s in zip(page.items, scores, strict=True):
        tags = ",".join(item.symbols) or "-"
        typer.echo(
            f"{ms_to_iso(item.published_ms)}  {s.score:+.2f} {s.label:<8} "
            f"[{item.source}] ({tags}) {item.title}"
        )
    if not page.items:
        typer.echo("no stored news matches (run `aitrader news poll`)")


@news_cli.command("score")
def news_score(
    texts: Annotated[list[str], typer.Argument(help="one or more headlines")],
    model: Annotated[str | None, typer.Option(help="lexicon, or a model folder")] = None,
) -> None:
    """Sentiment of each text with the configured scorer (cached)."""
    app = app_from_env()
    for text, s in zip(texts, app.news.score(texts, model=model), strict=True):
        typer.echo(f"{s.score:+.3f} {s.label:<8} {text}")
