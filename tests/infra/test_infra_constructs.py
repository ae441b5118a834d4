"""infra/constructs/ layout: one construct per capability, short constructors, stable logical IDs.

The size check reads the source with ast (no synth); the capability and logical-ID checks read the
synthesized stack of each deployment mode.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from infra_support import REPO_ROOT, Synthesized

CONSTRUCTS_DIR = REPO_ROOT / "infra" / "constructs"
MAX_INIT_LINES = 60

# capability → (module under infra/constructs/, the construct class that owns it)
CAPABILITIES = {
    "shared function": ("tandem_function", "TandemFunction"),
    "CRM lookup": ("crm_lookup", "CrmLookup"),
    "IVR decision": ("ivr_decision", "IvrDecision"),
    "escalation": ("escalation", "Escalation"),
    "survey": ("survey", "Survey"),
    "metrics pipeline (function)": ("metrics_pipeline", "CtrIngest"),
    "metrics pipeline (stream, queues)": ("metrics_pipeline", "CtrPipeline"),
    "Connect wiring": ("connect", "ConnectInstance"),
    "flows": ("flows", "Flows"),
    "monitoring": ("monitoring", "Monitoring"),
}

# Resources whose replacement loses data or an identity something outside the stack holds: a
# table's items, a log group's history, the keyed-hash secret every stored caller hash derives
# from, a function, queue, hours or flow ARN that Connect, a phone number or a routing profile
# points at. A changed logical ID is a replacement, so these IDs must survive any restructuring
# of the constructs (new resources may be added freely; this is a subset check).
KEPT_LOGICAL_IDS = {
    "AWS::DynamoDB::Table": {"DataCustomersF252F19A", "DataInteractionsFB504F8E", "DataMetrics99F86785"},
    "AWS::Logs::LogGroup": {
        "FunctionscrmlookupLogs86779B1B",
        "FunctionsctringestLogs1F6271D5",
        "FunctionsescalationLogs9183EA65",
        "FunctionsivrdecisionLogs2194EC11",
        "FunctionssurveyLogsB5ED65A5",
    },
    "AWS::Lambda::Function": {
        "FunctionscrmlookupFunction7CD7BEA1",
        "FunctionsctringestFunctionB131AB51",
        "FunctionsescalationFunctionFF680407",
        "FunctionsivrdecisionFunctionA70163C3",
        "FunctionssurveyFunctionE05736DC",
    },
    "AWS::Kinesis::Stream": {"CtrPipelineStream0F1BD301"},
    "AWS::SQS::Queue": {"CtrPipelineIngestFailures61DC5477", "CtrPipelineRefusedRecords64F2A640"},
    "AWS::SecretsManager::Secret": {"KeyedHashSecret156FE269"},
    "AWS::KMS::Key": {"MonitoringAlarmTopicKey22E4A359"},
    "AWS::Connect::HoursOfOperation": {"ConnectMainHours5884530C"},
    "AWS::Connect::Queue": {
        "ConnectQueueBillingEEAD3128",
        "ConnectQueueCallbackE9BA9F2C",
        "ConnectQueueComplaintsB92DF5F7",
        "ConnectQueueGeneral9A20CCF8",
        "ConnectQueuePriority025007AD",
    },
    "AWS::Connect::ContactFlow": {
        "Flowsagentwhisper9B72F6C4",
        "FlowscustomerqueueFFFAF7A3",
        "Flowsinboundmain15C6EEC6",
        "FlowspostcallsurveyEDF6E4E1",
    },
}
CREATED_INSTANCE_ID = "ConnectInstanceA41B2DEB"


def construct_classes(trees: dict[str, ast.Module]) -> dict[str, ast.ClassDef]:
    """Class name → definition, for every class in `trees` deriving (through any of them) from
    constructs.Construct or aws_cdk.Stack."""
    classes = {
        node.name: node for tree in trees.values() for node in tree.body if isinstance(node, ast.ClassDef)
    }
    found: dict[str, ast.ClassDef] = {}
    roots = {"Construct", "Stack"}
    grew = True
    while grew:
        grew = False
        for name, node in classes.items():
            bases = {base.id if isinstance(base, ast.Name) else ast.unparse(base) for base in node.bases}
            if name not in found and bases & (roots | found.keys()):
                found[name] = node
                grew = True
    return found


def long_constructors(trees: dict[str, ast.Module], limit: int = MAX_INIT_LINES) -> list[str]:
    """'<file>: <Class>.__init__ is N lines' for each construct whose __init__ (signature to last
    line) is longer than `limit`."""
    where = {
        node.name: source
        for source, tree in trees.items()
        for node in tree.body
        if isinstance(node, ast.ClassDef)
    }
    found = []
    for name, node in construct_classes(trees).items():
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                lines = (item.end_lineno or item.lineno) - item.lineno + 1
                if lines > limit:
                    found.append(f"{where[name]}: {name}.__init__ is {lines} lines")
    return found


def parse(paths: list[Path]) -> dict[str, ast.Module]:
    return {path.relative_to(REPO_ROOT).as_posix(): ast.parse(path.read_text(), str(path)) for path in paths}


def test_no_construct_constructor_is_over_60_lines() -> None:
    trees = parse([*sorted(CONSTRUCTS_DIR.glob("*.py")), REPO_ROOT / "infra" / "stack.py"])
    constructs = construct_classes(trees)
    # The walk must see the constructs it measures, or an empty result would pass.
    assert {cls for _, cls in CAPABILITIES.values()} | {"TandemStack", "Functions"} <= constructs.keys()
    assert long_constructors(trees) == []


def test_the_size_check_catches_a_long_constructor_of_a_derived_construct() -> None:
    def module(body_lines: int) -> ast.Module:
        body = "".join(f"        self.x{i} = {i}\n" for i in range(body_lines))
        source = (
            "class Base(Construct):\n    pass\n\n"
            "class Derived(Base):\n    def __init__(self) -> None:\n" + body
        )
        return ast.parse(source)

    assert long_constructors({"a.py": module(MAX_INIT_LINES - 1)}) == []  # 60 lines with the def
    assert long_constructors({"a.py": module(MAX_INIT_LINES)}) == [
        f"a.py: Derived.__init__ is {MAX_INIT_LINES + 1} lines"
    ]
    not_a_construct = ast.parse("class Plain:\n    def __init__(self) -> None:\n" + "        pass\n" * 80)
    assert long_constructors({"b.py": not_a_construct}) == []


@pytest.mark.parametrize("capability", sorted(CAPABILITIES))
def test_each_capability_has_its_construct_module_and_the_stack_builds_it(
    capability: str, new_instance: Synthesized
) -> None:
    from constructs import Construct

    module_name, class_name = CAPABILITIES[capability]
    path = CONSTRUCTS_DIR / f"{module_name}.py"
    assert path.is_file(), f"{capability}: no {path.relative_to(REPO_ROOT)}"
    cls = getattr(importlib.import_module(f"infra.constructs.{module_name}"), class_name)
    assert cls.__module__ == f"infra.constructs.{module_name}", f"{class_name} is defined elsewhere"
    assert issubclass(cls, Construct)
    built = [node for node in new_instance.stack.node.find_all() if isinstance(node, cls)]
    assert built, f"{capability}: the stack builds no {class_name}"


def test_resources_that_must_not_be_replaced_keep_their_logical_ids(each_mode: Synthesized) -> None:
    for resource_type, kept in KEPT_LOGICAL_IDS.items():
        missing = kept - each_mode.resources(resource_type).keys()
        assert not missing, f"{resource_type}: logical IDs changed or gone (a replacement): {sorted(missing)}"


def test_a_created_instance_keeps_its_logical_id(new_instance: Synthesized) -> None:
    assert CREATED_INSTANCE_ID in new_instance.resources("AWS::Connect::Instance")
