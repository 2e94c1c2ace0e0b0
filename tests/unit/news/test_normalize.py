"""Canonical links, HTML stripping, title hashes, symbol tagging, entry normalisation."""

from __future__ import annotations

import io
from pathlib import Path

import feedparser
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aitrader_core.news import (
    DEFAULT_ALIASES,
    SymbolTagger,
    canonical_link,
    normalize_entry,
    strip_html,
    title_hash,
)

RSS = Path(__file__).resolve().parents[2] / "data" / "rss"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("https://www.coindesk.com/a?utm_source=rss&utm_medium=x", "https://www.coindesk.com/a"),
        ("https://x.com/a?fbclid=1&gclid=2&id=7&msclkid=3", "https://x.com/a?id=7"),
        (
            "HTTPS://News.Example.COM/Path/Case?b=2&a=1",
            "https://news.example.com/Path/Case?a=1&b=2",
        ),
        ("http://x.com:80/a#section-2", "http://x.com/a"),
        ("https://x.com:8443/a", "https://x.com:8443/a"),
        ("https://x.com", "https://x.com/"),
        (
            "https://www.nytimes.com/2026/a.html?smid=tw-share",
            "https://www.nytimes.com/2026/a.html",
        ),
        ("https://x.com/a?q=&utm_campaign=z", "https://x.com/a?q="),
        ("  https://x.com/a  ", "https://x.com/a"),
    ],
)
def test_canonical_link(raw: str, canonical: str) -> None:
    assert canonical_link(raw) == canonical


@given(
    path=st.text("abc/-_", max_size=12),
    params=st.lists(
        st.tuples(
            st.sampled_from(["a", "id", "utm_source", "fbclid", "page"]),
            st.text("xyz09", max_size=4),
        ),
        max_size=5,
    ),
)
def test_canonical_link_is_idempotent_and_drops_tracking(path: str, params: list) -> None:
    query = "&".join(f"{k}={v}" for k, v in params)
    once = canonical_link(f"HTTPS://Example.ORG/{path}?{query}#frag")
    assert canonical_link(once) == once
    assert "utm_" not in once
    assert "fbclid" not in once
    assert "#" not in once
    assert once.startswith("https://example.org/")


def test_strip_html_keeps_text_and_decodes_entities() -> None:
    assert strip_html("<p>Bitcoin&#8217;s <a href='x'>rally</a></p><p>ends</p>") == (
        "Bitcoin’s rally ends"
    )
    assert strip_html("<style>p{}</style>plain\n\n  text") == "plain text"
    assert strip_html(None) == ""
    assert strip_html("") == ""


def test_title_hash_ignores_case_punctuation_and_spacing_only() -> None:
    a = title_hash("Oil surges above $100 a barrel")
    assert a == title_hash("  OIL SURGES ABOVE $100, A BARREL!  ")
    assert a == title_hash("<b>Oil</b> surges above $100 a barrel")
    assert a != title_hash("Oil surges above $101 a barrel")
    assert title_hash("") == title_hash("!!!") == ""


@pytest.mark.parametrize(
    ("text", "symbols"),
    [
        ("Bitcoin tops $100k", ("BTC",)),
        ("BITCOIN and ethereum", ("BTC", "ETH")),
        ("$btc and $Sol pump", ("BTC", "SOL")),
        ("SOL/USDT breaks out", ("SOL", "USDT")),
        ("Ripple's case; XRP rallies", ("XRP",)),
        ("Whether to buy? The sun (sol) rises", ()),  # no word-boundary or lower-case tickers
        ("Bitcoiners and Ethernet cables", ()),
        ("click the link below, see the dot", ()),
        ("Chainlink LINK oracle", ("LINK",)),
        ("BTC-denominated ETH-based", ("BTC", "ETH")),
        ("USD  Coin reserves", ("USDC",)),  # multi-word alias, any spacing
    ],
)
def test_symbol_tagging(text: str, symbols: tuple[str, ...]) -> None:
    assert SymbolTagger(DEFAULT_ALIASES).tag(text) == symbols


def test_tagger_with_custom_aliases_and_no_aliases() -> None:
    assert SymbolTagger({"pepe": ["Pepe coin"]}).tag("pepe COIN soars", "$PEPE") == ("PEPE",)
    assert SymbolTagger({}).tag("Bitcoin") == ()


def test_normalize_real_atom_entry_in_utc() -> None:
    parsed = feedparser.parse(
        io.BytesIO((RSS / "sec_edgar_8k_latest_2026-09-23.atom").read_bytes())
    )
    item = normalize_entry(
        parsed.entries[0], source="sec", received_ms=5, tagger=SymbolTagger(DEFAULT_ALIASES)
    )
    assert item is not None
    assert item.link.endswith("0001104659-26-109915-index.htm")
    assert item.published_ms == 1_790_184_636_000  # 13:30:36 EDT == 17:30:36 UTC
    assert item.received_ms == 5
    assert item.guid == "urn:tag:sec.gov,2008:accession-number=0001104659-26-109915"
    assert "Item 5.07: Submission of Matters to a Vote of Security Holders" in item.summary


def test_entry_without_link_uses_guid_then_title_and_none_without_both() -> None:
    tagger = SymbolTagger({})
    by_guid = normalize_entry({"id": "g1", "title": "t"}, source="s", received_ms=1, tagger=tagger)
    by_title = normalize_entry({"title": "Solo"}, source="s", received_ms=1, tagger=tagger)
    assert by_guid is not None
    assert by_guid.link == "urn:guid:s:g1"
    assert by_title is not None
    assert by_title.link.startswith("urn:title:s:")
    assert normalize_entry({"summary": "x"}, source="s", received_ms=1, tagger=tagger) is None


def test_long_summary_is_cut_and_content_is_a_fallback() -> None:
    entry = {"link": "https://x.org/a", "title": "t", "content": [{"value": "<p>" + "w " * 3000}]}
    item = normalize_entry(entry, source="s", received_ms=1, tagger=SymbolTagger({}))
    assert item is not None
    assert len(item.summary) == 2000
    assert item.summary.endswith("…")
