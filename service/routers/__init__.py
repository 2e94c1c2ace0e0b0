"""HTTP routers: thin adapters from requests to ``aitrader_core.app`` use cases."""
