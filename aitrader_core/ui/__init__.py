"""Widget cards of the operator dashboard (ipywidgets + bokeh), over the service's HTTP API.

The cards read and write only through :class:`aitrader_core.client.ServiceClient`,
so the dashboard can run on another host than the service. The Voila notebook
``dashboards/operator.ipynb`` is ``Dashboard().show()``.
"""

from aitrader_core.ui.dashboard import Dashboard
from aitrader_core.ui.figures import MetricThresholds
from aitrader_core.ui.prefs import DashboardPrefs, PrefsStore
from aitrader_core.ui.snapshot import SeriesQuery, Snapshot, fetch_snapshot

__all__ = [
    "Dashboard",
    "DashboardPrefs",
    "MetricThresholds",
    "PrefsStore",
    "SeriesQuery",
    "Snapshot",
    "fetch_snapshot",
]
