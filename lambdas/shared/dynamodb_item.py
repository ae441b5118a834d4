"""Plain Python values to DynamoDB's typed attribute values, for the low-level client.

The low-level client avoids boto3's resource layer (slower to import); every writer shares this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# DynamoDB stores numbers of magnitude 1e-130 to 1e126; a smaller one is refused ("Number
# underflow") and would cost the whole item, so it is stored as the zero it is to every reader.
SMALLEST_NUMBER = 1e-130


# None is left out (DynamoDB rejects empty sets and, in keys, empty strings; empty lists and maps
# are fine): `value is not None` is written out in each loop below, once per value of every write.


def to_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: _typed(value) for key, value in item.items() if value is not None}


def _typed(value: Any) -> dict[str, Any]:
    kind = type(value)  # the common plain types first; subclasses (StrEnum, IntEnum) below
    if kind is str:
        return {"S": value}
    if kind is int:
        return {"N": str(value)}
    if kind is bool:  # bool cannot be subclassed: no isinstance check needed below
        return {"BOOL": value}
    if kind is dict:
        return {"M": {str(k): _typed(v) for k, v in value.items() if v is not None}}
    if isinstance(value, float):
        return {"N": format(0.0 if abs(value) < SMALLEST_NUMBER else value, "g")}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, Mapping):
        return {"M": {str(k): _typed(v) for k, v in value.items() if v is not None}}
    if isinstance(value, (list, tuple)):
        return {"L": [_typed(v) for v in value if v is not None]}
    raise TypeError(f"cannot store a {type(value).__name__} in an interaction item")
