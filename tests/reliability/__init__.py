"""Reliability and security suites: fuzzing, injected faults, privacy, flows under failure."""
