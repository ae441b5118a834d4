#!/usr/bin/env python3
"""CDK entry point (cdk.json runs `.venv/bin/python app.py`).

Bad context, an unresolvable flow, a malformed IVR default document or a failed dependency install
is one line on stderr, not a traceback: exit 2 for configuration (usage) errors, 1 for the rest.
"""

from __future__ import annotations

import sys

import aws_cdk as cdk

from flowdoc.placeholders import PlaceholderError
from infra.application import build
from infra.config import ConfigError, TandemConfig
from infra.ivr_documents import IvrDocumentError
from infra.packaging import PackagingError


def main() -> int:
    app = cdk.App()
    try:
        config = TandemConfig.from_context(app.node.try_get_context)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    try:
        build(app, config)
    except (PlaceholderError, IvrDocumentError, PackagingError) as error:
        message = str(error)
        print(message if message.startswith("tandem:") else f"tandem: {message}", file=sys.stderr)
        return 1
    app.synth()
    return 0


if __name__ == "__main__":
    sys.exit(main())
