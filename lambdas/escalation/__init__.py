"""Escalation: turns a decision that needs a person into routing (queue, priority, callback, whisper)."""
