"""Regenerate the trimmed botocore service models in `lambdas/shared/slim_models/`.

`python -m infra.slim_models` — run it after upgrading boto3; a test fails until you do.

Creating a full SSM client parses a 1.3 MB service model on every cold start, for the one
operation ivr_decision calls. A "slim" model holds only the operations a function uses, under its
own service name (`ssm-slim`), so clients of the full service (the CLI, the sandbox) are untouched.
The service id, endpoint prefix and signing name stay SSM's, so requests, IAM and event hooks see
plain SSM.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import botocore.loaders

SLIM_DIR = Path(__file__).resolve().parent.parent / "lambdas" / "shared" / "slim_models"
# slim service name → (full service name, operations kept)
SLIM_SERVICES: dict[str, tuple[str, tuple[str, ...]]] = {
    # The documents' reads (ivr_decision, escalation, the experiment guard) and the guard's one write,
    # the experiment's stop: PutParameter adds 3.5 KB to a model every reader parses.
    "ssm-slim": ("ssm", ("GetParametersByPath", "PutParameter")),
    "connect-slim": ("connect", ("GetCurrentMetricData",)),
    "secretsmanager-slim": ("secretsmanager", ("GetSecretValue",)),
    # Every DynamoDB operation any function calls (crm_lookup queries, ivr_decision, survey and
    # escalation put, escalation and ctr_ingest transact, ctr_ingest batch-reads); DynamoDB's full
    # model is the largest a function loads.
    "dynamodb-slim": ("dynamodb", ("BatchGetItem", "PutItem", "Query", "TransactWriteItems")),
    "sqs-slim": ("sqs", ("SendMessageBatch",)),
    "sns-slim": ("sns", ("Publish",)),  # the experiment guard's announcement of a stop
}


def slim_model(service: str, operations: tuple[str, ...]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(api version, trimmed service-2 model, endpoint rule set) from the installed botocore."""
    loader = botocore.loaders.create_loader()
    version = loader.determine_latest_version(service, "service-2")
    model = loader.load_service_model(service, "service-2", version)
    shapes: dict[str, Any] = {}

    def keep(name: str) -> None:
        if name in shapes:
            return
        shape = model["shapes"][name]
        shapes[name] = shape
        for key in ("member", "key", "value"):
            if key in shape:
                keep(shape[key]["shape"])
        for member in shape.get("members", {}).values():
            keep(member["shape"])

    for name in operations:
        operation = model["operations"][name]
        for key in ("input", "output"):
            if key in operation:
                keep(operation[key]["shape"])
        for error in operation.get("errors", []):
            keep(error["shape"])
    trimmed = {
        "version": model.get("version", "2.0"),
        "metadata": model["metadata"],
        "operations": {name: model["operations"][name] for name in operations},
        "shapes": dict(sorted(shapes.items())),
    }
    rules = loader.load_service_model(service, "endpoint-rule-set-1", version)
    return version, _without_docs(trimmed), rules


def _without_docs(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_docs(v) for k, v in value.items() if k != "documentation"}
    if isinstance(value, list):
        return [_without_docs(v) for v in value]
    return value


def slim_endpoints(endpoint_prefixes: set[str]) -> dict[str, Any]:
    """botocore's endpoints.json with every partition as it is, but only these services.

    Every slim client resolves its endpoint from this (lambdas/shared/aws.py, SlimEndpointResolver)
    instead of parsing the 1.2 MB file; other services still resolve from the full one."""
    endpoints = botocore.loaders.create_loader().load_data("endpoints")
    partitions = [
        {**partition, "services": {k: v for k, v in partition["services"].items() if k in endpoint_prefixes}}
        for partition in endpoints["partitions"]
    ]
    return {**endpoints, "partitions": partitions}


def expected_files() -> dict[Path, str]:
    files: dict[Path, str] = {}
    prefixes: set[str] = set()
    for slim, (service, operations) in SLIM_SERVICES.items():
        version, model, rules = slim_model(service, operations)
        prefixes.add(model["metadata"]["endpointPrefix"])
        folder = SLIM_DIR / slim / version
        files[folder / "service-2.json"] = json.dumps(model, separators=(",", ":"), sort_keys=True) + "\n"
        files[folder / "endpoint-rule-set-1.json"] = (
            json.dumps(rules, separators=(",", ":"), sort_keys=True) + "\n"
        )
    files[SLIM_DIR / "endpoints-slim.json"] = (
        json.dumps(slim_endpoints(prefixes), separators=(",", ":"), sort_keys=True) + "\n"
    )
    return files


def main() -> None:
    for path, text in expected_files().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(SLIM_DIR.parent.parent.parent)} ({len(text)} bytes)")


if __name__ == "__main__":
    main()
