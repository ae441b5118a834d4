"""The flows/ files as the stacks read them, and the names their flows are deployed under.

Pure Python (no CDK): the stacks and `tandem test --target aws` (which finds the deployed flows
by these names) share it without importing aws_cdk.
"""

from __future__ import annotations

import re
from pathlib import Path

from flowdoc.document import FlowFileError, read_content
from flowdoc.placeholders import PlaceholderError

_FLOW_FILE = re.compile(r"^[a-z][a-z0-9_]*$")  # usable as a {{flow:<name>}} placeholder name


def flow_display_name(file_stem: str) -> str:
    """ "inbound_main" → "Tandem Inbound Main"."""
    return "Tandem " + " ".join(word.capitalize() for word in file_stem.split("_"))


def load_flows(flows_dir: Path) -> dict[str, object]:
    """File stem → parsed document (unwrapped when exported in a wrapper), for every flows/*.json,
    in name order; PlaceholderError (one line naming the file) when one cannot be read."""
    documents: dict[str, object] = {}
    for path in sorted(flows_dir.glob("*.json")):
        source = f"{flows_dir.name}/{path.name}"
        if not _FLOW_FILE.match(path.stem):
            raise PlaceholderError(f"{source}: flow file names must be lower_snake_case")
        try:
            documents[path.stem] = read_content(path).content
        except FlowFileError as error:
            raise PlaceholderError(f"{source}: {error.detail}") from None
    return documents
