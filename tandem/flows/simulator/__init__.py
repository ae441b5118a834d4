"""Run an Amazon Connect flow locally, against the real handlers in the sandbox.

`simulate("inbound_main", box=box, config=SimulationConfig(inputs=["1", "1"]))` walks a
flow-language document the way Connect would for one contact: it resolves the repo's
`{{type:name}}` placeholders to local fakes, keeps the contact's namespaces (`$.Attributes`,
`$.FlowAttributes`, `$.External`, `$.Lex`, `$.Metrics`, `$.StoredCustomerInput`, `$.Queue`,
system values), calls the real Lambda handlers through `box.invoke` with the event Connect would
send, feeds scripted caller input to DTMF and (fake) Lex blocks, follows transfers into other
flows and runs the hook flows a contact meets (customer queue, agent whisper, customer
remaining). It records every step, Lambda call and prompt, and which transitions were taken
(branch coverage).

Where things are: `config` (SimulationConfig: the one object that sets up a contact), `engine`
(`simulate` and the loop that follows transitions, runs hooks and guards against runaway flows),
`blocks` (one handler per action type), `contact` (the contact's state and what blocks ask of it),
`flows` (loading a flow and resolving its placeholders, naming branches, deciding conditions) and
`results` (steps, Lambda calls, prompts, outcome and coverage).

What is modelled, and how (the flow-language facts are in docs/connect-facts.md §2):

- Placeholders: `{{lambda:x}}` → a Lambda ARN whose function name is x (called as `box.invoke(x)`);
  `{{queue:x}}` → `box.queue_arns[x]`; `{{flow:x}}` → a flow ARN whose id is x, read from
  `flows_dir/x.json`; `{{hours:x}}` → a fake hours id; `{{setting:x}}` → `settings[x]`, "" when not
  given (locally no Lex bot is configured, so flows take their DTMF path).
- Lambda blocks take `NoMatchingError` when the function is not a sandbox handler, raises, runs
  past `InvocationTimeLimitSeconds`, answers something `ResponseValidation` refuses (a flat string
  map for STRING_MAP, the default) or answers 32 KB or more. Connect's retries are not modelled.
- Lambda faults: `lambda_faults` ({function: "error" | "timeout" | "invalid"}) makes a function's
  blocks fail on purpose. "error": the block takes `NoMatchingError` as if the handler raised (it
  is not called); "timeout": the handler runs, then its answer is dropped as if it had run past
  `InvocationTimeLimitSeconds` (nothing sleeps); "invalid": the handler runs, then its answer
  gains a nested map (for a JSON block: is wrapped in a list), which `ResponseValidation` refuses.
  The LambdaCall's `error` says why, marked "(injected)".
- Block faults: `block_faults` ({"<flow>/<action id>": error type}) makes one block take its
  error branch instead of running (error type "" is NoMatchingError; or one of the block's own,
  e.g. CallbackNumberNotDialable): a prompt that fails to play, attributes that fail to set. This
  is how a test drives the flows' handling of Connect's own failures, which no test-case action can
  cause. The step's note says "injected fault".
- Caller input is a list of strings consumed in order by GetParticipantInput (a key, or digits
  when StoreInput is True) and ConnectParticipantWithLexBot (an utterance). "" is silence: the
  block times out, as it does when the script has run out, unless a `responder` (a caller
  model: flow, action id and prompt → an answer) is given; it answers once the list is used up.
- Lex is FAKE (`tandem.flows.fake_lex`): a keyword table picks the intent and sentiment. A Lex
  block whose bot alias resolves to "" takes `NoMatchingError`.
- Hours: CheckHoursOfOperation answers from `hours`; the handlers' clock is set to a fixed open
  (Monday 2026-11-23 10:00 New York) or closed (22:00) moment, or to `at`.
- Queue load: `queue_wait_seconds` None is a quiet queue; a number is a queue whose estimated wait
  (escalation's estimate) is that many seconds. GetMetricData/CheckMetricData read it, and every
  sandbox queue reports it to escalation's GetCurrentMetricData (`box.queue_metrics`).
- TransferContactToQueue ends the flow with the contact queued. Then, when a CustomerQueue hook
  is set and `queue_wait_seconds` is given, the hook flow runs as the wait: a callback may come
  of it. The caller answers one request for input there (`QUEUE_FLOW_ASKS`); an agent picks up
  before the flow asks again, or once it has looped `QUEUE_FLOW_VISITS` times. A caller still
  queued then reaches an agent: the AgentWhisper hook runs (its prompts go to the
  agent), and after the conversation (the agent hangs up, the caller stays on the line) the
  CustomerRemaining hook (the post-call survey) runs with the inputs left. DisconnectParticipant
  hangs up on the caller, so no hook runs after it. Each hook runs at most once per contact.
- Outcome: the contact attribute `tandemOutcome` (SELF_SERVED, QUEUED, CALLBACK, CLOSED) when the
  flow sets one, unless the contact was queued or a callback was created after it was set; else
  what happened (queued, callback, disconnected). A guard stop is `error`.
- Test harness hooks (what `tandem.flowtest` runs Connect test cases on): `observer` sees the
  contact start, every prompt (to the customer or, in whisper flows, the agent) and each of
  OBSERVED_ACTIONS as it starts, with the parameters Connect reports (a Lambda's ARN, the hours
  id, the bot alias, the queue: TransferContactToQueue reports the working queue); `override`
  is asked as one of OVERRIDABLE_ACTIONS starts and may answer an `Override`: "result" (a
  Lambda's External map or a bot's intent, given; the handler is not called; hours InHours /
  OutOfHours), "error" (the error branch: NoMatchingError, or for a queue transfer QueueAtCapacity)
  or "substitute" (another Lambda runs; another queue is used; substitute hours named *closed*
  are closed, others open). An observer or responder raising `EndContact` ends the contact at
  once (the caller hangs up); the result's `ended` says why. `attributes` seeds the contact's
  attributes.
- Action types not modelled are followed on their NextAction and reported in `warnings`.
  A step guard (`max_steps`) and a per-action visit guard (`max_visits`) stop runaway flows.
"""

from flowdoc.testcase import OBSERVED_ACTIONS, OVERRIDABLE_ACTIONS
from tandem.flows.simulator.blocks import MODELLED_TYPES, hours_of, lambda_event, started_parameters
from tandem.flows.simulator.config import (
    CLOSED_MOMENT,
    DEFAULT_CALLER,
    FLOWS_DIR,
    LAMBDA_FAULTS,
    MAX_STEPS,
    MAX_VISITS,
    OPEN_MOMENT,
    EndContact,
    FlowEvent,
    Hours,
    LambdaFault,
    Observer,
    Override,
    OverrideSource,
    Responder,
    SimulationConfig,
)
from tandem.flows.simulator.contact import DIALLED_NUMBER
from tandem.flows.simulator.engine import apply_queue_load, queue_values, simulate
from tandem.flows.simulator.flows import (
    Flow,
    FlowNotFound,
    FlowRefused,
    LocalResources,
    condition_label,
    find_flow_file,
    flow_arn,
    load,
    matches,
)
from tandem.flows.simulator.results import (
    OUTCOMES,
    FlowCoverage,
    LambdaCall,
    Prompt,
    SimulationResult,
    Step,
    merge_coverage,
)

__all__ = [
    "CLOSED_MOMENT",
    "DEFAULT_CALLER",
    "DIALLED_NUMBER",
    "FLOWS_DIR",
    "LAMBDA_FAULTS",
    "MAX_STEPS",
    "MAX_VISITS",
    "MODELLED_TYPES",
    "OBSERVED_ACTIONS",
    "OPEN_MOMENT",
    "OUTCOMES",
    "OVERRIDABLE_ACTIONS",
    "EndContact",
    "Flow",
    "FlowCoverage",
    "FlowEvent",
    "FlowNotFound",
    "FlowRefused",
    "Hours",
    "LambdaCall",
    "LambdaFault",
    "LocalResources",
    "Observer",
    "Override",
    "OverrideSource",
    "Prompt",
    "Responder",
    "SimulationConfig",
    "SimulationResult",
    "Step",
    "apply_queue_load",
    "condition_label",
    "find_flow_file",
    "flow_arn",
    "hours_of",
    "lambda_event",
    "load",
    "matches",
    "merge_coverage",
    "queue_values",
    "simulate",
    "started_parameters",
]
