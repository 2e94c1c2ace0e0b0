"""The ``aitrader`` command. Errors print one line and exit non-zero, never a traceback."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
import yaml
from pydantic import ValidationError as PydanticValidationError

from aitrader_core.app import App, IngestReport
from aitrader_core.cli.common import app_from_env as _app
from aitrader_core.cli.ml import train_meta
from aitrader_core.cli.news import news_cli
from aitrader_core.cli.report import report_cli
from aitrader_core.cli.schedule import schedule_cli
from aitrader_core.errors import AITraderError
from aitrader_core.settings import Settings

cli = typer.Typer(
    name="aitrader",
    help="AI Trader: market data, research, backtests and live trading.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_cli = typer.Typer(help="Load candles into the store.", no_args_is_help=True)
db_cli = typer.Typer(help="Database schema.", no_args_is_help=True)
cli.add_typer(ingest_cli, name="ingest")
ensemble_cli = typer.Typer(help="Strategy ensembles.", no_args_is_help=True)
journal_cli = typer.Typer(help="The write-once compliance journal.", no_args_is_help=True)
sentiment_cli = typer.Typer(help="Sentiment scorers.", no_args_is_help=True)
cli.add_typer(sentiment_cli, name="sentiment")
cli.add_typer(db_cli, name="db")
cli.add_typer(journal_cli, name="journal")
cli.add_typer(ensemble_cli, name="ensemble")
cli.add_typer(news_cli, name="news")
cli.add_typer(report_cli, name="report")
cli.add_typer(schedule_cli, name="schedule")
cli.command("train-meta")(train_meta)

Exchange = Annotated[str, typer.Option(help="ccxt exchange id")]
Symbol = Annotated[str, typer.Option(help="BTC/USDT, btcusdt, BTC-USDT …")]
Timeframe = Annotated[str, typer.Option(help="ccxt timeframe: 1m 5m 1h 1d …")]


def _summary(report: IngestReport) -> None:
    k = report.key
    typer.echo(
        f"{report.source} → {k.exchange} {k.symbol} {k.timeframe}: {report.rows} rows, "
        f"inserted {report.inserted}, updated {report.updated}, "
        f"unchanged {report.unchanged}, rejected {report.rejected}"
    )


@ingest_cli.command("csv")
def ingest_csv(
    file: Annotated[
        Path,
        typer.Argument(
            help="uniform CSV, Binance kline CSV, freqtrade JSON(.gz)/feather",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    symbol: Symbol,
    timeframe: Timeframe,
    exchange: Exchange = "binance",
    fmt: Annotated[
        str | None, typer.Option("--format", help="force a format instead of detecting it")
    ] = None,
) -> None:
    """Load a candle file; the whole file is validated before anything is written."""
    _summary(
        _app().ingest_file(
            file, exchange=exchange, symbol=symbol, timeframe=timeframe, fmt=fmt, progress=True
        )
    )


@ingest_cli.command("exchange")
def ingest_exchange(
    symbol: Symbol,
    timeframe: Timeframe,
    since: Annotated[str, typer.Option(help="ISO-8601 or epoch ms")],
    until: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms (default: now)")] = None,
    exchange: Exchange = "binance",
) -> None:
    """Back-fill candles from an exchange through ccxt (rate limited, paginated)."""
    _summary(
        _app().ingest_exchange(
            exchange=exchange,
            symbol=symbol,
            timeframe=timeframe,
            since=since,
            until=until,
            progress=True,
        )
    )


@ingest_cli.command("sample")
def ingest_sample() -> None:
    """Load the bundled real Binance candles (data/sample)."""
    app = _app()
    reports = app.ingest_sample(progress=True)
    if not reports:
        raise AITraderError(f"no sample files found in {app.settings.sample_dir}")
    for report in reports:
        _summary(report)


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the current revision."""
    settings = Settings()
    App.from_settings(settings).upgrade_db()
    typer.echo(f"schema current on {settings.database_url}")


@ensemble_cli.command("validate")
def ensemble_validate(
    file: Annotated[Path, typer.Argument(help="ensemble YAML (configs/ensembles/*.yaml)")],
) -> None:
    """Check an ensemble file and print every problem at once (exit 2 if any)."""
    from aitrader_core.strategies import ensemble_errors

    errors = ensemble_errors(file)
    for line in errors:
        typer.echo(line, err=True)
    if errors:
        raise SystemExit(2)
    typer.echo(f"{file}: valid")


@journal_cli.command("verify")
def journal_verify(
    head: Annotated[
        str | None, typer.Option(help="head hash kept elsewhere (detects truncation)")
    ] = None,
) -> None:
    """Check the hash chain; report the first broken link (exit 1 when broken)."""
    report = _app().verify_journal(head)
    if report.ok:
        typer.echo(f"journal OK: {report.records} records, head {report.head_hash}")
        return
    typer.echo(f"journal BROKEN at seq {report.first_bad_seq}: {report.problem}", err=True)
    raise SystemExit(1)


@journal_cli.command("export")
def journal_export(
    start: Annotated[
        str | None, typer.Option("--from", help="ISO-8601 or epoch ms, inclusive")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO-8601 or epoch ms, exclusive")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Write journal records as JSON lines (each with its hashes)."""
    _write(_app().export_journal(start, end), out)


@cli.command("backtest")
def backtest(
    symbol: Symbol,
    timeframe: Timeframe,
    ensemble: Annotated[Path | None, typer.Option(help="ensemble YAML")] = None,
    strategy: Annotated[str | None, typer.Option(help="a single strategy kind instead")] = None,
    param: Annotated[list[str] | None, typer.Option(help="strategy parameter key=value")] = None,
    config: Annotated[
        Path | None, typer.Option(help="engine config YAML (costs, sizing, exits)")
    ] = None,
    exchange: Exchange = "binance",
    start: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, exclusive")] = None,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default var/backtests/…)")
    ] = None,
) -> None:
    """Backtest an ensemble (or one strategy) on stored candles; write journal, trades, equity."""
    from tqdm import tqdm

    request: dict[str, object] = {
        "exchange": exchange,
        "symbol": symbol,
        "timeframe": timeframe,
        "start": start,
        "end": end,
    }
    if ensemble is not None:
        request["ensemble"] = ensemble
    if strategy is not None:
        request["strategy"] = {"name": strategy, "kind": strategy, "params": _params(param or [])}
    if config is not None:
        request["config"] = _yaml(config)
    with tqdm(total=3, desc="backtest", unit="step") as bar:
        app = _app()
        bar.update()
        from aitrader_core.strategies.loader import validation_messages

        try:
            run = app.run_backtest(request)
        except PydanticValidationError as exc:
            raise AITraderError("; ".join(validation_messages(exc))) from None
        bar.update()
        folder = (
            out
            or app.settings.home
            / "backtests"
            / f"{run.key.symbol.replace('/', '')}-{timeframe}-{app.clock.now_ms()}"
        )
        run.export(folder)
        bar.update()
    for name in (
        "start",
        "end",
        "bars",
        "trades",
        "total_return",
        "cagr",
        "sharpe",
        "sortino",
        "max_drawdown",
        "win_rate",
        "profit_factor",
        "exposure",
        "total_fees",
        "final_equity",
    ):
        value = run.summary.get(name)
        shown = f"{value:,.4f}" if isinstance(value, float) else str(value)
        typer.echo(f"{name:>14}  {shown}")
    typer.echo(f"results in {folder}")


@cli.command("sweep")
def sweep(
    strategy: Annotated[str, typer.Option(help="strategy kind, e.g. ema_cross")],
    grid: Annotated[list[str], typer.Option(help="name=5,10,20 or name=5:50:5 (repeat)")],
    symbol: Annotated[list[str], typer.Option(help="one or more symbols (repeat)")],
    timeframe: Timeframe,
    exchange: Exchange = "binance",
    start: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, exclusive")] = None,
    sample: Annotated[int | None, typer.Option(help="random search: this many sets")] = None,
    scheduler: Annotated[str, typer.Option(help="local, serial, or tcp://host:port")] = "local",
    splits: Annotated[int, typer.Option(help="walk-forward folds")] = 4,
    anchored: Annotated[bool, typer.Option(help="anchored instead of rolling folds")] = False,
    top: Annotated[int, typer.Option(help="rows of the ranked table to show")] = 10,
) -> None:
    """Run a parameter grid (or random search) on Dask; ranked table and walk-forward."""
    from aitrader_core.sweep import ranked_preview

    report = _app().sweep(
        strategy,
        _grid(grid),
        symbols=symbol,
        timeframe=timeframe,
        exchange=exchange,
        start=start,
        end=end,
        sample=sample,
        scheduler=None if scheduler == "serial" else scheduler,
        walk_forward_splits=splits,
        anchored=anchored,
        progress=True,
    )
    names = sorted(_grid(grid))
    typer.echo(
        f"ranked by {report.sweep.metric} ({report.sweep.runs} runs, {report.sweep.backend})"
    )
    typer.echo(
        ranked_preview(
            report.sweep.table,
            ["symbol", *names, "sharpe", "total_return", "max_drawdown", "trades"],
            top,
        )
    )
    typer.echo("\nwalk-forward (best in-sample parameters, then out-of-sample):")
    cols = ["fold", *names, "is_sharpe", "oos_sharpe", "oos_return", "deflated_sharpe"]
    typer.echo(ranked_preview(report.walk_forward, cols, len(report.walk_forward)))


def _grid(specs: list[str]) -> dict[str, list[object]]:
    out: dict[str, list[object]] = {}
    for spec in specs:
        name, sep, raw = spec.partition("=")
        if not sep or not raw:
            raise AITraderError(f"--grid {spec!r}: expected name=v1,v2 or name=start:stop:step")
        if raw.count(":") == 2:
            lo, hi, step = (float(x) for x in raw.split(":"))
            if step <= 0 or hi < lo:
                raise AITraderError(f"--grid {spec!r}: need start <= stop and step > 0")
            values = list(np.arange(lo, hi + step / 2, step))
            out[name] = [int(v) if float(v).is_integer() else float(v) for v in values]
        else:
            out[name] = [yaml.safe_load(v) for v in raw.split(",")]
    return out


def _params(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        if not sep:
            raise AITraderError(f"--param {pair!r}: expected key=value")
        out[name.strip()] = yaml.safe_load(raw)
    return out


def _yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise AITraderError(f"{path}: not valid YAML: {exc}") from None


LabelMap = Annotated[
    str | None,
    typer.Option(help="label mapping, e.g. 0=negative,1=positive,2=neutral (the default)"),
]


def _label_map(raw: str | None) -> dict[str, str] | None:
    if raw is None:
        return None
    out = {}
    for pair in raw.split(","):
        key, sep, value = pair.partition("=")
        if not sep or value.strip() not in ("negative", "neutral", "positive"):
            raise AITraderError(f"--label-map {raw!r}: expected key=negative|neutral|positive,…")
        out[key.strip()] = value.strip()
    return out


@sentiment_cli.command("eval")
def sentiment_eval(
    file: Annotated[Path, typer.Argument(help="labelled CSV with text,label", exists=True)],
    model: Annotated[
        str | None, typer.Option(help="lexicon, a fitted or transformer folder")
    ] = None,
    label_map: LabelMap = None,
) -> None:
    """Accuracy, macro-F1 and the confusion matrix of a scorer on labelled text."""
    typer.echo(
        _app().evaluate_sentiment(file, model=model, label_map=_label_map(label_map)).format()
    )


@sentiment_cli.command("fit")
def sentiment_fit(
    file: Annotated[Path, typer.Argument(help="labelled CSV with text,label", exists=True)],
    out: Annotated[Path, typer.Argument(help="folder to save the model in")],
    label_map: LabelMap = None,
    eval_file: Annotated[
        Path | None, typer.Option("--eval", help="held-out CSV to report on")
    ] = None,
) -> None:
    """Train the fast n-gram classifier and save it (select it with AITRADER_SENTIMENT_MODEL)."""
    app = _app()
    scorer = app.fit_sentiment(file, out, label_map=_label_map(label_map))
    typer.echo(f"saved {scorer.model_id} to {out}")
    if eval_file is not None:
        typer.echo(
            app.evaluate_sentiment(
                eval_file, model=str(out), label_map=_label_map(label_map)
            ).format()
        )


@cli.command("export")
def export(
    symbol: Symbol,
    timeframe: Timeframe,
    exchange: Exchange = "binance",
    start: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, inclusive")] = None,
    end: Annotated[str | None, typer.Option(help="ISO-8601 or epoch ms, exclusive")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Write a series as uniform CSV (streamed)."""
    _write(_app().export_csv(exchange, symbol, timeframe, start, end), out)


def _write(chunks: Iterator[str], out: Path | None) -> None:
    if out is None:
        for chunk in chunks:
            sys.stdout.write(chunk)
        return
    with out.open("w", encoding="utf-8") as fh:
        for chunk in chunks:
            fh.write(chunk)
    typer.echo(f"wrote {out}", err=True)


@cli.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="default AITRADER_HOST")] = None,
    port: Annotated[int | None, typer.Option(help="default AITRADER_PORT")] = None,
) -> None:
    """Run the HTTP service (migrates the schema first)."""
    import uvicorn  # imported here: library users need no server

    settings = Settings()
    _app().close()  # migrate before serving
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(f"AI Trader service on http://{bind_host}:{bind_port}  (docs: /docs)")
    # By import string: the core never imports the service (see DESIGN.md layers).
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level.lower(),
    )


def main() -> None:
    """Entry point: run the CLI; project errors become one line and exit code 2.

    Usage errors (a missing option, a file that does not exist) are reported
    by the CLI framework itself, also in one short message.
    """
    try:
        cli()
    except (AITraderError, OSError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise SystemExit(2) from None
    except PydanticValidationError as exc:  # settings from the environment
        first = exc.errors()[0]
        field = "AITRADER_" + "_".join(str(p) for p in first["loc"]).upper()
        typer.echo(f"error: {field}: {first['msg']}", err=True)
        raise SystemExit(2) from None
