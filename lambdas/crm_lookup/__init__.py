"""CRM lookup: who is calling, in one fast, fail-soft call."""
