"""Typed configuration for the CDK app, validated once from CDK context.

Pure Python (no CDK import), so the rules are unit-testable in milliseconds. Every error is one
sentence that names the context key and what was expected, because `app.py` prints it as the only
line a user sees.
"""

from __future__ import annotations

import json
import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlparse

from infra import constants

CrmAdapter = Literal["dynamodb", "http"]
RemovalPolicyName = Literal["retain", "destroy"]
FlowTestStatus = Literal["PUBLISHED", "SAVED"]

# Every finite value CDK's logs.RetentionDays accepts. Never-expiring logs are left out on
# purpose: ServerlessChecks flags them and call logs have no reason to live forever.
RETENTION_DAYS: tuple[int, ...] = (
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545,
    731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
)  # fmt: skip

_PARTITION = r"aws|aws-cn|aws-us-gov"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_INSTANCE_ARN = re.compile(
    rf"^arn:(?P<partition>{_PARTITION}):connect:(?P<region>{_REGION}):(?P<account>\d{{12}}):"
    rf"instance/(?P<instance_id>{_UUID})$"
)
_INSTANCE_ID = re.compile(rf"^{_UUID}$", re.IGNORECASE)
# Full ARN only: the 6-character suffix Secrets Manager appends makes the grant exact.
_SECRET_ARN = re.compile(
    rf"^arn:(?:{_PARTITION}):secretsmanager:{_REGION}:\d{{12}}:secret:[\w/+=.@-]+-[A-Za-z0-9]{{6}}$"
)
# A Lex V2 bot alias: bot and alias ids are 10 letters/digits (the test alias is TSTALIASID).
_LEX_ALIAS_ARN = re.compile(
    rf"^arn:(?:{_PARTITION}):lex:{_REGION}:\d{{12}}:bot-alias/[0-9A-Za-z]{{10}}/[0-9A-Za-z]{{10}}$"
)
LEX_ALIAS_ARN_EXAMPLE = "arn:aws:lex:<region>:<account>:bot-alias/<botId>/<aliasId>"
# The CloudFormation schema's pattern for AWS::Connect::Instance InstanceAlias.
_ALIAS = re.compile(r"^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$")
_ALIAS_MAX = 45
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})

INSTANCE_ARN_EXAMPLE = "arn:aws:connect:<region>:<account>:instance/<uuid>"

# An address SNS can send to: one @, a dotted domain, no spaces; 254 characters at most (RFC 5321).
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_EMAIL_MAX = 254
RESERVED_CONCURRENCY_EXAMPLE = '{"ivr_decision": 50, "crm_lookup": 50}'


class ConfigError(ValueError):
    """Context is missing or malformed; str(error) is the one line to show the user."""

    def __init__(self, key: str, expected: str, got: object | None = None, *, got_text: str | None = None):
        detail = got_text if got_text is not None else (f"got {_show(got)}" if got is not None else "")
        message = f"tandem: context {key} must be {expected}"
        super().__init__(f"{message}; {detail}" if detail else message)
        self.key = key


@dataclass(frozen=True)
class ExistingInstance:
    arn: str
    partition: str
    region: str
    account: str
    instance_id: str


@dataclass(frozen=True)
class TandemConfig:
    existing_instance: ExistingInstance | None  # None: the stack creates an instance
    instance_alias: str
    crm_adapter: CrmAdapter
    crm_base_url: str | None
    crm_secret_arn: str | None
    time_zone: str
    log_retention_days: int
    default_country: str
    data_removal_policy: RemovalPolicyName  # Customers is always retained
    # A Lex V2 bot alias the inbound flow talks to (speech input); None: DTMF menu only.
    lex_bot_alias_arn: str | None = None
    # Where the alarm topic sends email (a subscription the recipient confirms); None: no subscription.
    alarm_email: str | None = None
    # Function name → reserved concurrency, only for the functions named; unset by default because
    # a reservation must fit the account's concurrency limit minus 100 (docs/decision_log.md).
    reserved_concurrency: dict[str, int] = field(default_factory=dict)
    # The test cases in flows/tests/, deployed in their own stack (infra/flow_tests_stack.py).
    flow_tests: bool = True
    flow_test_status: FlowTestStatus = "PUBLISHED"  # SAVED: stored unvalidated, cannot be run
    flow_test_version: str = constants.DEFAULT_FLOW_TEST_VERSION

    @classmethod
    def from_context(cls, get: Callable[[str], object]) -> TandemConfig:
        """Build from a context lookup such as `app.node.try_get_context` or `dict.get`."""
        # The instance first: with a wrong ARN nothing else matters yet.
        instance = _instance(_text(get, "connectInstanceArn"))
        alias = _alias(_text(get, "instanceAlias") or constants.DEFAULT_INSTANCE_ALIAS)
        adapter = _choice(get, "crmAdapter", ("dynamodb", "http"), "dynamodb")
        base_url = secret_arn = None
        if adapter == "http":
            base_url = _https_url("crmBaseUrl", _text(get, "crmBaseUrl"))
            secret_arn = _secret_arn("crmSecretArn", _text(get, "crmSecretArn"))
        removal = _choice(get, "dataRemovalPolicy", ("retain", "destroy"), "retain")
        return cls(
            existing_instance=instance,
            instance_alias=alias,
            crm_adapter="http" if adapter == "http" else "dynamodb",
            crm_base_url=base_url,
            crm_secret_arn=secret_arn,
            time_zone=_time_zone(_text(get, "timeZone") or constants.DEFAULT_TIME_ZONE),
            log_retention_days=_retention(get("logRetentionDays")),
            default_country=_country(_text(get, "defaultCountry") or constants.DEFAULT_COUNTRY),
            data_removal_policy="destroy" if removal == "destroy" else "retain",
            lex_bot_alias_arn=_lex_alias_arn(_text(get, "lexBotAliasArn")),
            alarm_email=_email("alarmEmail", _text(get, "alarmEmail")),
            reserved_concurrency=_reserved_concurrency(get("reservedConcurrency")),
            flow_tests=_flag(get, "flowTests", default=True),
            flow_test_status="SAVED"
            if _choice(get, "flowTestStatus", ("published", "saved"), "published") == "saved"
            else "PUBLISHED",
            flow_test_version=_choice(
                get, "flowTestVersion", ("2019-10-30", "2025-06-21"), constants.DEFAULT_FLOW_TEST_VERSION
            ),
        )


def _show(value: object) -> str:
    text = str(value)
    return f'"{text[:200]}…"' if len(text) > 200 else f'"{text}"'


def _text(get: Callable[[str], object], key: str) -> str | None:
    value = get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(key, "a string", value)
    return value.strip() or None


def _flag(get: Callable[[str], object], key: str, *, default: bool) -> bool:
    """A boolean context value: JSON true/false, or the text `-c key=true` passes."""
    value = get(key)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "false"):
        return text == "true"
    raise ConfigError(key, "true or false", value)


def _choice(get: Callable[[str], object], key: str, options: tuple[str, ...], default: str) -> str:
    value = (_text(get, key) or default).lower()
    if value not in options:
        raise ConfigError(key, f"one of {', '.join(options)}", value)
    return value


def _instance(arn: str | None) -> ExistingInstance | None:
    if arn is None:
        return None
    key, expected = "connectInstanceArn", f"an instance ARN like {INSTANCE_ARN_EXAMPLE}"
    if _INSTANCE_ID.match(arn):
        raise ConfigError(key, expected, got_text=f"got an instance id {_show(arn)}")
    match = _INSTANCE_ARN.match(arn)
    if match is None:
        raise ConfigError(key, expected, arn)
    return ExistingInstance(arn=arn, **match.groupdict())


def _alias(alias: str) -> str:
    expected = (
        "an instance alias of 1 to 45 letters, digits and hyphens that does not start with "
        '"d-" and does not start or end with a hyphen'
    )
    if len(alias) > _ALIAS_MAX or not _ALIAS.match(alias):
        raise ConfigError("instanceAlias", expected, alias)
    return alias


def _time_zone(name: str) -> str:
    expected = 'an IANA time zone name like "America/New_York"'
    try:
        zoneinfo.ZoneInfo(name)
    except (KeyError, ValueError, OSError):
        raise ConfigError("timeZone", expected, name) from None
    # The tz database also ships aliases of the build host's zone ("localtime") and alternate
    # trees ("posix/…", "right/…") that are not zone names Connect accepts.
    if (
        name in _NOT_ZONES
        or name.startswith(("posix/", "right/"))
        or name not in zoneinfo.available_timezones()
    ):
        raise ConfigError("timeZone", expected, name)
    return name


def _retention(raw: object) -> int:
    expected = f"a number of days CloudWatch Logs accepts ({', '.join(map(str, RETENTION_DAYS))})"
    if raw is None or raw == "":
        return constants.DEFAULT_LOG_RETENTION_DAYS
    # bool is an int subclass; "true" days is a mistake, not 1 day.
    if isinstance(raw, bool) or not isinstance(raw, int | str) or not str(raw).strip().isdigit():
        raise ConfigError("logRetentionDays", expected, raw)
    days = int(str(raw).strip())
    if days not in RETENTION_DAYS:
        raise ConfigError("logRetentionDays", expected, raw)
    return days


def _country(code: str) -> str:
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise ConfigError("defaultCountry", 'a two-letter ISO 3166 country code like "US"', code)
    return code.upper()


def _https_url(key: str, url: str | None) -> str:
    expected = 'an https URL like "https://crm.example.com/api" when crmAdapter is http'
    if url is None:
        raise ConfigError(key, expected, got_text="it is missing")
    parsed = urlparse(url)
    if parsed.scheme != "https" or not parsed.hostname:
        raise ConfigError(key, expected, url)
    return url


def _secret_arn(key: str, arn: str | None) -> str:
    expected = (
        "the full Secrets Manager secret ARN (with its 6-character suffix) like "
        "arn:aws:secretsmanager:<region>:<account>:secret:<name>-AbCdEf when crmAdapter is http"
    )
    if arn is None:
        raise ConfigError(key, expected, got_text="it is missing")
    if not _SECRET_ARN.match(arn):
        raise ConfigError(key, expected, arn)
    return arn


def _lex_alias_arn(arn: str | None) -> str | None:
    if arn is None:
        return None
    if not _LEX_ALIAS_ARN.match(arn):
        raise ConfigError("lexBotAliasArn", f"a Lex V2 bot alias ARN like {LEX_ALIAS_ARN_EXAMPLE}", arn)
    return arn


def _email(key: str, address: str | None) -> str | None:
    if address is None:
        return None
    if len(address) > _EMAIL_MAX or not _EMAIL.match(address):
        raise ConfigError(key, 'an email address like "oncall@example.com"', address)
    return address


def _reserved_concurrency(raw: object) -> dict[str, int]:
    """`{"ivr_decision": 50}` from cdk.json, or the same JSON as text from `-c reservedConcurrency=…`."""
    key = "reservedConcurrency"
    expected = (
        f"a JSON object of function name to a whole number of at least 1, like {RESERVED_CONCURRENCY_EXAMPLE}"
    )
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return {}
    shown = " ".join(str(raw).split())  # a pretty-printed object still makes a one-line error
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError):
            raise ConfigError(key, expected, shown) from None
    if not isinstance(value, dict):
        raise ConfigError(key, expected, shown)
    names = ", ".join(constants.FUNCTION_NAMES)
    reserved: dict[str, int] = {}
    for name, count in value.items():
        if name not in constants.FUNCTION_NAMES:
            raise ConfigError(
                key, f"keyed by function names ({names})", got_text=f"got {_show(repr(name)[1:-1])}"
            )
        # bool is an int subclass; true is a mistake, not 1.
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise ConfigError(
                key, f"a whole number of at least 1 for {name}", got_text=f"got {_show(repr(count))}"
            )
        reserved[name] = count
    return reserved
