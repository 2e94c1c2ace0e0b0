"""Small HTML helpers shared by the cards: numbers, times, badges, tables.

Every shown figure is a ``<span data-field=... data-raw=...>``: the text is
formatted for people, ``data-raw`` keeps the API's exact value, so a test (or
a curious operator) can compare the page with the API without re-parsing.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

DASH = "—"


def esc(value: object) -> str:
    """HTML-escaped text (``None`` as an em dash)."""
    return DASH if value is None else html.escape(str(value), quote=True)


def dec(value: object) -> Decimal | None:
    """A decimal from the API's string/number, or None.

    Examples
    --------
    >>> dec("1.50"), dec(None), dec("n/a")
    (Decimal('1.50'), None, None)
    """
    if value is None or isinstance(value, bool):
        return None
    try:
        out = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return out if out.is_finite() else None


def num(value: object, places: int = 2, *, sign: bool = False) -> str:
    """A number with thousands separators (``—`` when absent).

    Examples
    --------
    >>> num("9977.8237659043"), num("-22.17623", sign=True), num("12", sign=True), num(None)
    ('9,977.82', '-22.18', '+12.00', '—')
    """
    d = dec(value)
    if d is None:
        return DASH
    q = Decimal(1).scaleb(-places)
    text = f"{d.quantize(q):,.{places}f}"
    return f"+{text}" if sign and d > 0 else text


def qty(value: object) -> str:
    """A quantity as sent (trailing zeros trimmed), never rounded.

    Examples
    --------
    >>> qty("1.21970"), qty("0"), qty(None)
    ('1.2197', '0', '—')
    """
    d = dec(value)
    if d is None:
        return DASH
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def pct(value: object, places: int = 2, *, sign: bool = False) -> str:
    """A fraction as a percentage.

    Examples
    --------
    >>> pct("-0.00221762340957"), pct("0.05", 0), pct(None)
    ('-0.22%', '5%', '—')
    """
    d = dec(value)
    return DASH if d is None else num(d * 100, places, sign=sign) + "%"


def when(ms: object) -> str:
    """Epoch milliseconds as ``YYYY-MM-DD HH:MM:SS`` UTC.

    Examples
    --------
    >>> when(1693825200000), when(None)
    ('2023-09-04 11:00:00', '—')
    """
    if not isinstance(ms, int | float) or isinstance(ms, bool):
        return DASH
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


def field(name: str, text: str, raw: object = None, cls: str = "") -> str:
    """A value span carrying its field name and raw API value."""
    raw_attr = "" if raw is None else f' data-raw="{esc(raw)}"'
    cls_attr = f' class="{cls}"' if cls else ""
    return f'<span data-field="{esc(name)}"{raw_attr}{cls_attr}>{text}</span>'


def signed_class(value: object) -> str:
    """``ait-pos`` / ``ait-neg`` / ``""`` by the sign of a number."""
    d = dec(value)
    if d is None or d == 0:
        return ""
    return "ait-pos" if d > 0 else "ait-neg"


def side_class(side: object) -> str:
    """Colour class of a side: buys and longs green, sells and shorts red."""
    return {"buy": "ait-pos", "long": "ait-pos", "sell": "ait-neg", "short": "ait-neg"}.get(
        str(side), ""
    )


def badge(text: str, kind: str = "info", title: str = "") -> str:
    """A small coloured label (kinds: info, ok, warn, bad, muted)."""
    tip = f' title="{esc(title)}"' if title else ""
    return f'<span class="ait-badge ait-badge-{kind}"{tip}>{esc(text)}</span>'


def bar(fraction: float, kind: str = "ok", label: str = "") -> str:
    """A horizontal usage bar, ``fraction`` in [0, 1] (clipped)."""
    width = max(0.0, min(1.0, fraction)) * 100
    return (
        f'<span class="ait-bar" title="{esc(label)}">'
        f'<span class="ait-bar-fill ait-bar-{kind}" style="width:{width:.0f}%"></span></span>'
    )


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    name: str,
    empty: str = "nothing yet",
    row_keys: Sequence[str] | None = None,
) -> str:
    """An HTML table; cells are already-escaped HTML. ``row_keys`` tag rows (``data-key``)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        key = f' data-key="{esc(row_keys[i])}"' if row_keys is not None else ""
        body.append(f"<tr{key}>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>")
    if not body:
        body.append(f'<tr><td class="ait-empty" colspan="{len(headers)}">{esc(empty)}</td></tr>')
    return (
        f'<table class="ait-table" data-table="{esc(name)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def kv(items: Iterable[tuple[str, str]]) -> str:
    """A two-column list of labels and (HTML) values."""
    rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>' for k, v in items)
    return f'<table class="ait-kv"><tbody>{rows}</tbody></table>'


def size(n: object) -> str:
    """A byte count for people.

    Examples
    --------
    >>> size(532), size(48_213), size(3_500_000), size(None)
    ('532 B', '47.1 KB', '3.3 MB', '—')
    """
    if not isinstance(n, int | float) or isinstance(n, bool):
        return DASH
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return DASH  # pragma: no cover


def first(data: Any, *keys: str) -> Any:
    """The first present, non-null key of a mapping."""
    if not isinstance(data, dict):
        return None
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None
