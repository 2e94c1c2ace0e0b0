"""Orchestration of live and paper trading: coordinator, reconciliation, auto-heal."""
