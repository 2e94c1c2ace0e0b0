"""Ensembles: weighted votes of strategies, a threshold and a governor.

``score[t] = sum(weight_i * direction_i[t])`` with weights normalised to sum
1, so ``score`` is in [-1, 1]; the wanted direction is ``sign(score)`` where
``|score| >= threshold``, else flat; the governor then limits how often it
may change (see :func:`~aitrader_core.strategies.governor.govern`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from .base import RuleStrategy, Signals
from .governor import GovernorConfig, govern
from .registry import STRATEGIES, create_strategy, known_kinds

# Scores are sums of float weights: 1/3 + 1/3 must still reach a 2/3 threshold.
_TOLERANCE = 1e-9


class MemberConfig(BaseModel):
    """One ensemble member: a named strategy of a known ``kind`` with a weight.

    ``params`` is validated by the kind's own params model; after validation it
    holds every parameter, defaults included.

    Examples
    --------
    >>> MemberConfig(name="trend", kind="ema_cross", params={"fast": 5}).params["slow"]
    26
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)

    name: str = Field(min_length=1)
    kind: str
    weight: float = Field(1.0, ge=0)
    params: dict[str, Any] = Field(default_factory=dict, validate_default=True)

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, kind: str) -> str:
        if kind not in STRATEGIES:
            raise PydanticCustomError(
                "unknown_kind",
                "unknown strategy kind '{kind}'; known kinds: {known}",
                {"kind": kind, "known": ", ".join(known_kinds())},
            )
        return kind

    @field_validator("params")
    @classmethod
    def _typed_params(cls, params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        kind = info.data.get("kind")
        if kind is None:  # the kind itself is invalid and already reported
            return params
        return STRATEGIES[kind].params_model.model_validate(params).model_dump()

    def strategy(self) -> RuleStrategy[Any]:
        """Build this member's strategy."""
        return create_strategy(self.kind, self.params)


class EnsembleConfig(BaseModel):
    """A named ensemble: members, vote threshold, governor and short permission.

    Examples
    --------
    >>> cfg = EnsembleConfig.model_validate({
    ...     "name": "demo", "threshold": 0.5,
    ...     "members": [{"name": "a", "kind": "ema_cross", "weight": 3},
    ...                 {"name": "b", "kind": "rsi_reversion", "weight": 1}]})
    >>> cfg.weights().tolist()
    [0.75, 0.25]
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, strict=True)

    name: str = Field(min_length=1)
    description: str = ""
    members: list[MemberConfig] = Field(min_length=1)
    threshold: float = Field(0.5, ge=0, le=1)
    governor: GovernorConfig = Field(default_factory=GovernorConfig)
    allow_short: bool = False

    @field_validator("members", mode="wrap")
    @classmethod
    def _members_as_a_whole(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # Checks across members run on the raw input too, so that duplicate names
        # and all-zero weights are reported together with every member's own errors.
        cross = _cross_member_errors(value) if isinstance(value, list) else []
        try:
            members = handler(value)
        except PydanticValidationError as exc:
            if not cross:
                raise
            own: list[InitErrorDetails] = [
                {
                    "type": PydanticCustomError(e["type"], e["msg"]),
                    "loc": e["loc"],
                    "input": e["input"],
                }
                for e in exc.errors()
            ]
            # Keep each member's problems together, in member order.
            merged = sorted(own + cross, key=lambda e: e["loc"][0] if e["loc"] else -1)
            raise PydanticValidationError.from_exception_data("members", merged) from None
        if cross:
            raise PydanticValidationError.from_exception_data("members", cross)
        return members

    def weights(self) -> pd.Series:
        """Return the members' weights normalised to sum 1, indexed by member name."""
        raw = pd.Series({m.name: m.weight for m in self.members}, dtype=np.float64)
        return raw / raw.sum()


def _field(member: Any, name: str) -> Any:
    return member.get(name) if isinstance(member, dict) else getattr(member, name, None)


def _cross_member_errors(members: list[Any]) -> list[InitErrorDetails]:
    errors: list[InitErrorDetails] = []
    seen: dict[str, int] = {}
    for i, member in enumerate(members):
        name = _field(member, "name")
        if isinstance(name, str) and name in seen:
            error = PydanticCustomError(
                "duplicate_name",
                "duplicate member name '{name}' (also used by members[{first}])",
                {"name": name, "first": seen[name]},
            )
            errors.append({"type": error, "loc": (i, "name"), "input": name})
        elif isinstance(name, str):
            seen[name] = i
    weights = [_field(m, "weight") for m in members]
    numbers = [1.0 if w is None else w for w in weights]  # a missing weight defaults to 1
    numeric = all(isinstance(w, int | float) and not isinstance(w, bool) for w in numbers)
    if numbers and numeric and all(w == 0 for w in numbers):
        error = PydanticCustomError("zero_weights", "at least one member weight must be > 0")
        errors.append({"type": error, "loc": (), "input": weights})
    return errors


@dataclass(frozen=True, eq=False)
class EnsembleResult:
    """Everything an ensemble computed on a set of bars.

    Attributes
    ----------
    score
        Weighted vote per bar, in [-1, 1].
    wanted
        int8 direction from the threshold, before the governor.
    signal
        int8 direction after the governor: what to trade.
    members
        Each member's int8 direction, one column per member name.
    suppressed
        New signals the governor dropped: columns ``signal`` and ``reason``.
    weights
        Normalised member weights.
    """

    score: pd.Series
    wanted: pd.Series
    signal: pd.Series
    members: pd.DataFrame
    suppressed: pd.DataFrame
    weights: pd.Series


def combine(
    members: pd.DataFrame, weights: pd.Series, threshold: float, *, allow_short: bool = False
) -> tuple[pd.Series, pd.Series]:
    """Return ``(score, wanted)`` from member directions and normalised weights.

    Examples
    --------
    >>> idx = pd.date_range("2024-01-01", periods=3, freq="1h", tz="UTC")
    >>> votes = pd.DataFrame({"a": [1, 1, -1], "b": [0, 1, -1]}, index=idx)
    >>> score, wanted = combine(votes, pd.Series({"a": 0.6, "b": 0.4}), 0.7, allow_short=True)
    >>> score.round(2).tolist(), wanted.tolist()
    ([0.6, 1.0, -1.0], [0, 1, -1])
    """
    score = members.astype(np.float64).mul(weights[members.columns], axis=1).sum(axis=1)
    score = score.clip(-1.0, 1.0).rename("score")
    direction = np.sign(score.to_numpy()) * (np.abs(score.to_numpy()) >= threshold - _TOLERANCE)
    if not allow_short:
        direction = np.maximum(direction, 0.0)
    return score, pd.Series(direction.astype(np.int8), index=members.index, name="wanted")


class Ensemble:
    """An ensemble built from its config; also a :class:`~.base.Strategy` itself.

    Examples
    --------
    >>> from aitrader_core.strategies.base import bars_from_close
    >>> cfg = EnsembleConfig.model_validate({"name": "one", "threshold": 0.5, "members": [
    ...     {"name": "x", "kind": "ema_cross", "params": {"fast": 2, "slow": 3}}]})
    >>> Ensemble(cfg).signals(bars_from_close([1, 2, 3, 4.0])).direction.tolist()
    [0, 0, 1, 1]
    """

    def __init__(self, config: EnsembleConfig) -> None:
        self.config = config
        self.strategies = {m.name: m.strategy() for m in config.members}

    def __repr__(self) -> str:
        return f"Ensemble({self.config.name!r}, members={list(self.strategies)})"

    def run(self, bars: pd.DataFrame, features: pd.DataFrame | None = None) -> EnsembleResult:
        """Run every member on ``bars`` and combine them."""
        members = pd.DataFrame(
            {name: s.signals(bars, features).direction for name, s in self.strategies.items()},
            index=bars.index,
        )
        weights = self.config.weights()
        score, wanted = combine(
            members, weights, self.config.threshold, allow_short=self.config.allow_short
        )
        signal, suppressed = govern(wanted, self.config.governor)
        return EnsembleResult(score, wanted, signal, members, suppressed, weights)

    def signals(self, bars: pd.DataFrame, features: pd.DataFrame | None = None) -> Signals:
        """Return the governed ensemble direction as :class:`~.base.Signals`."""
        return Signals(self.run(bars, features).signal.rename("direction"))
