"""A small Binance spot venue for tests: recorded payloads, scripted state, no network.

The venue sits behind :class:`~aitrader_core.testing.ccxt_replay.CcxtReplayer`
on a *real* ``ccxt.binance``: just before each request reaches the replayer,
the venue reads it (method, path, query and form body, as Binance would) and
adds a one-shot route holding the answer its current state gives. The
replayer then serves it through ccxt's own response handling and error
mapping, records the request, and refuses anything unrecorded.

Answers are the recorded payloads under ``tests/data/binance`` with the
fields that describe *this* order substituted (see
``tests/data/binance/gateway/README.md``):

* ``exchangeInfo``: ``live_spot_2021-10-22/http_spot_market_exchange_info.json`` as is;
  its PRICE_FILTER, LOT_SIZE, MIN_NOTIONAL and orderTypes are enforced.
* new order: ``gateway/order_new_limit_btcusdt.json`` (a real createOrder) when
  it rests, ``docs_examples/spot_new_order_full_response.json`` when it fills.
* query / open orders: ``docs_examples/spot_order_response.json``;
  cancel: ``docs_examples/spot_cancel_order_response.json``;
  myTrades: ``docs_examples/spot_account_trades_response.json``;
  account: ``docs_examples/spot_account_response.json``.
* errors: ``gateway/errors.json``.

Market orders fill against the recorded book ticker (bid 60741.67, ask
60741.68); fees are 0.1 %, in the base asset for buys and the quote for sells,
as Binance charges without BNB.
"""

from __future__ import annotations

import copy
import functools
import json
from collections import deque
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ccxt
from pydantic import SecretStr

from aitrader_core.brokers.binance import binance_exchange
from aitrader_core.clock import ReplayClock
from aitrader_core.testing.broker_checks import Fault
from aitrader_core.testing.ccxt_replay import CcxtReplayer, Raise, Reply, Step

DATA = Path(__file__).resolve().parents[2] / "data" / "binance"
LIVE = DATA / "live_spot_2021-10-22"
DOCS = DATA / "docs_examples"
GATEWAY = DATA / "gateway"
START_MS = 1634943900000  # 2021-10-22T23:05Z, amid the recorded captures
# Replay time per request. ccxt's sync throttle sleeps for real (time.sleep) when less than
# rateLimit × cost ms passed on the exchange clock since the last request; ten simulated
# seconds per request is more than its largest delay, so tests never wait.
LATENCY_MS = 10_000
FEE_RATE = Decimal("0.001")
EIGHT = Decimal("0.00000001")
OPEN = ("NEW", "PARTIALLY_FILLED")
#: The example key pair from Binance's API docs ("SIGNED Endpoint Examples"): public, no
#: account behind it. Tests assert it never shows in logs, reprs or error texts.
API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
API_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"  # noqa: S105


@functools.cache
def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def recorded(path: Path) -> Any:
    """A fresh copy of a recorded payload."""
    return copy.deepcopy(_json(path))


def error(name: str) -> Reply:
    """Binance's error answer ``name`` from ``gateway/errors.json``."""
    spec = recorded(GATEWAY / "errors.json")[name]
    return Reply(spec["body"], status=spec["status"], headers=spec.get("headers", {}))


def s8(value: Decimal) -> str:
    """A Decimal as Binance writes amounts: eight decimals."""
    return f"{value.quantize(EIGHT):f}"


class _Rules:
    """One symbol's exchangeInfo filters."""

    def __init__(self, info: dict[str, Any]) -> None:
        filters = {f["filterType"]: f for f in info["filters"]}
        self.tick = Decimal(filters["PRICE_FILTER"]["tickSize"])
        self.step = Decimal(filters["LOT_SIZE"]["stepSize"])
        self.min_qty = Decimal(filters["LOT_SIZE"]["minQty"])
        self.min_notional = Decimal(filters["MIN_NOTIONAL"]["minNotional"])
        self.order_types = set(info["orderTypes"])
        self.base, self.quote = info["baseAsset"], info["quoteAsset"]

    def problem(self, qty: Decimal, price: Decimal | None, reference: Decimal) -> str | None:
        if qty < self.min_qty or qty % self.step:
            return "lot_size"
        if price is not None and price % self.tick:
            return "price_filter"
        if qty * (price or reference) < self.min_notional:
            return "min_notional"
        return None


class BinanceVenue:
    """A Binance spot account and matching engine, answering through a replayer.

    Implements :class:`~aitrader_core.testing.broker_checks.VenueDriver`.
    """

    symbol = "BTC/USDT"

    def __init__(self, *, usdt: str = "1000", bnb: str = "0.5") -> None:
        self.clock = ReplayClock(START_MS)
        self.replay = CcxtReplayer(latency_ms=LATENCY_MS)
        info = recorded(LIVE / "http_spot_market_exchange_info.json")
        self.rules = {s["symbol"]: _Rules(s) for s in info["symbols"]}
        book = recorded(LIVE / "http_spot_market_book_ticker.json")
        self.book = {book["symbol"]: (Decimal(book["bidPrice"]), Decimal(book["askPrice"]))}
        self.last = {
            "BTCUSDT": Decimal(recorded(LIVE / "http_spot_market_ticker_price.json")["price"])
        }
        self.balances: dict[str, list[Decimal]] = {
            "USDT": [Decimal(usdt), Decimal(0)],
            "BTC": [Decimal(0), Decimal(0)],
            "ETH": [Decimal(0), Decimal(0)],
            "BNB": [Decimal(bnb), Decimal(0)],  # no BNB/USDT market here: never a position
        }
        self.orders: list[dict[str, Any]] = []
        self.trades: list[dict[str, Any]] = []
        self._locks: dict[int, tuple[str, Decimal]] = {}  # order id → (asset, amount locked)
        self._overrides: dict[tuple[str, str], deque[Step | Fault]] = {}
        self._handlers: dict[tuple[str, str], Callable[[dict[str, str]], Step]] = {
            ("GET", "/api/v3/exchangeInfo"): lambda p: Reply(info),
            ("GET", "/api/v3/ping"): lambda p: Reply(recorded(LIVE / "http_spot_market_ping.json")),
            ("POST", "/api/v3/order"): self._new_order,
            ("GET", "/api/v3/order"): self._query_order,
            ("DELETE", "/api/v3/order"): self._cancel_order,
            ("GET", "/api/v3/openOrders"): self._open_orders,
            ("GET", "/api/v3/myTrades"): self._my_trades,
            ("GET", "/api/v3/account"): self._account,
        }

    # --- plugging in ---------------------------------------------------------------------

    def exchange(self, *, api_key: str = API_KEY, api_secret: str = API_SECRET) -> Any:
        """A testnet ccxt binance, keys set, answering from this venue."""
        exchange = binance_exchange(
            testnet=True, api_key=SecretStr(api_key), api_secret=SecretStr(api_secret)
        )
        return self.attach(exchange)

    def attach(self, exchange: Any) -> Any:
        """Route ``exchange``'s requests to this venue; return it."""
        self.replay.install(exchange, clock=self.clock)
        served = exchange.fetch

        def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
            self._prepare(method.upper(), url, body)
            return served(url, method, headers, body)

        exchange.fetch = fetch
        return exchange

    def next_reply(self, method: str, path: str, step: Step) -> None:
        """Answer the next ``method path`` request with ``step`` instead of the state."""
        self._overrides.setdefault((method.upper(), path), deque()).append(step)

    # --- VenueDriver --------------------------------------------------------------------

    def mark(self) -> Decimal:
        return self.last["BTCUSDT"]

    def fill(self, client_id: str, parts: int = 1) -> None:
        order = self._open(client_id)
        remaining = Decimal(order["origQty"]) - Decimal(order["executedQty"])
        piece = remaining / parts
        for _ in range(parts):
            self._execute(order, piece, Decimal(order["price"]))

    def cancel(self, client_id: str) -> None:
        self._close(self._open(client_id), "CANCELED")

    def fail_next_submit(self, fault: Fault) -> None:
        steps: dict[Fault, Step | Fault] = {
            Fault.REJECT: error("percent_price"),
            Fault.RATE_LIMIT: error("too_many_requests"),
            Fault.TIMEOUT: Raise(ccxt.RequestTimeout),
            Fault.TIMEOUT_AFTER_ACCEPT: Fault.TIMEOUT_AFTER_ACCEPT,
        }
        self._overrides.setdefault(("POST", "/api/v3/order"), deque()).append(steps[fault])

    def orders_with_client_id(self, client_id: str) -> int:
        return sum(o["clientOrderId"] == client_id for o in self.orders)

    def requests_seen(self) -> int:
        return len(self.replay.requests)

    # --- serving ------------------------------------------------------------------------

    def _prepare(self, method: str, url: str, body: Any) -> None:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query))
        if isinstance(body, bytes):
            body = body.decode()
        if isinstance(body, str) and "=" in body:
            params.update(parse_qsl(body))
        key = (method, parts.path)
        queued = self._overrides.get(key)
        step: Step | Fault | None = queued.popleft() if queued else None
        if step is Fault.TIMEOUT_AFTER_ACCEPT:
            self._handlers[key](params)  # the venue acts; its answer is lost
            step = Raise(ccxt.RequestTimeout)
        elif step is None and key in self._handlers:
            step = self._handlers[key](params)
        if isinstance(step, Reply | Raise):
            self.replay.on(method, parts.path, step)

    def _new_order(self, p: dict[str, str]) -> Step:
        rules = self.rules[p["symbol"]]
        kind, side, cid = p["type"], p["side"], p["newClientOrderId"]
        if kind not in rules.order_types:
            return Reply({"code": -1013, "msg": "Invalid orderType."}, status=400)
        if kind in ("LIMIT", "STOP_LOSS_LIMIT", "TAKE_PROFIT_LIMIT") and "timeInForce" not in p:
            return Reply(
                {"code": -1102, "msg": "Mandatory parameter 'timeInForce' was not sent."}, 400
            )
        if kind == "MARKET" and "timeInForce" in p:
            return Reply(
                {"code": -1106, "msg": "Parameter 'timeInForce' sent when not required."}, 400
            )
        if any(o["clientOrderId"] == cid and o["status"] in OPEN for o in self.orders):
            return error("duplicate_order")
        qty = Decimal(p["quantity"])
        price = Decimal(p["price"]) if "price" in p else None
        bid, ask = self.book.get(p["symbol"], (Decimal(0), Decimal(0)))
        touch = ask if side == "BUY" else bid
        stop = Decimal(p["stopPrice"]) if "stopPrice" in p else None
        problem = rules.problem(qty, price, price or touch) or (
            "price_filter" if stop is not None and stop % rules.tick else None
        )
        if problem:
            return error(problem)
        fills_at = None
        if kind == "MARKET":
            fills_at = touch
        elif kind == "LIMIT" and price is not None and touch:
            fills_at = touch if (price >= touch if side == "BUY" else price <= touch) else None
        asset = rules.quote if side == "BUY" else rules.base
        need = qty * (fills_at or price or touch) if side == "BUY" else qty
        if self.balances[asset][0] < need:
            return error("insufficient_balance")
        order = self._order(p, qty, price)
        self.orders.append(order)
        if fills_at is None and p.get("timeInForce") in ("IOC", "FOK"):
            order["status"] = "EXPIRED"  # nothing to match now, and it may not rest
            answer = recorded(GATEWAY / "order_new_limit_btcusdt.json")
            fills = []
        elif fills_at is None:
            self.balances[asset][0] -= need
            self.balances[asset][1] += need
            self._locks[order["orderId"]] = (asset, need)
            answer = recorded(GATEWAY / "order_new_limit_btcusdt.json")
            fills = []
        else:
            fills = [self._execute(order, qty, fills_at)]
            answer = recorded(DOCS / "spot_new_order_full_response.json")
        keep = ("symbol", "orderId", "clientOrderId", "price", "origQty", "executedQty",
                "cummulativeQuoteQty", "status", "timeInForce", "type", "side")  # fmt: skip
        answer.update({k: order[k] for k in keep})
        answer.update(transactTime=order["time"], workingTime=order["time"], fills=fills)
        if "stopPrice" in p:
            answer["stopPrice"] = order["stopPrice"]
        return Reply(answer)

    def _order(self, p: dict[str, str], qty: Decimal, price: Decimal | None) -> dict[str, Any]:
        order = recorded(DOCS / "spot_order_response.json")
        now = self.clock.now_ms()
        order.update(
            symbol=p["symbol"],
            orderId=len(self.orders) + 1001,
            clientOrderId=p["newClientOrderId"],
            price=s8(price or Decimal(0)),
            origQty=s8(qty),
            executedQty=s8(Decimal(0)),
            cummulativeQuoteQty=s8(Decimal(0)),
            status="NEW",
            timeInForce=p.get("timeInForce", "GTC"),
            type=p["type"],
            side=p["side"],
            stopPrice=s8(Decimal(p.get("stopPrice", "0"))),
            time=now,
            updateTime=now,
            workingTime=now,
        )
        return order

    def _execute(self, order: dict[str, Any], qty: Decimal, price: Decimal) -> dict[str, Any]:
        rules = self.rules[order["symbol"]]
        buy = order["side"] == "BUY"
        cost = qty * price
        lock = self._locks.get(order["orderId"])
        if lock is not None:  # resting: pay from what was locked for this part
            asset, locked = lock
            part = qty * Decimal(order["price"]) if buy else qty
            self.balances[asset][1] -= part
            self._locks[order["orderId"]] = (asset, locked - part)
        else:
            self.balances[rules.quote if buy else rules.base][0] -= cost if buy else qty
        fee = ((qty if buy else cost) * FEE_RATE).quantize(EIGHT)
        fee_asset = rules.base if buy else rules.quote
        self.balances[rules.base if buy else rules.quote][0] += (qty if buy else cost) - fee
        executed = Decimal(order["executedQty"]) + qty
        order["executedQty"] = s8(executed)
        order["cummulativeQuoteQty"] = s8(Decimal(order["cummulativeQuoteQty"]) + cost)
        order["status"] = "FILLED" if executed == Decimal(order["origQty"]) else "PARTIALLY_FILLED"
        order["updateTime"] = self.clock.now_ms()
        if order["status"] == "FILLED":
            self._locks.pop(order["orderId"], None)
        trade = recorded(DOCS / "spot_account_trades_response.json")[0]
        trade.update(
            symbol=order["symbol"],
            id=len(self.trades) + 5001,
            orderId=order["orderId"],
            price=s8(price),
            qty=s8(qty),
            quoteQty=s8(cost),
            commission=s8(fee),
            commissionAsset=fee_asset,
            time=self.clock.now_ms(),
            isBuyer=buy,
            isMaker=lock is not None,
        )
        self.trades.append(trade)
        return {
            "price": s8(price),
            "qty": s8(qty),
            "commission": s8(fee),
            "commissionAsset": fee_asset,
            "tradeId": trade["id"],
        }

    def _close(self, order: dict[str, Any], status: str) -> None:
        order["status"] = status
        order["updateTime"] = self.clock.now_ms()
        lock = self._locks.pop(order["orderId"], None)
        if lock is not None:
            asset, amount = lock
            self.balances[asset][1] -= amount
            self.balances[asset][0] += amount

    def _find(self, p: dict[str, str]) -> dict[str, Any] | None:
        if "origClientOrderId" in p:
            found = [o for o in self.orders if o["clientOrderId"] == p["origClientOrderId"]]
        else:
            found = [o for o in self.orders if str(o["orderId"]) == p.get("orderId")]
        found = [o for o in found if o["symbol"] == p["symbol"]]
        return found[-1] if found else None

    def _open(self, client_id: str) -> dict[str, Any]:
        (order,) = [
            o for o in self.orders if o["clientOrderId"] == client_id and o["status"] in OPEN
        ]
        return order

    def _query_order(self, p: dict[str, str]) -> Step:
        order = self._find(p)
        return Reply(copy.deepcopy(order)) if order else error("order_does_not_exist")

    def _cancel_order(self, p: dict[str, str]) -> Step:
        order = self._find(p)
        if order is None or order["status"] not in OPEN:
            return error("unknown_order")
        self._close(order, "CANCELED")
        answer = recorded(DOCS / "spot_cancel_order_response.json")
        keep = ("symbol", "orderId", "price", "origQty", "executedQty", "cummulativeQuoteQty",
                "status", "timeInForce", "type", "side")  # fmt: skip
        answer.update({k: order[k] for k in keep})
        answer.update(
            origClientOrderId=order["clientOrderId"],
            clientOrderId=f"cancel{order['orderId']}",  # Binance names the cancel itself
            transactTime=self.clock.now_ms(),
        )
        return Reply(answer)

    def _open_orders(self, p: dict[str, str]) -> Step:
        return Reply(
            [
                copy.deepcopy(o)
                for o in self.orders
                if o["status"] in OPEN and p.get("symbol", o["symbol"]) == o["symbol"]
            ]
        )

    def _my_trades(self, p: dict[str, str]) -> Step:
        trades = [t for t in self.trades if t["symbol"] == p["symbol"]]
        if "fromId" in p:
            trades = [t for t in trades if t["id"] >= int(p["fromId"])]
        elif "startTime" in p:
            trades = [t for t in trades if t["time"] >= int(p["startTime"])]
        limit = min(int(p.get("limit", 500)), 1000)
        return Reply(copy.deepcopy(trades[:limit]))

    def _account(self, p: dict[str, str]) -> Step:
        account = recorded(DOCS / "spot_account_response.json")
        account["updateTime"] = self.clock.now_ms()
        account["balances"] = [
            {"asset": asset, "free": s8(free), "locked": s8(locked)}
            for asset, (free, locked) in self.balances.items()
        ]
        return Reply(account)
