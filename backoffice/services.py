"""Operations on Orders/Offers. Each write is one transaction that locks the order it changes,
checks the rules, writes, recomputes the totals and appends to the order's event log."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date as date_type
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from backoffice import money
from backoffice.exceptions import (
    AmountTooLarge,
    OrderNotCancellable,
    OrderNotEditable,
    RecordInUse,
)
from backoffice.models import (
    Customer,
    DealSubject,
    Order,
    OrderEvent,
    OrderLine,
    OrderType,
    Product,
    VatRate,
)
from backoffice.numbering import reserve_numbers
from backoffice.permissions import MANAGE_MASTER_DATA
from backoffice.selectors import order_taxable_by_rate
from core.actors import Actor
from core.functions import require_function
from core.history import record_changes_by


@dataclass(slots=True)
class LineDraft:
    """A line to be written: what the billing services hand to create_order. Not changed once
    made (`dataclasses.replace` gives a changed copy); not frozen only because a frozen
    dataclass takes four times longer to build, and billing builds thousands."""

    product: Product
    description: str
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal = Decimal("0")
    vat_rate: VatRate | None = None
    source: object | None = None
    kind: str = OrderLine.Kind.ITEM
    source_date: date_type | None = None
    price_source: str = OrderLine.PriceSource.NONE


def line_for_product(
    *,
    order: Order,
    product: Product,
    quantity: Decimal,
    description: str = "",
    unit_price: Decimal | None = None,
    discount_percent: Decimal | None = None,
    vat_rate: VatRate | None = None,
) -> LineDraft:
    """A line as the Back Office adds it: what the user left empty comes from the product (list
    price, description) and the order (customer discount). The customer's discount applies to
    list prices only; an agreed price is not discounted again (DESIGN §6)."""
    list_price = unit_price is None
    if discount_percent is None:
        discount_percent = order.discount_percent if list_price else Decimal("0")
    return LineDraft(
        product=product,
        description=description or product.description,
        quantity=quantity,
        unit_price=product.list_price if list_price else unit_price,
        discount_percent=discount_percent,
        vat_rate=vat_rate,
    )


def line_vat_rate(*, product: Product, vat_exemption: VatRate | None) -> VatRate:
    """The product's rate, unless the customer has an exemption (DESIGN §6)."""
    return vat_exemption or product.vat_rate


def record_event(*, order: Order, kind: str, actor: Actor | None, message: str = "") -> OrderEvent:
    return OrderEvent.objects.create(order=order, kind=kind, actor=actor, message=message[:500])


def _source_key(source, content_types: dict | None = None) -> tuple[int | None, int | None]:
    """(content type id, id) of what a line or an order bills. `content_types` remembers the
    content type of each class of source over a run of thousands of lines."""
    if source is None:
        return None, None
    if content_types is None:
        return ContentType.objects.get_for_model(source).pk, source.pk
    kind = type(source)
    type_id = content_types.get(kind)
    if type_id is None:
        type_id = content_types[kind] = ContentType.objects.get_for_model(source).pk
    return type_id, source.pk


def _set_source(obj, source, content_types: dict | None = None) -> None:
    obj.source_type_id, obj.source_id = _source_key(source, content_types)


def _new_line(
    order: Order, position: int, draft: LineDraft, content_types: dict | None = None
) -> tuple[dict, VatRate]:
    """The columns of a new line, and its VAT rate for the order's totals: one recipe for a
    line added in the Back Office and for the thousands written by create_orders (plain
    values, not model instances: building 15,000 instances costs more than writing them)."""
    vat_rate = draft.vat_rate or line_vat_rate(
        product=draft.product, vat_exemption=order.vat_exemption
    )
    source_type_id, source_id = _source_key(draft.source, content_types)
    columns = {
        "order_id": order.pk,  # None until create_orders has written the order
        "position": position,
        "product_id": draft.product.pk,
        "description": draft.description,
        "quantity": draft.quantity,
        "unit_price": draft.unit_price,
        "discount_percent": draft.discount_percent,
        "vat_rate_id": vat_rate.pk,
        "net_amount": _checked_amount(
            money.line_net_amount(draft.quantity, draft.unit_price, draft.discount_percent)
        ),
        "source_type_id": source_type_id,
        "source_id": source_id,
        "kind": draft.kind,
        "source_date": draft.source_date,
        "price_source": draft.price_source,
        "is_live": True,
    }
    return columns, vat_rate


def _checked_amount(amount: Decimal) -> Decimal:
    if not money.fits_amount(amount):
        raise AmountTooLarge(
            _("Line amount too large: quantity × price may be at most 999.999.999.999,99 €.")
        )
    return amount


def _set_amount(line: OrderLine) -> None:
    line.net_amount = _checked_amount(line.compute_net_amount())


def _store_totals(order: Order, rates_and_amounts: Iterable[tuple[VatRate, Decimal]]) -> None:
    summary = money.vat_summary(rates_and_amounts)
    if not money.fits_amount(summary.total):
        raise AmountTooLarge(_("The order total would exceed 999.999.999.999,99 €."))
    order.total_net, order.total_vat, order.total = (
        summary.total_net,
        summary.total_vat,
        summary.total,
    )


LINE_COLUMNS = (
    "order_id",
    "position",
    "product_id",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "vat_rate_id",
    "net_amount",
    "source_type_id",
    "source_id",
    "kind",
    "source_date",
    "price_source",
    "is_live",
)


def _insert(model, columns: tuple[str, ...], rows: list[dict]) -> None:
    """Write new rows of `model`, given as dicts of their columns. On PostgreSQL with COPY,
    several times faster than INSERT for the thousands of lines of a billing run; the database
    checks the same constraints (a line billing something already billed is refused, as an
    IntegrityError). The values go to the database as psycopg adapts them (numbers, text,
    dates, Decimal, bool, None): no field of these models needs Django's own conversion."""
    if connection.vendor != "postgresql":
        model.objects.bulk_create(
            (model(**{name: row[name] for name in columns}) for row in rows),
            batch_size=BULK_BATCH_SIZE,
        )
        return
    statement = f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        cursor.cursor.copy(statement) as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in columns])


def _insert_orders(orders: list[Order]) -> None:
    """Write new orders and give each its id. On PostgreSQL the ids are taken from the table's
    sequence in one query and the rows written with COPY (an INSERT … RETURNING of a thousand
    orders costs several times more); elsewhere bulk_create."""
    if connection.vendor != "postgresql" or not orders:
        Order.objects.bulk_create(orders, batch_size=BULK_BATCH_SIZE)
        return
    table = Order._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, Order._meta.pk.column, len(orders)],
        )
        ids = sorted(row[0] for row in cursor.fetchall())
    fields = Order._meta.concrete_fields
    rows = []
    for order, pk in zip(orders, ids, strict=True):
        order.pk = pk
        # What save() would write: auto_now(_add) fields get their time here.
        rows.append({field.column: field.pre_save(order, True) for field in fields})
        order._state.adding, order._state.db = False, connection.alias
    _insert(Order, tuple(field.column for field in fields), rows)


def _save_after_line_change(order: Order) -> None:
    # Summed by the database: an order of 500 lines is not read to change one of them.
    _store_totals(order, order_taxable_by_rate(order))
    _mark_edited(order)
    order.save(update_fields=["total_net", "total_vat", "total", "from_defaults", "updated_at"])


@dataclass(frozen=True)
class OrderDraft:
    """An Order/Offer to be written by create_orders."""

    order_type: OrderType
    customer: Customer
    lines: list[LineDraft]
    date: date_type | None = None
    deal_subject: DealSubject | None = None
    origin: str = Order.Origin.MANUAL
    source: object | None = None
    from_defaults: bool = False
    event_message: str = ""


@transaction.atomic
def create_order(
    *,
    order_type: OrderType,
    customer: Customer,
    actor: Actor,
    lines: Iterable[LineDraft] = (),
    date: date_type | None = None,
    deal_subject: DealSubject | None = None,
    origin: str = Order.Origin.MANUAL,
    source=None,
    from_defaults: bool = False,
    event_message: str = "",
) -> Order:
    """Create an Order/Offer with the customer's defaults (payment terms, VAT exemption, agent,
    discount) and the acting user as owner, numbered from its type's pattern and the yearly
    protocol. Lines and totals are written in the same transaction."""
    draft = OrderDraft(
        order_type=order_type,
        customer=customer,
        lines=list(lines),
        date=date,
        deal_subject=deal_subject,
        origin=origin,
        source=source,
        from_defaults=from_defaults,
        event_message=event_message,
    )
    return create_orders(drafts=[draft], actor=actor)[0]


BULK_BATCH_SIZE = 2000


@transaction.atomic
def create_orders(*, drafts: list[OrderDraft], actor: Actor) -> list[Order]:
    """Create many Orders/Offers at once, as create_order would one by one, in a number of
    queries that does not grow with the number of orders or lines: numbers are reserved in
    blocks, orders, lines and events are written with bulk inserts."""
    today = timezone.localdate()
    numbers = reserve_numbers([(draft.order_type, (draft.date or today).year) for draft in drafts])
    orders, lines_by_order, content_types = [], [], {}
    for draft, (number, protocol) in zip(drafts, numbers, strict=True):
        customer = draft.customer
        order = Order(
            order_type=draft.order_type,
            number=number,
            protocol=protocol,
            date=draft.date or today,
            customer=customer,
            owner=actor,
            deal_subject=draft.deal_subject,
            payment_terms_id=customer.payment_terms_id,
            vat_exemption=customer.vat_exemption,
            agent_id=customer.agent_id,
            discount_percent=customer.discount_percent,
            origin=draft.origin,
            from_defaults=draft.from_defaults,
        )
        _set_source(order, draft.source, content_types)
        built = [
            _new_line(order, position, line, content_types)
            for position, line in enumerate(draft.lines, 1)
        ]
        _store_totals(order, ((rate, columns["net_amount"]) for columns, rate in built))
        orders.append(order)
        lines_by_order.append(built)
    _insert_orders(orders)
    lines = []
    for order, built in zip(orders, lines_by_order, strict=True):
        order_id = order.pk  # known now that the order is written
        for columns, _rate in built:
            columns["order_id"] = order_id
            lines.append(columns)
    _insert(OrderLine, LINE_COLUMNS, lines)
    now = timezone.now()
    _insert(
        OrderEvent,
        ("order_id", "kind", "actor_id", "at", "message"),
        [
            {
                "order_id": order.pk,
                "kind": OrderEvent.Kind.CREATED,
                "actor_id": actor.pk,
                "at": now,
                "message": (draft.event_message or str(order.get_origin_display()))[:500],
            }
            for order, draft in zip(orders, drafts, strict=True)
        ],
    )
    return orders


def _lock_editable(order: Order) -> Order:
    locked = Order.objects.select_for_update().get(pk=order.pk)
    if not locked.is_editable:
        raise OrderNotEditable()
    return locked


def _shown(value) -> str:
    return "—" if value in (None, "") else str(formats.localize(value))


def _describe_changes(before: dict, after: dict, labels: dict) -> str:
    return "; ".join(
        f"{labels[name]}: {_shown(before[name])} → {_shown(after[name])}"
        for name in after
        if before[name] != after[name]
    )


def _mark_edited(order: Order) -> None:
    # The banner "generated with the default settings" stays only until someone edits the order.
    order.from_defaults = False


@transaction.atomic
def update_order_header(*, order: Order, actor: Actor, changes: dict) -> Order:
    """Change header fields of a draft order; the event says what changed from what."""
    order = _lock_editable(order)
    labels = {name: Order._meta.get_field(name).verbose_name for name in changes}
    before = {name: getattr(order, name) for name in changes}
    if before == changes:
        return order
    for name, value in changes.items():
        setattr(order, name, value)
    _mark_edited(order)
    order.save()
    record_event(
        order=order,
        kind=OrderEvent.Kind.EDITED,
        actor=actor,
        message=_describe_changes(before, changes, labels),
    )
    return order


@transaction.atomic
def add_line(*, order: Order, actor: Actor, draft: LineDraft) -> OrderLine:
    order = _lock_editable(order)
    last_position = order.lines.order_by("-position").values_list("position", flat=True).first()
    columns, _rate = _new_line(order, (last_position or 0) + 1, draft)
    line = OrderLine(**columns)
    line.save()
    _save_after_line_change(order)
    record_event(
        order=order,
        kind=OrderEvent.Kind.LINE_ADDED,
        actor=actor,
        message=f"{line.description} ({_shown(line.quantity)} × {_shown(line.unit_price)} €)",
    )
    return line


LINE_EDITABLE_FIELDS = (
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "vat_rate",
)


@transaction.atomic
def update_line(*, line: OrderLine, actor: Actor, changes: dict) -> OrderLine:
    order = _lock_editable(line.order)
    line = OrderLine.objects.select_for_update().get(pk=line.pk, order=order)
    changes = {name: value for name, value in changes.items() if name in LINE_EDITABLE_FIELDS}
    before = {name: getattr(line, name) for name in changes}
    if before == changes:
        return line
    labels = {name: OrderLine._meta.get_field(name).verbose_name for name in changes}
    for name, value in changes.items():
        setattr(line, name, value)
    if before.get("unit_price", line.unit_price) != line.unit_price:
        line.price_source = OrderLine.PriceSource.NONE  # typed by hand from now on
    _set_amount(line)
    line.save()
    _save_after_line_change(order)
    record_event(
        order=order,
        kind=OrderEvent.Kind.LINE_CHANGED,
        actor=actor,
        message=_("Line %(position)s: %(changes)s")
        % {"position": line.position, "changes": _describe_changes(before, changes, labels)},
    )
    return line


@transaction.atomic
def remove_line(*, line: OrderLine, actor: Actor) -> None:
    order = _lock_editable(line.order)
    line = OrderLine.objects.get(pk=line.pk, order=order)
    description = line.description
    line.delete()
    _save_after_line_change(order)
    record_event(order=order, kind=OrderEvent.Kind.LINE_REMOVED, actor=actor, message=description)


@transaction.atomic
def cancel_order(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """Cancel an order never delivered to the ERP. Its lines stop being live, which releases
    whatever they billed (invariant 1); its Num. Ordine and Prot. Int. are never reused."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if not order.is_cancellable:
        raise OrderNotCancellable()
    order.status = Order.Status.CANCELLED
    order.save(update_fields=["status", "updated_at"])
    order.lines.update(is_live=False)
    record_event(order=order, kind=OrderEvent.Kind.CANCELLED, actor=actor, message=reason)
    return order


@transaction.atomic
def delete_master_data(*, record: models.Model, actor: Actor) -> None:
    """Delete a master-data record of a kind nothing points at (a price of a price list), with
    who deleted it in its history. Should something point at it after all, it is refused."""
    require_function(actor, MANAGE_MASTER_DATA)
    stored = type(record).objects.select_for_update().filter(pk=record.pk).first()
    if stored is None:
        return  # deleted meanwhile: nothing left to do
    record_changes_by(stored, actor)
    try:
        stored.delete()
    except models.ProtectedError:
        raise RecordInUse() from None
