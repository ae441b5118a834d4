"""`tandem flows import`: designer exports into the repo's typed-placeholder form, and back."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from flowdoc.document import LoadedFlow, read_content
from flowdoc.placeholders import find_placeholders, resolve_placeholders, substitute_known
from flowdoc.walk import strings
from tandem.cli import main
from tandem.flows import lint_flow, repo_catalog
from tandem.flows.importer import ARN, FlowImportError, arn_type, import_flow, placeholder_name
from tests.conftest import REPO, SHARED_FIXTURES, shared_fixture

INSTANCE = "arn:aws:connect:us-east-1:111122223333:instance/7c9a2d6e-0000-4000-8000-000000000001"
LAMBDA_ARN = "arn:aws:lambda:us-east-1:111122223333:function:prod-crm-lookup-Xy12"
QUEUE_ARN = f"{INSTANCE}/queue/5b1f0c2a-1111-4000-8000-000000000002"
HOURS_ARN = f"{INSTANCE}/operating-hours/9d3e4f5a-2222-4000-8000-000000000003"
FLOW_ARN = f"{INSTANCE}/contact-flow/0a1b2c3d-3333-4000-8000-000000000004"


def console_export() -> dict[str, Any]:
    """A DescribeContactFlow response shaped like the console's: literal ARNs, named in metadata."""
    content = {
        "Version": "2019-10-30",
        "StartAction": "lookup",
        "Metadata": {
            "entryPointPosition": {"x": 40, "y": 40},
            "ActionMetadata": {
                "lookup": {
                    "position": {"x": 200, "y": 40},
                    "parameters": {"LambdaFunctionARN": {"displayName": "crm_lookup"}},
                    "dynamicMetadata": {},
                },
                "hours": {"position": {"x": 400, "y": 40}, "Hours": {"id": HOURS_ARN, "text": "Main"}},
                "set-queue": {
                    "position": {"x": 600, "y": 40},
                    "parameters": {"QueueId": {"displayName": "General"}},
                    "queue": {"id": QUEUE_ARN, "text": "General"},
                },
                "hook": {
                    "position": {"x": 800, "y": 40},
                    "parameters": {"EventHooks": {"CustomerQueue": {"displayName": "Customer Queue"}}},
                    "contactFlow": {"id": FLOW_ARN, "text": "CustomerQueue"},
                },
            },
        },
        "Actions": [
            {
                "Identifier": "lookup",
                "Type": "InvokeLambdaFunction",
                "Parameters": {
                    "LambdaFunctionARN": LAMBDA_ARN,
                    "InvocationTimeLimitSeconds": "4",
                    "ResponseValidation": {"ResponseType": "STRING_MAP"},
                },
                "Transitions": {
                    "NextAction": "hours",
                    "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "hours",
                "Type": "CheckHoursOfOperation",
                "Parameters": {"HoursOfOperationId": HOURS_ARN},
                "Transitions": {
                    "NextAction": "bye",
                    "Conditions": [
                        {
                            "NextAction": "set-queue",
                            "Condition": {"Operator": "Equals", "Operands": ["True"]},
                        },
                        {"NextAction": "bye", "Condition": {"Operator": "Equals", "Operands": ["False"]}},
                    ],
                    "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "set-queue",
                "Type": "UpdateContactTargetQueue",
                "Parameters": {"QueueId": QUEUE_ARN},
                "Transitions": {
                    "NextAction": "hook",
                    "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "hook",
                "Type": "UpdateContactEventHooks",
                "Parameters": {"EventHooks": {"CustomerQueue": FLOW_ARN}},
                "Transitions": {
                    "NextAction": "transfer",
                    "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "transfer",
                "Type": "TransferContactToQueue",
                "Transitions": {
                    "NextAction": "bye",
                    "Errors": [
                        {"NextAction": "bye", "ErrorType": "QueueAtCapacity"},
                        {"NextAction": "bye", "ErrorType": "NoMatchingError"},
                    ],
                },
            },
            {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }
    return {"ContactFlow": {"Name": "Inbound Sales", "Type": "CONTACT_FLOW", "Content": json.dumps(content)}}


def write(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def content_of(export: dict[str, Any]) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(export["ContactFlow"]["Content"])
    return content


def test_console_export_becomes_placeholders_named_from_its_metadata(tmp_path: Path) -> None:
    export = write(tmp_path / "export.json", console_export())

    imported = import_flow(export)

    assert imported.unnamed == []
    assert imported.stem == "inbound_sales"
    params = [a.get("Parameters", {}) for a in imported.document["Actions"]]
    assert params[0]["LambdaFunctionARN"] == "{{lambda:crm_lookup}}"
    assert params[1]["HoursOfOperationId"] == "{{hours:main}}"
    assert params[2]["QueueId"] == "{{queue:general}}"
    assert params[3]["EventHooks"]["CustomerQueue"] == "{{flow:customer_queue}}"
    # The designer's metadata is converted too: no ARN is left anywhere in the document.
    assert not any(ARN.search(text) for _, text in strings(imported.document))


def test_imported_flow_lints_clean_and_resolves_back_to_the_export(tmp_path: Path) -> None:
    export = console_export()
    imported = import_flow(write(tmp_path / "export.json", export))

    findings = lint_flow(
        LoadedFlow(tmp_path / "inbound_sales.json", imported.document),
        repo_catalog(),
        strict_placeholders=True,
    )
    assert [f for f in findings if f.severity == "error"] == []
    # Strict synth resolution with the same names gives back the exported document exactly.
    assert resolve_placeholders(imported.document, imported.values, source="t") == content_of(export)


def test_literal_lambda_arn_without_a_name_is_listed_and_nothing_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = console_export()
    content = content_of(export)
    content["Metadata"]["ActionMetadata"]["lookup"].pop("parameters")
    export["ContactFlow"]["Content"] = json.dumps(content)
    path = write(tmp_path / "export.json", export)

    assert main(["flows", "import", str(path), "--to", str(tmp_path / "flows")]) == 1

    out = capsys.readouterr().out
    assert LAMBDA_ARN in out
    assert "Actions[0].Parameters.LambdaFunctionARN" in out
    assert "does not name this Lambda function" in out
    assert not (tmp_path / "flows").exists()


def test_the_map_names_what_the_export_does_not(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = console_export()
    content = content_of(export)
    content["Metadata"]["ActionMetadata"]["lookup"].pop("parameters")
    export["ContactFlow"]["Content"] = json.dumps(content)
    path = write(tmp_path / "export.json", export)
    mapping = write(tmp_path / "map.json", {LAMBDA_ARN: "crm_lookup"})

    code = main(["flows", "import", str(path), "--to", str(tmp_path / "flows"), "--map", str(mapping)])

    assert code == 0, capsys.readouterr().out
    written = json.loads((tmp_path / "flows" / "inbound_sales.json").read_text(encoding="utf-8"))
    assert written["Actions"][0]["Parameters"]["LambdaFunctionARN"] == "{{lambda:crm_lookup}}"
    assert "they lint clean" in capsys.readouterr().out


def test_two_names_for_one_arn_or_one_name_for_two_arns_are_never_guessed(tmp_path: Path) -> None:
    export = console_export()
    content = content_of(export)
    content["Metadata"]["ActionMetadata"]["set-queue"]["queue"]["text"] = "Sales"  # displayName: General
    content["Actions"][1]["Parameters"]["HoursOfOperationId"] = HOURS_ARN + "-other"  # also "Main"?
    content["Metadata"]["ActionMetadata"]["hours"]["Hours"] = {"id": HOURS_ARN + "-other", "text": "Main"}
    content["Metadata"]["ActionMetadata"]["extra"] = {"Hours": {"id": HOURS_ARN, "text": "main"}}
    content["Actions"][0]["Parameters"]["LambdaInvocationAttributes"] = {"hours": HOURS_ARN}
    export["ContactFlow"]["Content"] = json.dumps(content)

    imported = import_flow(write(tmp_path / "export.json", export))

    reasons = {u.text: u.reason for u in imported.unnamed}
    assert "general and sales" in reasons[QUEUE_ARN]
    assert "{{hours:main}} would stand for this and" in reasons[HOURS_ARN + "-other"]
    assert "{{hours:main}} would stand for this and" in reasons[HOURS_ARN]
    assert imported.document == content  # not converted


def test_the_repos_own_flows_survive_a_deploy_and_an_import_unchanged(tmp_path: Path) -> None:
    """Resolve each flow as a deploy would (fake ARNs), import it with a map of those ARNs: the
    repo's file comes back, placeholders and all."""
    for source in sorted((REPO / "flows").glob("*.json")):
        document = read_content(source).content
        values: dict[str, dict[str, str]] = {}
        mapping: dict[str, str] = {}
        for placeholder in find_placeholders(document, source=source.name):
            arn = fake_arn(placeholder.type, placeholder.name)
            values.setdefault(placeholder.type, {})[placeholder.name] = arn
            mapping[arn] = f"{placeholder.type}:{placeholder.name}"
        deployed = resolve_placeholders(document, values, source=source.name)
        path = write(
            tmp_path / source.name, {"ContactFlow": {"Name": source.stem, "Content": json.dumps(deployed)}}
        )
        map_file = write(tmp_path / "map.json", mapping)

        code = main(["flows", "import", str(path), "--to", str(tmp_path / "out"), "--map", str(map_file)])

        assert code == 0, source.name
        assert json.loads((tmp_path / "out" / source.name).read_text(encoding="utf-8")) == document


def fake_arn(kind: str, name: str) -> str:
    return {
        "lambda": f"arn:aws:lambda:us-east-1:111122223333:function:tandem-{name}",
        "queue": f"{INSTANCE}/queue/{name}-id",
        "hours": f"{INSTANCE}/operating-hours/{name}-id",
        "flow": f"{INSTANCE}/contact-flow/{name}-id",
        "setting": f"arn:aws:lex:us-east-1:111122223333:bot-alias/BOT{name}/ALIAS",
    }[kind]


REAL_FLOWS = sorted(p.name for p in (SHARED_FIXTURES / "real-flows").glob("*.json"))


@pytest.mark.parametrize("name", REAL_FLOWS or ["absent"])
def test_real_exports_round_trip_and_every_arn_is_named_or_listed(name: str, tmp_path: Path) -> None:
    path = shared_fixture(f"real-flows/{name}")
    original = read_content(path).content
    arns = {m[0] for _, text in strings(original) for m in ARN.finditer(text) if m["account"] != "aws"}

    if "module" in name:  # flows/ holds contact flows only
        with pytest.raises(FlowImportError, match="a flow module"):
            import_flow(path)
        return
    first = import_flow(path)
    listed = {u.text for u in first.unnamed}
    named = {text for names in first.values.values() for text in names.values()}
    assert listed | named == arns  # nothing silently left behind, nothing invented
    assert not (listed and named)  # a flow with an unnamed value is not converted at all

    # Name what was listed (as a user's --map would), whatever its type: it now converts fully.
    mapping = {text: (arn_type(text) or "flow", f"ref_{index}") for index, text in enumerate(sorted(listed))}
    second = import_flow(path, mapping)
    assert second.unnamed == []
    left = [m[0] for _, text in strings(second.document) for m in ARN.finditer(text) if m["account"] != "aws"]
    assert left == []
    resolved, unknown = substitute_known(second.document, lambda t, n: second.values.get(t, {}).get(n))
    assert unknown == ()
    assert resolved == original


def test_placeholder_names_from_display_names() -> None:
    assert placeholder_name("Basic Hours") == "basic_hours"
    assert placeholder_name("CustomerQueue.wav") == "customer_queue_wav"
    assert placeholder_name("crm_lookup") == "crm_lookup"


def test_a_bad_map_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    export = write(tmp_path / "export.json", console_export())
    mapping = write(tmp_path / "map.json", {"%QueueArn%": "general"})

    code = main(["flows", "import", str(export), "--to", str(tmp_path / "flows"), "--map", str(mapping)])

    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "give type:name" in err and "map.json" in err


def test_another_tools_token_is_mapped_by_its_exact_value(tmp_path: Path) -> None:
    export = console_export()
    content = content_of(export)
    content["Actions"][2]["Parameters"]["QueueId"] = "%QueueArn%"
    export["ContactFlow"]["Content"] = json.dumps(content)

    imported = import_flow(write(tmp_path / "e.json", export), {"%QueueArn%": ("queue", "billing")})

    assert imported.unnamed == []
    assert imported.document["Actions"][2]["Parameters"]["QueueId"] == "{{queue:billing}}"
    assert copy.deepcopy(imported.values["queue"]) == {"billing": "%QueueArn%", "general": QUEUE_ARN}


def test_prompts_and_lex_bots_become_placeholders_the_linter_holds_to_the_stack(tmp_path: Path) -> None:
    prompt = f"{INSTANCE}/prompt/6e5d4c3b-4444-4000-8000-000000000005"
    alias = "arn:aws:lex:us-east-1:111122223333:bot-alias/ABCDE12345/FGHIJ67890"
    content = {
        "Version": "2019-10-30",
        "StartAction": "play",
        "Metadata": {
            "ActionMetadata": {
                "play": {"audio": [{"id": prompt, "text": "Welcome.wav", "type": "Prompt"}]},
                "ask": {"parameters": {"LexV2Bot": {"AliasArn": {"displayName": "OrderBot"}}}},
            }
        },
        "Actions": [
            {
                "Identifier": "play",
                "Type": "MessageParticipant",
                "Parameters": {"PromptId": prompt},
                "Transitions": {
                    "NextAction": "ask",
                    "Errors": [{"NextAction": "bye", "ErrorType": "NoMatchingError"}],
                },
            },
            {
                "Identifier": "ask",
                "Type": "ConnectParticipantWithLexBot",
                "Parameters": {"Text": "How can I help?", "LexV2Bot": {"AliasArn": alias}},
                "Transitions": {
                    "NextAction": "bye",
                    "Errors": [
                        {"NextAction": "bye", "ErrorType": "NoMatchingCondition"},
                        {"NextAction": "bye", "ErrorType": "NoMatchingError"},
                    ],
                },
            },
            {"Identifier": "bye", "Type": "DisconnectParticipant", "Parameters": {}, "Transitions": {}},
        ],
    }

    imported = import_flow(write(tmp_path / "welcome.json", content))

    assert imported.document["Actions"][0]["Parameters"]["PromptId"] == "{{prompt:welcome_wav}}"
    assert imported.document["Actions"][1]["Parameters"]["LexV2Bot"]["AliasArn"] == "{{lex:order_bot}}"
    assert resolve_placeholders(imported.document, imported.values, source="t") == content
    # The stack deploys no prompts or bots yet: the linter says so, as synth would.
    findings = lint_flow(
        LoadedFlow(tmp_path / "w.json", imported.document), repo_catalog(), strict_placeholders=True
    )
    assert {f.rule for f in findings if f.severity == "error"} == {"placeholder-name"}
