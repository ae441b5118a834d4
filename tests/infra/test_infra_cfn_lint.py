"""cfn-lint over every synthesized template, in both modes: no errors."""

from __future__ import annotations

import pytest
from infra_support import Synthesized

pytestmark = pytest.mark.slow

# Warnings cfn-lint reports on CDK's own output that Tandem cannot change without fighting CDK:
# W3005: CDK adds DependsOn on a function's role although the GetAtt already implies it.
KNOWN_CDK_WARNINGS = {"W3005"}
# cfn-lint 1.58 does not know CloudFormation's `Fn::GetStackOutput` (the weak cross-stack reference
# the tests' stack reads the flows' ARNs through: infra/flow_tests_stack.py) and reports each
# function wrapping it as E1017. Only findings about that intrinsic are set aside.
UNKNOWN_TO_CFN_LINT = "Fn::GetStackOutput"


def _known_gap(rule: str) -> bool:
    return rule.startswith("E1017 ") and UNKNOWN_TO_CFN_LINT in rule


def test_cfn_lint_finds_no_errors(each_mode: Synthesized) -> None:
    from cfnlint.api import ManualArgs, lint_file

    region = (
        each_mode.stack.config.existing_instance.region
        if each_mode.stack.config.existing_instance
        else "us-east-1"
    )
    templates = sorted(each_mode.assembly_dir.glob("*.template.json"))
    assert templates
    for template in templates:
        # Given a template from cdk.out / When cfn-lint checks it for the stack's region
        matches = lint_file(template, config=ManualArgs(regions=[region]))
        rules = [f"{m.rule.id} {m.message} ({m.path_string})" for m in matches]
        # Then there is no error, and no warning beyond CDK's known ones
        assert [r for r in rules if r.startswith("E") and not _known_gap(r)] == []
        assert [
            r for r in rules if r.split()[0] not in KNOWN_CDK_WARNINGS and not r.startswith(("I", "E"))
        ] == []
