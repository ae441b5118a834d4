"""Run Tandem on one laptop: `sandbox()` stands the whole system up in-process on moto."""

from tandem.local.sandbox import Sandbox, sandbox

__all__ = ["Sandbox", "sandbox"]
