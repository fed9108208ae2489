"""What is billed: the one home of invariant 1's reads.

A record (a contract, a renewal, an activity...) is billed while a *live* order line points at it
through its `source` (contenttypes); a line is live while its order is not cancelled. The
database enforces "at most one live line per source" (OrderLine's conditional UniqueConstraint);
every app asks here, so the question is written once. The Back Office never names the models it
bills: callers pass the model or the record."""

from collections.abc import Iterable
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model, OuterRef, QuerySet

from backoffice.models import Order, OrderLine


def _lines_of_model(model: type[Model], *, live: bool = True) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(
        source_type=ContentType.objects.get_for_model(model), is_live=live
    )


def live_lines_of(source: Model) -> QuerySet[OrderLine]:
    """The live lines billing one record (at most one, by the constraint)."""
    return _lines_of_model(type(source)).filter(source_id=source.pk)


def live_lines_for_each(model: type[Model]) -> QuerySet[OrderLine]:
    """The live lines of the outer query's row, for Exists()/Subquery() over `model`."""
    return _lines_of_model(model).filter(source_id=OuterRef("pk"))


def released_lines_for_each(model: type[Model]) -> QuerySet[OrderLine]:
    """The lines of cancelled orders that billed the outer query's row, newest first."""
    return _lines_of_model(model, live=False).filter(source_id=OuterRef("pk")).order_by("-id")


def live_order_billing(source: Model) -> Order | None:
    """The live order with a line billing this record, if any."""
    line = live_lines_of(source).select_related("order__order_type").first()
    return line.order if line else None


def live_parts_of(
    model: type[Model], ids, *, chunk: int = 10_000
) -> dict[tuple[int, str, date | None], tuple[int, str]]:
    """{(record id, line kind, day): (order id, Num. Ordine)} of the live lines billing parts of
    these records of `model` (its hours, its travel, a day's call-out...). `ids` is a list,
    read one indexed query per chunk, or a queryset of ids, read as one subquery."""
    columns = ("source_id", "kind", "source_date", "order_id", "order__number")
    lines = _lines_of_model(model).order_by()  # unordered: no join and sort for the ordering
    if isinstance(ids, QuerySet):
        chunks = [lines.filter(source_id__in=ids)]
    else:
        ids = list(ids)
        chunks = [
            lines.filter(source_id__in=ids[start : start + chunk])
            for start in range(0, len(ids), chunk)
        ]
    return {
        (source_id, kind, day): (order_id, number)
        for found in chunks
        for source_id, kind, day, order_id, number in found.values_list(*columns)
    }


def live_orders_of(model: type[Model], ids) -> dict[int, tuple[int, str]]:
    """{record id: (order id, Num. Ordine)} of the live lines billing these records of `model`."""
    return {
        source_id: order for (source_id, _kind, _day), order in live_parts_of(model, ids).items()
    }


def linkable_orders(customer_id: int | None, *, taken: Iterable[QuerySet] = ()) -> QuerySet[Order]:
    """The orders a contract or a renewal of this customer may be linked to (Num. Ordine,
    Prot. Int.): the customer's own, not cancelled, and not among `taken` (querysets of the ids
    of orders already linked elsewhere: an order bills at most one record). Whatever the
    browser sends, nothing else validates."""
    if not customer_id:
        return Order.objects.none()
    orders = Order.objects.filter(customer_id=customer_id).exclude(status=Order.Status.CANCELLED)
    for ids in taken:
        orders = orders.exclude(pk__in=ids)
    return orders.select_related("order_type").order_by("-date", "-id")
