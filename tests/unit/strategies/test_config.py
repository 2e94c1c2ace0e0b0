"""Ensemble configs: every problem reported at once, with paths; YAML loading."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml

from aitrader_core.errors import ConfigError
from aitrader_core.strategies import (
    EnsembleConfig,
    EnsembleError,
    ensemble_errors,
    format_location,
    load_ensemble,
)
from tests.conftest import ROOT

KNOWN = (
    "known kinds: bollinger_breakout, donchian_breakout, ema_cross, ichimoku_cloud, "
    "macd_trend, rsi_reversion, vwap_reversion"
)


def config(*members: Any, **top: Any) -> dict[str, Any]:
    return {"name": "test", "members": list(members), **top}


def member(name: str, kind: str = "ema_cross", **fields: Any) -> dict[str, Any]:
    return {"name": name, "kind": kind, **fields}


def test_a_valid_config_fills_defaults_and_normalises_weights() -> None:
    cfg = EnsembleConfig.model_validate(
        config(member("a", weight=3), member("b", "rsi_reversion", params={"period": 7}))
    )
    assert ensemble_errors(cfg.model_dump()) == []
    assert cfg.threshold == 0.5
    assert cfg.allow_short is False
    assert cfg.governor.min_bars_between_signals == 0
    assert cfg.governor.max_signals_per_day is None
    assert cfg.members[1].params == {
        "allow_short": False,
        "period": 7,
        "lower": 30.0,
        "upper": 70.0,
    }
    assert cfg.weights().to_dict() == {"a": 0.75, "b": 0.25}
    assert EnsembleConfig.model_validate(cfg.model_dump()) == cfg  # round-trips


def test_every_problem_is_reported_at_once_with_its_path() -> None:
    data = config(
        member("trend", params={"fast": 30, "slow": 20}),
        member("trend", "nope", params={"whatever": 1}),
        member("dip", "rsi_reversion", weight=-1, params={"period": 1, "lower": "low", "speed": 2}),
        member("vwap", "vwap_reversion", params={"anchor": "hourly"}),
        threshold=1.5,
        governor={"min_bars_between_signals": -1, "max_signals_per_day": 0},
        colour="blue",
    )
    assert ensemble_errors(data) == [
        "members[0].params: fast (30) must be smaller than slow (20)",
        f"members[1].kind: unknown strategy kind 'nope'; {KNOWN}",
        "members[1].name: duplicate member name 'trend' (also used by members[0])",
        "members[2].weight: Input should be greater than or equal to 0",
        "members[2].params.period: Input should be greater than or equal to 2",
        "members[2].params.lower: Input should be a valid number",
        "members[2].params.speed: Extra inputs are not permitted",
        "members[3].params.anchor: String should match pattern '^(D|W|M|[1-9][0-9]*[mhdwM])$'",
        "threshold: Input should be less than or equal to 1",
        "governor.min_bars_between_signals: Input should be greater than or equal to 0",
        "governor.max_signals_per_day: Input should be greater than or equal to 1",
        "colour: Extra inputs are not permitted",
    ]


def test_model_validate_raises_pydantic_errors_with_the_same_locations() -> None:
    data = config(member("a", params={"fast": 1}), member("b", params={"slow": "x"}))
    with pytest.raises(pydantic.ValidationError) as exc:
        EnsembleConfig.model_validate(data)
    assert [e["loc"] for e in exc.value.errors()] == [
        ("members", 0, "params", "fast"),
        ("members", 1, "params", "slow"),
    ]


def test_unknown_kind_lists_the_known_ones() -> None:
    assert ensemble_errors(config(member("a", "ema"))) == [
        f"members[0].kind: unknown strategy kind 'ema'; {KNOWN}"
    ]


def test_duplicate_names_are_reported_for_each_repeat() -> None:
    data = config(member("a"), member("b"), member("a"), member("a"))
    assert ensemble_errors(data) == [
        "members[2].name: duplicate member name 'a' (also used by members[0])",
        "members[3].name: duplicate member name 'a' (also used by members[0])",
    ]


def test_all_zero_weights_are_an_error_but_one_positive_weight_is_enough() -> None:
    assert ensemble_errors(config(member("a", weight=0), member("b", weight=0.0))) == [
        "members: at least one member weight must be > 0"
    ]
    assert ensemble_errors(config(member("a", weight=0), member("b"))) == []


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        (-0.1, "threshold: Input should be greater than or equal to 0"),
        (1.01, "threshold: Input should be less than or equal to 1"),
        ("high", "threshold: Input should be a valid number"),
    ],
)
def test_threshold_out_of_range(threshold: object, message: str) -> None:
    assert ensemble_errors(config(member("a"), threshold=threshold)) == [message]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "x"}, "members: Field required"),
        (config(), "members: List should have at least 1 item after validation, not 0"),
        (
            config(member("a", params=[1, 2])),
            "members[0].params: Input should be a valid dictionary",
        ),
        (config(member("a", params=None)), "members[0].params: Input should be a valid dictionary"),
        ({"name": "x", "members": {"a": 1}}, "members: Input should be a valid list"),
        (
            config("ema_cross"),
            "members[0]: Input should be a valid dictionary or instance of MemberConfig",
        ),
    ],
)
def test_wrong_shapes_are_validation_errors_not_type_errors(data: Any, message: str) -> None:
    assert ensemble_errors(data) == [message]


def test_format_location() -> None:
    assert format_location(("members", 2, "params", "period")) == "members[2].params.period"
    assert format_location(("governor", "max_signals_per_day")) == "governor.max_signals_per_day"
    assert format_location(()) == "<root>"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ensemble.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_yaml_file_loads(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: pair\nthreshold: 0.6\nmembers:\n"
        "  - {name: ema, kind: ema_cross, params: {fast: 10, slow: 40}}\n"
        "  - {name: dip, kind: rsi_reversion, weight: 0.5}\n",
    )
    cfg = load_ensemble(path)
    assert [m.name for m in cfg.members] == ["ema", "dip"]
    assert cfg.members[0].params["slow"] == 40
    assert ensemble_errors(path) == ensemble_errors(str(path)) == []


def test_yaml_errors_are_reported_with_every_problem(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: bad\nthreshold: 2\nmembers:\n"
        "  - {name: a, kind: ema_cross, params: {fast: 1}}\n"
        "  - {name: b, kind: rsi_reversion, params: {period: 1}}\n",
    )
    expected = [
        "members[0].params.fast: Input should be greater than or equal to 2",
        "members[1].params.period: Input should be greater than or equal to 2",
        "threshold: Input should be less than or equal to 1",
    ]
    assert ensemble_errors(path) == expected
    with pytest.raises(EnsembleError) as exc:
        load_ensemble(path)
    assert exc.value.errors == expected
    assert isinstance(exc.value, ConfigError)
    assert str(exc.value).startswith(f"{path}: 3 problems: members[0].params.fast:")


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    # Line 4 is indented one space less than the mapping it continues.
    path = write(tmp_path, "name: x\nmembers:\n  - name: a\n   kind: ema_cross\n")
    [line] = ensemble_errors(path)
    assert re.fullmatch(rf"{re.escape(str(path))}:4:\d+: YAML syntax error: .+", line)


def test_duplicate_yaml_keys_are_reported_not_silently_overwritten(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: x\nmembers:\n  - name: a\n    kind: ema_cross\n"
        "    params:\n      fast: 5\n      fast: 1\n",
    )
    assert ensemble_errors(path) == [
        f"{path}:7:7: duplicate key 'fast'",
        "members[0].params.fast: Input should be greater than or equal to 2",
    ]


def test_missing_and_empty_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    assert ensemble_errors(missing) == [f"{missing}: file not found"]
    with pytest.raises(EnsembleError, match="file not found"):
        load_ensemble(missing)
    assert ensemble_errors(write(tmp_path, "# nothing\n")) == [
        f"{tmp_path / 'ensemble.yaml'}: the file is empty"
    ]
    assert ensemble_errors(write(tmp_path, "- a\n- b\n")) == [
        "<root>: Input should be a valid dictionary or instance of EnsembleConfig"
    ]


def test_the_readme_example_is_valid() -> None:
    readme = (ROOT / "configs" / "ensembles" / "README.md").read_text(encoding="utf-8")
    example = readme.split("## Example", 1)[1].split("```yaml\n", 1)[1].split("```", 1)[0]
    cfg = EnsembleConfig.model_validate(yaml.safe_load(example))
    assert [m.kind for m in cfg.members] == ["ema_cross", "donchian_breakout"]
    assert cfg.threshold == 0.6
