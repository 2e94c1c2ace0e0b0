"""The built-in strategy kinds: kind name -> strategy class and its params model.

The table is immutable; it is what ensemble configs may name in ``kind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .base import RuleStrategy, StrategyParams
from .breakout import BollingerBreakout, DonchianBreakout
from .reversion import RsiReversion, VwapReversion
from .trend import EmaCross, IchimokuCloud, MacdTrend

STRATEGIES: Mapping[str, type[RuleStrategy[Any]]] = MappingProxyType(
    {
        cls.kind: cls
        for cls in (
            EmaCross,
            RsiReversion,
            BollingerBreakout,
            MacdTrend,
            DonchianBreakout,
            IchimokuCloud,
            VwapReversion,
        )
    }
)


def known_kinds() -> list[str]:
    """Return the strategy kinds an ensemble member may use, sorted.

    Examples
    --------
    >>> known_kinds()[:3]
    ['bollinger_breakout', 'donchian_breakout', 'ema_cross']
    """
    return sorted(STRATEGIES)


def params_model(kind: str) -> type[StrategyParams]:
    """Return the typed parameters model of ``kind``.

    Raises
    ------
    KeyError
        ``kind`` is unknown; the message lists the known kinds.

    Examples
    --------
    >>> params_model("ema_cross")(fast=5, slow=20).slow
    20
    """
    try:
        return STRATEGIES[kind].params_model
    except KeyError:
        raise KeyError(
            f"unknown strategy kind {kind!r}; known: {', '.join(known_kinds())}"
        ) from None


def create_strategy(
    kind: str, params: StrategyParams | Mapping[str, Any] | None = None
) -> RuleStrategy[Any]:
    """Build a strategy of ``kind`` from its params model or a plain mapping.

    A mapping is validated by the kind's params model (pydantic
    ``ValidationError`` on unknown or wrong-typed fields).

    Examples
    --------
    >>> create_strategy("rsi_reversion", {"period": 7})
    RsiReversion(RsiReversionParams(allow_short=False, period=7, lower=30.0, upper=70.0))
    """
    model = params_model(kind)
    typed = params if isinstance(params, StrategyParams) else model.model_validate(params or {})
    return STRATEGIES[kind](typed)
