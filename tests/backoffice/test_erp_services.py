"""Queueing an order for the ERP: the checks, the outbox, the read-only order, re-sending."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from backoffice import services
from backoffice.erp import services as erp
from backoffice.erp.transports import Delivery
from backoffice.exceptions import (
    OrderAlreadySent,
    OrderChangedMeanwhile,
    OrderNotCancellable,
    OrderNotEditable,
    OrderNotSendable,
    TransmissionNotResendable,
)
from backoffice.models import Order, OrderEvent, OrderLine, Transmission, TransmissionAttempt
from backoffice.permissions import MANAGE_ORDERS, SEND_TO_ERP
from tests.factories import CustomerFactory, OrderTypeFactory, ProductFactory

State = Transmission.State


def test_sending_puts_the_order_in_sending_and_writes_one_transmission(order, backoffice_user):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    order.refresh_from_db()
    assert order.status == Order.Status.SENDING
    assert not order.is_editable and not order.is_cancellable
    assert list(Transmission.objects.filter(order=order)) == [transmission]
    assert transmission.state == State.QUEUED
    assert transmission.revision == order.revision == 1
    assert transmission.next_attempt_at <= timezone.now()
    assert transmission.payload["idempotency_key"] == transmission.idempotency_key
    assert transmission.payload["header"]["number"] == order.number
    assert transmission.queued_by == backoffice_user
    assert order.events.filter(kind=OrderEvent.Kind.QUEUED, actor=backoffice_user).count() == 1


def test_a_rolled_back_send_leaves_no_transmission_and_a_draft(order, backoffice_user):
    with pytest.raises(RuntimeError), transaction.atomic():
        erp.send_order(order=order, actor=backoffice_user)
        raise RuntimeError("the request failed after the send")
    assert not Transmission.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert not order.events.filter(kind=OrderEvent.Kind.QUEUED).exists()


@pytest.mark.django_db(transaction=True)
def test_a_committed_send_leaves_exactly_one_transmission(erp_settings, make_user):
    # The Immediate backend delivers on commit: here only what was committed counts.
    erp_settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    actor = make_user(MANAGE_ORDERS, SEND_TO_ERP)
    order = _order_with_a_line(actor)
    with pytest.raises(RuntimeError), transaction.atomic():
        erp.send_order(order=order, actor=actor)
        raise RuntimeError("rolled back")
    assert Transmission.objects.count() == 0
    erp.send_order(order=order, actor=actor)
    assert Transmission.objects.filter(order=order).count() == 1
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENDING


def _order_with_a_line(actor, **customer):
    product = ProductFactory()
    return services.create_order(
        order_type=OrderTypeFactory(),
        customer=CustomerFactory(**customer),
        actor=actor,
        lines=[
            services.LineDraft(
                product=product, description="x", quantity=Decimal("1"), unit_price=Decimal("10")
            )
        ],
    )


def test_a_sending_order_is_read_only(order, backoffice_user):
    erp.send_order(order=order, actor=backoffice_user)
    line = order.lines.first()
    with pytest.raises(OrderNotEditable):
        services.update_line(line=line, actor=backoffice_user, changes={"quantity": Decimal("9")})
    with pytest.raises(OrderNotEditable):
        services.update_order_header(order=order, actor=backoffice_user, changes={"notes": "x"})
    with pytest.raises(OrderNotCancellable):
        services.cancel_order(order=order, actor=backoffice_user)


def test_a_second_send_of_the_same_order_is_refused(order, backoffice_user):
    erp.send_order(order=order, actor=backoffice_user)
    with pytest.raises(OrderAlreadySent):
        erp.send_order(order=order, actor=backoffice_user)
    assert Transmission.objects.count() == 1


def test_a_cancelled_order_cannot_be_sent(order, backoffice_user):
    services.cancel_order(order=order, actor=backoffice_user)
    with pytest.raises(OrderNotSendable):
        erp.send_order(order=order, actor=backoffice_user)
    assert not Transmission.objects.exists()
    assert Order.objects.get(pk=order.pk).status == Order.Status.CANCELLED


def test_every_problem_is_listed_and_nothing_is_queued(backoffice_user):
    order = _order_with_a_line(backoffice_user, vat_number="", tax_code="")
    # Totals that do not match the lines (as after a write that bypassed the services).
    Order.objects.filter(pk=order.pk).update(total=Decimal("1.00"))
    with pytest.raises(OrderNotSendable) as caught:
        erp.send_order(order=order, actor=backoffice_user)
    assert len(caught.value.problems) == 2
    assert not Transmission.objects.exists()
    order.refresh_from_db()
    assert order.status == Order.Status.DRAFT
    assert not order.events.filter(kind=OrderEvent.Kind.QUEUED).exists()


def test_an_order_without_lines_cannot_be_sent(backoffice_user):
    order = services.create_order(
        order_type=OrderTypeFactory(), customer=CustomerFactory(), actor=backoffice_user
    )
    with pytest.raises(OrderNotSendable) as caught:
        erp.send_order(order=order, actor=backoffice_user)
    assert len(caught.value.problems) == 1


def test_order_problems_name_each_check(order):
    order = Order.objects.select_related("customer").get(pk=order.pk)
    lines = list(order.lines.select_related("vat_rate"))
    assert erp.order_problems(order, lines) == []

    order.customer.code = " "
    order.customer.vat_number = ""
    zero = OrderLine(
        order=order,
        position=3,
        product=lines[0].product,
        description="gratis",
        quantity=Decimal("0"),
        unit_price=Decimal("5"),
        vat_rate=lines[0].vat_rate,
        net_amount=Decimal("0"),
    )
    wrong_amount = lines[1]
    wrong_amount.net_amount = Decimal("99.99")
    problems = erp.order_problems(order, [lines[0], wrong_amount, zero])
    # no code, no P.IVA/C.F., zero quantity, line amount, order totals
    assert len(problems) == 5
    assert any("3" in problem for problem in problems)
    assert erp.order_problems(order, []) != []


def test_a_customer_with_a_tax_code_only_may_be_sent_to(backoffice_user):
    order = _order_with_a_line(backoffice_user, vat_number="", tax_code="RSSMRA80A01H501U")
    assert erp.send_order(order=order, actor=backoffice_user).state == State.QUEUED


def test_only_users_with_the_function_can_send(order, make_user):
    with pytest.raises(PermissionDenied):
        erp.send_order(order=order, actor=make_user(MANAGE_ORDERS))
    assert not Transmission.objects.exists()


def test_a_page_showing_an_older_revision_cannot_send(order, backoffice_user):
    Order.objects.filter(pk=order.pk).update(revision=2)
    with pytest.raises(OrderChangedMeanwhile):
        erp.send_order(order=order, actor=backoffice_user, expected_revision=1)
    assert erp.send_order(order=order, actor=backoffice_user, expected_revision=2).revision == 2


def _fail(transmission, message="HTTP 400: no"):
    """Make the delivery of a transmission fail once and for all, through the real service."""

    class Rejecting:
        name = "test"

        def send(self, **kwargs):
            return Delivery(TransmissionAttempt.Outcome.REJECTED, message=message, http_status=400)

    erp.deliver_transmission(transmission_id=transmission.pk, transport=Rejecting())
    transmission.refresh_from_db()
    return transmission


def test_a_failed_send_gives_the_order_back_and_a_resend_has_a_new_key(order, backoffice_user):
    first = _fail(erp.send_order(order=order, actor=backoffice_user))
    order.refresh_from_db()
    assert first.state == State.FAILED
    assert (order.status, order.revision) == (Order.Status.DRAFT, 2)
    assert order.is_editable and order.is_cancellable
    assert order.events.filter(kind=OrderEvent.Kind.SEND_FAILED, actor=None).count() == 1
    # corrected, then sent again
    services.update_order_header(order=order, actor=backoffice_user, changes={"notes": "ok"})
    second = erp.resend_transmission(transmission=first, actor=backoffice_user)
    assert second.revision == 2
    assert second.idempotency_key != first.idempotency_key
    assert second.payload["header"]["revision"] == 2
    assert second.payload["header"]["notes"] == "ok"
    assert Order.objects.get(pk=order.pk).status == Order.Status.SENDING


def test_only_the_latest_failed_send_can_be_sent_again(order, backoffice_user):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    with pytest.raises(TransmissionNotResendable):
        erp.resend_transmission(transmission=transmission, actor=backoffice_user)
    first = _fail(transmission)
    erp.resend_transmission(transmission=first, actor=backoffice_user)
    with pytest.raises(TransmissionNotResendable):
        erp.resend_transmission(transmission=first, actor=backoffice_user)
    assert Transmission.objects.filter(order=order).count() == 2


def test_the_database_refuses_two_sends_of_one_order_under_way(order, backoffice_user):
    transmission = erp.send_order(order=order, actor=backoffice_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transmission.objects.create(
            order=order,
            revision=transmission.revision + 1,
            idempotency_key="another",
            payload={},
            next_attempt_at=timezone.now(),
        )
