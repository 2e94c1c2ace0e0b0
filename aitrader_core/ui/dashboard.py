"""The operator dashboard: the cards, the frame and the refresh loop, composed.

``Dashboard().show()`` is all the Voila notebook does. The first refresh
runs before anything is displayed, so a page load (a reload, a second tab)
shows full data at once; then the poller refreshes every card at the chosen
interval. All reads and writes go through :class:`ServiceClient` (HTTP).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

import ipywidgets as w

from aitrader_core.client import ClientSettings, ServiceClient
from aitrader_core.ui.balance import BalanceCard
from aitrader_core.ui.broker import BrokerCard
from aitrader_core.ui.card import Actions, Card
from aitrader_core.ui.chrome import Banner, Header, Toasts
from aitrader_core.ui.figures import MetricThresholds
from aitrader_core.ui.metrics import MetricsCard
from aitrader_core.ui.orders import OrdersCard
from aitrader_core.ui.pnl import PnlCard
from aitrader_core.ui.poller import Background, Poller, running_loop
from aitrader_core.ui.positions import PositionsCard
from aitrader_core.ui.prefs import DashboardPrefs, PrefsStore
from aitrader_core.ui.reports import ReportsCard
from aitrader_core.ui.snapshot import Snapshot, fetch_snapshot
from aitrader_core.ui.strategies import StrategiesCard
from aitrader_core.ui.theme import STYLESHEET
from aitrader_core.ui.trades import TradesCard


class Dashboard:
    """Every card of the operator dashboard over one service client.

    Parameters
    ----------
    client
        The service's HTTP client (default: from ``AITRADER_SERVICE_URL`` and
        ``AITRADER_API_TOKEN``).
    prefs
        Where the operator's settings are remembered (default:
        ``$AITRADER_HOME/dashboard.json``).
    thresholds
        The metrics card's good / weak / poor thresholds.
    loop
        The event loop to poll on: ``"running"`` (default) is the kernel's running
        loop; None runs actions inline and does not poll (scripts, tests).
    draw
        How the metrics card displays a bokeh layout (default: notebook output).
    """

    def __init__(
        self,
        client: ServiceClient | None = None,
        *,
        prefs: PrefsStore | None = None,
        thresholds: MetricThresholds | None = None,
        loop: asyncio.AbstractEventLoop | Literal["running"] | None = "running",
        draw: Callable[[Any], None] | None = None,
    ) -> None:
        self.client = client or ServiceClient(ClientSettings())
        self.store = prefs or PrefsStore(self.client.settings.home / "dashboard.json")
        self.prefs: DashboardPrefs = self.store.load()
        self.loop = running_loop() if loop == "running" else loop
        self.background = Background(self.loop)
        self.toasts = Toasts(self.loop)
        actions = Actions(self.client, self.toasts.show, self.background.run, self.refresh_later)
        self.header = Header(self.prefs.interval, self.prefs.theme, self.client.url)
        self.banner = Banner()
        self.metrics = MetricsCard(
            thresholds or MetricThresholds(),
            self.prefs.window,
            self.prefs.series,
            self._metrics_changed,
            self.prefs.theme,
            draw,
        )
        self.cards: list[Card] = [
            BalanceCard(),
            PnlCard(),
            BrokerCard(),
            PositionsCard(),
            ReportsCard(actions),
            OrdersCard(),
            TradesCard(actions),
            StrategiesCard(actions),
            self.metrics,
        ]
        grid = w.Box([c.widget for c in self.cards])
        grid.add_class("ait-grid")
        self.root = w.VBox(
            [w.HTML(STYLESHEET), self.toasts.widget, self.header.widget, self.banner.widget, grid]
        )
        self.root.add_class("ait-root")
        self.root.add_class(f"ait-{self.prefs.theme}")
        self.poller: Poller[Snapshot] = Poller(self.fetch, self.apply, self.loop)
        self.last: Snapshot | None = None
        self._errors_shown: set[str] = set()
        self.header.interval.observe(lambda ch: self.set_interval(ch["new"]), names="value")
        self.header.theme.observe(lambda ch: self.set_theme(ch["new"]), names="value")
        self.header.refresh.on_click(lambda _: self.refresh_later())

    def card(self, slug: str) -> Card:
        """The card named ``slug`` (balance, pnl, broker, positions, reports, orders, ...)."""
        return next(c for c in self.cards if c.slug == slug)

    # -- refresh -------------------------------------------------------------------------------
    def fetch(self) -> Snapshot:
        """Read every endpoint once (blocking; the poller runs it in a thread)."""
        return fetch_snapshot(self.client, self.metrics.query())

    def apply(self, snap: Snapshot) -> None:
        """Show a snapshot on every card, the banner and the indicators."""
        self.last = snap
        self.header.update(snap)
        self.banner.update(snap, int(self.header.interval.value))
        for card in self.cards:
            card.update(snap)
        errors = {str(e) for e in snap.errors.values()}
        for message in sorted(errors - self._errors_shown):
            self.toasts.show(message, "error")
        self._errors_shown = errors

    def refresh(self) -> Snapshot:
        """Refresh every card now (blocking)."""
        snap = self.fetch()
        self.apply(snap)
        return snap

    def refresh_later(self) -> None:
        """Refresh every card without blocking the kernel (buttons, after changes)."""
        self.background.run(self.fetch, lambda snap, error: None if error else self.apply(snap))

    # -- settings ------------------------------------------------------------------------------
    def _remember(self, **changes: Any) -> None:
        self.prefs = self.prefs.model_copy(update=changes)
        self.store.save(self.prefs)

    def set_interval(self, seconds: int) -> None:
        """Poll every ``seconds`` (0: off); remembered."""
        if self.header.interval.value != seconds:
            self.header.interval.value = seconds  # observer comes back here
            return
        self._remember(interval=seconds)
        self.poller.set_interval(seconds)

    def set_theme(self, theme: str) -> None:
        """Switch light / dark; remembered."""
        if self.header.theme.value != theme:
            self.header.theme.value = theme
            return
        self.root.remove_class("ait-light" if theme == "dark" else "ait-dark")
        self.root.add_class(f"ait-{theme}")
        self.metrics.set_theme(theme)
        self._remember(theme=theme)

    def _metrics_changed(self) -> None:
        query = self.metrics.query()
        series = f"{query.symbol} {query.timeframe}" if query.symbol else None
        self._remember(window=query.bars, series=series)
        self.refresh_later()

    # -- display -------------------------------------------------------------------------------
    def show(self) -> None:
        """Load everything, display the dashboard, start polling (in a notebook or Voila)."""
        from bokeh.io import output_notebook
        from bokeh.resources import INLINE
        from IPython.display import display

        output_notebook(INLINE, hide_banner=True)
        self.refresh()
        display(self.root)
        self.poller.set_interval(self.prefs.interval)

    def close(self) -> None:
        """Stop polling and close the client."""
        self.poller.stop()
        self.client.close()
