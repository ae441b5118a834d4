"""`tandem report --format html`: the report's KPIs by day and by the `--by` dimension, as charts.

Every number charted is the report's own (`Report.daily`, `Report.rows`, `Report.kpis`): rates as the
fractions JSON carries, drawn as percentages; the text tables of `--format table` follow the charts.
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from lambdas.shared import kpi
from tandem.html.page import Section, page
from tandem.kpi import KpiValue
from tandem.kpi_report import Report
from tandem.kpi_tables import day_span, kpi_tables

# (KPI key, label): the rates charted, each a fraction of its own denominator (docs/kpis.md).
RATES = (
    (kpi.CONTAINMENT_RATE.key, "containment"),
    (kpi.TRANSFER_RATE.key, "transfer"),
    (kpi.ABANDON_RATE.key, "abandon"),
    (kpi.CALLBACK_RATE.key, "callback"),
    (kpi.ERROR_RATE.key, "errors"),
    (kpi.SERVICE_LEVEL.key, "service level"),
    (kpi.RECONTACT_RATE.key, "recontact"),
    (kpi.RESOLUTION_RATE.key, "resolution"),
)
DURATIONS = (
    (kpi.AVERAGE_HANDLE_SECONDS.key, "AHT"),
    (kpi.AVERAGE_QUEUE_WAIT_SECONDS.key, "avg queue wait"),
)
CONTACTS = "contacts"
BY_DAY_ID, BY_VALUE_ID = "kpis-by-day", "kpis-by-value"


def report_page(report: Report, source: str, note: str | None = None) -> str:
    """The report as one self-contained HTML page; `source` says where the counters were read."""
    open_days = report.provisional_days
    provisional = f"provisional {day_span(open_days)}" if open_days else "no provisional day"
    title = f"Tandem KPIs {report.start} to {report.end}, {source}, {provisional}"
    subtitle = f"{report.days} days, {report.days_with_calls} with calls. Read from {source}."
    sections = [_by_day(report), _by_value(report), Section("Tables", preformatted=kpi_tables(report))]
    if note:
        sections.insert(0, Section("Note", paragraphs=(note,)))
    return page(title, subtitle, sections)


def _by_day(report: Report) -> Section:
    if not report.daily:
        return Section("KPIs by day", paragraphs=("No day in the range has counters.",))
    days = [d.day.isoformat() for d in report.daily]
    figure = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.06,
        row_heights=(0.25, 0.45, 0.3),
        subplot_titles=("contacts", "rates", "averages (seconds)"),
    )
    colours = ["#f0a020" if d.provisional else "#4c78a8" for d in report.daily]
    figure.add_trace(_bar(CONTACTS, days, [d.contacts for d in report.daily], colours), row=1, col=1)
    for key, label in RATES:
        figure.add_trace(_line(key, label, days, [d.kpis[key] for d in report.daily]), row=2, col=1)
    for key, label in DURATIONS:
        figure.add_trace(_line(key, label, days, [d.kpis[key] for d in report.daily]), row=3, col=1)
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    figure.update_xaxes(type="category")  # one mark per day with calls, not a gap for every quiet day
    figure.update_layout(height=760)
    paragraphs = ["Each day's KPIs from that day's counters; hover for the figures."]
    if report.provisional_days:
        paragraphs.append(
            f"Orange bars are provisional days ({day_span(report.provisional_days)}): their recontact "
            "window is still open, so their recontact and resolution can still change."
        )
    return Section("KPIs by day", paragraphs=paragraphs, figure=figure, figure_id=BY_DAY_ID)


def _by_value(report: Report) -> Section:
    """With `--by`, a bar per value; without, the range's headline rates."""
    if report.by is None:
        labels = [label for _, label in RATES]
        figure = go.Figure(
            go.Bar(x=labels, y=[report.kpis[key] for key, _ in RATES], name="all calls", meta="overall")
        )
        figure.update_yaxes(tickformat=".0%")
        return Section(
            "Headline rates",
            paragraphs=("Over the whole range; `--by DIMENSION` charts one dimension's values.",),
            figure=figure,
            figure_id=BY_VALUE_ID,
        )
    values = [row.value for row in report.rows]
    if not values:
        return Section(f"KPIs by {report.by}", paragraphs=(f"No {report.by} counters in the range.",))
    figure = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=(0.3, 0.7),
        subplot_titles=("contacts", "rates"),
    )  # fmt: skip
    colours = ["#f0a020" if row.provisional else "#4c78a8" for row in report.rows]
    figure.add_trace(
        _bar(CONTACTS, values, [row.totals[CONTACTS] for row in report.rows], colours), row=1, col=1
    )
    for key, label in RATES:
        figure.add_trace(
            go.Bar(x=values, y=[row.kpis[key] for row in report.rows], name=label, meta=key), row=2, col=1
        )
    figure.update_yaxes(tickformat=".0%", row=2, col=1)
    figure.update_xaxes(type="category")  # values such as intervals are names, never dates or numbers
    figure.update_layout(barmode="group", height=720)
    return Section(
        f"KPIs by {report.by}",
        paragraphs=(f"One group of bars per {report.by}, in the order of the table below.",),
        figure=figure,
        figure_id=BY_VALUE_ID,
    )


def _bar(key: str, x: Sequence[str], y: Sequence[int], colours: Sequence[str]) -> go.Bar:
    return go.Bar(x=list(x), y=list(y), name=key, meta=key, marker_color=list(colours), showlegend=False)


def _line(key: str, label: str, x: Sequence[str], y: Sequence[KpiValue]) -> go.Scatter:
    return go.Scatter(x=list(x), y=list(y), name=label, meta=key, mode="lines+markers", connectgaps=False)
