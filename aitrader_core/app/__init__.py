"""The application facade: one place that builds everything from Settings.

Notebooks, scheduled runs, the CLI and the service call these use cases, not
the layers below them.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from tqdm.auto import tqdm

from aitrader_core import ingest
from aitrader_core.app.live import LiveDesk
from aitrader_core.app.news import NewsDesk
from aitrader_core.app.reports import ReportDesk
from aitrader_core.clock import Clock, SystemClock
from aitrader_core.compliance import Journal, VerifyReport
from aitrader_core.domain.market import time_bounds, to_epoch_ms
from aitrader_core.errors import ValidationError
from aitrader_core.observability import CANDLES_WRITTEN
from aitrader_core.settings import Settings
from aitrader_core.store import (
    BatchRejected,
    CandleStore,
    Coverage,
    Page,
    SeriesKey,
    UpsertResult,
    make_engine,
    prepare_candles,
    schema_is_current,
    upgrade,
)

if TYPE_CHECKING:  # research modules load numba, scipy and vectorbt: imported on first use
    from aitrader_core.backtest import BacktestConfig, BacktestResult
    from aitrader_core.research import BacktestRequest
    from aitrader_core.sweep import SweepResult

_SAMPLE_NAME = re.compile(r"^(?P<pair>[A-Z0-9]+)_(?P<tf>\d+[smhdwM])_")


@dataclass(frozen=True)
class BacktestRun:
    """A finished backtest: the request, the engine's result and its summary."""

    request: BacktestRequest
    key: SeriesKey
    result: BacktestResult
    signal: pd.Series
    summary: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        """Metrics, trades and equity as JSON-ready values (what the service returns)."""
        from aitrader_core.research import records_json, summary_json

        equity = self.result.equity
        return {
            "metrics": summary_json(self.summary),
            "trades": records_json(self.result.trades),
            "equity": [{"time": t.isoformat(), "equity": float(v)} for t, v in equity.items()],
        }

    def export(self, folder: str | Path) -> list[Path]:
        """Write journal, trades, equity (CSV, JSON, Parquet) and metrics.json."""
        from aitrader_core.research import summary_json

        out = Path(folder)
        written = self.result.export(out)
        metrics = out / "metrics.json"
        metrics.write_text(json.dumps(summary_json(self.summary), indent=2, default=str))
        request = out / "request.json"
        request.write_text(self.request.model_dump_json(indent=2))
        return [*written, metrics, request]


@dataclass(frozen=True)
class SweepReport:
    """A ranked sweep over the full range and its walk-forward folds."""

    sweep: SweepResult
    walk_forward: pd.DataFrame


@contextlib.contextmanager
def _dask_client(scheduler: str | None) -> Iterator[Any]:
    if scheduler is None:
        yield None
        return
    from dask.distributed import Client, LocalCluster

    if scheduler == "local":
        with (
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
    else:
        with Client(scheduler) as client:
            yield client


@dataclass(frozen=True)
class IngestReport:
    """Outcome of one ingest: where from, into which series, and the counts."""

    source: str
    key: SeriesKey
    rows: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int


class App:
    """Every use case of AI Trader, built from one :class:`Settings`."""

    def __init__(self, settings: Settings, clock: Clock | None = None) -> None:
        self.settings = settings
        self.clock: Clock = clock or SystemClock()
        self.engine = make_engine(settings.database_url)
        self.store = CandleStore(self.engine)
        self.journal = Journal(self.engine, self.clock)
        self.news = NewsDesk(settings, self.store, self.clock)
        self.live = LiveDesk(settings, self.store)
        self.reports = ReportDesk(settings, self)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> App:
        """Build the app from ``settings`` (default: the environment)."""
        return cls(settings or Settings())

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    # -- database ------------------------------------------------------------
    def upgrade_db(self) -> None:
        """Create or migrate the schema to the code's head revision."""
        upgrade(self.engine)

    def readiness(self) -> dict[str, Any]:
        """Database reachability and schema state (for ``/health/ready``)."""
        try:
            self.store.ping()
        except Exception as exc:  # any driver error means "not ready"
            return {"ready": False, "database": f"unreachable: {type(exc).__name__}"}
        current = schema_is_current(self.engine)
        return {
            "ready": current,
            "database": "ok",
            "schema": "current" if current else "needs `aitrader db upgrade`",
        }

    # -- ingest --------------------------------------------------------------
    def store_candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        candles: pd.DataFrame | Iterable[Mapping[str, Any]],
        *,
        source: str = "api",
        progress: bool = False,
    ) -> IngestReport:
        """Validate and upsert one batch; an invalid batch writes nothing."""
        key = SeriesKey.of(exchange, symbol, timeframe)
        frame = candles if isinstance(candles, pd.DataFrame) else pd.DataFrame(list(candles))
        try:
            batch = prepare_candles(frame, key.timeframe)
        except BatchRejected:
            CANDLES_WRITTEN.labels(outcome="rejected").inc(len(frame))
            raise
        with tqdm(total=len(batch), unit="bar", disable=not progress, desc=source) as bar:
            result = self.store.upsert(key, batch, progress=bar.update)
        self._count(result)
        return IngestReport(
            source, key, len(batch), result.inserted, result.updated, result.unchanged, 0
        )

    def ingest_file(
        self,
        path: str | Path,
        *,
        exchange: str,
        symbol: str,
        timeframe: str,
        fmt: str | None = None,
        progress: bool = False,
    ) -> IngestReport:
        """Read a candle file (format detected or given) and upsert it as one batch."""
        frame = ingest.read_ohlcv_file(path, fmt)
        return self.store_candles(
            exchange, symbol, timeframe, frame, source=str(path), progress=progress
        )

    def ingest_exchange(
        self,
        *,
        exchange: str,
        symbol: str,
        timeframe: str,
        since: str | int,
        until: str | int | None = None,
        progress: bool = False,
        client: Any | None = None,
    ) -> IngestReport:
        """Back-fill from an exchange through ccxt ``fetch_ohlcv``, page by page.

        ``client`` is a ready ccxt exchange (tests pass one fed with recorded
        responses); by default one is made for ``exchange``.
        """
        key = SeriesKey.of(exchange, symbol, timeframe)
        since_ms = int(to_epoch_ms([since])[0])
        until_ms = None if until is None else int(to_epoch_ms([until])[0])
        if until_ms is not None and until_ms <= since_ms:
            raise ValidationError("must be after since", field="until")
        ccxt_client = client or ingest.make_exchange(key.exchange)  # ccxt loads here, lazily
        total = UpsertResult()
        rows = 0
        for frame in ingest.backfill_ohlcv(
            ccxt_client, key.symbol, key.timeframe, since_ms, until_ms, progress=progress
        ):
            result = self.store.upsert(key, frame)
            rows += len(frame)
            total += result
        self._count(total)
        return IngestReport(
            f"{key.exchange} fetch_ohlcv",
            key,
            rows,
            total.inserted,
            total.updated,
            total.unchanged,
            0,
        )

    def ingest_sample(self, *, progress: bool = False) -> list[IngestReport]:
        """Load the bundled real Binance candles (``data/sample/*.csv.gz``)."""
        reports = []
        for path in sorted(Path(self.settings.sample_dir).glob("*.csv.gz")):
            match = _SAMPLE_NAME.match(path.name)
            if match is None:
                continue
            reports.append(
                self.ingest_file(
                    path,
                    exchange="binance",
                    symbol=match["pair"],
                    timeframe=match["tf"],
                    progress=progress,
                )
            )
        return reports

    @staticmethod
    def _count(result: UpsertResult) -> None:
        for outcome in ("inserted", "updated", "unchanged"):
            CANDLES_WRITTEN.labels(outcome=outcome).inc(getattr(result, outcome))

    # -- research ------------------------------------------------------------
    def run_backtest(
        self, request: BacktestRequest | Mapping[str, Any] | None = None, **fields: Any
    ) -> BacktestRun:
        """Backtest an ensemble or a strategy on stored candles.

        Takes a :class:`BacktestRequest` (or its fields as a dict or keywords);
        ``ensemble`` may also be a path to a YAML file. The CLI, notebooks and
        ``POST /paper/backtest`` all come here, so they give identical results.
        """
        from aitrader_core.research import BacktestRequest, backtest_bars
        from aitrader_core.strategies import load_ensemble

        if not isinstance(request, BacktestRequest) or fields:
            data = (
                request.model_dump()
                if isinstance(request, BacktestRequest)
                else dict(request or {})
            )
            data.update(fields)
            if isinstance(data.get("ensemble"), str | Path):
                data["ensemble"] = load_ensemble(data["ensemble"])
            request = BacktestRequest.model_validate(data)
        key = SeriesKey.of(request.exchange, request.symbol, request.timeframe)
        bars = self.bars(key.exchange, key.symbol, key.timeframe, request.start, request.end)
        if len(bars) < 2:
            raise ValidationError("fewer than 2 bars in the requested range", field="start")
        result, signal = backtest_bars(
            bars, request.ensemble_config(), request.config, symbol=key.symbol
        )
        return BacktestRun(request, key, result, signal, result.summary(key.timeframe))

    def sweep(
        self,
        kind: str,
        grid: Mapping[str, Sequence[Any]],
        *,
        symbols: Sequence[str],
        timeframe: str,
        exchange: str = "binance",
        start: str | int | None = None,
        end: str | int | None = None,
        sample: int | None = None,
        config: BacktestConfig | None = None,
        scheduler: str | None = "local",
        walk_forward_splits: int = 4,
        anchored: bool = False,
        progress: bool = False,
    ) -> SweepReport:
        """Rank a parameter grid on each symbol, then walk it forward (first symbol).

        ``scheduler``: ``"local"`` starts a Dask LocalCluster, ``tcp://host:port``
        uses an existing one, ``None`` runs serially.
        """
        from aitrader_core.sweep import param_sets, run_sweep, walk_forward

        sets = param_sets(grid, sample=sample)
        data = {
            SeriesKey.of(exchange, s, timeframe).symbol: self.bars(
                exchange, s, timeframe, start, end
            )
            for s in symbols
        }
        with (
            _dask_client(scheduler) as client,
            tqdm(
                total=len(sets) * len(data), disable=not progress, desc="sweep", unit="run"
            ) as bar,
        ):
            ranked = run_sweep(
                data,
                kind,
                sets,
                timeframe=timeframe,
                config=config,
                client=client,
                progress=bar.update,
            )
            first = next(iter(data))
            folds_table = walk_forward(
                data[first],
                kind,
                sets,
                timeframe=timeframe,
                symbol=first,
                config=config,
                splits=walk_forward_splits,
                anchored=anchored,
                client=client,
            )
        return SweepReport(ranked, folds_table)

    # -- sentiment -----------------------------------------------------------
    def scorer(self, spec: str | None = None) -> Any:
        """The configured sentiment scorer (``spec`` overrides AITRADER_SENTIMENT_MODEL)."""
        from aitrader_core.sentiment import load_scorer

        s = self.settings
        return load_scorer(
            spec or s.sentiment_model,
            device=s.sentiment_device,
            batch_size=s.sentiment_batch_size,
            threads=s.sentiment_threads,
        )

    def evaluate_sentiment(
        self,
        csv: str | Path,
        *,
        model: str | None = None,
        label_map: Mapping[str, str] | None = None,
    ) -> Any:
        """Accuracy, macro-F1 and confusion matrix of a scorer on a labelled CSV."""
        from aitrader_core.sentiment import evaluate

        return evaluate(self.scorer(model), csv, label_map=label_map)  # type: ignore[arg-type]

    def fit_sentiment(
        self, csv: str | Path, out: str | Path, *, label_map: Mapping[str, str] | None = None
    ) -> Any:
        """Train the fast n-gram classifier on a labelled CSV and save it as a scorer."""
        from aitrader_core.sentiment import fit_scorer

        return fit_scorer(csv, out, label_map=label_map)  # type: ignore[arg-type]

    # -- compliance ----------------------------------------------------------
    def verify_journal(self, expected_head: str | None = None) -> VerifyReport:
        """Check the journal's hash chain; names the first broken link."""
        return self.journal.verify(expected_head=expected_head)

    def export_journal(
        self, start: str | int | None = None, end: str | int | None = None
    ) -> Iterator[str]:
        """Journal records in ``[start, end)`` as JSON lines."""
        lo, hi = time_bounds(start, end)
        return self.journal.export_jsonl(from_ms=lo, to_ms=hi)

    # -- reading -------------------------------------------------------------
    def series(self) -> list[dict[str, Any]]:
        """Every stored series with counts and extent."""
        return self.store.list_series()

    def candles(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        *,
        start: str | int | None = None,
        end: str | int | None = None,
        limit: int = 1000,
        order: str = "asc",
        cursor: str | None = None,
    ) -> Page:
        """One keyset page of candles (``order="desc"`` gives the latest first)."""
        key = SeriesKey.of(exchange, symbol, timeframe)
        lo, hi = time_bounds(start, end)
        if order not in ("asc", "desc"):
            raise ValidationError("must be asc or desc", field="order")
        return self.store.page(
            key,
            start=lo,
            end=hi,
            limit=limit,
            order=order,  # type: ignore[arg-type]
            cursor=cursor,
        )

    def bars(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        start: str | int | None = None,
        end: str | int | None = None,
    ) -> pd.DataFrame:
        """All candles in range as a DataFrame indexed by tz-aware UTC open time."""
        key = SeriesKey.of(exchange, symbol, timeframe)
        lo, hi = time_bounds(start, end)
        frame = self.store.read(key, lo, hi)
        frame.index = pd.to_datetime(frame["ts"], unit="ms", utc=True)
        frame.index.name = "time"
        return frame

    def coverage(self, exchange: str, symbol: str, timeframe: str) -> Coverage:
        """Extent, count and gaps of a series."""
        return self.store.coverage(SeriesKey.of(exchange, symbol, timeframe))

    def export_csv(
        self,
        exchange: str,
        symbol: str,
        timeframe: str,
        start: str | int | None = None,
        end: str | int | None = None,
    ) -> Iterator[str]:
        """Stream a series as uniform CSV in constant memory."""
        key = SeriesKey.of(exchange, symbol, timeframe)
        lo, hi = time_bounds(start, end)
        stream = self.store.export_csv(key, start=lo, end=hi)
        header = next(stream)  # raises here, before any byte is sent, for an unknown series
        return itertools.chain([header], stream)
