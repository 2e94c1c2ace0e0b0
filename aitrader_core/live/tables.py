"""Tables of the live coordinator's state (created by migration 0005).

Everything the coordinator must remember across a restart lives here, not in
memory: its orders (with their role and parent), the fills it recorded, the
positions those fills make per strategy, operators' controls and limits, day
counters, the last bar processed per series, and named JSON snapshots for the
auto-heal work. Amounts are exact decimal strings (Text), never floats.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from aitrader_core.store.schema import metadata

# One row per order the coordinator decided, keyed by its idempotent client id.
# ``role``: entry | exit | stop | target | manual; ``parent_id`` links a protective
# order to its entry; ``bar_ts`` is the decision bar (None for manual orders).
live_orders = Table(
    "live_orders",
    metadata,
    Column("client_id", String(64), primary_key=True),
    Column("strategy", String(64), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("type", String(16), nullable=False),
    Column("tif", String(4), nullable=False),
    Column("role", String(8), nullable=False),
    Column("parent_id", String(64), nullable=True),
    Column("qty", Text, nullable=False),
    Column("price", Text, nullable=True),
    Column("stop_price", Text, nullable=True),
    Column("status", String(20), nullable=False),
    Column("filled_qty", Text, nullable=False),
    Column("avg_price", Text, nullable=True),
    Column("venue_id", String(64), nullable=True),
    Column("bar_ts", BigInteger, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_live_orders_status", "status", "strategy"),
    Index("ix_live_orders_strategy", "strategy", "symbol", "created_ms"),
    Index("ix_live_orders_parent", "parent_id"),
)

# Executions of our orders, recorded once each (the venue's trade id is the key).
live_fills = Table(
    "live_fills",
    metadata,
    Column("trade_id", String(64), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("strategy", String(64), nullable=False),
    Column("role", String(8), nullable=False),
    Column("symbol", String(64), nullable=False),
    Column("side", String(4), nullable=False),
    Column("qty", Text, nullable=False),
    Column("price", Text, nullable=False),
    Column("fee", Text, nullable=False),
    Column("fee_asset", String(16), nullable=False),
    Column("ts_ms", BigInteger, nullable=False),
    Index("ix_live_fills_ts", "ts_ms", "trade_id"),
    Index("ix_live_fills_strategy_ts", "strategy", "ts_ms"),
    Index("ix_live_fills_client", "client_id"),
)

# The net position each strategy's fills made (realised PnL net of quote fees).
live_positions = Table(
    "live_positions",
    metadata,
    Column("strategy", String(64), primary_key=True),
    Column("symbol", String(64), primary_key=True),
    Column("qty", Text, nullable=False),
    Column("avg_entry", Text, nullable=False),
    Column("realized_pnl", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# Operators' per-strategy switch and caps (validated through StrategyControl on read).
live_strategy_controls = Table(
    "live_strategy_controls",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("max_risk_fraction", Text, nullable=False),
    Column("max_daily_trades", Integer, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# The account's risk limits and kill switch: one row (id 1), RiskLimits as JSON.
live_risk_limits = Table(
    "live_risk_limits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("limits", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", String(64), nullable=False),
)

# Per UTC day: trades per strategy; the account row (strategy "*") also keeps the
# start-of-day and peak equity the daily-loss limit and the drawdown read.
live_day_counters = Table(
    "live_day_counters",
    metadata,
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD, UTC
    Column("strategy", String(64), primary_key=True),
    Column("trades", Integer, nullable=False),
    Column("start_of_day_equity", Text, nullable=True),
    Column("peak_equity", Text, nullable=True),
    Column("updated_ms", BigInteger, nullable=False),
)

# The newest bar processed per series (``symbol|timeframe``), and other watermarks.
live_cursors = Table(
    "live_cursors",
    metadata,
    Column("name", String(160), primary_key=True),
    Column("ts_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

# Named JSON state for auto-heal (executor snapshots restored after a crash).
live_snapshots = Table(
    "live_snapshots",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("state", Text, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
)

TABLES = (
    "live_orders",
    "live_fills",
    "live_positions",
    "live_strategy_controls",
    "live_risk_limits",
    "live_day_counters",
    "live_cursors",
    "live_snapshots",
)
