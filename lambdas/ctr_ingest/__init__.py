"""ctr_ingest: contact trace records from Kinesis into per-day counters, each call counted exactly once."""
