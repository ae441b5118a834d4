"""The experiment guard: stops an experiment whose challenger harms a guardrail."""
