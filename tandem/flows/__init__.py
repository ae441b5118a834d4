"""Flow tooling: lint flow-language files (`tandem flows lint`) and simulate them (`tandem simulate`).

Reading flow files (`load_flow`, any export shape) lives in `flowdoc`, shared with synth; it is
re-exported here for the tools' callers.
"""

from flowdoc.document import FLOW_VERSION, Finding, FlowLoadError, LoadedFlow, load_flow
from tandem.flows.lint import Catalog, lint_flow, repo_catalog

__all__ = [
    "FLOW_VERSION",
    "Catalog",
    "Finding",
    "FlowLoadError",
    "LoadedFlow",
    "lint_flow",
    "load_flow",
    "repo_catalog",
]
