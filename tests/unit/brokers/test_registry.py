"""make_gateway: simulator or Binance, testnet by default, mainnet only when confirmed."""

from __future__ import annotations

import sys
import types
from dataclasses import dataclass

import pytest
from pydantic import BaseModel, ConfigDict, SecretStr

from aitrader_core.brokers import LIVE_CONFIRMATION, BinanceGateway, make_gateway, registry
from aitrader_core.brokers.registry import KEYS_MISSING, LIVE_REFUSED, SIMULATOR_MODULE
from aitrader_core.errors import ConfigError

KEY, SECRET = "test-key-4f1c", "test-secret-9a2e"


class FakeSettings(BaseModel):
    """The fields the lead adds to Settings, in the same shape (frozen, SecretStr keys)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    broker: str = "sim"
    testnet: bool = True
    live_confirm: str | None = None
    binance_api_key: SecretStr | None = SecretStr(KEY)
    binance_api_secret: SecretStr | None = SecretStr(SECRET)


def binance(**changes: object) -> FakeSettings:
    return FakeSettings(broker="binance", **changes)  # type: ignore[arg-type]


def test_binance_defaults_to_the_testnet_with_keys_from_settings() -> None:
    gw = make_gateway(binance(), symbols=["BTC/USDT"])
    assert isinstance(gw, BinanceGateway)
    assert gw.testnet is True
    assert gw.exchange.urls["api"]["private"] == "https://testnet.binance.vision/api/v3"
    assert (gw.exchange.apiKey, gw.exchange.secret) == (KEY, SECRET)
    assert gw.exchange.options["defaultType"] == "spot"
    assert gw.exchange.options["fetchCurrencies"] is False
    assert KEY not in repr(gw)
    assert SECRET not in repr(gw)
    assert repr(gw) == "BinanceGateway(testnet=True, symbols=('BTC/USDT',))"


@pytest.mark.parametrize("confirm", [None, "", "yes", "i-understand", "I-understand "])
def test_mainnet_needs_the_exact_confirmation(confirm: str | None) -> None:
    with pytest.raises(ConfigError) as caught:
        make_gateway(binance(testnet=False, live_confirm=confirm))
    assert str(caught.value) == LIVE_REFUSED
    assert "AITRADER_LIVE_CONFIRM=I-understand" in str(caught.value)


def test_mainnet_with_the_confirmation() -> None:
    gw = make_gateway(binance(testnet=False, live_confirm=LIVE_CONFIRMATION))
    assert gw.testnet is False
    assert isinstance(gw, BinanceGateway)
    assert gw.exchange.urls["api"]["private"] == "https://api.binance.com/api/v3"
    assert LIVE_CONFIRMATION == "I-understand"


@pytest.mark.parametrize(
    "keys",
    [
        {"binance_api_key": None},
        {"binance_api_secret": None},
        {"binance_api_key": SecretStr("")},
    ],
)
def test_binance_needs_both_keys(keys: dict[str, object]) -> None:
    with pytest.raises(ConfigError) as caught:
        make_gateway(binance(**keys))
    assert str(caught.value) == KEYS_MISSING
    assert SECRET not in str(caught.value)


def test_unknown_broker() -> None:
    with pytest.raises(ConfigError, match=r"unknown broker 'kraken'.*\('sim', 'binance'\)"):
        make_gateway(FakeSettings(broker="kraken"))
    assert make_gateway(binance().model_copy(update={"broker": " Binance "})).name == "binance"


def test_sim_not_available_yet_is_a_clear_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, SIMULATOR_MODULE, None)  # as if the module did not exist
    with pytest.raises(ConfigError, match=r"simulated broker \(AITRADER_BROKER=sim\) is not"):
        make_gateway(FakeSettings())


def test_sim_comes_from_the_simulator_module(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclass
    class Sim:
        settings: object
        name: str = "sim"
        testnet: bool = True

    module = types.ModuleType(SIMULATOR_MODULE)
    module.make_simulated_gateway = Sim  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, SIMULATOR_MODULE, module)
    settings = FakeSettings()
    gw = make_gateway(settings)
    assert isinstance(gw, Sim)
    assert gw.settings is settings

    del module.make_simulated_gateway  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match="has no make_simulated_gateway"):
        make_gateway(settings)


def test_a_broken_simulator_import_is_not_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def import_module(name: str) -> object:
        assert name == SIMULATOR_MODULE
        # The simulator exists, but something it imports does not: that must surface.
        raise ModuleNotFoundError("No module named 'missing_dep'", name="missing_dep")

    monkeypatch.setattr(registry, "importlib", types.SimpleNamespace(import_module=import_module))
    with pytest.raises(ModuleNotFoundError, match="missing_dep"):
        make_gateway(FakeSettings())
