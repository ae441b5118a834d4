"""One botocore loader per data path for the whole test process, so service models are parsed once.

Every sandbox (`tandem.local.sandbox`) makes a new boto3 session, and a new session re-reads and
re-parses the service models (JSON files of megabytes) for each client it builds: every
cold-started handler's clients, in every test (the sandbox's own setup clients are made once per
process). With one loader per data path, sessions share the parsed models; each session still
builds its own clients, hooks and configuration, so nothing a test observes is shared. The
loader's extra search path for the slim models (lambdas/shared/aws.py) is added once and only
adds "-slim" service names.

Installed by tests/conftest.py for every test process (the controller and each xdist worker).
"""

from __future__ import annotations

import functools

import botocore.loaders
import botocore.session

# botocore.session calls create_loader(data_path) once for each new session.
_shared_loader = functools.cache(botocore.loaders.create_loader)


def share_service_models() -> None:
    """Make every later botocore session of this process use one loader per data path."""
    botocore.session.create_loader = _shared_loader  # type: ignore[assignment]
