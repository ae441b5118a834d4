"""The trimmed botocore model ivr_decision uses for SSM: current, and a drop-in for the real thing."""

from __future__ import annotations

import boto3
import pytest
from moto import mock_aws

from infra.slim_models import expected_files
from lambdas.shared.aws import make_client


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
        assert not hasattr(slim, "put_parameter")  # only what the function needs
        assert hasattr(boto3.client("ssm"), "put_parameter")  # full clients untouched
        assert seen[-1] == "before-send.ssm.GetParametersByPath"  # hooks and IAM see plain SSM
        boto3.DEFAULT_SESSION = None
