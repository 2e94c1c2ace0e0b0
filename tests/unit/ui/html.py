"""Read what a card shows: the ``data-field`` spans (raw API values) and table rows."""

from __future__ import annotations

from html.parser import HTMLParser


class _Fields(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self.classes: dict[str, list[str]] = {}
        self.rows: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if "data-field" in a and a["data-field"] is not None:
            name = a["data-field"]
            self.fields.setdefault(name, []).append(a.get("data-raw") or "")
            self.classes.setdefault(name, []).append(a.get("class") or "")
        if tag == "tr" and a.get("data-key"):
            self.rows.append(str(a["data-key"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> _Fields:
    """Fields (name → raw values in order), their classes, row keys and the visible text."""
    p = _Fields()
    p.feed(html)
    return p


def raw(html: str, name: str) -> list[str]:
    """The raw values of every span named ``name``."""
    return parse(html).fields.get(name, [])


def text(html: str) -> str:
    """The visible text."""
    return " ".join(" ".join(parse(html).text).split())
