"""The replay's HTML page from a hand-built replay document (the contract `tandem replay --format json`
fills): self-contained, and its charts carry exactly the document's numbers."""

from __future__ import annotations

from typing import Any

from tandem.html.replay import KPIS_ID, PANELS, ROUTE_CHANGES_ID, replay_page, route_matrix
from tests.html_support import figures, parse

DOCUMENT: dict[str, Any] = {
    "from": "2026-11-23",
    "to": "2026-11-25",
    "decisions": 480,
    "changed": 57,
    "routeChanges": [
        {"from": "AGENT", "to": "SELF_SERVICE", "count": 41},
        {"from": "SELF_SERVICE", "to": "AGENT", "count": 9},
        {"from": "AGENT", "to": "CALLBACK", "count": 7},
    ],
    "observed": {
        "containmentRate": 0.4,
        "resolutionRate": 0.31,
        "callsToPeople": 288,
        "agentMinutes": 1710.5,
    },
    "projected": {
        "containmentRate": 0.5,
        "resolutionRate": 0.36,
        "callsToPeople": 243,
        "agentMinutes": 1442.25,
    },
    "assumptions": ["A moved call resolves as its intent did on the new route <observed>."],
}


def test_the_page_loads_nothing_from_elsewhere() -> None:
    page = parse(replay_page(DOCUMENT))
    assert page.remote == []
    assert max(len(script) for script in page.scripts) > 1_000_000  # plotly.js, inline
    assert page.title == "Tandem replay 2026-11-23 to 2026-11-25: 57 of 480 decisions changed"


def test_the_heatmap_is_the_route_change_matrix() -> None:
    heatmap = figures(replay_page(DOCUMENT))[ROUTE_CHANGES_ID].trace("routeChanges")
    assert heatmap["type"] == "heatmap"
    assert heatmap["x"] == heatmap["y"] == ["AGENT", "CALLBACK", "SELF_SERVICE"]
    # Every {from, to, count} is the cell (row from, column to); every other cell is empty
    cells = {
        (heatmap["y"][row], heatmap["x"][column]): count
        for row, counts in enumerate(heatmap["z"])
        for column, count in enumerate(counts)
        if count is not None
    }
    assert cells == {(c["from"], c["to"]): c["count"] for c in DOCUMENT["routeChanges"]}


def test_pairs_listed_twice_are_added_up() -> None:
    routes, matrix = route_matrix(
        [{"from": "A", "to": "B", "count": 2}, {"from": "A", "to": "B", "count": 3}]
    )
    assert routes == ["A", "B"]
    assert matrix == [[None, 5], [None, None]]


def test_the_bars_are_the_observed_and_projected_figures() -> None:
    chart = figures(replay_page(DOCUMENT))[KPIS_ID]
    keys = [key for panel in PANELS for key, _ in panel]
    assert keys == ["containmentRate", "resolutionRate", "callsToPeople", "agentMinutes"]
    for series in ("observed", "projected"):
        bars = [trace for trace in chart.data if trace["meta"] == series]
        charted = {key: y for bar in bars for key, y in zip(bar["customdata"], bar["y"], strict=True)}
        assert charted == {key: DOCUMENT[series][key] for key in keys}, series


def test_the_page_says_the_figures_in_words_and_escapes_the_documents_text() -> None:
    page = replay_page(DOCUMENT)
    assert "<td>containment</td><td>40.0%</td><td>50.0%</td>" in page
    assert "<td>agent minutes</td><td>1,710.5</td><td>1,442.2</td>" in page
    assert "<td>AGENT</td><td>SELF_SERVICE</td><td>41</td>" in page
    assert "on the new route &lt;observed&gt;." in page
    assert "<observed>" not in page


def test_a_replay_that_changes_nothing_still_makes_a_page() -> None:
    unchanged = {**DOCUMENT, "changed": 0, "routeChanges": [], "projected": DOCUMENT["observed"]}
    unchanged.pop("assumptions")
    page = replay_page(unchanged)
    assert "No call changed route." in page
    assert set(figures(page)) == {KPIS_ID}
    assert parse(page).remote == []


def test_undefined_rates_are_empty_bars() -> None:
    empty = {"containmentRate": None, "resolutionRate": None, "callsToPeople": 0, "agentMinutes": 0.0}
    page = replay_page({**DOCUMENT, "decisions": 0, "changed": 0, "observed": empty, "projected": empty})
    bars = figures(page)[KPIS_ID].data
    assert bars[0]["y"] == [None, None]
    assert "<td>containment</td><td>\u2013</td><td>\u2013</td>" in page
