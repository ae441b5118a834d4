"""How test results read: text for people, JSON for tools, JUnit XML for CI, and transition
coverage over the whole run. Phone numbers are masked everywhere (tandem.output.masked)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tandem.flows.simulator import FlowCoverage, FlowRefused, LocalResources, load, merge_coverage
from tandem.flowtest.reach import undrivable
from tandem.flowtest.runner import TestResult
from tandem.output import masked

TRACE_NOTE = 100


def coverage(results: Sequence[TestResult], flows_dir: Path) -> dict[str, FlowCoverage]:
    """Transition coverage per flow over every run; flows in `flows_dir` no test reached at 0 %."""
    merged = merge_coverage(*(r.simulation for r in results if r.simulation is not None))
    resources = LocalResources({}, {})
    for path in sorted(flows_dir.glob("*.json")):
        try:
            flow = load(path, resources)
        except FlowRefused:
            continue
        merged.setdefault(flow.name, FlowCoverage(flow.transitions))
    return dict(sorted(merged.items()))


def reasons(flows_dir: Path) -> dict[str, dict[tuple[str, str], str]]:
    """Per flow in `flows_dir`, the transitions no cloud test case can take and why
    (`tandem.flowtest.reach`)."""
    resources = LocalResources({}, {})
    found: dict[str, dict[tuple[str, str], str]] = {}
    for path in sorted(flows_dir.glob("*.json")):
        try:
            flow = load(path, resources)
        except FlowRefused:
            continue
        found[flow.name] = undrivable(flow.actions.values(), flow.start)
    return found


def coverage_lines(covered: dict[str, FlowCoverage], why: dict[str, dict[tuple[str, str], str]]) -> list[str]:
    """Per flow: taken / all transitions (the measure), the share a cloud test case can take at
    all, then each transition never taken with the reason no cloud test can take it, if any."""
    lines = ["Transition coverage (taken / all; the share a cloud test case can take)"]
    for name, flow in covered.items():
        blocked = why.get(name, {})
        drivable = len(flow.transitions - set(blocked))
        share = drivable / len(flow.transitions) if flow.transitions else 1.0
        lines.append(f"  {name}: {flow}; Connect can take {drivable}/{len(flow.transitions)} ({share:.0%})")
        for action, branch in flow.missed:
            reason = blocked.get((action, branch))
            lines.append(f"    never taken: {action} → {branch}" + (f"  [{reason}]" if reason else ""))
    return lines


def trace(result: TestResult) -> list[str]:
    """The call's steps, one line each."""
    if result.simulation is None:
        return []
    lines = []
    for number, step in enumerate(result.simulation.steps, start=1):
        note = step.note if len(step.note) <= TRACE_NOTE else step.note[: TRACE_NOTE - 1] + "…"
        lines.append(f"{number:>3} {step.flow}/{step.action} {step.type} → {step.branch or '(end)'}  {note}")
    return masked(lines)  # type: ignore[no-any-return]


def text(
    results: Sequence[TestResult],
    *,
    covered: dict[str, FlowCoverage] | None = None,
    why: dict[str, dict[tuple[str, str], str]] | None = None,
    seconds: float | None = None,
) -> str:
    """The report for people; `seconds` is the run's wall clock (else the tests' own times summed)."""
    lines: list[str] = []
    for result in results:
        lines.append(
            f"{'PASS' if result.passed else 'FAIL'} {result.name} ({result.path}) {result.seconds:.2f} s"
        )
        for match in result.matched:
            notes = f"  [{'; '.join(match.notes)}]" if match.notes else ""
            lines.append(masked(f"  ✓ {match.observation}: {match.event}{notes}"))
        for label, value in result.logged.items():
            lines.append(masked(f"  log {label} = {value}"))
        lines.extend(f"  note: {note}" for note in result.notes)
        if not result.passed:
            for failure in result.failures:
                lines.append(masked(f"  ✗ {failure}"))
            lines.append("  trace:")
            lines.extend(f"    {line}" for line in trace(result))
    passed = sum(r.passed for r in results)
    total = sum(r.seconds for r in results) if seconds is None else seconds
    lines.append(
        f"\n{passed} passed, {len(results) - passed} failed, {len(results)} test case(s) in {total:.1f} s"
    )
    if covered is not None:
        lines.extend(["", *coverage_lines(covered, why or {})])
    return "\n".join(lines)


def as_json(
    results: Sequence[TestResult],
    *,
    covered: dict[str, FlowCoverage] | None = None,
    why: dict[str, dict[tuple[str, str], str]] | None = None,
    seconds: float | None = None,
) -> dict[str, Any]:
    document: dict[str, Any] = {
        "tests": [
            {
                "name": r.name,
                "path": str(r.path),
                "passed": r.passed,
                "seconds": round(r.seconds, 3),
                "matched": [
                    {"observation": m.observation, "event": m.event, "actions": list(m.notes)}
                    for m in r.matched
                ],
                "failures": r.failures,
                "logged": r.logged,
                "notes": r.notes,
                "events": r.events,
                "trace": trace(r) if not r.passed else [],
                "outcome": r.simulation.outcome if r.simulation else None,
            }
            for r in results
        ],
        "summary": {
            "passed": sum(r.passed for r in results),
            "failed": sum(not r.passed for r in results),
            "seconds": round(sum(r.seconds for r in results) if seconds is None else seconds, 3),
        },
    }
    if covered is not None:
        document["coverage"] = {
            name: {
                "taken": len(c.taken),
                "transitions": len(c.transitions),
                "ratio": round(c.ratio, 4),
                "cloud_drivable": len(c.transitions - set((why or {}).get(name, {}))),
                "missed": [f"{a} → {b}" for a, b in c.missed],
                "missed_reasons": {
                    f"{a} → {b}": (why or {}).get(name, {})[(a, b)]
                    for a, b in c.missed
                    if (a, b) in (why or {}).get(name, {})
                },
            }
            for name, c in covered.items()
        }
    return masked(document)  # type: ignore[no-any-return]


def junit(results: Sequence[TestResult], problems: Sequence[str] = ()) -> str:
    """A JUnit XML report: one testcase per test case, a failure element per failed one, and an
    error testcase per file that could not be used (`problems`, one line each)."""
    suite = ET.Element(
        "testsuite",
        name="tandem test",
        tests=str(len(results) + len(problems)),
        failures=str(sum(not r.passed for r in results)),
        errors=str(len(problems)),
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for result in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=result.path.parent.name or "flows.tests",
            name=result.name,
            file=str(result.path),
            time=f"{result.seconds:.3f}",
        )
        if not result.passed:
            failure = ET.SubElement(case, "failure", message=masked(result.failures[0]))
            failure.text = "\n".join([*masked(result.failures), "trace:", *trace(result)])
        matched = [f"{m.observation}: {m.event}" for m in result.matched]
        ET.SubElement(case, "system-out").text = "\n".join(masked(matched))
    for problem in problems:
        where = problem.split(": ", 1)[0]
        unusable = ET.SubElement(suite, "testcase", classname="unusable", name=where, file=where, time="0")
        ET.SubElement(unusable, "error", message=masked(problem))
    root = ET.Element("testsuites")
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
