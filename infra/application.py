"""Build the CDK app from context: typed config, the stack, the cdk-nag packs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags

from infra.config import TandemConfig
from infra.constants import FLOW_TEST_STACK_NAME
from infra.flow_tests_stack import FlowTestsStack
from infra.nag import register_nag
from infra.packaging import REPO_ROOT
from infra.stack import TandemStack

STACK_NAME = "Tandem"


def build(app: App, config: TandemConfig, flows_dir: Path = REPO_ROOT / "flows") -> TandemStack:
    """Add Tandem to `app`. Needs no AWS credentials: nothing is looked up at synth.

    With context flowTests (the default), flows/tests/ deploys as a second stack, TandemFlowTests,
    which depends on this one and is never a part of it.
    """
    env = None
    if config.existing_instance is not None:
        # The instance decides where everything else must live.
        env = Environment(account=config.existing_instance.account, region=config.existing_instance.region)
    stack = TandemStack(
        app,
        STACK_NAME,
        config=config,
        flows_dir=flows_dir,
        env=env,
        description="Tandem: smart IVR decisions, CRM lookup and escalation for Amazon Connect",
    )
    Tags.of(stack).add("project", "tandem")
    if config.flow_tests:
        tests = FlowTestsStack(
            app,
            FLOW_TEST_STACK_NAME,
            main=stack,
            config=config,
            tests_dir=flows_dir / "tests",
            env=env,
            description="Tandem: the Connect test cases in flows/tests/, with a test queue and hours",
        )
        Tags.of(tests).add("project", "tandem")
    register_nag(app)
    return stack


def create_app(
    context: Mapping[str, Any] | None = None,
    outdir: str | None = None,
    flows_dir: Path = REPO_ROOT / "flows",
) -> tuple[App, TandemStack]:
    """A fresh app for tests and tools; raises infra.config.ConfigError on bad context."""
    app = App(context=dict(context or {}), outdir=outdir)
    config = TandemConfig.from_context(app.node.try_get_context)
    return app, build(app, config, flows_dir)
