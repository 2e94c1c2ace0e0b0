"""Bokeh figures of the ML layer: CV folds of a meta-model, a router's drift events."""

from __future__ import annotations

import itertools

import pandas as pd
from bokeh.models import (  # type: ignore[attr-defined]  # bokeh's stubs miss these
    ColumnDataSource,
    FactorRange,
    HoverTool,
    Range1d,
    Span,
)
from bokeh.palettes import Category10_10
from bokeh.plotting import figure

_ACTION_COLORS = {
    "fallback": "#ff7f0e",
    "demote": "#d62728",
    "retire": "#9467bd",
    "improved": "#2ca02c",
    "reinstate": "#17becf",
}


def fold_scores_figure(folds: pd.DataFrame, *, title: str = "") -> figure:
    """Precision per walk-forward fold against the base rate (taking every signal).

    ``folds`` is :meth:`MetaModel.folds`: a row per fold with ``precision``,
    ``base_rate`` and ``auc``; above the base rate the filter helped.

    Examples
    --------
    >>> folds = pd.DataFrame({"precision": [0.5, None], "base_rate": [0.4, 0.5],
    ...                       "auc": [0.6, 0.5], "taken": [3, 0], "samples": [9, 9]})
    >>> type(fold_scores_figure(folds)).__name__
    'figure'
    """
    data = folds.reset_index(drop=True).astype({"precision": float, "auc": float})
    source = ColumnDataSource(
        {
            "fold": [str(i) for i in range(len(data))],
            "precision": data["precision"].fillna(0.0),
            "base_rate": data["base_rate"].astype(float),
            "auc": data["auc"],
            "taken": data["taken"],
            "samples": data["samples"],
        }
    )
    fig = figure(
        x_range=FactorRange(factors=list(source.data["fold"])),
        y_range=Range1d(start=0, end=1),
        height=320,
        sizing_mode="stretch_width",
        title=title or "Meta-model precision by walk-forward fold",
        tools="save,reset",
        x_axis_label="fold (test block, oldest first)",
    )
    fig.vbar("fold", 0.6, "precision", source=source, color="#1f77b4", legend_label="precision")
    fig.scatter(
        "fold", "base_rate", source=source, size=12, marker="dash", line_width=3,
        color="black", legend_label="base rate",
    )  # fmt: skip
    fig.scatter("fold", "auc", source=source, size=8, color="#ff7f0e", legend_label="AUC")
    fig.add_layout(Span(location=0.5, dimension="width", line_dash="dotted", line_color="gray"))
    fig.add_tools(
        HoverTool(
            tooltips=[
                ("precision", "@precision{0.000}"),
                ("base rate", "@base_rate{0.000}"),
                ("AUC", "@auc{0.000}"),
                ("taken / samples", "@taken / @samples"),
            ]
        )
    )
    fig.legend.location = "top_left"
    return fig


def drift_figure(
    errors: pd.DataFrame,
    events: pd.DataFrame,
    *,
    window: int = 50,
    change_at: int | None = None,
    title: str = "",
) -> figure:
    """Rolling mean error per model with the router's events marked where they fired.

    ``errors`` has a column per model and a row per step (as fed to
    :func:`~aitrader_core.ml.router.replay_errors`), ``events`` is what that
    returned; ``change_at`` draws the step where the stream really changed.

    Examples
    --------
    >>> errors = pd.DataFrame({"a": [0.0, 1.0] * 50})
    >>> events = pd.DataFrame({"step": [60], "model": ["a"], "action": ["demote"]})
    >>> type(drift_figure(errors, events, window=10, change_at=50)).__name__
    'figure'
    """
    rolling = errors.rolling(window, min_periods=1).mean()
    fig = figure(
        height=320,
        sizing_mode="stretch_width",
        title=title or f"Online error (rolling mean of {window}) and drift events",
        x_axis_label="sample",
        y_axis_label="error",
        tools="xpan,xwheel_zoom,box_zoom,reset,save",
    )
    for name, color in zip(rolling.columns, itertools.cycle(Category10_10), strict=False):
        fig.line(rolling.index, rolling[name], color=color, legend_label=str(name))
    if change_at is not None:
        fig.add_layout(
            Span(location=change_at, dimension="height", line_dash="dashed", line_color="gray")
        )
    for action, group in events.groupby("action"):
        color = _ACTION_COLORS.get(str(action), "black")
        for step in group["step"]:
            fig.add_layout(Span(location=step, dimension="height", line_color=color))
        y = [float(rolling.at[s, m]) for s, m in zip(group["step"], group["model"], strict=True)]
        fig.scatter(
            list(group["step"]), y, size=11, color=color, marker="triangle",
            legend_label=f"{action}",
        )  # fmt: skip
    fig.legend.location = "top_left"
    return fig
