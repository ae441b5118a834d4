"""The trimmed botocore models and endpoints the functions use: current, and drop-ins for the real
services."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.loaders
import botocore.regions
import pytest
from moto import mock_aws

from infra.slim_models import SLIM_SERVICES, expected_files
from lambdas.shared.aws import SLIM_ENDPOINTS, SlimEndpointResolver, SlimModelLoader, make_client


def test_committed_slim_models_match_the_installed_botocore() -> None:
    # A boto3 upgrade that changes SSM's shapes fails here until `python -m infra.slim_models` runs
    for path, text in expected_files().items():
        assert path.is_file(), f"{path} missing: run python -m infra.slim_models"
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run python -m infra.slim_models"


def test_slim_client_reads_what_the_full_client_wrote_and_looks_like_ssm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.setup_default_session(region_name="us-east-1")
        seen: list[str] = []
        boto3.DEFAULT_SESSION._session.register(
            "before-send", lambda event_name, **_: seen.append(event_name)
        )  # type: ignore[union-attr]
        full = boto3.client("ssm")  # created first, as in the sandbox: the loader has cached its services
        full.put_parameter(Name="/tandem/t/ivr/rules", Value="{}", Type="String")

        slim = make_client("ssm-slim")
        page = slim.get_parameters_by_path(Path="/tandem/t/ivr", Recursive=True)

        assert [p["Name"] for p in page["Parameters"]] == ["/tandem/t/ivr/rules"]
        assert seen[-1] == "before-send.ssm.GetParametersByPath"  # hooks and IAM see plain SSM
        slim.put_parameter(Name="/tandem/t/ivr/experiment-stop", Value="{}", Type="String", Overwrite=True)
        assert seen[-1] == "before-send.ssm.PutParameter"
        assert full.get_parameter(Name="/tandem/t/ivr/experiment-stop")["Parameter"]["Value"] == "{}"
        assert not hasattr(slim, "delete_parameter")  # only what the functions need
        assert hasattr(boto3.client("ssm"), "delete_parameter")  # full clients untouched
        boto3.DEFAULT_SESSION = None


@pytest.mark.parametrize(
    ("slim", "full", "operations"), [(slim, full, ops) for slim, (full, ops) in SLIM_SERVICES.items()]
)
def test_every_slim_client_has_only_its_operations_and_the_full_services_identity(
    slim: str, full: str, operations: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    boto3.setup_default_session(region_name="us-east-1")
    try:
        full_model = boto3.client(full).meta.service_model
        # The slim model is found by name: listing every installed service would fail here.
        monkeypatch.setattr(SlimModelLoader, "list_available_services", _no_listing)
        model = make_client(slim).meta.service_model
        assert sorted(model.operation_names) == sorted(operations)
        assert model.service_id == full_model.service_id  # event hooks and retries see the full service
        assert (model.signing_name, model.endpoint_prefix) == (
            full_model.signing_name,
            full_model.endpoint_prefix,
        )
    finally:
        boto3.DEFAULT_SESSION = None


def _no_listing(*_: object) -> list[str]:
    raise AssertionError("a slim model was looked up by listing every installed service")


def test_slim_dynamodb_sqs_and_sns_clients_talk_to_moto_like_the_full_ones(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        boto3.setup_default_session(region_name="us-east-1")
        try:
            full = boto3.client("dynamodb")
            full.create_table(
                TableName="t",
                KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
            slim = make_client("dynamodb-slim")
            slim.put_item(
                TableName="t", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)"
            )
            with pytest.raises(slim.exceptions.ConditionalCheckFailedException):
                slim.put_item(
                    TableName="t", Item={"pk": {"S": "a"}}, ConditionExpression="attribute_not_exists(pk)"
                )
            assert full.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}

            url = boto3.client("sqs").create_queue(QueueName="q")["QueueUrl"]
            sent = make_client("sqs-slim").send_message_batch(
                QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}]
            )
            assert [m["Id"] for m in sent["Successful"]] == ["1"]
            assert boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"] == "x"

            topic = boto3.client("sns").create_topic(Name="alarms")["TopicArn"]
            boto3.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=_queue_arn(url))
            published = make_client("sns-slim").publish(TopicArn=topic, Subject="s", Message="stopped")
            assert published["MessageId"]
            delivered = json.loads(boto3.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"])
            assert (delivered["Subject"], delivered["Message"]) == ("s", "stopped")
        finally:
            boto3.DEFAULT_SESSION = None


def test_slim_endpoints_resolve_every_slim_service_exactly_as_botocores_full_file() -> None:
    full = botocore.regions.EndpointResolver(
        botocore.loaders.create_loader().load_data("endpoints"), uses_builtin_data=True
    )
    slim = SlimEndpointResolver(json.loads(SLIM_ENDPOINTS.read_text(encoding="utf-8")), _no_full_file)
    prefixes = {make_model_prefix(service) for service, _ in SLIM_SERVICES.values()}
    assert prefixes == {"dynamodb", "ssm", "secretsmanager", "sqs", "connect", "sns"}
    partitions = full.get_available_partitions()
    assert slim.get_available_partitions() == partitions
    regions = [
        r for p in botocore.loaders.create_loader().load_data("endpoints")["partitions"] for r in p["regions"]
    ]
    for prefix in sorted(prefixes):
        for partition in partitions:
            assert slim.get_service_endpoints_data(prefix, partition) == full.get_service_endpoints_data(
                prefix, partition
            )
            assert slim.get_available_endpoints(prefix, partition) == full.get_available_endpoints(
                prefix, partition
            )
        for region in [*regions, "us-east-1", "xx-nowhere-1", None]:
            for fips, dualstack in [(False, False), (True, False), (False, True), (True, True)]:
                options = {"use_fips_endpoint": fips, "use_dualstack_endpoint": dualstack}
                expected = _outcome(full, prefix, region, options)
                assert _outcome(slim, prefix, region, options) == expected, (prefix, region, options)


def _queue_arn(url: str) -> str:
    attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


def _outcome(resolver: Any, prefix: str, region: str | None, options: dict[str, bool]) -> Any:
    """What a resolution answers, or the error it raises (some variants do not exist)."""
    try:
        return resolver.construct_endpoint(prefix, region, **options)
    except Exception as error:
        return (type(error).__name__, str(error))


def _no_full_file() -> object:
    raise AssertionError("a slim service was resolved from the full endpoints file")


def make_model_prefix(service: str) -> str:
    loader = botocore.loaders.create_loader()
    model = loader.load_service_model(service, "service-2")
    return str(model["metadata"]["endpointPrefix"])


def test_a_slim_client_leaves_other_services_resolving_from_the_full_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(name, value)
    boto3.setup_default_session(region_name="eu-central-1")
    try:
        slim = make_client("dynamodb-slim")
        resolver = boto3.DEFAULT_SESSION._session._get_internal_component("endpoint_resolver")  # type: ignore[union-attr]
        assert isinstance(resolver, SlimEndpointResolver)
        assert resolver._full is None  # the slim client needed only the slim data
        other = boto3.client("kinesis")  # a full client on the same session: the full file answers
        assert resolver._full is not None
        reference = boto3.session.Session(region_name="eu-central-1")
        assert other.meta.endpoint_url == reference.client("kinesis").meta.endpoint_url
        assert slim.meta.endpoint_url == reference.client("dynamodb").meta.endpoint_url
        assert (
            slim.meta.config.signature_version == reference.client("dynamodb").meta.config.signature_version
        )
    finally:
        boto3.DEFAULT_SESSION = None
