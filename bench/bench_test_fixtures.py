"""What the test suite's most common fixture costs: one in-process sandbox (tables, seed, secret).

Most integration, reliability and flow tests stand up a fresh `tandem.local.sandbox()`, and
`make test` runs those tiers twice (the second time with the wall clock ten years ahead), so a
sandbox's cost is multiplied by a few thousand. Printed side by side, interleaved in one run: the
CPU time of a sandbox plus one ivr_decision invocation when every sandbox is provisioned through
the API (what the first sandbox of a process does) and when it is restored from the first one's
copy (tandem/local/provisioned.py: every later one, as in the suite), both with the service models
shared by the process, as tests/service_models.py installs for the suite. CPU time, not wall time:
the machine is shared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from bench.common import REPO, heading, verdict

ROUNDS = 5
SANDBOXES_PER_ROUND = 6
RESTORED_PER_PROVISIONED_GOAL = 0.7
PROBE = """
import sys, time
from tests.service_models import share_service_models
share_service_models()
from tandem.local import sandbox
provisioned = sys.modules["tandem.local.sandbox"]._PROVISIONED
event = {"Details": {"ContactData": {}, "Parameters": {}}}
with sandbox(attach=False) as box:  # imports and the first models outside the measurement
    box.invoke("ivr_decision", event)
started = time.process_time()
for _ in range(int(sys.argv[2])):
    if sys.argv[1] == "provisioned":
        provisioned.clear()  # as if each were the process's first: through the API
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
    provisioned: list[float] = []
    restored: list[float] = []
    for _ in range(rounds):  # interleaved, so load from elsewhere hits both
        provisioned.append(sandbox_cpu_seconds("provisioned"))
        restored.append(sandbox_cpu_seconds("restored"))
    per_provisioned, per_restored = statistics.median(provisioned), statistics.median(restored)
    ratio = per_restored / per_provisioned
    print(f"provisioned through the API: {per_provisioned * 1000:.0f} ms a sandbox")
    print(f"restored from the process's first (the suite): {per_restored * 1000:.0f} ms a sandbox")
    print(
        f"restored / provisioned: {ratio:.2f} (goal <= {RESTORED_PER_PROVISIONED_GOAL}) "
        f"{verdict(ratio, RESTORED_PER_PROVISIONED_GOAL)}"
    )


if __name__ == "__main__":
    main()
