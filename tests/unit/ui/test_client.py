"""The HTTP client: settings from AITRADER_*, errors in the server's words, token on changes."""

from __future__ import annotations

import httpx
import pytest

from aitrader_core.client import ClientSettings, ServiceClient, ServiceError, ServiceUnreachable

from .conftest import TOKEN, FakeService


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AITRADER_SERVICE_URL", "http://10.1.2.3:9000/")
    monkeypatch.setenv("AITRADER_API_TOKEN", "s3cret")
    s = ClientSettings(_env_file=None)
    assert s.service_url == "http://10.1.2.3:9000"
    assert s.api_token is not None
    assert s.api_token.get_secret_value() == "s3cret"
    assert s.link_url == "http://10.1.2.3:9000"
    assert "s3cret" not in repr(s)


def test_default_url_is_the_local_service(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AITRADER_SERVICE_URL", raising=False)
    assert ClientSettings(_env_file=None).service_url == "http://127.0.0.1:8000"


def test_reads_return_the_api_json(client: ServiceClient, service: FakeService) -> None:
    assert client.balance()["equity"] == "10046.8343271314"
    assert [s["name"] for s in client.strategies()] == ["default-btc", "default-eth"]
    rows = client.ohlcv("BTC/USDT", "1h", end=1704920400000, limit=5)
    assert [r["ts"] for r in rows] == sorted(r["ts"] for r in rows)  # oldest first
    sent = service.requests[-1].url.params
    assert (sent["order"], sent["end"], sent["limit"]) == ("desc", "1704920400000", "5")
    assert "authorization" not in service.requests[0].headers  # reads carry no token


def test_changes_carry_the_bearer_token(client: ServiceClient, service: FakeService) -> None:
    out = client.patch_strategy("default-btc", {"enabled": False})
    assert out == {
        "name": "default-btc",
        "enabled": False,
        "max_risk_fraction": "0.01",
        "max_daily_trades": 20,
    }
    assert service.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"


def test_errors_keep_the_server_message(client: ServiceClient, service: FakeService) -> None:
    detail = [{"type": "less_than_equal", "loc": ["body", "max_risk_fraction"],
               "msg": "Input should be less than or equal to 1"}]  # fmt: skip
    service.answers[("PATCH", "/live/strategies/default-btc")] = (422, {"detail": detail})
    with pytest.raises(ServiceError) as err:
        client.patch_strategy("default-btc", {"max_risk_fraction": "2"})
    assert err.value.status == 422
    assert err.value.message == "max_risk_fraction: Input should be less than or equal to 1"
    assert str(err.value).startswith("PATCH /live/strategies/default-btc: 422 ")


def test_an_unreachable_service_is_told_apart(client: ServiceClient, service: FakeService) -> None:
    service.down = True
    with pytest.raises(ServiceUnreachable, match="unreachable"):
        client.broker()


def test_no_token_means_no_change_is_sent() -> None:
    sent: list[httpx.Request] = []
    settings = ClientSettings(service_url="http://x", api_token=None, _env_file=None)
    transport = httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200, json={}))
    with (
        ServiceClient(settings, transport=transport) as c,
        pytest.raises(ServiceError, match="AITRADER_API_TOKEN"),
    ):
        c.kill_switch(True)
    assert sent == []


def test_report_links_use_the_public_url() -> None:
    s = ClientSettings(
        service_url="http://10.0.0.2:8000", service_public_url="https://ops.example/api/",
        _env_file=None,
    )  # fmt: skip
    assert (
        ServiceClient(s).report_url("daily 1.pdf")
        == "https://ops.example/api/reports/daily%201.pdf"
    )
