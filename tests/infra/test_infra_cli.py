"""The pinned CDK CLI synthesizes the app end to end, without AWS credentials."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from infra_support import INSTANCE_ID, REPO_ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (REPO_ROOT / "node_modules" / ".bin" / "cdk").exists(), reason="npm ci not run"),
    pytest.mark.skipif(shutil.which("npx") is None, reason="node/npx not installed"),
]


def cli_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_ACCESS_KEY", "AWS_SECRET", "AWS_SESSION", "AWS_PROFILE"))
    }
    return {
        **env,
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        "AWS_EC2_METADATA_DISABLED": "true",  # no instance-metadata probing for credentials
        "CDK_DISABLE_CLI_TELEMETRY": "true",
    }


def cdk_synth(outdir: Path, *context: str) -> subprocess.CompletedProcess[str]:
    args = ["npx", "--no-install", "cdk", "synth", "--quiet", "--no-notices", "-o", str(outdir)]
    for item in context:
        args += ["-c", item]
    return subprocess.run(
        args, check=False, cwd=REPO_ROOT, env=cli_env(), capture_output=True, text=True, timeout=300
    )


def test_cdk_synth_writes_the_template(tmp_path: Path) -> None:
    # Given the pinned CLI and no credentials / When `cdk synth` runs into a temporary directory
    result = cdk_synth(tmp_path / "cdk.out")
    # Then it succeeds and writes the Tandem template and the function asset
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cdk.out" / "Tandem.template.json").is_file()
    assert list((tmp_path / "cdk.out").glob("asset.*"))


def test_cdk_synth_with_an_instance_id_reports_the_config_sentence(tmp_path: Path) -> None:
    # Given an instance id on the CLI / When cdk synth runs / Then it fails with the config sentence
    result = cdk_synth(tmp_path / "cdk.out", f"connectInstanceArn={INSTANCE_ID}")
    assert result.returncode != 0
    assert "tandem: context connectInstanceArn must be an instance ARN like" in result.stderr
    assert "Traceback" not in result.stderr
