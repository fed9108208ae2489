"""The document the ERP receives: one function builds it, one JSON Schema describes it.

Amounts, quantities and rates are strings with two decimals ("1234.50"), never JSON numbers, so
no float touches them on either side. A change that breaks the schema gets a new version (a new
schema file and a new SCHEMA_ID); the ERP can tell them apart by the "schema" field. Every
document is checked against the schema before it is queued (`schema_problems`): one that does
not follow it is never sent.
"""

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

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


# --- Checking a document against the schema -------------------------------------------------------


@cache
def schema_validator() -> Draft202012Validator:
    """The schema's validator, checked and compiled once per process, with formats ("date")
    enforced. It holds no state between validations: threads may share it."""
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


MAX_SCHEMA_PROBLEMS = 20
_SHOWN_VALUE = 60  # characters of an offending value quoted in a problem


def schema_problems(payload: dict) -> list[str]:
    """Why the document does not follow the schema, one sentence per problem in the user's
    language, each naming the field by its JSONPath ("$.lines[0].quantity"); [] when it does.
    In the document's order, without repeats, at most MAX_SCHEMA_PROBLEMS then a count."""
    found = sorted(
        (
            problem
            for error in schema_validator().iter_errors(payload)
            for problem in _describe(error)
        ),
        key=lambda problem: _document_order(problem[0]),
    )
    problems = list(dict.fromkeys(message for _where, message in found))
    if len(problems) > MAX_SCHEMA_PROBLEMS:
        more = len(problems) - MAX_SCHEMA_PROBLEMS
        problems = problems[:MAX_SCHEMA_PROBLEMS]
        problems.append(
            ngettext("…and %(count)s more problem.", "…and %(count)s more problems.", more)
            % {"count": more}
        )
    return problems


def _document_order(where: list):
    # Keys and indexes never meet at the same depth; the flag keeps them from being compared.
    return [(isinstance(part, str), part) for part in where]


def _child(path: str, name: str) -> str:
    """The JSONPath of a member, written as jsonschema writes the paths it reports."""
    if name.isascii() and name.isidentifier():
        return f"{path}.{name}"
    return "{}['{}']".format(path, name.replace("\\", "\\\\").replace("'", "\\'"))


def _shown(value) -> str:
    """The value as JSON, cut short: quoted when a string, even when cut."""
    if isinstance(value, str) and len(value) > _SHOWN_VALUE:
        value = value[: _SHOWN_VALUE - 1] + "…"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= _SHOWN_VALUE + 2 else text[:_SHOWN_VALUE] + "…"


def _type_name(name: str) -> str:
    names = {
        "string": pgettext("schema", "a string"),
        "integer": pgettext("schema", "an integer"),
        "number": pgettext("schema", "a number"),
        "boolean": pgettext("schema", "true or false"),
        "object": pgettext("schema", "an object"),
        "array": pgettext("schema", "a list"),
        "null": pgettext("schema", "null"),
    }
    return names.get(name, name)


def _describe(error: ValidationError) -> list[tuple[list, str]]:
    """The problems one error stands for, each with where it is (the path as a list)."""
    path, rule, limit = error.json_path, error.validator, error.validator_value
    where, instance = list(error.absolute_path), error.instance
    if rule == "required" and isinstance(instance, dict):
        return [
            ([*where, name], _("%(path)s is missing.") % {"path": _child(path, name)})
            for name in limit
            if name not in instance
        ]
    if rule == "additionalProperties" and isinstance(instance, dict):
        expected = error.schema.get("properties", {})
        return [
            (
                [*where, name],
                _("%(path)s is not a field the ERP expects.") % {"path": _child(path, name)},
            )
            for name in instance
            if name not in expected
        ]
    values = {"path": path, "value": _shown(instance), "limit": limit}
    if rule == "unevaluatedProperties":
        message = _("%(path)s has fields the ERP does not expect.")
    elif rule == "type":
        kinds = [limit] if isinstance(limit, str) else list(limit)
        values["expected"] = pgettext("schema", " or ").join(_type_name(k) for k in kinds)
        message = _("%(path)s must be %(expected)s, not %(value)s.")
    elif rule in ("pattern", "format"):
        message = _("%(path)s: the value %(value)s is not in the expected format.")
    elif rule == "minLength" and limit == 1:
        message = _("%(path)s is empty.")
    elif rule == "minLength":
        message = _("%(path)s is too short: at least %(limit)s characters.")
    elif rule == "maxLength":
        message = _("%(path)s is too long: at most %(limit)s characters.")
    elif rule == "minimum":
        message = _("%(path)s is %(value)s, below the minimum of %(limit)s.")
    elif rule == "maximum":
        message = _("%(path)s is %(value)s, above the maximum of %(limit)s.")
    elif rule == "minItems":
        message = ngettext(
            "%(path)s must have at least %(limit)s element.",
            "%(path)s must have at least %(limit)s elements.",
            limit,
        )
    elif rule == "maxItems":
        message = ngettext(
            "%(path)s must have at most %(limit)s element.",
            "%(path)s must have at most %(limit)s elements.",
            limit,
        )
    elif rule in ("const", "enum"):
        message = _("%(path)s: the value %(value)s is not one the ERP accepts.")
    elif rule in ("anyOf", "oneOf"):
        message = _("%(path)s matches none of the forms the ERP accepts.")
    else:
        values["rule"] = rule
        message = _("%(path)s does not follow the document schema (rule “%(rule)s”).")
    return [(where, message % values)]
