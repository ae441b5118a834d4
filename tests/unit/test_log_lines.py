"""The log formatter given to Powertools (lambdas/shared/observability.py) writes exactly the
line Powertools' own formatter writes, for any message, extra keys and appended keys."""

from __future__ import annotations

import logging
import sys
from typing import Any

import pytest
from aws_lambda_powertools.logging.formatter import RESERVED_LOG_ATTRS, LambdaPowertoolsFormatter
from hypothesis import given
from hypothesis import strategies as st

from lambdas.shared.observability import LogFormatter, _message_as_json, get_logger

VALUES = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
EXTRA_NAMES = st.text(min_size=1, max_size=12).filter(
    lambda k: k not in RESERVED_LOG_ATTRS and k != "message"
)
# Appended keys may name a record attribute ("%(process)d" style values read the record).
KEY_VALUES = VALUES | st.sampled_from(["%(levelname)s", "%(funcName)s:%(lineno)d", "%(process)d", "%(name)s"])
KEY_NAMES = EXTRA_NAMES | st.sampled_from(["process", "name", "level", "correlation_id", "lineno"])


def both(**options: Any) -> tuple[LambdaPowertoolsFormatter, LogFormatter]:
    return (
        LambdaPowertoolsFormatter(json_deserializer=_message_as_json, **options),
        LogFormatter(json_deserializer=_message_as_json, **options),
    )


def outcome(formatter: logging.Formatter, same: logging.LogRecord) -> tuple[str, str]:
    try:
        return ("line", formatter.format(same))
    except ValueError as refused:  # a reserved key whose value is not text
        return ("refused", str(refused))


def record(message: Any, level: int, extra: dict[str, Any], exc_info: Any = None) -> logging.LogRecord:
    made = logging.getLogger("test_log_lines").makeRecord(
        "test_log_lines", level, __file__, 42, message, (), exc_info, "caller", extra
    )
    return made


@given(
    message=st.text(max_size=20) | st.dictionaries(st.text(max_size=5), VALUES, max_size=3),
    level=st.sampled_from([logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR]),
    extra=st.dictionaries(EXTRA_NAMES, VALUES, max_size=6),
    appended=st.dictionaries(KEY_NAMES, KEY_VALUES, max_size=4),
)
def test_lines_are_powertools_lines(
    message: Any, level: int, extra: dict[str, Any], appended: dict[str, Any]
) -> None:
    stock, ours = both(service="svc")
    stock.append_keys(**appended)
    ours.append_keys(**appended)
    same = record(message, level, extra)
    assert outcome(ours, same) == outcome(stock, same)


def test_an_exception_and_its_stack_trace_are_formatted_the_same() -> None:
    try:
        raise KeyError("boom")
    except KeyError:
        same = record("handler failed", logging.ERROR, {"error_type": "KeyError"}, exc_info=sys.exc_info())
    stock, ours = both(service="svc")
    assert ours.format(same) == stock.format(same)


def test_a_reserved_key_that_is_not_text_is_refused_as_powertools_refuses_it() -> None:
    stock, ours = both(service="svc")
    for formatter in (stock, ours):
        formatter.append_keys(process=7)
    same = record("m", logging.INFO, {})
    with pytest.raises(ValueError) as by_stock:
        stock.format(same)
    with pytest.raises(ValueError) as by_ours:
        ours.format(same)
    assert str(by_ours.value) == str(by_stock.value)


def test_every_function_logger_uses_the_formatter() -> None:
    logger = get_logger("test_log_lines_service")
    assert isinstance(logger.registered_formatter, LogFormatter)
    assert logger.registered_formatter.json_deserializer is _message_as_json
