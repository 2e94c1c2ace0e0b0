"""Risk limits: the configuration the guard enforces (validated, immutable)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class StrategyControl(BaseModel):
    """Per-strategy switch and caps, editable by operators."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    max_risk_fraction: Decimal = Field(
        default=Decimal("0.01"),
        ge=0,
        le=1,
        description="share of equity a single trade of this strategy may put at risk",
    )
    max_daily_trades: int = Field(default=20, ge=0)


class RiskLimits(BaseModel):
    """Every limit the guard checks before an order may leave. ``None`` disables one.

    Percentages are fractions of current equity (``0.02`` = 2 %), except the
    daily loss, which is a fraction of start-of-day equity.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_order_notional: Decimal | None = Field(default=Decimal("10000"), gt=0)
    max_risk_per_trade: Decimal | None = Field(default=Decimal("0.02"), gt=0, le=1)
    max_daily_loss: Decimal | None = Field(default=Decimal("0.05"), gt=0, le=1)
    max_trades_per_day: int | None = Field(default=50, ge=0)
    max_gross_exposure: Decimal | None = Field(default=Decimal("1.0"), gt=0)
    max_symbol_exposure: Decimal | None = Field(default=Decimal("0.5"), gt=0)
    max_open_positions: int | None = Field(default=5, ge=0)
    kill_switch: bool = False
