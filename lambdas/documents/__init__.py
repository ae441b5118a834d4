"""How the documents `lambdas.policy` defines are stored, shipped and served.

The SSM storage format (`storage_format`), the registry of document kinds with their parsers
(`registry`), the store a function serves from with its refresh (`store`), where the store is
(`config`) and the shipped documents (`defaults/*.json`). ivr_decision and escalation both import
it; it depends on `lambdas.policy` and `lambdas.shared`, never on a function's package.
"""
