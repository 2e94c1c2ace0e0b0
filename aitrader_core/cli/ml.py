"""``aitrader ml …``: train the meta-labelling model from an ensemble's backtest."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from aitrader_core.cli.common import app_from_env

ml_cli = typer.Typer(help="Meta-labelling and model drift.", no_args_is_help=True)

DEFAULT_ENSEMBLE = Path(__file__).resolve().parents[2] / "configs" / "ensembles" / "default.yaml"
_COLUMNS = (
    "train",
    "samples",
    "base_rate",
    "taken",
    "precision",
    "recall",
    "f1",
    "accuracy",
    "auc",
)


@ml_cli.callback()
def ml_group() -> None:  # a callback keeps `ml` a group while it has a single command
    """Meta-labelling and model drift."""


@ml_cli.command("train-meta")
def train_meta(
    symbol: Annotated[str, typer.Option(help="BTC/USDT, btcusdt, BTC-USDT …")],
    timeframe: Annotated[str, typer.Option(help="ccxt timeframe: 1m 5m 1h 1d …")],
    ensemble: Annotated[Path, typer.Option(help="primary strategy: ensemble YAML")] = (
        DEFAULT_ENSEMBLE
    ),
    exchange: Annotated[str, typer.Option(help="ccxt exchange id")] = "binance",
    start: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, exclusive")] = None,
    out: Annotated[
        Path | None, typer.Option(help="model folder (default var/models/meta-…)")
    ] = None,
    pt: Annotated[float, typer.Option(min=0, help="profit barrier, x horizon volatility")] = 1.0,
    sl: Annotated[float, typer.Option(min=0, help="stop barrier, x horizon volatility")] = 1.0,
    max_holding: Annotated[int, typer.Option(min=1, help="vertical barrier, in bars")] = 24,
    splits: Annotated[int, typer.Option(min=1, help="walk-forward test folds")] = 5,
    embargo: Annotated[str, typer.Option(help="gap after purging, e.g. 24h")] = "24h",
) -> None:
    """Backtest the ensemble, label its trades by triple barriers, cross-validate and
    save a meta-model; print its walk-forward report."""
    from aitrader_core.ml import train_meta_model  # numba and scipy load here, not at start-up

    app = app_from_env()
    try:
        run = app.run_backtest(
            symbol=symbol, timeframe=timeframe, exchange=exchange, start=start, end=end,
            ensemble=str(ensemble),
        )  # fmt: skip
        bars = app.bars(run.key.exchange, run.key.symbol, run.key.timeframe, start, end)
        params = {
            "exchange": run.key.exchange,
            "symbol": run.key.symbol,
            "timeframe": run.key.timeframe,
            "ensemble": run.request.ensemble_config().name,
        }
        model, data = train_meta_model(
            bars, run.result.trades, pt=pt, sl=sl, max_holding=max_holding, n_splits=splits,
            embargo=embargo, params=params,
        )  # fmt: skip
        folder = out or (
            app.settings.home
            / "models"
            / f"meta-{run.key.symbol.replace('/', '')}-{run.key.timeframe}-{app.clock.now_ms()}"
        )
        path = model.save(folder)
    finally:
        app.close()
    hits = data.labels["barrier"].value_counts()
    typer.echo(
        f"{len(run.result.trades)} trades, {len(data.y)} labelled "
        f"({', '.join(f'{b} {int(hits.get(b, 0))}' for b in ('pt', 'sl', 'time'))}), "
        f"base rate {model.metadata['base_rate']:.3f}"
    )
    typer.echo(model.folds().reindex(columns=list(_COLUMNS)).to_string(float_format="%.3f"))
    for name in ("mean", "pooled"):
        typer.echo(f"{name:>6}  {_scores(model.report[name])}")
    typer.echo(f"model {model.metadata['version']} saved to {path}")


def _scores(scores: dict[str, Any]) -> str:
    shown = []
    for key in ("precision", "recall", "f1", "accuracy", "auc", "base_rate"):
        value = scores.get(key)
        shown.append(f"{key} {'-' if value is None else f'{value:.3f}'}")
    return ", ".join(shown)
