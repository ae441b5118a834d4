"""What `provision()` leaves in moto, kept once per process and put back into later in-process sandboxes.

A test run makes a sandbox for nearly every test, and provisioning one through the API (the tables,
the five documents in SSM, the keyed-hash secret: two dozen requests) was a large share of the
suite's time. After the first seeded in-process sandbox of a process, `Provisioned.capture` copies
moto's state for those resources: the DynamoDB backend's tables, with the Customers table emptied
(its demo data is written relative to each sandbox's own `now`), the SSM parameters and the
secrets. `restore` puts a deep copy back into the fresh backends of a new `mock_aws()` and writes
the demo customers for the new sandbox's `now` with the backend's PutItem, which is what moto's
BatchWriteItem does with each item (the items are the ones `provision()` writes through the API).
The restored state is what `provision()` would have written, except what moto makes up at creation
(times, the secret's random ARN suffix and version; no part of Tandem reads them):
tests/integration/test_sandbox_provisioned.py compares the two.

moto 5.2.5's backends, reached by account and region; an attached sandbox never uses this.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.secretsmanager.models import secretsmanager_backends
from moto.ssm.models import ParameterDict, ssm_backends

from lambdas.shared.tables import CUSTOMERS
from tandem.local.demo_data import demo_customer_items
from tandem.local.provision import FAKE_ACCOUNT


@dataclass(frozen=True)
class Provisioned:
    region: str
    names: dict[str, str]  # env var → table name, as provision() returned them
    tables: dict[str, Any]  # moto's Table objects; the Customers table without items
    parameters: dict[str, Any]  # parameter name → its versions
    parameter_tags: Any  # moto's tags by resource type and id
    secrets: Any  # moto's SecretsStore

    @classmethod
    def capture(cls, region: str, names: dict[str, str]) -> Provisioned:
        dynamodb, ssm = dynamodb_backends[FAKE_ACCOUNT][region], ssm_backends[FAKE_ACCOUNT][region]
        tables = copy.deepcopy(dynamodb.tables)
        tables[names[CUSTOMERS.env_var]].items = defaultdict(dict)
        return cls(
            region,
            dict(names),
            tables,
            copy.deepcopy(dict(ssm._parameters)),
            copy.deepcopy(ssm._resource_tags),
            copy.deepcopy(secretsmanager_backends[FAKE_ACCOUNT][region].secrets),
        )

    def restore(self, now: datetime) -> dict[str, str]:
        """Put a copy of the state into the running mock's backends, with the customers as of `now`;
        env var → table name."""
        dynamodb, ssm = dynamodb_backends[FAKE_ACCOUNT][self.region], ssm_backends[FAKE_ACCOUNT][self.region]
        dynamodb.tables = copy.deepcopy(self.tables)
        customers = self.names[CUSTOMERS.env_var]
        for item in demo_customer_items(now):
            dynamodb.put_item(customers, item)
        parameters = ParameterDict(FAKE_ACCOUNT, self.region)
        parameters.update(copy.deepcopy(self.parameters))
        ssm._parameters = parameters
        ssm._resource_tags = copy.deepcopy(self.parameter_tags)
        secretsmanager_backends[FAKE_ACCOUNT][self.region].secrets = copy.deepcopy(self.secrets)
        return dict(self.names)
