"""What operators decide, as data, and the language they write it in.

The condition language (`conditions`), the one catalogue of facts a condition can test (`facts`),
the schema checks every document shares (`validation`) and the document models: the IVR rules
(`rules`), the escalation policy (`escalation`), the calendar (`calendar`) and the IVR content
(`content`). Pure: no AWS, no storage. ivr_decision and escalation both import it; how the
documents are stored and shipped is `lambdas.documents`.
"""
