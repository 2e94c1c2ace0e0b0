"""The service and the Voila dashboard on loopback, and Debian's chromium driven by Playwright.

One session: a fresh ``AITRADER_HOME`` with the bundled candles, ``aitrader
serve`` trading a short paper replay (simulator, stored bars, unpaced: the
figures settle within seconds so the page can be compared with the API
exactly), and ``voila dashboards/operator.ipynb`` pointed at it. Every child
runs in its own process group and is killed with it. Never a downloaded
browser: chromium comes from Debian (``make test`` installs it through
``tools/system-deps.sh``).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
TOKEN = "e2e-token"  # noqa: S105 (a throw-away token for the test service)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A short replay: the last week of the bundled 1h candles, as fast as possible.
LIVE_CONFIG = """\
feed: {{mode: replay, speed: 0, start: "2024-01-03"}}
strategies:
  - name: default-btc
    symbol: BTC/USDT
    timeframe: 1h
    ensemble: {ensemble}
    backtest:
      sizing: {{kind: percent_equity, fraction: 0.2}}
      exits: {{stop_loss: 0.03, take_profit: 0.06}}
  - name: default-eth
    symbol: ETH/USDT
    timeframe: 1h
    ensemble: {ensemble}
    backtest:
      sizing: {{kind: percent_equity, fraction: 0.2}}
      exits: {{stop_loss: 0.04, take_profit: 0.08}}
"""


def free_port() -> int:
    """A TCP port free on loopback now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Any, timeout: float, what: str, every: float = 0.25) -> Any:
    """Poll ``check()`` until it returns a truthy value; fail naming ``what``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except Exception as exc:  # not up yet
            last = exc
        if last and not isinstance(last, Exception):
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


class Proc:
    """A child process in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.args, self.env, self.log = name, args, env, log
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        out = self.log.open("ab")
        self.popen = subprocess.Popen(  # noqa: S603 (our own venv's programs)
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        out.close()

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM the whole group, SIGKILL it if it lingers."""
        if self.popen is None:
            return
        pgid = self.popen.pid
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            try:
                self.popen.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.popen = None

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


class Service:
    """``aitrader serve`` on a fixed loopback port: start, stop, start again."""

    def __init__(self, home: Path, port: int, logs: Path) -> None:
        self.home, self.port = home, port
        self.url = f"http://127.0.0.1:{port}"
        config = home / "live-e2e.yaml"
        ensemble = ROOT / "configs" / "ensembles" / "default.yaml"
        config.write_text(LIVE_CONFIG.format(ensemble=ensemble), encoding="utf-8")
        self.env = {
            **os.environ,
            "AITRADER_HOME": str(home),
            "AITRADER_API_TOKEN": TOKEN,
            "AITRADER_LIVE_ENABLED": "true",
            "AITRADER_LIVE_CONFIG": str(config),
            "AITRADER_NEWS_ENABLED": "false",
            "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"),
        }
        self.env.pop("AITRADER_DB_URL", None)
        self.proc = Proc(
            "service",
            [str(BIN / "aitrader"), "serve", "--host", "127.0.0.1", "--port", str(port)],
            self.env,
            logs / "service.log",
        )
        self.http = httpx.Client(base_url=self.url, timeout=10)

    def prepare(self) -> None:
        for step in (["db", "upgrade"], ["ingest", "sample"]):
            subprocess.run(  # noqa: S603
                [str(BIN / "aitrader"), *step], cwd=ROOT, env=self.env, check=True,
                capture_output=True, timeout=300,
            )  # fmt: skip

    def start(self) -> None:
        self.proc.start()
        try:
            wait_until(self.ready, 90, f"the service at {self.url}")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n--- service log ---\n{self.proc.tail()}") from None

    def ready(self) -> bool:
        if not self.proc.alive():
            raise AssertionError(f"the service exited\n{self.proc.tail()}")
        return self.http.get("/health/ready").status_code == 200

    def stop(self) -> None:
        self.proc.stop()

    def get(self, path: str, **params: Any) -> Any:
        response = self.http.get(path, params=params)
        response.raise_for_status()
        return response.json()

    def requests_total(self, route: str) -> float:
        """``aitrader_http_requests_total`` summed over methods and statuses of ``route``."""
        text = self.http.get("/metrics").text
        total = 0.0
        for line in text.splitlines():
            if line.startswith("aitrader_http_requests_total{") and f'route="{route}"' in line:
                total += float(line.rsplit(" ", 1)[1])
        return total


@pytest.fixture(scope="module")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Service]:
    home = tmp_path_factory.mktemp("e2e-service")
    svc = Service(home, free_port(), artifacts)
    svc.prepare()
    svc.start()
    try:
        wait_until(lambda: svc.get("/live/broker")["feed_done"], 120, "the replay to finish")
        yield svc
    finally:
        svc.stop()
        svc.http.close()


@pytest.fixture(scope="module")
def dashboard_url(
    service: Service, tmp_path_factory: pytest.TempPathFactory, artifacts: Path
) -> Iterator[str]:
    """Voila serving the operator notebook, talking to the service over HTTP."""
    home = tmp_path_factory.mktemp("e2e-dashboard")  # its own settings file (dashboard.json)
    port = free_port()
    env = {
        **os.environ,
        "AITRADER_SERVICE_URL": service.url,
        "AITRADER_API_TOKEN": TOKEN,
        "AITRADER_HOME": str(home),
        "BOKEH_RESOURCES": "inline",
        "NUMBA_CACHE_DIR": str(ROOT / ".cache" / "numba"),
    }
    args = [
        str(BIN / "voila"), "dashboards/operator.ipynb", "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1",
    ]  # fmt: skip
    proc = Proc("voila", args, env, artifacts / "voila.log")
    proc.start()
    url = f"http://127.0.0.1:{port}/"

    def listening() -> bool:
        if not proc.alive():
            raise AssertionError(f"voila exited\n{proc.tail()}")
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True

    try:
        wait_until(listening, 60, "voila to listen")
        yield url
    finally:
        proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's chromium through Playwright (never a downloaded browser).

    Module-scoped: Playwright's sync API keeps an event loop running in the main
    thread while it is open, which later tests must not find.
    """
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "chromium is not installed: `make test` installs it (Debian package) through "
            "tools/system-deps.sh, or run: sudo apt-get install -y chromium"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
