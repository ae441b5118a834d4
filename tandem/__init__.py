"""Tandem's local tooling: the CLI, the moto-backed sandbox, flow tools and reports."""
