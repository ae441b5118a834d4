"""Deterministic demo customers for the sandbox: fictional people on fictional numbers.

US numbers use the 555-01xx range reserved for fiction; UK numbers use Ofcom's drama range
07700 900xxx. Times are relative to "now", so "called twice in the last day" stays true.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lambdas.shared.tables import COMPLAINT_PREFIX, CONTACT_PREFIX, ORDER_PREFIX, PROFILE_SK, customer_pk

CONTACT_TTL = timedelta(days=30)
BATCH_WRITE_LIMIT = 25  # items in one DynamoDB BatchWriteItem request


@dataclass(frozen=True)
class DemoOrder:
    order_id: str
    status: str
    placed_days_ago: int
    eta_in_days: int | None = None


@dataclass(frozen=True)
class DemoCustomer:
    customer_id: str
    phone: str
    first_name: str
    last_name: str
    tier: str
    language: str = "en-US"
    orders: tuple[DemoOrder, ...] = ()
    open_complaints: int = 0
    closed_complaints: int = 0
    contacts_hours_ago: tuple[float, ...] = ()
    note: str = field(default="", compare=False)  # what the customer is there to demonstrate


def _o(order_id: str, status: str, days: int, eta: int | None = None) -> DemoOrder:
    return DemoOrder(order_id, status, days, eta)


DEMO_CUSTOMERS: tuple[DemoCustomer, ...] = (
    DemoCustomer(
        "C1001",
        "+12025550101",
        "Ana",
        "Silva",
        "gold",
        orders=(_o("1042", "SHIPPED", 3, 2),),
        contacts_hours_ago=(20.0, 5.0),
        note="gold, order in transit, third call in a day",
    ),
    DemoCustomer(
        "C1002",
        "+12025550102",
        "Ben",
        "Okafor",
        "standard",
        orders=(_o("1043", "PROCESSING", 1, 5),),
        note="standard, order processing",
    ),
    DemoCustomer(
        "C1003",
        "+12025550103",
        "Chloé",
        "Martin",
        "vip",
        language="fr-CA",
        orders=(_o("1044", "DELAYED", 9, 4),),
        open_complaints=1,
        contacts_hours_ago=(30.0,),
        note="VIP with an open complaint about a delayed order",
    ),
    DemoCustomer(
        "C1004",
        "+12025550104",
        "Dmitri",
        "Ivanov",
        "standard",
        orders=(_o("1045", "DELIVERED", 12),),
        note="standard, delivered order",
    ),
    DemoCustomer(
        "C1005",
        "+12025550105",
        "Elena",
        "García",
        "gold",
        language="es-US",
        orders=(_o("1046", "SHIPPED", 2, 1), _o("1031", "DELIVERED", 40)),
        note="gold, Spanish",
    ),
    DemoCustomer(
        "C1006",
        "+12025550106",
        "Farah",
        "Haddad",
        "vip",
        orders=(_o("1047", "PROCESSING", 0, 6),),
        note="VIP, new order",
    ),
    DemoCustomer(
        "C1007",
        "+12025550107",
        "George",
        "Nakamura",
        "standard",
        open_complaints=2,
        contacts_hours_ago=(50.0, 26.0, 2.0),
        note="angry repeat caller, two open complaints",
    ),
    DemoCustomer(
        "C1008",
        "+12025550108",
        "Hana",
        "Kim",
        "standard",
        orders=(_o("1048", "RETURNED", 20),),
        closed_complaints=1,
        note="standard, returned order",
    ),
    DemoCustomer(
        "C1009",
        "+12025550109",
        "Ivan",
        "Petrov",
        "gold",
        orders=(_o("1049", "SHIPPED", 4, 1),),
        contacts_hours_ago=(100.0,),
        note="gold, contact outside the 72 h window",
    ),
    DemoCustomer("C1010", "+12025550110", "Jade", "Thompson", "standard", note="standard, no orders"),
    DemoCustomer(
        "C1011",
        "+12025550111",
        "Kofi",
        "Mensah",
        "vip",
        orders=(_o("1050", "DELIVERED", 6),),
        open_complaints=1,
        note="VIP, complaint about a delivered order",
    ),
    DemoCustomer(
        "C1012",
        "+12025550112",
        "Lena",
        "Schmidt",
        "standard",
        language="de-DE",
        orders=(_o("1051", "CANCELLED", 15),),
        note="standard, cancelled order",
    ),
    DemoCustomer(
        "C1013",
        "+12025550113",
        "Mateo",
        "Rossi",
        "gold",
        orders=(_o("1052", "PROCESSING", 1, 3),),
        contacts_hours_ago=(1.0,),
        note="gold, called an hour ago",
    ),
    DemoCustomer(
        "C1014",
        "+12025550114",
        "Nadia",
        "Rahman",
        "standard",
        orders=(_o("1053", "SHIPPED", 5, 0),),
        note="standard, arriving today",
    ),
    DemoCustomer(
        "C1015",
        "+12025550115",
        "Omar",
        "Farouk",
        "vip",
        contacts_hours_ago=(10.0, 4.0, 1.0),
        note="VIP, three calls today",
    ),
    DemoCustomer(
        "C1016",
        "+447700900123",
        "Priya",
        "Patel",
        "gold",
        language="en-GB",
        orders=(_o("1054", "SHIPPED", 2, 2),),
        note="UK gold customer",
    ),
    DemoCustomer(
        "C1017",
        "+447700900456",
        "Quentin",
        "Blake",
        "standard",
        language="en-GB",
        orders=(_o("1055", "DELAYED", 8, 3),),
        open_complaints=1,
        note="UK, delayed order, complaint",
    ),
    DemoCustomer(
        "C1018",
        "+84912345678",
        "Linh",
        "Nguyễn",
        "gold",
        language="vi-VN",
        orders=(_o("1056", "SHIPPED", 3, 2),),
        note="Vietnamese-speaking gold customer",
    ),
    DemoCustomer(
        "C1019",
        "+12025550119",
        "Rosa",
        "Delgado",
        "standard",
        orders=(_o("1057", "DELIVERED", 30),),
        note="standard, old delivered order",
    ),
    DemoCustomer(
        "C1020",
        "+12025550120",
        "Sam",
        "O'Neill",
        "vip",
        orders=(_o("1058", "SHIPPED", 1, 3),),
        contacts_hours_ago=(60.0, 12.0),
        note="VIP, repeat contact, apostrophe in name",
    ),
    DemoCustomer(
        "C1021",
        "+12025550121",
        "Tomás",
        "Ortega",
        "standard",
        orders=(_o("1059", "PROCESSING", 2, 4),),
        note="standard, processing",
    ),
    DemoCustomer(
        "C1022",
        "+12025550122",
        "Uma",
        "Reddy",
        "gold",
        open_complaints=1,
        orders=(_o("1060", "DELIVERED", 3),),
        note="gold with a complaint",
    ),
)

# Numbers that exist nowhere in the CRM, for "unknown caller" demos.
UNKNOWN_NUMBER = "+12025550199"


def customer_items(customer: DemoCustomer, now: datetime) -> list[dict[str, Any]]:
    """The Customers-table items for one customer, in plain Python (strings and ints)."""
    pk = customer_pk(customer.customer_id)
    base = {"pk": pk, "phone": customer.phone, "customerId": customer.customer_id}
    items: list[dict[str, Any]] = [
        {
            **base,
            "sk": PROFILE_SK,
            "firstName": customer.first_name,
            "lastName": customer.last_name,
            "email": f"{customer.first_name.lower()}.{customer.customer_id.lower()}@example.com",
            "tier": customer.tier,
            "language": customer.language,
        }
    ]
    for order in customer.orders:
        placed = (now - timedelta(days=order.placed_days_ago)).date().isoformat()
        item = {
            **base,
            "sk": f"{ORDER_PREFIX}{placed}#{order.order_id}",
            "orderId": order.order_id,
            "status": order.status,
            "placedAt": placed,
        }
        if order.eta_in_days is not None:
            item["eta"] = (now + timedelta(days=order.eta_in_days)).date().isoformat()
        items.append(item)
    complaints = [("OPEN", n) for n in range(customer.open_complaints)]
    complaints += [("CLOSED", n) for n in range(customer.closed_complaints)]
    for index, (status, _) in enumerate(complaints):
        items.append(
            {**base, "sk": f"{COMPLAINT_PREFIX}{customer.customer_id}-{index + 1}", "status": status}
        )
    for hours in customer.contacts_hours_ago:
        moment = (now - timedelta(hours=hours)).replace(microsecond=0)
        items.append(
            {
                **base,
                "sk": f"{CONTACT_PREFIX}{moment.isoformat()}",
                "at": moment.isoformat(),
                "expiresAt": int((moment + CONTACT_TTL).timestamp()),
            }
        )
    return items


def to_attribute_values(item: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {k: {"N": str(v)} if isinstance(v, int) else {"S": str(v)} for k, v in item.items()}


def demo_customer_items(
    now: datetime, customers: tuple[DemoCustomer, ...] = DEMO_CUSTOMERS
) -> list[dict[str, dict[str, str]]]:
    """Every item the demo customers are written as, typed as DynamoDB takes them."""
    return [to_attribute_values(item) for customer in customers for item in customer_items(customer, now)]


def seed_customers(
    dynamodb_client: Any, table_name: str, now: datetime, customers: tuple[DemoCustomer, ...] = DEMO_CUSTOMERS
) -> int:
    """Write every demo customer; returns the number of items written."""
    items = demo_customer_items(now, customers)
    # In batches (DynamoDB's limit is 25 a request): every sandbox seeds these, and a request costs
    # far more in moto than the item it carries.
    for start in range(0, len(items), BATCH_WRITE_LIMIT):
        requests = [{"PutRequest": {"Item": item}} for item in items[start : start + BATCH_WRITE_LIMIT]]
        unprocessed = dynamodb_client.batch_write_item(RequestItems={table_name: requests})[
            "UnprocessedItems"
        ]
        if unprocessed:
            raise RuntimeError(f"seeding {table_name} left {len(unprocessed[table_name])} items unwritten")
    return len(items)
