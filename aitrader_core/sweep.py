"""Parameter sweeps and walk-forward analysis, serial or on a Dask cluster.

A sweep varies the parameters of one strategy kind (a grid, or a seeded random
sample of it) over one or many symbols and ranks the results. Walk-forward
splits the bars into train/test folds (rolling or anchored), picks the best
parameters in-sample and reports them out-of-sample, with the deflated Sharpe
ratio of the choice (Bailey & López de Prado, 2014), which discounts the Sharpe
for the number of configurations tried.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError as PydanticValidationError
from scipy import stats

from aitrader_core.backtest import BacktestConfig
from aitrader_core.backtest.metrics import periods_per_year
from aitrader_core.errors import ValidationError
from aitrader_core.research import backtest_bars
from aitrader_core.strategies import EnsembleConfig

_EULER = 0.5772156649015329


def param_sets(
    grid: Mapping[str, Sequence[Any]], *, sample: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Every combination of ``grid`` (sorted keys), or a seeded random ``sample`` of them.

    Examples
    --------
    >>> param_sets({"fast": [5, 10], "slow": [20, 50]})
    [{'fast': 5, 'slow': 20}, {'fast': 5, 'slow': 50}, {'fast': 10, 'slow': 20}, {'fast': 10, 'slow': 50}]
    >>> len(param_sets({"a": range(10), "b": range(10)}, sample=7))
    7
    """  # noqa: E501
    keys = sorted(grid)
    combos = [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(list(grid[k]) for k in keys))
    ]
    if sample is not None and sample < len(combos):
        combos = random.Random(seed).sample(combos, sample)  # noqa: S311 - research sampling
    return combos


def _single(kind: str, params: Mapping[str, Any]) -> EnsembleConfig:
    return EnsembleConfig.model_validate(
        {
            "name": kind,
            "threshold": 0.0,
            "members": [{"name": kind, "kind": kind, "params": dict(params)}],
            "allow_short": bool(params.get("allow_short", False)),
        }
    )


def evaluate(
    bars: pd.DataFrame,
    kind: str,
    params: Mapping[str, Any],
    config: BacktestConfig,
    timeframe: str,
    symbol: str,
) -> dict[str, Any]:
    """Backtest one parameter set; invalid parameters give a row with ``error``."""
    row: dict[str, Any] = {"symbol": symbol, **params}
    try:
        ensemble = _single(kind, params)
    except PydanticValidationError as exc:
        return {**row, "error": exc.errors()[0]["msg"]}
    result, _ = backtest_bars(bars, ensemble, config, symbol=symbol)
    summary = result.summary(timeframe)
    keep = (
        "trades",
        "total_return",
        "cagr",
        "sharpe",
        "sortino",
        "max_drawdown",
        "win_rate",
        "profit_factor",
        "exposure",
    )
    return {**row, **{k: summary.get(k) for k in keep}, "error": None}


@dataclass(frozen=True)
class SweepResult:
    """The ranked table (best first by ``metric``) and how it was computed."""

    table: pd.DataFrame
    metric: str
    runs: int
    backend: str


def run_sweep(
    data: Mapping[str, pd.DataFrame],
    kind: str,
    sets: Sequence[Mapping[str, Any]],
    *,
    timeframe: str,
    config: BacktestConfig | None = None,
    metric: str = "sharpe",
    client: Any | None = None,
    progress: Callable[[int], None] | None = None,
) -> SweepResult:
    """Backtest every parameter set on every symbol's bars and rank by ``metric``.

    ``client`` is a ``dask.distributed.Client``: the bars are scattered once and
    each (symbol, parameter set) becomes a task; without one the runs are
    serial. Both give the same table (same order, same numbers).
    """
    if not sets:
        raise ValidationError("no parameter sets to run", field="grid")
    cfg = config or BacktestConfig()
    jobs = [(symbol, dict(params)) for symbol in data for params in sets]
    if client is None:
        rows = []
        for symbol, params in jobs:
            rows.append(evaluate(data[symbol], kind, params, cfg, timeframe, symbol))
            if progress is not None:
                progress(1)
        backend = "serial"
    else:
        scattered = {s: client.scatter(frame, broadcast=True) for s, frame in data.items()}
        futures = [
            client.submit(evaluate, scattered[s], kind, p, cfg, timeframe, s, pure=False)
            for s, p in jobs
        ]
        from dask.distributed import as_completed

        for _ in as_completed(futures):
            if progress is not None:
                progress(1)
        rows = client.gather(futures)
        backend = f"dask ({len(client.scheduler_info()['workers'])} workers)"
    table = pd.DataFrame(rows)
    order = [metric, "symbol", *sorted(sets[0])]  # ties broken by symbol, then parameters
    ranked = table.sort_values(
        order, ascending=[False] + [True] * (len(order) - 1), na_position="last", kind="stable"
    ).reset_index(drop=True)
    return SweepResult(ranked, metric, len(jobs), backend)


def deflated_sharpe(
    returns: np.ndarray | pd.Series, trial_sharpes: Sequence[float], ppy: float
) -> float:
    """Probability that the chosen strategy's true Sharpe exceeds what luck explains.

    ``returns`` are the chosen configuration's per-bar returns; ``trial_sharpes``
    the annualised Sharpe ratios of every configuration tried (including it).

    Examples
    --------
    >>> r = np.random.default_rng(1).normal(0.001, 0.01, 2000)
    >>> 0 <= deflated_sharpe(r, [0.5, 1.0, 1.5, 2.0], 365) <= 1
    True
    """
    r = np.asarray(returns, dtype=np.float64)
    r = r[~np.isnan(r)]
    n_obs = len(r)
    trials = np.asarray([s for s in trial_sharpes if s is not None and np.isfinite(s)]) / math.sqrt(
        ppy
    )
    if n_obs < 3 or r.std(ddof=1) == 0:
        return math.nan
    sr = r.mean() / r.std(ddof=1)
    n = max(len(trials), 1)
    var = trials.var(ddof=1) if len(trials) > 1 else 0.0
    sr0 = (
        math.sqrt(var)
        * ((1 - _EULER) * stats.norm.ppf(1 - 1 / n) + _EULER * stats.norm.ppf(1 - 1 / (n * math.e)))
        if n > 1
        else 0.0
    )
    skew = float(stats.skew(r))
    kurt = float(stats.kurtosis(r, fisher=False))
    denom = math.sqrt(max(1 - skew * sr + (kurt - 1) / 4 * sr**2, 1e-12))
    return float(stats.norm.cdf((sr - sr0) * math.sqrt(n_obs - 1) / denom))


def folds(
    n: int, *, splits: int = 4, train_frac: float = 0.7, anchored: bool = False
) -> list[tuple[slice, slice]]:
    """Train/test index slices: ``splits`` consecutive test windows after a train window.

    Rolling folds keep the train window length; anchored ones grow it from bar 0.

    Examples
    --------
    >>> folds(100, splits=2, train_frac=0.6)
    [(slice(0, 60, None), slice(60, 80, None)), (slice(20, 80, None), slice(80, 100, None))]
    """
    train = int(n * train_frac)
    test = (n - train) // splits
    if train < 2 or test < 2:
        raise ValidationError(f"{n} bars are too few for {splits} folds", field="splits")
    out = []
    for k in range(splits):
        test_start = train + k * test
        train_start = 0 if anchored else k * test
        out.append((slice(train_start, test_start), slice(test_start, test_start + test)))
    return out


def walk_forward(
    bars: pd.DataFrame,
    kind: str,
    sets: Sequence[Mapping[str, Any]],
    *,
    timeframe: str,
    symbol: str,
    config: BacktestConfig | None = None,
    splits: int = 4,
    train_frac: float = 0.7,
    anchored: bool = False,
    metric: str = "sharpe",
    client: Any | None = None,
) -> pd.DataFrame:
    """Per fold: best parameters in-sample, their in- and out-of-sample metrics, DSR."""
    cfg = config or BacktestConfig()
    ppy = periods_per_year(timeframe)
    rows = []
    for i, (train, test) in enumerate(
        folds(len(bars), splits=splits, train_frac=train_frac, anchored=anchored)
    ):
        insample = run_sweep(
            {symbol: bars.iloc[train]},
            kind,
            sets,
            timeframe=timeframe,
            config=cfg,
            metric=metric,
            client=client,
        ).table
        valid = insample[insample["error"].isna()]
        if valid.empty:
            raise ValidationError("no valid parameter set", field="grid")
        best = valid.iloc[0]
        params = {k: _plain(best[k]) for k in sets[0]}
        result, _ = backtest_bars(bars.iloc[train], _single(kind, params), cfg, symbol=symbol)
        oos = evaluate(bars.iloc[test], kind, params, cfg, timeframe, symbol)
        rows.append(
            {
                "fold": i,
                "train_start": bars.index[train.start],
                "test_start": bars.index[test.start],
                "test_end": bars.index[test.stop - 1],
                **params,
                f"is_{metric}": best[metric],
                f"oos_{metric}": oos[metric],
                "is_return": best["total_return"],
                "oos_return": oos["total_return"],
                "oos_trades": oos["trades"],
                "oos_max_drawdown": oos["max_drawdown"],
                "deflated_sharpe": deflated_sharpe(
                    result.returns.to_numpy(), valid["sharpe"].tolist(), ppy
                ),
            }
        )
    return pd.DataFrame(rows)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def ranked_preview(table: pd.DataFrame, columns: Iterable[str], top: int = 10) -> str:
    """A text table of the best ``top`` rows (for the CLI)."""
    return table.head(top)[list(columns)].to_string(index=False, float_format=lambda v: f"{v:.4f}")
