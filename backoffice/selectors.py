"""Reads of orders, scoped by the user who asks."""

from decimal import Decimal

from django.core.paginator import Paginator
from django.db.models import Sum

from backoffice import money
from backoffice.models import Order, OrderEvent, OrderLine, Transmission, VatRate
from backoffice.permissions import MANAGE_ORDERS


def orders_visible_to(user):
    """Back Office users see every order; anybody else sees none through the Back Office."""
    if user.has_perm(MANAGE_ORDERS):
        return Order.objects.all()
    return Order.objects.none()


def order_lines(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product", "vat_rate"))


# Lines shown on one page of an order: an order of 500 lines costs what one of 50 does to show.
LINES_PER_PAGE = 50


def order_lines_page(order: Order, number=None):
    """One page of the order's lines (two queries: the count and the page); "last" for the
    last page, where a new line goes."""
    lines = order.lines.select_related("product", "vat_rate").order_by("position", "pk")
    paginator = Paginator(lines, LINES_PER_PAGE)
    return paginator.get_page(paginator.num_pages if number == "last" else number)


def order_taxable_by_rate(order: Order) -> list[tuple[VatRate, Decimal]]:
    """Each VAT rate of the order's lines with the sum of their net amounts, summed by the
    database (one query, whatever the number of lines)."""
    rates = (
        VatRate.objects.filter(orderline__order=order)
        .annotate(taxable=Sum("orderline__net_amount"))
        .order_by()
    )
    return [(rate, rate.taxable) for rate in rates]


def order_vat_summary(order: Order) -> money.VatSummary:
    """The totals over every line of the order: the same figures as `Order.vat_summary()`,
    since VAT is rounded once per rate on the sum of that rate's lines."""
    return money.vat_summary(order_taxable_by_rate(order))


def order_events(order: Order) -> list[OrderEvent]:
    return list(order.events.select_related("actor"))


def order_transmissions(order: Order) -> list[Transmission]:
    """The order's sends to the ERP, newest first, each with its attempts: two queries."""
    return list(order.transmissions.prefetch_related("attempts").order_by("-revision"))
