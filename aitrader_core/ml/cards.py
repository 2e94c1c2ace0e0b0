"""What the model router talks about: model cards, drift events, model status."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Kind = Literal["signal", "sentiment"]
Action = Literal["fallback", "demote", "retire", "improved", "reinstate"]


class ModelCard(BaseModel):
    """What a registered model is: name, kind, version, training range and score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    kind: Kind
    version: str = Field(min_length=1, max_length=64)
    trained_from_ms: int
    trained_to_ms: int
    validation_score: float
    path: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _range(self) -> ModelCard:
        if self.trained_to_ms < self.trained_from_ms:
            raise ValueError("trained_to_ms is before trained_from_ms")
        return self


class DriftEvent(BaseModel):
    """One router event, as journaled (``mean_*``: ADWIN window means around the cut)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    kind: Kind
    version: str
    action: Action
    samples: int
    mean_before: float | None = None
    mean_after: float | None = None
    replacement: str | None = None
    reason: str
    ts_ms: int | None = None


class ModelStatus(BaseModel):
    """One model's health for the API: errors seen, ADWIN window, drifted, active."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    kind: Kind
    version: str
    priority: int
    validation_score: float
    samples: int
    mean_error: float | None
    window_mean: float | None
    window_width: int
    drifted: bool
    active: bool
