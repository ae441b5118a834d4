"""One self-contained HTML page: a title, sections of text, tables and plotly figures, plotly.js inline.

plotly.js goes once into the page's head, so every figure's div is drawn by plotly's own `to_html`
without a script of its own to load; nothing is fetched at view time (no CDN, no MathJax).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

# Charts answer questions, they do not advertise: no plotly logo link in the mode bar.
FIGURE_CONFIG = {"displaylogo": False, "responsive": True}
# Pixels, unless a figure sets its own: plotly's default div height of 100% collapses among sections.
FIGURE_HEIGHT = 480

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0.2rem; }
p.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2rem 0.8rem 0.2rem 0; text-align: left; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; font-size: 0.8rem; }
"""


@dataclass(frozen=True)
class Table:
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]


@dataclass(frozen=True)
class Section:
    """A heading, then its paragraphs, its figure (drawn into a div named `figure_id`), its table and
    its preformatted text, each when given."""

    heading: str
    paragraphs: Sequence[str] = ()
    figure: Any = None  # a plotly Figure
    figure_id: str = ""
    table: Table | None = None
    preformatted: str = ""


def page(title: str, subtitle: str, sections: Sequence[Section]) -> str:
    """The whole page as text: every string given is escaped here, so a caller passes plain text."""
    body = [f"<h1>{escape(title)}</h1>", f'<p class="subtitle">{escape(subtitle)}</p>']
    for section in sections:
        body.append(f"<h2>{escape(section.heading)}</h2>")
        body += [f"<p>{escape(text)}</p>" for text in section.paragraphs]
        if section.figure is not None:
            body.append(_figure_div(section.figure, section.figure_id))
        if section.table is not None:
            body.append(_table(section.table))
        if section.preformatted:
            body.append(f"<pre>{escape(section.preformatted)}</pre>")
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            f"<style>{STYLE}</style>",
            f"<script>{get_plotlyjs()}</script>",
            "</head>",
            "<body>",
            *body,
            "</body>",
            "</html>",
            "",
        ]
    )


def _figure_div(figure: Any, figure_id: str) -> str:
    if figure.layout.height is None:
        figure.update_layout(height=FIGURE_HEIGHT)
    return str(
        pio.to_html(
            figure,
            config=FIGURE_CONFIG,
            include_plotlyjs=False,  # the page's head carries it once
            include_mathjax=False,
            full_html=False,
            div_id=figure_id,
        )
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(str(h))}</th>" for h in table.headers)
    rows = "".join(
        "<tr>" + "".join(f"<td>{escape('' if cell is None else str(cell))}</td>" for cell in row) + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
