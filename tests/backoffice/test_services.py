from datetime import date
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from backoffice import services
from backoffice.exceptions import OrderNotCancellable, OrderNotEditable
from backoffice.models import Order, OrderEvent, OrderLine
from tests.factories import (
    CustomerFactory,
    DealSubjectFactory,
    ExemptionFactory,
    OrderTypeFactory,
    PaymentTermsFactory,
    ProductFactory,
)


def test_new_order_copies_the_customer_defaults_and_the_acting_user(backoffice_user):
    customer = CustomerFactory(
        payment_terms=PaymentTermsFactory(),
        vat_exemption=ExemptionFactory(),
        discount_percent=Decimal("7.50"),
    )
    order = services.create_order(
        order_type=OrderTypeFactory(), customer=customer, actor=backoffice_user
    )
    assert order.payment_terms == customer.payment_terms
    assert order.vat_exemption == customer.vat_exemption
    assert order.discount_percent == Decimal("7.50")
    assert order.owner == backoffice_user
    assert order.status == Order.Status.DRAFT


def test_numbers_follow_the_type_pattern_per_year_and_protocol_across_types(backoffice_user):
    customer = CustomerFactory()
    offer = OrderTypeFactory(code="OFF", numbering_pattern="{code}/{year}/{seq:05}")
    order_type = OrderTypeFactory(code="OC", numbering_pattern="OC-{year}-{seq}")

    def create(order_type, day):
        return services.create_order(
            order_type=order_type, customer=customer, actor=backoffice_user, date=day
        )

    first = create(offer, date(2026, 3, 1))
    second = create(offer, date(2026, 3, 2))
    other_type = create(order_type, date(2026, 3, 2))
    next_year = create(offer, date(2027, 1, 2))
    assert [first.number, second.number, other_type.number, next_year.number] == [
        "OFF/2026/00001",
        "OFF/2026/00002",
        "OC-2026-1",
        "OFF/2027/00001",
    ]
    assert [first.protocol, second.protocol, other_type.protocol, next_year.protocol] == [
        "00001/2026",
        "00002/2026",
        "00003/2026",
        "00001/2027",
    ]


def test_a_rolled_back_creation_gives_its_numbers_back(backoffice_user):
    order_type, customer = OrderTypeFactory(), CustomerFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_order(order_type=order_type, customer=customer, actor=backoffice_user)
        raise RuntimeError("fails after numbering")
    order = services.create_order(order_type=order_type, customer=customer, actor=backoffice_user)
    assert order.number.endswith("/00001")


def test_lines_and_totals_follow_invariant_4(order):
    assert [line.net_amount for line in order.lines.all()] == [Decimal("100.00"), Decimal("35.00")]
    assert (order.total_net, order.total_vat, order.total) == (
        Decimal("135.00"),
        Decimal("29.70"),
        Decimal("164.70"),
    )


def test_customer_exemption_replaces_the_product_rate(backoffice_user):
    exemption = ExemptionFactory()
    order = services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(vat_exemption=exemption),
        actor=backoffice_user,
        lines=[
            services.LineDraft(
                product=ProductFactory(),
                description="x",
                quantity=Decimal("1"),
                unit_price=Decimal("100"),
            )
        ],
    )
    assert order.lines.get().vat_rate == exemption
    assert order.total_vat == Decimal("0.00")


def test_editing_a_line_recomputes_totals_clears_the_defaults_banner_and_logs_it(
    order, backoffice_user
):
    Order.objects.filter(pk=order.pk).update(from_defaults=True)
    line = order.lines.get(position=1)
    services.update_line(line=line, actor=backoffice_user, changes={"quantity": Decimal("3")})
    order.refresh_from_db()
    assert order.total_net == Decimal("185.00")
    assert order.total == Decimal("225.70")
    assert order.from_defaults is False
    event = order.events.last()
    assert event.kind == OrderEvent.Kind.LINE_CHANGED
    assert event.actor == backoffice_user
    assert "2,00" in event.message or "2.00" in event.message


def test_editing_a_line_of_a_large_order_reads_that_line_not_the_others(
    backoffice_user, monkeypatch
):
    draft = services.LineDraft(
        product=ProductFactory(),
        description="Ora",
        quantity=Decimal("1"),
        unit_price=Decimal("1000"),
    )
    order = services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=backoffice_user,
        lines=[draft] * 300,
    )
    line = order.lines.get(position=1)
    loaded = []
    from_db = OrderLine.from_db.__func__
    monkeypatch.setattr(
        OrderLine,
        "from_db",
        classmethod(lambda cls, *args: loaded.append(1) or from_db(cls, *args)),
    )
    services.update_line(line=line, actor=backoffice_user, changes={"quantity": Decimal("2")})
    assert len(loaded) == 1  # the line itself, under its lock; the totals summed by the database
    order.refresh_from_db()
    assert order.total_net == Decimal("301000.00")


def test_header_edit_records_old_and_new_values(order, backoffice_user):
    subject = DealSubjectFactory(name="Rinnovo")
    services.update_order_header(
        order=order, actor=backoffice_user, changes={"deal_subject": subject}
    )
    event = order.events.last()
    assert event.kind == OrderEvent.Kind.EDITED
    assert "Rinnovo" in event.message


def test_cancelling_releases_the_lines_and_keeps_the_numbers(order, backoffice_user):
    services.cancel_order(order=order, actor=backoffice_user, reason="errore")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert not order.lines.filter(is_live=True).exists()
    assert order.number and order.protocol
    assert order.events.last().kind == OrderEvent.Kind.CANCELLED
    with pytest.raises(OrderNotCancellable):
        services.cancel_order(order=order, actor=backoffice_user)
    with pytest.raises(OrderNotEditable):
        services.add_line(
            order=order,
            actor=backoffice_user,
            draft=services.LineDraft(
                product=ProductFactory(),
                description="x",
                quantity=Decimal("1"),
                unit_price=Decimal("1"),
            ),
        )


def _bill(source, actor):
    return services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(),
        actor=actor,
        lines=[
            services.LineDraft(
                product=ProductFactory(),
                description="x",
                quantity=Decimal("1"),
                unit_price=Decimal("1"),
                source=source,
            )
        ],
    )


def test_the_database_refuses_a_second_live_line_for_the_same_source(backoffice_user):
    # Any model instance can be a line's source; a customer stands in for an activity here.
    source = CustomerFactory()
    first = _bill(source, backoffice_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        _bill(source, backoffice_user)
    services.cancel_order(order=first, actor=backoffice_user)
    again = _bill(source, backoffice_user)
    live = OrderLine.objects.filter(
        source_type=ContentType.objects.get_for_model(source), source_id=source.pk, is_live=True
    )
    assert list(live.values_list("order", flat=True)) == [again.pk]


def test_the_event_log_is_append_only(order):
    event = order.events.first()
    event.message = "riscritto"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
