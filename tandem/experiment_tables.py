"""`tandem experiment status` as text: the verdict, each arm's KPIs with intervals, the primary
metric's difference and plan, and the guardrails. The HTML page (tandem/html/experiment.py) ends
with the same text."""

from __future__ import annotations

from lambdas.shared import experiment_stats as es
from tandem.experiment_status import Status
from tandem.kpi_tables import DASH, day_span
from tandem.output import table


def figure(metric: str, value: float | None) -> str:
    """A rate as a percentage, an average as a number (seconds, or CSAT's 1..5)."""
    if value is None:
        return DASH
    return f"{value:.1%}" if metric in es.PROPORTIONS else f"{value:,.2f}"


def with_interval(metric: str, found: es.Estimate | None) -> str:
    if found is None:
        return DASH
    if found.interval is None:
        return f"{figure(metric, found.value)} (n={found.trials:,})"
    low, high = figure(metric, found.interval.low), figure(metric, found.interval.high)
    counted = (
        f"{found.successes:,}/{found.trials:,}" if found.successes is not None else f"n={found.trials:,}"
    )
    return f"{figure(metric, found.value)} [{low}, {high}] ({counted})"


def difference(metric: str, comparison: es.Comparison | None) -> str:
    if comparison is None:
        return DASH

    def sign(x: float) -> str:
        return ("+" if x >= 0 else "") + figure(metric, x)

    interval = comparison.interval
    text = sign(comparison.difference)
    if interval is not None:
        text += f" [{sign(interval.low)}, {sign(interval.high)}]"
    if comparison.test is not None:
        text += f", p = {comparison.test.p_value:.3g}"
    return text


def status_text(status: Status, source: str) -> str:
    s = status.settings
    open_days = list(status.provisional_days)
    lines = [
        f"Experiment {s.id}: {status.verdict} ({status.reason})",
        f"{status.start} to {status.end}, {source}; share {s.share:.0%} to the challenger, unit {s.unit}; "
        f"alpha {s.alpha}, power {s.power}, minimum detectable effect {s.minimum_detectable_effect}",
        f"provisional days (recontact window open, not in the verdict): {day_span(open_days)}"
        if open_days
        else "no provisional day",
        "",
        "Per variant, every day, 95 % intervals (Wilson for rates, Student's t for averages):",
    ]
    estimates = {arm.name: arm.estimates() for arm in status.arms}
    rows = [["contacts", *(f"{arm.totals['contacts']:,}" for arm in status.arms)]]
    rows += [
        [metric, *(with_interval(metric, estimates[arm.name][metric]) for arm in status.arms)]
        for metric in es.METRICS
    ]
    lines += [table(["KPI", *(arm.name for arm in status.arms)], rows), ""]
    p = status.primary
    lines.append(f"Primary metric {p.metric} ({p.better} is better), final days only:")
    lines.append(
        table(
            ["champion", "challenger", "challenger - champion", "planned per arm", "still needed"],
            [
                [
                    with_interval(p.metric, p.champion),
                    with_interval(p.metric, p.challenger),
                    difference(p.metric, p.comparison),
                    None if p.planned_per_arm is None else f"{p.planned_per_arm:,}",
                    None if p.still_needed is None else f"{p.still_needed:,}",
                ]
            ],
        )
    )
    if status.guardrails:
        lines += ["", "Guardrails (mSPRT, always valid; every day):"]
        lines.append(
            table(
                [
                    "metric",
                    "may worsen by",
                    "challenger - champion",
                    "likelihood ratio",
                    "threshold",
                    "state",
                ],
                [
                    [
                        c.guardrail.metric,
                        figure(c.guardrail.metric, c.guardrail.max_worsening),
                        difference(c.guardrail.metric, c.comparison),
                        DASH
                        if c.look is None or c.look.likelihood_ratio is None
                        else f"{c.look.likelihood_ratio:.3g}",
                        f"{1 / c.alpha:.3g}",
                        "TRIPPED" if c.tripped else "ok",
                    ]
                    for c in status.guardrails
                ],
            )
        )
    return "\n".join(lines)
