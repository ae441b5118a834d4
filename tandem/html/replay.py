"""The replay's page: the route-change matrix as a heatmap and observed vs projected KPIs as bars.

Drawn from the replay's JSON document (`tandem replay --format json`), so the page and the JSON
carry the same numbers: `decisions`, `changed`, `routeChanges` (`{from, to, count}`), and
`observed` / `projected`, each with `containmentRate`, `resolutionRate` (fractions),
`callsToPeople` and `agentMinutes`. `assumptions` (plain sentences), `from` and `to` are shown
when the document has them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from tandem.html.page import Section, Table, page
from tandem.kpi_tables import DASH, percent

ROUTE_CHANGES_ID, KPIS_ID = "route-changes", "observed-vs-projected"
SERIES = ("observed", "projected")
# (key, label) per panel of the KPI chart: rates share a percentage axis, counts have their own.
PANELS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("containmentRate", "containment"), ("resolutionRate", "resolution")),
    (("callsToPeople", "calls to people"),),
    (("agentMinutes", "agent minutes"),),
)
RATE_KEYS = {"containmentRate", "resolutionRate"}


def replay_page(document: Mapping[str, Any]) -> str:
    """The replay as one self-contained HTML page."""
    decisions, changed = document["decisions"], document["changed"]
    span = f" {document['from']} to {document['to']}" if document.get("from") and document.get("to") else ""
    title = f"Tandem replay{span}: {changed:,} of {decisions:,} decisions changed"
    subtitle = "What the candidate rules would have decided for the stored calls, and what that would do."
    sections = [_route_changes(document["routeChanges"]), _kpis(document["observed"], document["projected"])]
    assumptions = document.get("assumptions") or ()
    if assumptions:
        sections.append(Section("What the projections assume", paragraphs=[str(a) for a in assumptions]))
    return page(title, subtitle, sections)


def route_matrix(changes: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[list[int | None]]]:
    """The routes (sorted) and the matrix of counts, a row per route moved from, a column per route
    moved to; None where no call moved that way."""
    routes = sorted({str(c["from"]) for c in changes} | {str(c["to"]) for c in changes})
    where = {route: n for n, route in enumerate(routes)}
    matrix: list[list[int | None]] = [[None] * len(routes) for _ in routes]
    for change in changes:
        row, column = where[str(change["from"])], where[str(change["to"])]
        matrix[row][column] = (matrix[row][column] or 0) + int(change["count"])
    return routes, matrix


def _route_changes(changes: Sequence[Mapping[str, Any]]) -> Section:
    heading = "Route changes"
    if not changes:
        return Section(heading, paragraphs=("No call changed route.",))
    routes, matrix = route_matrix(changes)
    figure = go.Figure(
        go.Heatmap(
            x=routes,
            y=routes,
            z=matrix,
            colorscale="Blues",
            texttemplate="%{z}",
            hovertemplate="from %{y} to %{x}: %{z} calls<extra></extra>",
            meta="routeChanges",
        )
    )
    figure.update_xaxes(title_text="replayed route (to)", type="category", side="top")
    figure.update_yaxes(title_text="observed route (from)", type="category", autorange="reversed")
    rows = [[c["from"], c["to"], f"{int(c['count']):,}"] for c in changes]
    return Section(
        heading,
        paragraphs=("A row per route the calls took, a column per route the candidate rules choose.",),
        figure=figure,
        figure_id=ROUTE_CHANGES_ID,
        table=Table(["from", "to", "calls"], rows),
    )


def _kpis(observed: Mapping[str, Any], projected: Mapping[str, Any]) -> Section:
    figure = make_subplots(
        rows=1, cols=len(PANELS), subplot_titles=("rates", "calls to people", "agent minutes")
    )
    colours = {"observed": "#4c78a8", "projected": "#f58518"}
    for column, panel in enumerate(PANELS, start=1):
        for series, figures in zip(SERIES, (observed, projected), strict=True):
            figure.add_trace(
                go.Bar(
                    x=[label for _, label in panel],
                    y=[figures[key] for key, _ in panel],
                    customdata=[key for key, _ in panel],
                    name=series,
                    meta=series,
                    legendgroup=series,
                    showlegend=column == 1,
                    marker_color=colours[series],
                ),
                row=1,
                col=column,
            )
    figure.update_yaxes(tickformat=".0%", row=1, col=1)
    figure.update_layout(barmode="group")
    rows = [
        [label, *(_shown(key, figures.get(key)) for figures in (observed, projected))]
        for panel in PANELS
        for key, label in panel
    ]
    return Section(
        "Observed and projected KPIs",
        paragraphs=("The stored calls' own outcomes, and what the candidate rules would make of them.",),
        figure=figure,
        figure_id=KPIS_ID,
        table=Table(["measure", *SERIES], rows),
    )


def _shown(key: str, value: Any) -> str:
    if key in RATE_KEYS:
        return percent(value)
    return DASH if value is None else f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
