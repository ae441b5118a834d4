"""`tandem experiment status --format html`: each arm's rates with their 95 % intervals as a chart,
then the status as text (the same as `--format table`)."""

from __future__ import annotations

import plotly.graph_objects as go

from lambdas.shared import experiment_stats as es
from tandem.experiment_status import Status
from tandem.experiment_tables import status_text
from tandem.html.page import Section, page

RATES_ID = "experiment-rates"
COLOURS = {"champion": "#4c78a8", "challenger": "#f58518"}


def status_page(status: Status, source: str) -> str:
    title = f"Experiment {status.settings.id}: {status.verdict}"
    subtitle = f"{status.start} to {status.end}, read from {source}. {status.reason}."
    return page(
        title, subtitle, [_rates(status), Section("Status", preformatted=status_text(status, source))]
    )


def _rates(status: Status) -> Section:
    figure = go.Figure()
    for arm in status.arms:
        found = [
            (metric, e.value, e.interval)
            for metric, e in arm.estimates().items()
            if metric in es.PROPORTIONS and e is not None and e.interval is not None
        ]
        metrics = [metric for metric, _, _ in found]
        values = [value for _, value, _ in found]
        intervals = [interval for _, _, interval in found if interval is not None]
        figure.add_trace(
            go.Scatter(
                name=f"{arm.name} ({arm.totals['contacts']:,} calls)",
                meta=arm.name,
                x=metrics,
                y=values,
                mode="markers",
                marker={"color": COLOURS.get(arm.name), "size": 9},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [i.high - v for i, v in zip(intervals, values, strict=True)],
                    "arrayminus": [v - i.low for i, v in zip(intervals, values, strict=True)],
                },
            )
        )
    figure.update_yaxes(tickformat=".0%")
    figure.update_layout(scattermode="group")
    paragraphs = ["Each rate of each arm over every day of the range, with its 95 % Wilson interval."]
    return Section("Rates by variant", paragraphs=paragraphs, figure=figure, figure_id=RATES_ID)
