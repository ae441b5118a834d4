"""One place for logging and metrics, so every function logs the same structured way.

Rules every caller follows: log structured keys, never f-strings; never log a phone number, a
name or an email; the correlation id is the call's initial contact id.
"""

from __future__ import annotations

import os

from aws_lambda_powertools import Logger, Metrics

NAMESPACE = "Tandem"


def get_logger(service: str) -> Logger:
    # POWERTOOLS_LOGGER_LOG_EVENT stays off: the event carries the caller's number.
    return Logger(service=service, level=os.environ.get("POWERTOOLS_LOG_LEVEL", "INFO"))


def get_metrics(service: str) -> Metrics:
    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE), service=service)
