"""Reading a generated HTML page back: what it would load from elsewhere, and its plotly figures.

The page is parsed with the standard library's HTMLParser (a browser's view of tags and attributes);
each figure's data and layout are decoded from the JSON arguments of the `Plotly.newPlot` call that
plotly's `to_html` writes into the figure's own script.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

REMOTE = re.compile(r"^\s*(https?:)?//", re.IGNORECASE)
NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"(?P<id>[^"]+)",\s*')


@dataclass
class Figure:
    data: list[dict[str, Any]]
    layout: dict[str, Any]

    def trace(self, meta: str) -> dict[str, Any]:
        """The one trace whose `meta` is `meta` (the page names each trace's measure there)."""
        found = [t for t in self.data if t.get("meta") == meta]
        assert len(found) == 1, f"{len(found)} traces with meta {meta!r}"
        return found[0]


class ParsedPage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.remote: list[str] = []  # `tag attr=url` of everything the page would load from elsewhere
        self.scripts: list[str] = []  # inline scripts' text
        self.title = ""
        self._in = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href", "data"} and value and REMOTE.match(value):
                self.remote.append(f"{tag} {name}={value}")
        if tag == "link" and any(n == "href" for n, _ in attrs):
            # A stylesheet or preload from a relative path is not self-contained either.
            self.remote += [f"link href={v}" for n, v in attrs if n == "href" and not REMOTE.match(v or "")]
        if tag in {"script", "title", "style"}:
            self._in = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "title":
            self.title += data
        elif self._in == "style" and re.search(r"@import|url\(", data):
            self.remote.append(f"style {data.strip()[:80]}")


def parse(page: str) -> ParsedPage:
    parsed = ParsedPage()
    parsed.feed(page)
    parsed.close()
    return parsed


def figures(page: str) -> dict[str, Figure]:
    """Every plotly figure on the page, by its div id."""
    decoder = json.JSONDecoder()
    found: dict[str, Figure] = {}
    for script in parse(page).scripts:
        if not script.lstrip().startswith("window.PLOTLYENV"):
            continue  # plotly.js itself, not a figure
        match = NEW_PLOT.search(script)
        assert match, "a figure script without Plotly.newPlot"
        data, end = decoder.raw_decode(script, match.end())
        comma = re.compile(r"\s*,\s*").match(script, end)
        assert comma
        layout, _ = decoder.raw_decode(script, comma.end())
        found[match["id"]] = Figure(data, layout)
    return found
