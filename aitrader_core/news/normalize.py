"""Turn feed entries into clean news items: text, canonical link, title hash, symbols."""

from __future__ import annotations

import calendar
import hashlib
import html
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Query parameters that only say where a click came from.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_hsenc", "_hsmi", "mkt_tok", "ref_src", "cmpid",
        "smid", "ncid", "__source", "sr_share", "oly_anon_id", "oly_enc_id", "vero_id",
        "_ga", "_gl", "s_cid", "spm",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: Longest summary kept; feeds that put whole articles in the summary are cut here.
MAX_SUMMARY = 2000


class _TextExtractor(HTMLParser):
    _SKIP = frozenset({"script", "style", "head", "title"})
    _BREAK = frozenset({"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BREAK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BREAK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def strip_html(text: str | None) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, spaces collapsed.

    Examples
    --------
    >>> strip_html("<b>Filed:</b> 2026-09-23<br/>Item&nbsp;8.01 &amp; more<script>x()</script>")
    'Filed: 2026-09-23 Item 8.01 & more'
    """
    if not text:
        return ""
    if "<" not in text and "&" not in text:
        return " ".join(text.split())
    parser = _TextExtractor()
    parser.feed(text)
    parser.close()
    return " ".join(html.unescape("".join(parser.parts)).split())


def canonical_link(url: str) -> str:
    """The link without tracking parameters or fragment; scheme and host lower-case.

    Remaining query parameters are sorted so that two orders of the same
    parameters give one link; a default port and an empty path are dropped.

    Examples
    --------
    >>> canonical_link("HTTPS://WWW.CoinDesk.com:443/markets/x?utm_source=rss&b=2&a=1#top")
    'https://www.coindesk.com/markets/x?a=1&b=2'
    >>> canonical_link("https://example.com?fbclid=abc")
    'https://example.com/'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a non-numeric port: keep the text as given
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    query.sort(key=lambda kv: kv[0])
    path = parts.path or ("/" if netloc else "")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def normalized_title(title: str) -> str:
    """Title folded for comparison: NFKC, case-folded, punctuation dropped.

    Examples
    --------
    >>> normalized_title("Oil Surges Above $100 — a Barrel!")
    'oil surges above 100 a barrel'
    """
    text = unicodedata.normalize("NFKC", strip_html(title)).casefold()
    return " ".join(re.sub(r"[^\w\s]|_", " ", text).split())


def sha256_hex(text: str) -> str:
    """Hex SHA-256 of the UTF-8 text.

    Examples
    --------
    >>> sha256_hex("")[:12]
    'e3b0c44298fc'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def title_hash(title: str) -> str:
    """Hash of :func:`normalized_title` (empty string for an empty title).

    Examples
    --------
    >>> title_hash("Bitcoin ETF approved") == title_hash("BITCOIN ETF APPROVED.")
    True
    """
    norm = normalized_title(title)
    return sha256_hex(norm) if norm else ""


class SymbolTagger:
    """Find the base assets a text mentions, by ticker or by alias.

    Aliases match case-insensitively on word boundaries. A bare ticker
    matches only in upper case (``SOL``, ``LINK``, ``DOT``), because in lower
    case many tickers are ordinary words; ``$ticker`` matches in any case.

    Examples
    --------
    >>> tagger = SymbolTagger({"BTC": ["Bitcoin"], "ETH": ["Ether", "Ethereum"],
    ...                        "LINK": ["Chainlink"]})
    >>> tagger.tag("bitcoin slips as $eth holds; click the link")
    ('BTC', 'ETH')
    >>> tagger.tag("Whether ETHEREUM or LINK: BTC-denominated")
    ('BTC', 'ETH', 'LINK')
    """

    def __init__(self, aliases: Mapping[str, Sequence[str]]) -> None:
        self._lookup: dict[str, str] = {}
        names: list[str] = []
        for symbol, words in aliases.items():
            sym = symbol.upper()
            for word in words:
                key = " ".join(word.split()).casefold()
                if key:
                    self._lookup[key] = sym
                    names.append(key)
        tickers = sorted((s.upper() for s in aliases), key=len, reverse=True)
        names.sort(key=len, reverse=True)
        alias_re = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names) or r"(?!)"
        ticker_re = "|".join(re.escape(t) for t in tickers) or r"(?!)"
        self._alias = re.compile(rf"(?<![\w$])(?:{alias_re})(?!\w)", re.IGNORECASE)
        self._dollar = re.compile(rf"\$({ticker_re})(?!\w)", re.IGNORECASE)
        self._ticker = re.compile(rf"(?<![\w$])({ticker_re})(?!\w)")

    def tag(self, *texts: str) -> tuple[str, ...]:
        """Sorted, distinct symbols mentioned in any of ``texts``."""
        found: set[str] = set()
        for text in texts:
            if not text:
                continue
            for m in self._alias.finditer(text):
                found.add(self._lookup[" ".join(m.group(0).split()).casefold()])
            found.update(m.group(1).upper() for m in self._dollar.finditer(text))
            found.update(m.group(1) for m in self._ticker.finditer(text))
        return tuple(sorted(found))


@dataclass(frozen=True)
class NewsItem:
    """One normalised news item, ready to store. Times are epoch ms UTC."""

    link: str
    title: str
    summary: str
    source: str
    published_ms: int
    received_ms: int
    symbols: tuple[str, ...]
    guid: str | None = None

    @property
    def link_hash(self) -> str:
        """SHA-256 of the canonical link: the item's identity in the store."""
        return sha256_hex(self.link)

    @property
    def title_hash(self) -> str:
        """Hash of the normalised title, to find one story in several feeds."""
        return title_hash(self.title)


def _struct_ms(value: Any) -> int | None:
    # feedparser gives time.struct_time already converted to UTC
    try:
        return int(calendar.timegm(value)) * 1000 if value else None
    except (TypeError, ValueError, OverflowError):
        return None


def normalize_entry(
    entry: Mapping[str, Any], *, source: str, received_ms: int, tagger: SymbolTagger
) -> NewsItem | None:
    """Build a :class:`NewsItem` from one feedparser entry (``None`` if it has no identity).

    The published time is the entry's published or updated time, else the
    received time; a link-less entry is identified by its guid, else by title.

    Examples
    --------
    >>> e = {"title": "<b>Bitcoin</b> rallies", "link": "https://x.org/a?utm_medium=rss",
    ...      "summary": "<p>BTC up 5%</p>"}
    >>> item = normalize_entry(e, source="x", received_ms=1000, tagger=SymbolTagger({"BTC": []}))
    >>> item.title, item.link, item.summary, item.symbols, item.published_ms
    ('Bitcoin rallies', 'https://x.org/a', 'BTC up 5%', ('BTC',), 1000)
    """
    title = strip_html(entry.get("title"))
    summary = strip_html(entry.get("summary"))
    if not summary:
        for content in entry.get("content") or ():
            summary = strip_html(content.get("value"))
            if summary:
                break
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1].rstrip() + "…"
    guid = entry.get("id") or None
    raw_link = entry.get("link") or ""
    if raw_link.startswith(("http://", "https://")):
        link = canonical_link(raw_link)
    elif guid:
        link = f"urn:guid:{source}:{guid}"
    elif title:
        link = f"urn:title:{source}:{title_hash(title)}"
    else:
        return None
    published = _struct_ms(entry.get("published_parsed")) or _struct_ms(entry.get("updated_parsed"))
    return NewsItem(
        link=link,
        title=title,
        summary=summary,
        source=source,
        published_ms=published if published is not None else received_ms,
        received_ms=received_ms,
        symbols=tagger.tag(title, summary),
        guid=str(guid)[:512] if guid else None,
    )
