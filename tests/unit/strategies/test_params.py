"""Typed strategy parameters: bounds, cross-field rules and their messages; the registry."""

from __future__ import annotations

import pydantic
import pytest

from aitrader_core.strategies import (
    STRATEGIES,
    BollingerBreakoutParams,
    DonchianBreakoutParams,
    EmaCross,
    EmaCrossParams,
    IchimokuCloudParams,
    MacdTrendParams,
    RsiReversion,
    RsiReversionParams,
    VwapReversionParams,
    create_strategy,
    known_kinds,
    params_model,
)

KINDS = {
    "ema_cross",
    "rsi_reversion",
    "bollinger_breakout",
    "macd_trend",
    "donchian_breakout",
    "ichimoku_cloud",
    "vwap_reversion",
}


def messages(exc: pytest.ExceptionInfo[pydantic.ValidationError]) -> list[tuple[str, str]]:
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in exc.value.errors()]


def test_registry_lists_the_seven_built_ins() -> None:
    assert set(STRATEGIES) == KINDS
    assert known_kinds() == sorted(KINDS)
    for kind, cls in STRATEGIES.items():
        assert cls.kind == kind
        assert cls.__doc__
        assert cls.params_model.__doc__


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_defaults_are_valid_long_only_and_frozen(kind: str) -> None:
    params = params_model(kind)()
    assert params.allow_short is False
    with pytest.raises(pydantic.ValidationError, match="frozen"):
        params.allow_short = True  # type: ignore[misc]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_unknown_parameter_is_rejected_by_name(kind: str) -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        params_model(kind).model_validate({"speed": 3})
    assert messages(exc) == [("speed", "Extra inputs are not permitted")]


@pytest.mark.parametrize(
    ("model", "values", "expected"),
    [
        (
            EmaCrossParams,
            {"fast": 30, "slow": 20},
            ("", "fast (30) must be smaller than slow (20)"),
        ),
        (EmaCrossParams, {"fast": 26}, ("", "fast (26) must be smaller than slow (26)")),
        (EmaCrossParams, {"fast": 1}, ("fast", "Input should be greater than or equal to 2")),
        (MacdTrendParams, {"fast": 40}, ("", "fast (40) must be smaller than slow (26)")),
        (
            IchimokuCloudParams,
            {"kijun": 60},
            ("", "kijun (60) must be smaller than senkou_b (52)"),
        ),
        (RsiReversionParams, {"lower": 80}, ("", "lower (80.0) must be smaller than upper (70.0)")),
        (RsiReversionParams, {"upper": 100}, ("upper", "Input should be less than 100")),
        (
            RsiReversionParams,
            {"period": "x"},
            ("period", "Input should be a valid integer"),
        ),
        (
            DonchianBreakoutParams,
            {"period": 10, "exit_period": 20},
            ("", "exit_period (20) must be at most period (10)"),
        ),
        (
            BollingerBreakoutParams,
            {"mode": "sideways"},
            ("mode", "Input should be 'trend' or 'revert'"),
        ),
        (BollingerBreakoutParams, {"nbdev": 0}, ("nbdev", "Input should be greater than 0")),
        (
            BollingerBreakoutParams,
            {"period": 20.5},
            ("period", "Input should be a valid integer"),
        ),
        (VwapReversionParams, {"band": float("nan")}, ("band", "Input should be a finite number")),
        (
            VwapReversionParams,
            {"anchor": "daily"},
            ("anchor", "String should match pattern '^(D|W|M|[1-9][0-9]*[mhdwM])$'"),
        ),
    ],
)
def test_invalid_values_have_clear_messages(
    model: type[pydantic.BaseModel], values: dict[str, object], expected: tuple[str, str]
) -> None:
    with pytest.raises(pydantic.ValidationError) as exc:
        model.model_validate(values)
    assert messages(exc) == [expected]


def test_valid_edge_values_pass() -> None:
    assert DonchianBreakoutParams(period=10, exit_period=10).exit_period == 10
    assert VwapReversionParams(anchor="4h").anchor == "4h"
    assert IchimokuCloudParams(tenkan=1, kijun=2, senkou_b=3).senkou_b == 3


def test_strategy_is_built_from_its_own_params_model() -> None:
    assert EmaCross().params == EmaCrossParams()
    assert EmaCross(EmaCrossParams(fast=5, slow=8)).params.fast == 5
    with pytest.raises(TypeError, match="EmaCross needs EmaCrossParams, got RsiReversionParams"):
        EmaCross(RsiReversionParams())  # type: ignore[arg-type]


def test_create_strategy_from_a_mapping_validates_it() -> None:
    strategy = create_strategy("rsi_reversion", {"period": 7, "allow_short": True})
    assert isinstance(strategy, RsiReversion)
    assert (strategy.params.period, strategy.params.allow_short) == (7, True)
    with pytest.raises(pydantic.ValidationError, match="period"):
        create_strategy("rsi_reversion", {"period": 1})
    with pytest.raises(KeyError, match="unknown strategy kind 'rsi'; known: bollinger_breakout"):
        create_strategy("rsi")
