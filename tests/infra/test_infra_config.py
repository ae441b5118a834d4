"""Context validation: one typed config, one clear sentence per mistake."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from infra_support import EXISTING_INSTANCE_ARN, INSTANCE_ID, LEX_ALIAS_ARN, REPO_ROOT, SECRET_ARN

from infra.config import RETENTION_DAYS, ConfigError, TandemConfig

EXPECTED_ARN = "an instance ARN like arn:aws:connect:<region>:<account>:instance/<uuid>"


def config(**context: Any) -> TandemConfig:
    return TandemConfig.from_context(context.get)


def error_for(**context: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        config(**context)
    message = str(caught.value)
    assert "\n" not in message, "the error must be one line"
    return message


def test_defaults_create_an_instance_with_the_dynamodb_adapter() -> None:
    # Given no context at all / When the config is read
    result = config()
    # Then every setting has its documented default
    assert result.existing_instance is None
    assert result.instance_alias == "tandem-demo"
    assert result.crm_adapter == "dynamodb"
    assert result.crm_base_url is None and result.crm_secret_arn is None
    assert result.time_zone == "America/New_York"
    assert result.log_retention_days == 30
    assert result.default_country == "US"
    assert result.data_removal_policy == "retain"
    assert result.lex_bot_alias_arn is None


def test_an_instance_arn_gives_account_region_and_id() -> None:
    # Given an existing instance's ARN / When the config is read
    instance = config(connectInstanceArn=EXISTING_INSTANCE_ARN).existing_instance
    # Then the stack environment can be taken from it
    assert instance is not None
    assert (instance.partition, instance.region, instance.account) == ("aws", "eu-west-2", "123456789012")
    assert instance.instance_id == INSTANCE_ID and instance.arn == EXISTING_INSTANCE_ARN


def test_an_instance_id_where_an_arn_is_expected_is_named_as_such() -> None:
    # Given the bare instance id (the console shows it next to the ARN)
    # When the config is read / Then the message says exactly what went wrong
    assert error_for(connectInstanceArn=INSTANCE_ID) == (
        f'tandem: context connectInstanceArn must be {EXPECTED_ARN}; got an instance id "{INSTANCE_ID}"'
    )


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:connect:us-east-1:1234:instance/" + INSTANCE_ID,  # short account
        "arn:aws:connect:useast1:123456789012:instance/" + INSTANCE_ID,  # bad region
        EXISTING_INSTANCE_ARN + "/queue/" + INSTANCE_ID,  # a queue ARN
        "arn:aws:lambda:us-east-1:123456789012:function:crm",  # another service
        "instance/" + INSTANCE_ID,
    ],
)
def test_a_malformed_instance_arn_is_rejected_with_the_key_and_the_expectation(arn: str) -> None:
    # Given something that is not an instance ARN / When the config is read
    message = error_for(connectInstanceArn=arn)
    # Then the message names the key, the expected shape and the value
    assert message == f'tandem: context connectInstanceArn must be {EXPECTED_ARN}; got "{arn}"'


@pytest.mark.parametrize("alias", ["d-123456", "-tandem", "tandem-", "tan dem", "tandem_demo", "a" * 46])
def test_a_bad_instance_alias_is_rejected(alias: str) -> None:
    # Given an alias CloudFormation would refuse / When the config is read
    message = error_for(instanceAlias=alias)
    # Then synth stops before deploy, naming the key and the value
    assert message.startswith("tandem: context instanceAlias must be an instance alias of 1 to 45 ")
    assert message.endswith(f'got "{alias}"')


@pytest.mark.parametrize("alias", ["a", "tandem-demo", "Tandem2", "a--b", "a" * 45])
def test_valid_instance_aliases_are_kept(alias: str) -> None:
    # Given an alias CloudFormation accepts / Then it is kept as written
    assert config(instanceAlias=alias).instance_alias == alias


@pytest.mark.parametrize("zone", ["Mars/Olympus", "localtime", "New York", "../etc/passwd"])
def test_a_bad_time_zone_is_rejected(zone: str) -> None:
    # Given a name that is not an IANA zone / When the config is read / Then it is refused
    assert error_for(timeZone=zone) == (
        f'tandem: context timeZone must be an IANA time zone name like "America/New_York"; got "{zone}"'
    )


def test_a_valid_time_zone_is_kept() -> None:
    # Given an IANA zone / Then it is kept
    assert config(timeZone="Europe/London").time_zone == "Europe/London"


def test_http_adapter_without_a_base_url_is_rejected() -> None:
    # Given the HTTP adapter but no base URL / When the config is read
    message = error_for(crmAdapter="http", crmSecretArn=SECRET_ARN)
    # Then the message names crmBaseUrl and says it is missing
    assert message.startswith("tandem: context crmBaseUrl must be an https URL")
    assert message.endswith("; it is missing")


@pytest.mark.parametrize("url", ["http://crm.example.com", "crm.example.com", "https://"])
def test_http_adapter_needs_an_https_base_url(url: str) -> None:
    # Given a base URL that is not https / Then it is refused before it reaches a function
    message = error_for(crmAdapter="http", crmBaseUrl=url, crmSecretArn=SECRET_ARN)
    assert message.startswith("tandem: context crmBaseUrl must be an https URL")


@pytest.mark.parametrize(
    "secret",
    [
        None,
        "tandem/crm",
        "arn:aws:secretsmanager:eu-west-2:123456789012:secret:tandem/crm",  # no 6-char suffix
        "arn:aws:ssm:eu-west-2:123456789012:parameter/tandem/crm",
    ],
)
def test_http_adapter_needs_a_full_secret_arn(secret: str | None) -> None:
    # Given no secret, a name, a partial ARN or another service's ARN / Then it is refused
    message = error_for(crmAdapter="http", crmBaseUrl="https://crm.example.com", crmSecretArn=secret)
    assert message.startswith("tandem: context crmSecretArn must be the full Secrets Manager secret ARN")


def test_http_adapter_with_url_and_secret_is_accepted() -> None:
    # Given a complete HTTP setup (adapter name in any case) / Then it is kept
    result = config(crmAdapter="HTTP", crmBaseUrl="https://crm.example.com/api", crmSecretArn=SECRET_ARN)
    assert (result.crm_adapter, result.crm_base_url, result.crm_secret_arn) == (
        "http",
        "https://crm.example.com/api",
        SECRET_ARN,
    )


def test_dynamodb_adapter_ignores_http_settings() -> None:
    # Given HTTP settings left over with the DynamoDB adapter / Then they are ignored
    result = config(crmBaseUrl="https://crm.example.com", crmSecretArn="not checked")
    assert result.crm_base_url is None and result.crm_secret_arn is None


def test_an_unknown_adapter_is_rejected() -> None:
    # Given an adapter Tandem does not have / Then the options are listed
    assert error_for(crmAdapter="salesforce") == (
        'tandem: context crmAdapter must be one of dynamodb, http; got "salesforce"'
    )


@pytest.mark.parametrize(("raw", "days"), [("14", 14), (365, 365), ("", 30)])
def test_log_retention_accepts_cloudwatch_values_as_text_or_number(raw: object, days: int) -> None:
    # Given -c logRetentionDays=14 (a string from the CLI) or a number from cdk.json
    assert config(logRetentionDays=raw).log_retention_days == days


@pytest.mark.parametrize("raw", ["15", 0, 9999, "two weeks", True, -1, 1.5])
def test_log_retention_rejects_values_cloudwatch_does_not_accept(raw: object) -> None:
    # Given a value CloudWatch Logs would reject (or never-expire) / Then synth stops
    assert error_for(logRetentionDays=raw).startswith(
        "tandem: context logRetentionDays must be a number of days CloudWatch Logs accepts (1, 3, 5,"
    )


def test_retention_days_are_exactly_cdks_finite_values() -> None:
    # CDK's RetentionDays minus INFINITE; a change in CDK should be a conscious one here too.
    # Given CDK's RetentionDays / Then the accepted list is its finite values
    assert RETENTION_DAYS[0] == 1 and RETENTION_DAYS[-1] == 3653 and len(RETENTION_DAYS) == 22


def test_default_country_is_normalised_and_checked() -> None:
    # Given a lower-case code / Then it is upper-cased; a three-letter code is refused
    assert config(defaultCountry="gb").default_country == "GB"
    assert error_for(defaultCountry="USA") == (
        'tandem: context defaultCountry must be a two-letter ISO 3166 country code like "US"; got "USA"'
    )


def test_data_removal_policy_is_retain_or_destroy() -> None:
    # Given a demo stack that should clean up after itself / Then destroy is accepted
    assert config(dataRemovalPolicy="destroy").data_removal_policy == "destroy"
    # And anything else is refused with the options
    assert error_for(dataRemovalPolicy="snapshot") == (
        'tandem: context dataRemovalPolicy must be one of retain, destroy; got "snapshot"'
    )


def test_the_instance_is_checked_before_anything_else() -> None:
    # Given two mistakes / When the config is read / Then the instance one is reported
    assert error_for(connectInstanceArn=INSTANCE_ID, timeZone="Mars/Olympus").startswith(
        "tandem: context connectInstanceArn"
    )


def test_non_string_context_is_rejected() -> None:
    # Given a number where an ARN string is expected / Then the type is named
    assert (
        error_for(connectInstanceArn=123) == 'tandem: context connectInstanceArn must be a string; got "123"'
    )


EXPECTED_LEX = "a Lex V2 bot alias ARN like arn:aws:lex:<region>:<account>:bot-alias/<botId>/<aliasId>"


@pytest.mark.parametrize(
    "arn", [LEX_ALIAS_ARN, "arn:aws:lex:us-east-1:111122223333:bot-alias/ABCDE12345/TSTALIASID"]
)
def test_a_lex_v2_bot_alias_arn_is_kept(arn: str) -> None:
    # Given a Lex V2 alias ARN (the test alias too) / Then it is the speech bot; blank means none
    assert config(lexBotAliasArn=arn).lex_bot_alias_arn == arn
    assert config(lexBotAliasArn="  ").lex_bot_alias_arn is None


@pytest.mark.parametrize(
    "arn",
    [
        "ABCDE12345",  # a bot id
        "arn:aws:lex:us-east-1:111122223333:bot/ABCDE12345",  # the bot, not an alias
        "arn:aws:lex:us-east-1:111122223333:bot-alias/ABCDE12345",  # no alias id
        "arn:aws:lex:us-east-1:111122223333:bot:OrderBot:prod",  # a Lex V1 bot
        "arn:aws:lex:us-east-1:1111:bot-alias/ABCDE12345/FGHIJ67890",  # short account
        "arn:aws:connect:us-east-1:111122223333:bot-alias/ABCDE12345/FGHIJ67890",  # wrong service
        "arn:aws:lex:us-east-1:111122223333:bot-alias/ABC/FGHIJ67890",  # short bot id
    ],
)
def test_anything_but_a_lex_v2_alias_arn_stops_synth_with_one_sentence(arn: str) -> None:
    assert (
        error_for(lexBotAliasArn=arn) == f'tandem: context lexBotAliasArn must be {EXPECTED_LEX}; got "{arn}"'
    )


@pytest.mark.slow
def test_app_py_with_an_instance_id_exits_2_with_one_line_and_no_traceback(tmp_path: Any) -> None:
    # Given `python app.py` run the way the CDK CLI runs it, with context in CDK_CONTEXT_JSON
    env = {
        **os.environ,
        "CDK_CONTEXT_JSON": json.dumps({"connectInstanceArn": INSTANCE_ID}),
        "CDK_OUTDIR": str(tmp_path),
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    # When it runs
    result = subprocess.run(
        [sys.executable, "app.py"],
        check=False,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Then it exits 2 with exactly the config sentence on stderr
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f'tandem: context connectInstanceArn must be {EXPECTED_ARN}; got an instance id "{INSTANCE_ID}"'
    ]
    assert "Traceback" not in result.stderr


EXPECTED_EMAIL = 'tandem: context alarmEmail must be an email address like "oncall@example.com"; got '


def test_alarm_email_is_optional_and_kept() -> None:
    # Given no alarmEmail / Then no address; given one / Then it is kept
    assert config().alarm_email is None
    assert config(alarmEmail=" oncall@example.com ").alarm_email == "oncall@example.com"


@pytest.mark.parametrize(
    ("bad", "shown"),
    [
        ("oncall", '"oncall"'),
        ("oncall@example", '"oncall@example"'),
        ("on call@example.com", '"on call@example.com"'),
        ("a@b@example.com", '"a@b@example.com"'),
        ("x@" + "e" * 250 + ".com", '"x@' + "e" * 198 + '…"'),  # over 254 characters
    ],
)
def test_an_alarm_email_sns_cannot_send_to_stops_synth(bad: str, shown: str) -> None:
    # Given an address SNS could not send to / Then synth stops with one sentence
    assert error_for(alarmEmail=bad) == EXPECTED_EMAIL + shown


def test_reserved_concurrency_is_unset_by_default() -> None:
    # Given no context / Then no function reserves concurrency (a new account's limit may be 10)
    assert config().reserved_concurrency == {}
    assert config(reservedConcurrency="").reserved_concurrency == {}


@pytest.mark.parametrize(
    "raw",
    [
        {"ivr_decision": 50, "crm_lookup": 20},  # from cdk.json
        '{"ivr_decision": 50, "crm_lookup": 20}',  # from -c reservedConcurrency=...
        '{\n  "ivr_decision": 50,\n  "crm_lookup": 20\n}',
    ],
)
def test_reserved_concurrency_names_functions_and_counts(raw: object) -> None:
    # Given a reservation for two functions, as an object or JSON text / Then only those are reserved
    assert config(reservedConcurrency=raw).reserved_concurrency == {"ivr_decision": 50, "crm_lookup": 20}


EXPECTED_RESERVATION = (
    "tandem: context reservedConcurrency must be a JSON object of function name to a whole number of "
    'at least 1, like {"ivr_decision": 50, "crm_lookup": 50}; got '
)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("ivr_decision=50", EXPECTED_RESERVATION + '"ivr_decision=50"'),
        ("[50]", EXPECTED_RESERVATION + '"[50]"'),
        (50, EXPECTED_RESERVATION + '"50"'),
        ('{"ivr_decision":\n 50', EXPECTED_RESERVATION + '"{"ivr_decision": 50"'),
        ("[" * 100_000, EXPECTED_RESERVATION + '"' + "[" * 200 + '…"'),
        (
            {"ivr-decision": 5},
            "tandem: context reservedConcurrency must be keyed by function names (crm_lookup, "
            'ivr_decision, escalation, survey, ctr_ingest, experiment_guard); got "ivr-decision"',
        ),
        (
            {"crm\nlookup": 5},
            "tandem: context reservedConcurrency must be keyed by function names (crm_lookup, "
            'ivr_decision, escalation, survey, ctr_ingest, experiment_guard); got "crm\\nlookup"',
        ),
        (
            {"survey": 0},
            'tandem: context reservedConcurrency must be a whole number of at least 1 for survey; got "0"',
        ),
        (
            {"survey": -5},
            'tandem: context reservedConcurrency must be a whole number of at least 1 for survey; got "-5"',
        ),
        (
            {"survey": True},
            'tandem: context reservedConcurrency must be a whole number of at least 1 for survey; got "True"',
        ),
        (
            {"survey": 2.5},
            'tandem: context reservedConcurrency must be a whole number of at least 1 for survey; got "2.5"',
        ),
        (
            {"survey": "5"},
            "tandem: context reservedConcurrency must be a whole number of at least 1 for survey; "
            "got \"'5'\"",
        ),
    ],
)
def test_a_bad_reservation_stops_synth_with_one_sentence(raw: object, message: str) -> None:
    # Given a reservation that is not an object, names no function, or is not a positive count
    # When the config is read / Then one line says what is wrong, naming the function
    assert error_for(reservedConcurrency=raw) == message
