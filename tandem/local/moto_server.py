"""`python -m tandem.local.moto_server --host H --port P`: moto's server with the sandbox's patches.

`tandem sandbox up` runs this rather than `python -m moto.server`, so the attached sandbox's
transactions cost what the in-process one's do (`tandem.local.moto_patches`).
"""

from __future__ import annotations

import sys

from moto import server

from tandem.local import moto_patches


def main(argv: list[str] | None = None) -> None:
    moto_patches.install()
    server.main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
