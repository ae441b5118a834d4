"""The one Tandem stack: it only composes the capability constructs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aws_cdk import Stack
from constructs import Construct

from infra.config import TandemConfig
from infra.constructs.connect import ConnectInstance
from infra.constructs.data import Data
from infra.constructs.experiment_guard import ExperimentGuard
from infra.constructs.flows import Flows
from infra.constructs.functions import Functions
from infra.constructs.ivr_config import IvrConfig
from infra.constructs.keyed_hash import KeyedHash
from infra.constructs.metrics_pipeline import CtrPipeline
from infra.constructs.monitoring import Monitoring
from infra.ivr_documents import DEFAULTS_DIR
from infra.packaging import REPO_ROOT


class TandemStack(Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: TandemConfig,
        flows_dir: Path = REPO_ROOT / "flows",
        ivr_defaults_dir: Path = DEFAULTS_DIR,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.data = Data(self, "Data", retain_all=config.data_removal_policy == "retain")
        self.ivr_config = IvrConfig(self, "IvrConfig", defaults_dir=ivr_defaults_dir)
        self.keyed_hash = KeyedHash(self, "KeyedHash", retain=config.data_removal_policy == "retain")
        # Connect before the functions: escalation is handed the instance ARN and the queue ARNs.
        self.connect = ConnectInstance(self, "Connect", config=config, hours=self.ivr_config.weekly_hours)
        self.functions = Functions(
            self,
            "Functions",
            config=config,
            data=self.data,
            ivr_config=self.ivr_config,
            instance_arn=self.connect.instance_arn,
            queue_arns=self.connect.queue_arns,
            keyed_hash=self.keyed_hash,
        )
        for fn in self.functions.flow_invoked:
            self.connect.allow_flow_invocation(fn)
        if config.lex_bot_alias_arn:
            self.connect.allow_lex_bot(config.lex_bot_alias_arn)
        self.flows = Flows(
            self,
            "Flows",
            flows_dir=flows_dir,
            instance_arn=self.connect.instance_arn,
            lambdas={fn.name: fn.function.function_arn for fn in self.functions.flow_invoked},
            queues=self.connect.queue_arns,
            hours=self.connect.hours_arns,
            settings={"lexBotAliasArn": config.lex_bot_alias_arn or ""},
        )
        self.ctr = CtrPipeline(
            self,
            "CtrPipeline",
            instance_arn=self.connect.instance_arn,
            consumer=self.functions.ctr_ingest.function,
        )
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            functions=self.functions.all,
            tables=list(self.data.tables.values()),
            stream=self.ctr.stream,
            failure_queue=self.ctr.failures,
            alarm_email=config.alarm_email,
        )
        self.experiment_guard = self._experiment_guard(config)

    def _experiment_guard(self, config: TandemConfig) -> ExperimentGuard:
        """After monitoring: the guard announces a stop on the alarm topic, and monitoring watches it."""
        guard = ExperimentGuard(
            self.functions,
            config=config,
            runtime=self.functions.runtime,
            data=self.data,
            ivr_config=self.ivr_config,
            alarm_topic=self.monitoring.alarm_topic,
        )
        self.functions.include(guard)
        self.monitoring.watch_guard(guard)
        return guard
