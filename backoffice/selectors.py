"""Reads of orders, scoped by the user who asks."""

from django.contrib.contenttypes.models import ContentType

from backoffice.models import Order, OrderEvent, OrderLine, Transmission
from backoffice.permissions import MANAGE_ORDERS


def orders_visible_to(user):
    """Back Office users see every order; anybody else sees none through the Back Office."""
    if user.has_perm(MANAGE_ORDERS):
        return Order.objects.all()
    return Order.objects.none()


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product", "vat_rate"))


def order_events(order: Order) -> list[OrderEvent]:
    return list(order.events.select_related("actor"))


def order_transmissions(order: Order) -> list[Transmission]:
    """The order's sends to the ERP, newest first, each with its attempts: two queries."""
    return list(order.transmissions.prefetch_related("attempts").order_by("-revision"))


def live_order_billing(source) -> Order | None:
    """The live order that has a line billing this record (a contract, a renewal...), if any."""
    line = (
        OrderLine.objects.filter(
            source_type=ContentType.objects.get_for_model(source),
            source_id=source.pk,
            is_live=True,
        )
        .select_related("order__order_type")
        .first()
    )
    return line.order if line else None
