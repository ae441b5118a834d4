"""Helpers shared by the benchmarks: the repository root and output."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def verdict(value: float, budget: float) -> str:
    return "within budget" if value <= budget else "OVER BUDGET"


def heading(text: str) -> None:
    print(f"\n== {text} ==")
