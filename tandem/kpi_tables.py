"""The KPI report as text tables: the headline figures and a row per value of `--by`.

Shared by `tandem report` and the demo, so both print the same figures the same way.
"""

from __future__ import annotations

from datetime import date, timedelta

from lambdas.shared.kpi import RECONTACT_RATE, RESOLUTION_RATE
from tandem.kpi import KpiValue, Totals, kpis, ratio
from tandem.kpi_report import Report
from tandem.output import table

DASH = "\u2013"  # an en dash: an undefined ratio (nothing to divide by)
RECONTACT, RESOLUTION = RECONTACT_RATE.key, RESOLUTION_RATE.key


def kpi_tables(report: Report) -> str:
    """The headline KPIs and, with `by`, a row per value: the report's tables as text (the demo's too)."""
    t, k = report.overall, report.kpis
    threshold = (
        f"{report.service_level_seconds} s" if report.service_level_seconds is not None else "as configured"
    )
    headline = [
        ["contacts", f"{t['contacts']:,}", "calls (initial contacts)"],
        ["containment", percent(k["containmentRate"]), f"{t['contained']:,} contained of contacts"],
        ["transfer", percent(k["transferRate"]), f"{t['transferred']:,} to an agent or external number"],
        ["abandon", percent(k["abandonRate"]), f"{t['abandoned']:,} abandoned of {t['queued']:,} queued"],
        ["callback", percent(k["callbackRate"]), f"{t['callbacks']:,} callbacks of contacts"],
        ["errors", percent(k["errorRate"]), f"{t['errors']:,} not served, of contacts"],
        ["AHT", duration(k["averageHandleSeconds"]), f"per handled call ({t['handled']:,})"],
        ["avg queue wait", duration(k["averageQueueWaitSeconds"]), f"per queued call ({t['queued']:,})"],
        ["service level", percent(k["serviceLevel"]), f"answered within threshold ({threshold}) of queued"],
        ["CSAT", _csat(k), "mean rating 1..5 (n = responses)"],
        [
            "recontact",
            percent(k[RECONTACT]),
            f"{t['recontacted']:,} the caller rang again within the window",
        ],
        ["resolution", percent(k[RESOLUTION]), f"{t['resolved']:,} contained, not recontacted"],
    ]
    parts = [table(["measure", "value", "basis"], headline)]
    open_days = report.provisional_days
    if open_days and report.provisional is not None:
        hours = report.provisional.window / timedelta(hours=1)
        parts.append(
            f"\nProvisional: {day_span(open_days)}. Their recontact window ({hours:g} h) is still open "
            "(end of day + window is after now), so their figures, recontact and resolution above "
            "all, can still change."
        )
    if report.by is None:
        return "\n".join(parts)
    marked = bool(open_days)
    rows = [
        [
            rank,
            row.value,
            *_row_figures(row.totals, t["contacts"]),
            *(["yes" if row.provisional else ""] * marked),
        ]
        for rank, row in enumerate(report.rows, 1)
    ]
    headers = ["#", report.by, "contacts", "share", "contained", "transfer", "abandon", "callback", "errors"]
    headers += ["AHT", "wait", "SL", "CSAT", "recontact", "resolution"]
    parts.append("\n" + table([*headers, *(["provisional"] * marked)], rows))
    if not rows:
        parts.append(f"(no {report.by} counters in the range)")
    elif report.by == "reason":
        parts.append(
            "\nA call with several escalation reasons counts once under each; NONE: calls not escalated."
        )
    return "\n".join(parts)


def _row_figures(totals: Totals, all_contacts: int) -> list[str]:
    k = kpis(totals)
    share = ratio(totals["contacts"], all_contacts)
    return [
        f"{totals['contacts']:,}",
        percent(share),
        percent(k["containmentRate"]),
        percent(k["transferRate"]),
        percent(k["abandonRate"]),
        percent(k["callbackRate"]),
        percent(k["errorRate"]),
        duration(k["averageHandleSeconds"]),
        duration(k["averageQueueWaitSeconds"]),
        percent(k["serviceLevel"]),
        _csat(k),
        percent(k[RECONTACT]),
        percent(k[RESOLUTION]),
    ]


def day_span(days: list[date]) -> str:
    """Consecutive days as one span: `2026-11-23 to 2026-11-26`."""
    return str(days[0]) if len(days) == 1 else f"{days[0]} to {days[-1]}"


def percent(value: KpiValue) -> str:
    return DASH if value is None else f"{value * 100:.1f}%"


def duration(seconds: KpiValue) -> str:
    """mm:ss, rounded to the second; minutes go past 59 rather than into hours."""
    if seconds is None:
        return DASH
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def _csat(k: dict[str, KpiValue]) -> str:
    average = k["csatAverage"]
    return f"{DASH if average is None else f'{average:.2f}'} (n={k['csatResponses']})"
