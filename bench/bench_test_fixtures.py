"""What the test suite's most common fixture costs: one in-process sandbox (tables, seed, secret).

Most integration, reliability and flow tests stand up a fresh `tandem.local.sandbox()`, and
`make test` runs those tiers twice (the second time with the wall clock ten years ahead), so a
sandbox's cost is multiplied by about a thousand. Printed side by side, interleaved in one run:
the CPU time of a sandbox plus one ivr_decision invocation with every boto3 session parsing its
own service models (botocore's default) and with one loader shared by the process, as
tests/service_models.py installs for the suite. CPU time, not wall time: the machine is shared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from bench.common import REPO, heading, verdict

ROUNDS = 5
SANDBOXES_PER_ROUND = 6
SHARED_PER_PLAIN_GOAL = 0.7
PROBE = """
import sys, time
from tests.service_models import share_service_models
if sys.argv[1] == "shared":
    share_service_models()
from tandem.local import sandbox
event = {"Details": {"ContactData": {}, "Parameters": {}}}
with sandbox(attach=False) as box:  # imports and the first models outside the measurement
    box.invoke("ivr_decision", event)
started = time.process_time()
for _ in range(int(sys.argv[2])):
    with sandbox(attach=False) as box:
        box.invoke("ivr_decision", event)
print((time.process_time() - started) / int(sys.argv[2]))
"""


def sandbox_cpu_seconds(mode: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, mode, str(SANDBOXES_PER_ROUND)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main(rounds: int = ROUNDS) -> None:
    heading("test fixtures: one sandbox + one invocation (CPU time)")
    plain: list[float] = []
    shared: list[float] = []
    for _ in range(rounds):  # interleaved, so load from elsewhere hits both
        plain.append(sandbox_cpu_seconds("plain"))
        shared.append(sandbox_cpu_seconds("shared"))
    per_plain, per_shared = statistics.median(plain), statistics.median(shared)
    ratio = per_shared / per_plain
    print(f"models parsed per session: {per_plain * 1000:.0f} ms a sandbox")
    print(f"models shared by the process (the suite): {per_shared * 1000:.0f} ms a sandbox")
    print(
        f"shared / per session: {ratio:.2f} (goal <= {SHARED_PER_PLAIN_GOAL}) "
        f"{verdict(ratio, SHARED_PER_PLAIN_GOAL)}"
    )


if __name__ == "__main__":
    main()
