"""Fixed facts the infrastructure relies on; change them here, not in the constructs."""

from __future__ import annotations

from datetime import time
from typing import Final

from flowdoc import testcase

# The InvokeLambdaFunction block's InvocationTimeLimitSeconds used by every Tandem flow. Connect
# allows 1 to 8 s for synchronous calls; 4 s keeps a slow lookup from holding a caller in silence.
FLOW_BLOCK_TIME_LIMIT_SECONDS: Final = 4

# A function must give up (and answer with a fallback) before the block does, or Connect takes
# the Error branch with nothing to say. Checked at synth: FUNCTION_TIMEOUT_SECONDS < the limit.
FUNCTION_TIMEOUT_SECONDS: Final = 3
FUNCTION_MEMORY_MB: Final = 512
LOOKUP_BUDGET_MS: Final = 2000  # crm_lookup's own budget, well inside the timeout

# Functions run on Graviton; packaging installs wheels for the same platform.
LAMBDA_ARCHITECTURE: Final = "arm64"
PIP_PLATFORM: Final = "manylinux2014_aarch64"

METRICS_NAMESPACE: Final = "Tandem"
DEFAULT_INSTANCE_ALIAS: Final = "tandem-demo"
DEFAULT_TIME_ZONE: Final = "America/New_York"
DEFAULT_LOG_RETENTION_DAYS: Final = 30
DEFAULT_COUNTRY: Final = "US"

# Every function the stack deploys (lambdas/<name>/handler.py); context keyed by function, such as
# reservedConcurrency, may name only these. A template test checks the stack deploys exactly these.
FUNCTION_NAMES: Final = (
    "crm_lookup",
    "ivr_decision",
    "escalation",
    "survey",
    "ctr_ingest",
    "experiment_guard",
)

# Queues created in the instance; flows refer to them as {{queue:<name>}} and the escalation
# function gets all of them as a name → ARN map. Every queue the escalation policy
# (lambdas/documents/defaults/escalation.json) names must be here; synth checks it.
QUEUE_NAMES: Final = ("general", "priority", "billing", "complaints", "callback")

# Hours of operation created in the instance; flows refer to them as {{hours:<name>}}.
HOURS_NAMES: Final = ("main",)

# Prompts and Lex bot aliases flows may name as {{prompt:<name>}} / {{lex:<name>}} (the forms
# `tandem flows import` gives them): none yet, so lint and synth both refuse such a placeholder
# until the stack creates the resource. The inbound flow's bot is a setting (lexBotAliasArn).
PROMPT_NAMES: Final[tuple[str, ...]] = ()
LEX_NAMES: Final[tuple[str, ...]] = ()

# What the test cases' stack (infra/flow_tests_stack.py) creates for test cases to substitute, as
# {{queue:<name>}} / {{hours:<name>}}: a queue no agent staffs, and hours always open or closed.
# Test cases may use these names and the flows' own; flows may not (they are not deployed with them).
TEST_QUEUE_NAMES: Final = ("test",)
TEST_HOURS_NAMES: Final = ("always_open", "always_closed")
# The test-case document Version emitted by default: the one the service is reported to accept
# when publishing (docs/decision_log.md); context flowTestVersion chooses the documented one.
DEFAULT_FLOW_TEST_VERSION: Final = "2019-10-30"
FLOW_TEST_STACK_NAME: Final = "TandemFlowTests"
# A test case's `Metadata.Tandem`: conditions only the local runner can set (the moment, the
# queue's wait, settings such as a local Lex alias). The tests' stack leaves it out of what it
# deploys: the service has no use for it, and its values are local. The key is the test-case
# document's (flowdoc.testcase).
LOCAL_METADATA_KEY: Final = testcase.LOCAL_METADATA_KEY
# Its keys whose story only the local runner can tell (a block fault: Connect's own failure, which
# no test-case action causes): a case using one is local-only, neither deployed nor run in the cloud.
LOCAL_ONLY_KEYS: Final = ("Faults",)

# Deployment settings flows may read as {{setting:<name>}}: optional CDK context values, resolved
# to "" when absent (a flow tests the value before using it).
# lexBotAliasArn: the Lex V2 bot alias for speech input; without it the inbound flow uses DTMF.
SETTING_NAMES: Final = ("lexBotAliasArn",)

# Flow file name (without .json) → AWS::Connect::ContactFlow Type. Type is create-only (a change
# replaces the flow and its ARN), so it is decided here once rather than guessed from content.
# post_call_survey is an inbound-type flow: Connect runs it as the contact's disconnect flow
# (the CustomerRemaining event hook), which must be of type CONTACT_FLOW.
FLOW_TYPES: Final[dict[str, str]] = {
    "inbound_main": "CONTACT_FLOW",
    "customer_queue": "CUSTOMER_QUEUE",
    "agent_whisper": "AGENT_WHISPER",
    "post_call_survey": "CONTACT_FLOW",
}
DEFAULT_FLOW_TYPE: Final = "CONTACT_FLOW"

# ctr_ingest: a Kinesis batch of up to CTR_BATCH_SIZE records is a few DynamoDB calls; the timeout
# leaves room for SDK retries under throttling without holding the shard for long.
CTR_INGEST_TIMEOUT_SECONDS: Final = 60
CTR_INGEST_MEMORY_MB: Final = 256
CTR_BATCH_SIZE: Final = 100
CTR_MAX_RETRIES: Final = 5  # then the batch's records go to the on-failure queue
CTR_MAX_RECORD_AGE_HOURS: Final = 24  # the stream's retention
# Refused records' raw data (it holds the caller's number) is kept this long in its queue, SQS's maximum.
CTR_REFUSED_RETENTION_DAYS: Final = 14
SQS_MAX_MESSAGE_BYTES: Final = 1_048_576  # SQS's largest message (and batch); the refused queue takes it
# Service level: a queued call an agent answers within this many seconds (the common 80/20 goal's 20).
SERVICE_LEVEL_SECONDS: Final = 20
# A contact is recontacted when its caller starts another inbound contact within this many hours.
RECONTACT_WINDOW_HOURS: Final = 72

# The experiment guard (infra/constructs/experiment_guard.py): once a day, just after midnight in the
# centre's zone, when the day just ended is in the counters.
GUARD_LOCAL_TIME: Final = time(0, 30)
GUARD_TIMEOUT_SECONDS: Final = 60  # a Query of the experiment's days, a PutParameter, a Publish
GUARD_MEMORY_MB: Final = 256
