"""The Connect contact-flow events the demo sends a handler directly (`tandem demo --handlers`, bench/)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DEMO_INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/00000000-0000-4000-8000-000000000000"
US_LINE = "+12025550100"
UK_LINE = "+442079460000"


@dataclass(frozen=True)
class DemoCall:
    label: str
    address: str
    channel: str = "VOICE"
    endpoint_type: str = "TELEPHONE_NUMBER"
    dialled: str = US_LINE
    caller_param: str = ""  # what the flow passes as callerNumber, when it differs
    outage: bool = False


def contact_event(call: DemoCall, index: int) -> dict[str, Any]:
    contact_id = f"{index:08d}-0000-4000-8000-000000000000"  # a UUID's shape, as Connect's ids have
    parameters = {"step": "lookup-caller"}
    if call.caller_param:
        parameters["callerNumber"] = call.caller_param
    return {
        "Name": "ContactFlowEvent",
        "Details": {
            "ContactData": {
                "Attributes": {},
                "Channel": call.channel,
                "ContactId": contact_id,
                "InitialContactId": contact_id,
                "InitiationMethod": "INBOUND",
                "InstanceARN": DEMO_INSTANCE_ARN,
                "CustomerEndpoint": {"Address": call.address, "Type": call.endpoint_type},
                "SystemEndpoint": {"Address": call.dialled, "Type": "TELEPHONE_NUMBER"},
                "LanguageCode": "en-US",
                "Queue": None,
            },
            "Parameters": parameters,
        },
    }
