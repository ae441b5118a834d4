"""Reliability and security suites: fuzzed inputs, injected faults, privacy, least privilege, flows under failure."""
