"""The document the ERP receives: one function builds it, one JSON Schema describes it.

Amounts, quantities and rates are strings with two decimals ("1234.50"), never JSON numbers, so
no float touches them on either side. A change that breaks the schema gets a new version (a new
schema file and a new SCHEMA_ID); the ERP can tell them apart by the "schema" field.
"""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from backoffice import money
from backoffice.models import Order, OrderLine

SCHEMA_ID = "erp-order/v1"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schemas" / "erp-order-v1.schema.json"
CURRENCY = "EUR"


@cache
def load_schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def encode(payload: dict) -> bytes:
    """The exact bytes sent for a payload: the same for every attempt of a transmission."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def load_order(order_pk: int) -> tuple[Order, list[OrderLine]]:
    """The order and its lines with everything the payload names: two queries, whatever the
    number of lines."""
    order = Order.objects.select_related(
        "order_type", "customer", "owner", "deal_subject", "payment_terms", "agent"
    ).get(pk=order_pk)
    lines = list(order.lines.select_related("product", "vat_rate").order_by("position", "pk"))
    return order, lines


def _amount(value: Decimal) -> str:
    return format(money.to_cents(value), "f")


def _vat(vat_rate) -> dict:
    return {
        "code": vat_rate.code,
        "rate": _amount(vat_rate.rate),
        "nature": vat_rate.nature or None,
    }


def build_order_payload(
    *, order: Order, lines: list[OrderLine], idempotency_key: str, revision: int
) -> dict:
    """The order as the ERP receives it (schema erp-order/v1)."""
    customer = order.customer
    summary = order.vat_summary(lines)
    return {
        "schema": SCHEMA_ID,
        "idempotency_key": idempotency_key,
        "header": {
            "kind": order.order_type.kind,
            "type_code": order.order_type.code,
            "number": order.number,
            "protocol": order.protocol,
            "revision": revision,
            "date": order.date.isoformat(),
            "currency": CURRENCY,
            "customer": {
                "code": customer.code,
                "name": customer.name,
                "vat_number": customer.vat_number or None,
                "tax_code": customer.tax_code or None,
            },
            "payment_terms": (
                {"code": order.payment_terms.code, "description": order.payment_terms.name}
                if order.payment_terms
                else None
            ),
            "deal_subject": order.deal_subject.name if order.deal_subject else None,
            "owner": {
                "username": order.owner.get_username(),
                "name": order.owner.get_full_name() or order.owner.get_username(),
            },
            "agent": order.agent.code if order.agent else None,
            "notes": order.notes,
        },
        "lines": [
            {
                "position": line.position,
                "product_code": line.product.code,
                "description": line.description,
                "quantity": _amount(line.quantity),
                "unit": line.product.unit,
                "unit_price": _amount(line.unit_price),
                "discount_percent": _amount(line.discount_percent),
                "net_amount": _amount(line.net_amount),
                "vat": _vat(line.vat_rate),
            }
            for line in lines
        ],
        "totals": {
            "by_vat": [
                {**_vat(row.vat_rate), "taxable": _amount(row.taxable), "vat": _amount(row.vat)}
                for row in summary.rows
            ],
            "taxable": _amount(summary.total_net),
            "vat": _amount(summary.total_vat),
            "total": _amount(summary.total),
        },
    }
