"""One place for logging and metrics, so every function logs the same structured way.

Rules every caller follows: log structured keys, never f-strings; never log a phone number, a
name or an email; the correlation id is the call's initial contact id.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import formatter as powertools_formatter
from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit

from lambdas.shared.emf import EmfProvider, single_metric

NAMESPACE = "Tandem"

__all__ = ["NAMESPACE", "MetricUnit", "get_logger", "get_metrics", "single_metric"]


class _CurrentStdout:
    """Writes to whatever `sys.stdout` is at write time.

    Lambda collects stdout either way; the local sandbox swaps `sys.stdout` per invocation to
    capture a handler's log lines and EMF metrics without touching the handler.
    """

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# What a JSON text can start with (after whitespace), NaN and Infinity included as json.loads reads them.
JSON_STARTS = frozenset('{["-0123456789tfnNI')


def _message_as_json(text: Any) -> Any:
    """Powertools reads every log message as JSON if it can; ours are words. A message that cannot
    be JSON is refused before the parser builds an exception for it: the same log line, sooner."""
    if isinstance(text, str) and text.lstrip()[:1] not in JSON_STARTS:
        raise ValueError("not JSON")
    return json.loads(text)


class LogFormatter(LambdaPowertoolsFormatter):  # type: ignore[misc]
    """Powertools' formatter, reading the record's keys against a set rather than a tuple.

    Powertools tests every attribute of a record, and every key of the line, against its tuple of
    ~20 reserved names, by scanning it; a set answers the same in one look-up. The same keys, in
    the same order, with the same values: the line is Powertools' own (`tests/unit/test_log_lines.py`).
    """

    _RESERVED = frozenset(RESERVED_LOG_ATTRS)

    def _extract_log_keys(self, log_record: logging.LogRecord) -> dict[str, Any]:
        reserved = self._RESERVED
        record_dict = log_record.__dict__.copy()
        record_dict["asctime"] = self.formatTime(record=log_record)
        formatted_log: dict[str, Any] = {}
        for keys in (self.log_format, powertools_formatter._get_context().get()):
            for key, value in keys.items():
                if value and key in reserved:
                    if not isinstance(value, str):
                        return super()._extract_log_keys(log_record)  # type: ignore[no-any-return]  # its error
                    formatted_log[key] = value % record_dict
                else:
                    formatted_log[key] = value
        formatted_log.update({k: v for k, v in record_dict.items() if k not in reserved})
        return formatted_log


LOG_LEVEL_VAR = "POWERTOOLS_LOG_LEVEL"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def get_logger(service: str) -> Logger:
    # POWERTOOLS_LOGGER_LOG_EVENT stays off: the event carries the caller's number.
    # An unknown level would make Powertools raise at import (no answer to the flow at all): INFO
    # serves instead, and one line says which variable is wrong.
    raw = os.environ.get(LOG_LEVEL_VAR, "").strip()
    level = raw.upper() or "INFO"
    valid = level in LOG_LEVELS
    logger = Logger(
        service=service,
        level=level if valid else "INFO",
        logger_handler=logging.StreamHandler(_CurrentStdout()),  # type: ignore[arg-type]
        logger_formatter=LogFormatter(json_deserializer=_message_as_json),
    )
    if not valid:
        logger.warning(
            "configuration invalid",
            extra={"problem": f"environment variable {LOG_LEVEL_VAR} must be one of {', '.join(LOG_LEVELS)}"},
        )
    return logger


def get_metrics(service: str) -> Metrics:
    namespace = os.environ.get("POWERTOOLS_METRICS_NAMESPACE", NAMESPACE)
    metrics = Metrics(namespace=namespace, service=service)
    # The same sets Powertools' own provider shares between every Metrics of the process.
    metrics.provider = EmfProvider(
        namespace=namespace,
        service=service,
        metric_set=metrics.metric_set,
        dimension_set=metrics.dimension_set,
        metadata_set=metrics.metadata_set,
        default_dimensions=metrics.default_dimensions,
    )
    return metrics
