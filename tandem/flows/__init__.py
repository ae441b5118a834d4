"""Flow tooling: load flow-language files (any export shape) and lint them.

`load_flow` is shared by the linter and the simulator; `lint_flow` is `tandem flows lint`.
"""

from tandem.flows.document import FLOW_VERSION, Finding, FlowLoadError, LoadedFlow, load_flow
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
