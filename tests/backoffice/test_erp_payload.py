"""The document sent to the ERP: built by one function, always valid against the committed
JSON Schema, decimals as strings, and built with the same queries whatever the number of lines."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from backoffice import services
from backoffice.erp import payload as erp_payload
from backoffice.models import Agent, OrderType
from tests.factories import (
    CustomerFactory,
    DealSubjectFactory,
    ExemptionFactory,
    OrderTypeFactory,
    PaymentTermsFactory,
    ProductFactory,
    VatRateFactory,
)


@pytest.fixture(scope="module")
def validator():
    schema = erp_payload.load_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def build(order):
    order, lines = erp_payload.load_order(order.pk)
    return erp_payload.build_order_payload(
        order=order, lines=lines, idempotency_key="k-1", revision=order.revision
    )


def test_the_payload_of_a_plain_order_validates_and_says_what_the_order_says(validator, order):
    payload = build(order)
    validator.validate(payload)
    header = payload["header"]
    assert payload["schema"] == "erp-order/v1"
    assert (header["type_code"], header["number"], header["protocol"]) == (
        order.order_type.code,
        order.number,
        order.protocol,
    )
    assert header["customer"]["code"] == order.customer.code
    assert header["customer"]["vat_number"] == order.customer.vat_number
    assert header["owner"]["username"] == "backoffice"
    assert [line["quantity"] for line in payload["lines"]] == ["2.00", "1.00"]
    assert [line["unit_price"] for line in payload["lines"]] == ["50.00", "35.00"]
    assert payload["totals"] == {
        "by_vat": [
            {"code": "22", "rate": "22.00", "nature": None, "taxable": "135.00", "vat": "29.70"}
        ],
        "taxable": "135.00",
        "vat": "29.70",
        "total": "164.70",
    }


def test_an_offer_to_an_exempt_customer_with_a_tax_code_only_validates(validator, backoffice_user):
    exemption = ExemptionFactory()
    customer = CustomerFactory(
        vat_number="",
        tax_code="RSSMRA80A01H501U",
        vat_exemption=exemption,
        payment_terms=PaymentTermsFactory(),
        agent=Agent.objects.create(code="AG9", name="Agente"),
        discount_percent=Decimal("7.5"),
    )
    reduced = VatRateFactory(code="10", description="IVA 10%", rate=Decimal("10"))
    product = ProductFactory(list_price=Decimal("19.99"))
    order = services.create_order(
        order_type=OrderTypeFactory(kind=OrderType.Kind.OFFER),
        customer=customer,
        actor=backoffice_user,
        deal_subject=DealSubjectFactory(),
        lines=[
            services.LineDraft(
                product=product,
                description="Ricambio",
                quantity=Decimal("3"),
                unit_price=product.list_price,
                discount_percent=Decimal("7.5"),
            ),
            services.LineDraft(
                product=ProductFactory(vat_rate=reduced),
                description="Trasporto",
                quantity=Decimal("0.25"),
                unit_price=Decimal("100"),
                vat_rate=reduced,
            ),
        ],
    )
    payload = build(order)
    validator.validate(payload)
    header = payload["header"]
    assert header["kind"] == "offer"
    assert header["customer"] == {
        "code": customer.code,
        "name": customer.name,
        "vat_number": None,
        "tax_code": "RSSMRA80A01H501U",
    }
    assert header["payment_terms"]["code"] == customer.payment_terms.code
    assert header["agent"] == customer.agent.code
    assert header["deal_subject"] == order.deal_subject.name
    exempt_line, reduced_line = payload["lines"]
    assert exempt_line["vat"] == {"code": "N6.7", "rate": "0.00", "nature": "N6.7"}
    assert exempt_line["discount_percent"] == "7.50"
    assert exempt_line["net_amount"] == "55.47"  # 3 × 19,99 = 59,97 − 7,5 % = 55,47
    assert reduced_line["vat"] == {"code": "10", "rate": "10.00", "nature": None}
    assert payload["totals"]["total"] == "82.97"  # 55,47 + 25,00 + 2,50 VAT


def test_the_schema_refuses_numbers_where_decimals_must_be_strings(validator, order):
    payload = build(order)
    payload["lines"][0]["quantity"] = 2.0
    with pytest.raises(ValidationError):
        validator.validate(payload)
    payload = build(order)
    payload["totals"]["total"] = "164.7"
    with pytest.raises(ValidationError):
        validator.validate(payload)


def test_the_schema_refuses_an_exemption_with_a_rate(validator, order):
    payload = build(order)
    payload["lines"][0]["vat"] = {"code": "N4", "rate": "22.00", "nature": "N4"}
    with pytest.raises(ValidationError):
        validator.validate(payload)


def test_no_float_reaches_the_encoded_document(order):
    body = erp_payload.encode(build(order))
    parsed = json.loads(body, parse_float=lambda text: pytest.fail(f"float {text} in payload"))
    assert parsed["totals"]["total"] == "164.70"


@pytest.mark.parametrize("count", [1, 40])
def test_building_the_payload_takes_two_queries_whatever_the_lines(
    backoffice_user, django_assert_num_queries, count
):
    vat = VatRateFactory()
    order = services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=backoffice_user,
        lines=[
            services.LineDraft(
                product=ProductFactory(vat_rate=vat),
                description=f"riga {n}",
                quantity=Decimal("1"),
                unit_price=Decimal("10"),
            )
            for n in range(count)
        ],
    )
    with django_assert_num_queries(2):
        payload = build(order)
    assert len(payload["lines"]) == count


amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999"), places=2)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lines=st.lists(st.tuples(amounts, amounts, percents, st.booleans()), min_size=1, max_size=5),
    exempt=st.booleans(),
)
def test_every_payload_the_code_builds_validates(validator, backoffice_user, lines, exempt):
    customer = CustomerFactory(vat_exemption=ExemptionFactory() if exempt else None)
    reduced = VatRateFactory(code="4", description="IVA 4%", rate=Decimal("4"))
    order = services.create_order(
        order_type=OrderTypeFactory(),
        customer=customer,
        actor=backoffice_user,
        lines=[
            services.LineDraft(
                product=ProductFactory(vat_rate=reduced if other_rate else VatRateFactory()),
                description="riga",
                quantity=quantity,
                unit_price=price,
                discount_percent=discount,
            )
            for quantity, price, discount, other_rate in lines
        ],
    )
    payload = build(order)
    validator.validate(payload)
    assert payload["totals"]["total"] == format(order.total, "f")
