"""Reads of orders, scoped by the user who asks."""

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
