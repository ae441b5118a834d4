"""The scope every Tandem function is built in: one capability construct per function.

The scope's id, `Functions`, starts each function's logical IDs (`Functionscrmlookup...`), so a
function construct moves between modules without its deployed log group or role being replaced.
"""

from __future__ import annotations

from collections.abc import Mapping

from constructs import Construct

from infra.config import TandemConfig
from infra.constructs.crm_lookup import CrmLookup
from infra.constructs.data import Data
from infra.constructs.escalation import Escalation
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.ivr_decision import IvrDecision
from infra.constructs.keyed_hash import KeyedHash
from infra.constructs.metrics_pipeline import CtrIngest
from infra.constructs.survey import Survey
from infra.constructs.tandem_function import TandemFunction, latest_python_runtime


class Functions(Construct):
    """Every Tandem function; `flow_invoked` lists the ones Connect flows call.

    `instance_arn` and `queue_arns` are escalation's (infra/constructs/escalation.py); `keyed_hash`
    is the secret the functions that hash caller data read.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TandemConfig,
        data: Data,
        ivr_config: IvrConfig,
        instance_arn: str,
        queue_arns: Mapping[str, str],
        keyed_hash: KeyedHash,
    ) -> None:
        super().__init__(scope, construct_id)
        runtime = latest_python_runtime(self)
        self.runtime = runtime
        self.crm_lookup = CrmLookup(self, config=config, runtime=runtime, data=data)
        self.ivr_decision = IvrDecision(
            self, config=config, runtime=runtime, data=data, ivr_config=ivr_config, keyed_hash=keyed_hash
        )
        self.escalation = Escalation(
            self,
            config=config,
            runtime=runtime,
            data=data,
            ivr_config=ivr_config,
            instance_arn=instance_arn,
            queue_arns=queue_arns,
            keyed_hash=keyed_hash,
        )
        self.survey = Survey(self, config=config, runtime=runtime, data=data)
        self.ctr_ingest = CtrIngest(self, config=config, runtime=runtime, data=data, keyed_hash=keyed_hash)
        self.all: list[TandemFunction] = [
            self.crm_lookup,
            self.ivr_decision,
            self.escalation,
            self.survey,
            self.ctr_ingest,
        ]
        self.by_name = {fn.name: fn for fn in self.all}
        self.flow_invoked = [fn for fn in self.all if fn.flow_invoked]

    def include(self, fn: TandemFunction) -> None:
        """A function built in this scope after the others (the experiment guard, which needs the
        alarm topic that monitoring creates from the others)."""
        self.all.append(fn)
        self.by_name[fn.name] = fn
