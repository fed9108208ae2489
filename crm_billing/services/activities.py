"""Billing the activities of tickets: "Crea Ordine" on one ticket, "Fattura attività" on many.

One Order/Offer per ticket, or per customer (and contract) when "Fattura attività" groups them;
a batch never splits a group. Each billable activity (closed status, condition "Da fatturare",
not on a live order line, done by the cut-off date) gives its lines: its hours (drawn first from
the contract's prepaid hours, then billed at the price chain of `prices.py`), its travel, each of
its materials; each day with on-site work gives one call-out fee. The selection is read and
written set-wise, a batch of tickets per transaction, so the number of queries does not grow
with the number of tickets. Inside a batch the tickets, their activities and the prepaid
packages are locked (in id order, so two overlapping runs cannot deadlock): a second run waits,
then finds them billed and the hours drawn. Should a batch fail, its groups (its tickets, unless
grouped) are retried one by one, so one bad ticket neither undoes nor blocks the others.
"""

import gc
import logging
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import DEFERRED
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from backoffice import money
from backoffice import services as order_services
from backoffice.billed import live_parts_of
from backoffice.models import Order, OrderLine, Product
from contracts.models import PrepaidDraw, PrepaidHours
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from crm_billing.models import BillingProfile, BillingRun
from crm_billing.services.billing import configured_profile
from crm_billing.services.prices import Price, PriceBook, billed_minutes, hours_of
from tickets.models import Activity, ActivityMaterial, Ticket
from tickets.permissions import MANAGE_TICKETS

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
Kind = OrderLine.Kind
Grouping = BillingRun.Grouping
PREPAID_PRICE = Price(Decimal("0"), Decimal("0"), OrderLine.PriceSource.PREPAID)


@contextmanager
def _without_gc_pauses():
    """Python's cyclic garbage collector paused while a batch is planned and written: the
    tens of thousands of objects a batch keeps alive until it is written (rows, drafts,
    columns) trigger full collections that traverse every object of the process, a third of
    the batch's time, to find no cycles (they are freed by reference counting). Collections
    resume afterwards; whoever paused them first resumes them. Only around the writing batch,
    not the preview: the pause is the whole process's, so a web worker's other threads would
    go without collections while someone previews a large selection."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(slots=True)
class PlannedLine:
    """A line billing would write, with what the preview says about it. Not frozen, like
    LineDraft: thousands are built per batch."""

    draft: order_services.LineDraft
    package: PrepaidHours | None = None  # the prepaid hours it draws from
    without_duration: bool = False  # hours of an activity with no duration: billed as 1 h

    @property
    def price_source(self) -> str:
        return OrderLine.PriceSource(self.draft.price_source).label

    @property
    def net_amount(self) -> Decimal:
        draft = self.draft
        return money.line_net_amount(draft.quantity, draft.unit_price, draft.discount_percent)


@dataclass
class TicketPlan:
    """What billing one ticket would write: its lines, and the activities left out with their
    reason."""

    ticket: Ticket
    lines: list[PlannedLine] = field(default_factory=list)
    skipped: list[tuple[Activity, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), Decimal("0.00"))

    @property
    def without_duration(self) -> list[PlannedLine]:
        """Hours of billable activities with no duration recorded: billed as 1 h (DESIGN §6),
        so the preview points them out."""
        return [line for line in self.lines if line.without_duration]

    @property
    def reason(self) -> str:
        """Why nothing is billed for this ticket ("" when something is)."""
        if self.lines:
            return ""
        if not self.skipped:
            return _("the ticket has no activities")
        details = "; ".join(
            f"{date_format(a.date, 'SHORT_DATE_FORMAT')}: {reason}"
            for a, reason in self.skipped[:5]
        )
        more = len(self.skipped) - 5
        if more > 0:
            details += " " + _("and %(n)s more") % {"n": more}
        return _("no billable activity (%(details)s)") % {"details": details}


class PrepaidLedger:
    """The hours left in the prepaid packages of some contracts, drawn in date order. Billing
    locks the packages first (lock=True): a concurrent run waits, then reads what this one
    drew, so a package never goes below zero."""

    def __init__(self, contract_ids, *, lock: bool):
        packages = PrepaidHours.objects.filter(contract_id__in=set(contract_ids))
        if lock:
            list(packages.select_for_update().order_by("pk").values_list("pk", flat=True))
        self.by_contract = defaultdict(list)
        self.remaining = {}
        for package in (
            packages.with_usage().select_related("contract").order_by("valid_from", "pk")
        ):
            self.by_contract[package.contract_id].append(package)
            self.remaining[package.pk] = max(package.remaining, Decimal("0"))
        self.drawn = defaultdict(lambda: Decimal("0"))

    def draw(self, contract_id, day, hours: Decimal) -> tuple[PrepaidHours | None, Decimal]:
        """Draw up to `hours` from the package of the contract valid on `day`: (package, hours
        drawn), (None, 0) when there is none or it is used up."""
        for package in self.by_contract.get(contract_id, ()):
            if package.valid_from <= day <= package.valid_to and self.remaining[package.pk] > 0:
                drawn = min(hours, self.remaining[package.pk])
                self.remaining[package.pk] -= drawn
                self.drawn[package.pk] += drawn
                return package, drawn
        return None, Decimal("0")

    def summary(self) -> list[dict]:
        """Hours bought, used before, drawn now and left, of each package drawn from."""
        return [
            {
                "package": package,
                "bought": package.hours,
                "used": package.used,
                "drawn": self.drawn[package.pk],
                "remaining": self.remaining[package.pk],
            }
            for packages in self.by_contract.values()
            for package in packages
            if package.pk in self.drawn
        ]


class _ActivityRow:
    """An activity as billing reads it: its columns as plain values, with its status,
    condition, type and technician shared by all the rows that have them. A batch reads
    thousands: as model instances they took longer to build than to price. It stands in for
    the Activity where a line names its source (pk, _meta: the content type) and answers
    not_billable_reason with the model's own rules; as_activity() gives the model instance."""

    COLUMNS = (
        "id",
        "ticket_id",
        "date",
        "technician_id",
        "description",
        "duration_minutes",
        "status_id",
        "condition_id",
        "activity_type_id",
        "km",
    )
    __slots__ = (
        *COLUMNS,
        "pk",
        "status",
        "condition",
        "activity_type",
        "technician",
        "billed_order_id",
        "billed_order_number",
    )
    _meta = Activity._meta
    not_billable_reason = Activity.not_billable_reason

    def as_activity(self) -> Activity:
        """The Activity instance (for the activities left out, which the preview lists)."""
        fields = Activity._meta.concrete_fields
        activity = Activity.from_db(
            Activity.objects.db,
            [field.attname for field in fields],
            # a column not read stays deferred: loaded if something asks for it
            [getattr(self, f.attname) if f.attname in self.COLUMNS else DEFERRED for f in fields],
        )
        activity.status, activity.condition = self.status, self.condition
        activity.technician, activity.activity_type = self.technician, self.activity_type
        activity.billed_order_id = self.billed_order_id
        activity.billed_order_number = self.billed_order_number
        return activity


def _activity_rows(activities) -> list[_ActivityRow]:
    """The activities of the queryset as rows, in its order, each with its shared status,
    condition, type and technician (read once each: a handful serve thousands of rows)."""
    rows = []
    for values in activities.values_list(*_ActivityRow.COLUMNS):
        row = _ActivityRow()
        (
            row.id,
            row.ticket_id,
            row.date,
            row.technician_id,
            row.description,
            row.duration_minutes,
            row.status_id,
            row.condition_id,
            row.activity_type_id,
            row.km,
        ) = values
        row.pk = row.id
        rows.append(row)
    for name in ("status", "condition", "activity_type", "technician"):
        attname = f"{name}_id"
        ids = {getattr(row, attname) for row in rows} - {None}
        model = Activity._meta.get_field(name).related_model
        shared = model.objects.in_bulk(ids) if ids else {}
        for row in rows:
            setattr(row, name, shared.get(getattr(row, attname)))
    return rows


class _MaterialRow:
    """A material used in an activity, as plain values (see _ActivityRow)."""

    COLUMNS = ("id", "activity_id", "product_id", "quantity", "description")
    __slots__ = (*COLUMNS, "pk")
    _meta = ActivityMaterial._meta

    def __init__(self, values):
        self.id, self.activity_id, self.product_id, self.quantity, self.description = values
        self.pk = self.id


def _material_rows(materials) -> list[_MaterialRow]:
    return [_MaterialRow(values) for values in materials.values_list(*_MaterialRow.COLUMNS)]


class _Planner:
    """Builds the lines of a set of tickets from data read once for all of them."""

    def __init__(self, *, tickets, activities, materials, profile, lock):
        self.profile = profile
        contract_ids = {ticket.contract_id for ticket in tickets if ticket.contract_id}
        self.prices = PriceBook(
            contract_ids=contract_ids,
            price_list_ids={t.customer.price_list_id for t in tickets if t.customer.price_list_id},
        )
        self.ledger = PrepaidLedger(contract_ids, lock=lock)
        product_ids = {
            profile.product_id,
            profile.call_out_product_id,
            profile.travel_product_id,
            *(a.activity_type.product_id for a in activities if a.activity_type),
            *(m.product_id for m in materials),
        }
        self.products = Product.objects.select_related("vat_rate").in_bulk(product_ids - {None})
        # The price of each product for each contract and customer, looked up once: a batch
        # has thousands of lines but a handful of products per customer.
        self.price_of = {}
        self.technician_names = {}
        self.materials = defaultdict(list)
        for material in materials:
            self.materials[material.activity_id].append(material)
        # What is billed already, asked by ticket (a subquery), not by thousands of ids.
        ticket_ids = [ticket.pk for ticket in tickets]
        self.live_activity_parts = live_parts_of(
            Activity, Activity.objects.filter(ticket_id__in=ticket_ids).values("pk")
        )
        self.live_materials = live_parts_of(
            ActivityMaterial,
            ActivityMaterial.objects.filter(activity__ticket_id__in=ticket_ids).values("pk"),
        )
        self.live_call_outs = live_parts_of(Ticket, ticket_ids)
        self.days = {}
        # Translated once per run, not once per line.
        self.wording = {
            "prepaid": _("%(line)s – drawn from the prepaid hours, %(left)s h left"),
            "travel": _("Travel %(date)s – %(km)s km"),
            "call_out": _("Call-out fee %(date)s"),
        }

    def day(self, value: date) -> str:
        """The date as lines show it; formatted once per day, not once per line."""
        if value not in self.days:
            self.days[value] = date_format(value, "SHORT_DATE_FORMAT")
        return self.days[value]

    def technician(self, activity) -> str:
        """The technician's name as lines show it; once per technician, not once per line."""
        name = self.technician_names.get(activity.technician_id)
        if name is None:
            technician = activity.technician
            name = technician.get_full_name() or technician.username
            self.technician_names[activity.technician_id] = name
        return name

    def billed_on(self, activity) -> tuple[int, str] | tuple[None, None]:
        """The live order billing the activity's hours, if any."""
        parts = self.live_activity_parts
        return parts.get((activity.pk, Kind.ITEM, None)) or parts.get(
            (activity.pk, Kind.PREPAID, None), (None, None)
        )

    def _line(
        self,
        ticket,
        product_id,
        *,
        quantity,
        description,
        kind,
        source,
        source_date=None,
        package=None,
        without_duration=False,
    ) -> PlannedLine:
        """A line of the product at its price for the ticket, or at no charge when its hours
        are drawn from a prepaid package."""
        product = self.products[product_id]
        if package is not None:
            price = PREPAID_PRICE
        else:
            key = (product_id, ticket.contract_id, ticket.customer_id)
            price = self.price_of.get(key)
            if price is None:
                price = self.price_of[key] = self.prices.price(
                    product, contract_id=ticket.contract_id, customer=ticket.customer
                )
        draft = order_services.LineDraft(
            product=product,
            description=description[:500],
            quantity=quantity,
            unit_price=price.unit_price,
            discount_percent=price.discount_percent,
            price_source=price.source,
            kind=kind,
            source=source,
            source_date=source_date,
        )
        return PlannedLine(draft, package=package, without_duration=without_duration)

    def hours_lines(self, ticket, activity, hours: Decimal) -> list[PlannedLine]:
        """The activity's hours: the part drawn from the prepaid package at 0,00 €, the rest
        at its price."""
        profile = self.profile
        product_id = (activity.activity_type and activity.activity_type.product_id) or (
            profile.product_id
        )
        description = (
            f"{self.day(activity.date)} – {self.technician(activity)} – {activity.description}"
        )
        no_duration = activity.duration_minutes is None
        lines = []
        package, drawn = (None, Decimal("0"))
        if ticket.contract_id:
            package, drawn = self.ledger.draw(ticket.contract_id, activity.date, hours)
        if drawn:
            left = number_format(self.ledger.remaining[package.pk], 2)
            lines.append(
                self._line(
                    ticket,
                    product_id,
                    quantity=drawn,
                    description=self.wording["prepaid"] % {"line": description, "left": left},
                    kind=Kind.PREPAID,
                    source=activity,
                    package=package,
                    without_duration=no_duration,
                )
            )
        if hours - drawn > 0:
            lines.append(
                self._line(
                    ticket,
                    product_id,
                    quantity=hours - drawn,
                    description=description,
                    kind=Kind.ITEM,
                    source=activity,
                    without_duration=no_duration and not drawn,
                )
            )
        return lines

    def extra_lines(self, ticket, activity) -> list[PlannedLine]:
        """Travel (on-site work) and the materials used, each unless already on a live line."""
        lines = []
        on_site = activity.activity_type is not None and activity.activity_type.on_site
        travel_id = self.profile.travel_product_id
        if (
            on_site
            and travel_id
            and activity.km
            and (activity.pk, Kind.TRAVEL, None) not in self.live_activity_parts
        ):
            lines.append(
                self._line(
                    ticket,
                    travel_id,
                    quantity=Decimal(activity.km),
                    description=self.wording["travel"]
                    % {"date": self.day(activity.date), "km": activity.km},
                    kind=Kind.TRAVEL,
                    source=activity,
                )
            )
        for material in self.materials[activity.pk]:
            if (material.pk, Kind.MATERIAL, None) in self.live_materials:
                continue
            product = self.products[material.product_id]
            lines.append(
                self._line(
                    ticket,
                    material.product_id,
                    quantity=material.quantity,
                    description=f"{self.day(activity.date)} – "
                    f"{material.description or product.description}",
                    kind=Kind.MATERIAL,
                    source=material,
                )
            )
        return lines

    def call_out_line(self, ticket, day) -> PlannedLine | None:
        product_id = self.profile.call_out_product_id
        if not product_id or (ticket.pk, Kind.CALL_OUT, day) in self.live_call_outs:
            return None
        return self._line(
            ticket,
            product_id,
            quantity=Decimal("1"),
            description=self.wording["call_out"] % {"date": self.day(day)},
            kind=Kind.CALL_OUT,
            source=ticket,
            source_date=day,
        )


def _rounding(ticket, profile) -> tuple[int, int]:
    """(billing increment, minimum) in minutes: the contract's, else the configuration's."""
    contract = ticket.contract
    increment = profile.billing_increment_minutes
    minimum = profile.minimum_minutes
    if contract is not None:
        if contract.billing_increment_minutes is not None:
            increment = contract.billing_increment_minutes
        if contract.minimum_minutes is not None:
            minimum = contract.minimum_minutes
    return increment, minimum


@dataclass
class BillingPlan:
    """The plan of a selection: one TicketPlan per ticket, and the prepaid hours it draws."""

    tickets: list[TicketPlan]
    prepaid: list[dict]


def plan_billing(
    *, tickets, cutoff: date | None = None, profile=None, lock=False, activity_ids=None
) -> BillingPlan:
    """The plan for every ticket of the queryset, in a number of queries that does not grow
    with the tickets. Writes nothing: this is also the preview. Hours are drawn from prepaid
    packages in date order over the whole selection. With `activity_ids` (a slice of the "Da
    fatturare" dashboard) only those activities are planned: the others of the same tickets
    are not part of the selection, neither billed nor listed as left out."""
    profile = profile or configured_profile(case=BillingProfile.Case.ACTIVITY)
    tickets = list(
        tickets.select_related("customer", "contract")
        .prefetch_related("customer__vat_exemption")
        .order_by("pk")
    )
    ticket_ids = [ticket.pk for ticket in tickets]
    activities = _activity_rows(
        Activity.objects.filter(ticket_id__in=ticket_ids).order_by("date", "pk")
    )
    if activity_ids is not None:
        selected = set(activity_ids)
        activities = [activity for activity in activities if activity.pk in selected]
    materials = _material_rows(ActivityMaterial.objects.filter(activity__ticket_id__in=ticket_ids))
    planner = _Planner(
        tickets=tickets, activities=activities, materials=materials, profile=profile, lock=lock
    )
    plans = {ticket.pk: TicketPlan(ticket) for ticket in tickets}
    # Activities in date order over the whole selection: the prepaid hours go to the oldest.
    lines_of = defaultdict(list)
    on_site_days = defaultdict(set)
    for activity in activities:
        plan = plans[activity.ticket_id]
        ticket = plan.ticket
        activity.billed_order_id, activity.billed_order_number = planner.billed_on(activity)
        reason = activity.not_billable_reason(cutoff)
        if reason:
            plan.skipped.append((activity.as_activity(), reason))
            continue
        increment, minimum = _rounding(ticket, profile)
        hours = hours_of(
            billed_minutes(activity.duration_minutes, increment=increment, minimum=minimum)
        )
        lines_of[activity.pk] = planner.hours_lines(ticket, activity, hours) + planner.extra_lines(
            ticket, activity
        )
        if activity.activity_type is not None and activity.activity_type.on_site:
            on_site_days[ticket.pk].add(activity.date)
    # Each ticket's lines in date order, a day's call-out fee before its work.
    for activity in sorted(activities, key=lambda a: (a.ticket_id, a.date, a.pk)):
        if activity.pk not in lines_of:
            continue
        plan = plans[activity.ticket_id]
        if activity.date in on_site_days[plan.ticket.pk]:
            on_site_days[plan.ticket.pk].discard(activity.date)
            call_out = planner.call_out_line(plan.ticket, activity.date)
            if call_out is not None:
                plan.lines.append(call_out)
        plan.lines.extend(lines_of[activity.pk])
    return BillingPlan(list(plans.values()), planner.ledger.summary())


@dataclass
class BillingOutcome:
    """Orders created and tickets skipped, as plain data (it is stored on a BillingRun)."""

    created: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def add_created(self, plans: list[TicketPlan], order: Order):
        """An order and the tickets it bills (one, unless grouped by customer)."""
        self.created.append(
            {
                "ticket": plans[0].ticket.pk,
                "ticket_code": plans[0].ticket.code,
                "tickets": [plan.ticket.pk for plan in plans],
                "ticket_codes": [plan.ticket.code for plan in plans],
                "order": order.pk,
                "number": order.number,
                "protocol": order.protocol,
                "lines": sum(len(plan.lines) for plan in plans),
                "total": str(order.total),
            }
        )

    def add_skipped(self, ticket: Ticket, reason: str):
        self.skipped.append({"ticket": ticket.pk, "ticket_code": ticket.code, "reason": reason})


@_without_gc_pauses()
def _bill_batch(
    ticket_ids,
    *,
    actor: Actor,
    cutoff,
    profile,
    outcome: BillingOutcome,
    grouping: str,
    activity_ids=None,
):
    # Lock the tickets, then their activities (id order: no deadlock between overlapping
    # selections), then the prepaid packages (plan_billing), then read their billing state: a
    # run that waited here sees what the other one billed and drew, and a ticket cannot change
    # customer or contract meanwhile (tickets.services.save_ticket).
    list(
        Ticket.objects.filter(pk__in=ticket_ids)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Activity.objects.filter(ticket_id__in=ticket_ids)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plan = plan_billing(
        tickets=Ticket.objects.filter(pk__in=ticket_ids),
        cutoff=cutoff,
        profile=profile,
        lock=True,
        activity_ids=activity_ids,
    )
    to_bill = [ticket_plan for ticket_plan in plan.tickets if ticket_plan.lines]
    groups = group_plans(to_bill, grouping)
    drafts = [_order_draft(plans, profile, grouping) for plans in groups]
    orders = order_services.create_orders(drafts=drafts, actor=actor) if drafts else []
    _record_draws(to_bill, orders)
    for plans, order in zip(groups, orders, strict=True):
        outcome.add_created(plans, order)
    for ticket_plan in plan.tickets:
        if not ticket_plan.lines:
            outcome.add_skipped(ticket_plan.ticket, ticket_plan.reason)


def group_key(ticket, grouping: str) -> tuple:
    """Which Order/Offer a ticket's lines go on: its own, its customer's, or its customer's
    under the same contract. `ticket` needs pk, customer_id and contract_id."""
    if grouping == Grouping.CUSTOMER:
        return ("customer", ticket.customer_id)
    if grouping == Grouping.CUSTOMER_CONTRACT:
        return ("contract", ticket.customer_id, ticket.contract_id)
    return ("ticket", ticket.pk)


def group_plans(plans: list[TicketPlan], grouping: str) -> list[list[TicketPlan]]:
    """The plans of each order to be made, in the order of their first ticket."""
    groups = defaultdict(list)
    for ticket_plan in plans:
        groups[group_key(ticket_plan.ticket, grouping)].append(ticket_plan)
    return list(groups.values())


def _order_draft(plans: list[TicketPlan], profile, grouping: str) -> order_services.OrderDraft:
    """One Order/Offer for the plans of a group. On an order of several tickets (or grouped by
    customer) each line says its ticket; cancelling the order releases everything it bills."""
    first = plans[0].ticket
    if grouping == Grouping.TICKET:
        lines = [line.draft for line in plans[0].lines]
        message = _("From ticket %(code)s") % {"code": first.code}
    else:
        lines = [
            replace(line.draft, description=f"{p.ticket.code} – {line.draft.description}"[:500])
            for p in plans
            for line in p.lines
        ]
        message = _("From tickets %(codes)s") % {"codes": ", ".join(p.ticket.code for p in plans)}
    return order_services.OrderDraft(
        order_type=profile.order_type,
        customer=first.customer,
        lines=lines,
        deal_subject=profile.deal_subject,
        origin=Order.Origin.TICKET,
        source=first if grouping == Grouping.TICKET else None,
        from_defaults=True,
        event_message=message,
    )


def _record_draws(plans: list[TicketPlan], orders: list[Order]) -> None:
    """Tie each line at 0,00 € to the package its hours were drawn from."""
    package_of = {
        line.draft.source.pk: line.package
        for ticket_plan in plans
        for line in ticket_plan.lines
        if line.package is not None
    }
    if not package_of:
        return
    drawn_lines = OrderLine.objects.filter(
        order__in=orders, kind=Kind.PREPAID, source_id__in=package_of
    ).values_list("pk", "source_id")
    PrepaidDraw.objects.bulk_create(
        PrepaidDraw(package=package_of[source_id], line_id=line_id)
        for line_id, source_id in drawn_lines
    )


def _failure_reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error.message)
    if isinstance(error, IntegrityError):
        return _("an activity was billed by another operation at the same time; run it again")
    return _("unexpected error: %(error)s") % {"error": error}


def bill_tickets(
    *,
    tickets,
    actor: Actor,
    cutoff: date | None = None,
    grouping: str = Grouping.TICKET,
    on_progress: Callable[[int, BillingOutcome], None] | None = None,
    activity_ids=None,
) -> BillingOutcome:
    """Bill the billable activities of the given tickets: one Order/Offer per ticket, or per
    customer (and contract) as `grouping` says; only those of `activity_ids` when given (a
    slice of the "Da fatturare" dashboard).

    Idempotent: billed activities are never billed again, so a second run creates nothing.
    Raises ConfigurationMissing before writing anything if the activity defaults are not set.
    """
    require_function(actor, MANAGE_TICKETS)
    profile = configured_profile(case=BillingProfile.Case.ACTIVITY)
    outcome = BillingOutcome()
    bill = partial(
        _bill_batch,
        actor=actor,
        cutoff=cutoff,
        profile=profile,
        grouping=grouping,
        activity_ids=activity_ids,
    )
    done = 0
    for groups in _batches(tickets, grouping):
        batch = [ticket_id for group in groups for ticket_id in group]
        try:
            with transaction.atomic():
                batch_outcome = BillingOutcome()
                bill(batch, outcome=batch_outcome)
        except Exception:  # noqa: BLE001 - the batch is retried group by group below
            # The batch was rolled back whole (a bad ticket, a lost connection: Django opens
            # a new one); its groups (tickets, unless grouped) are retried one by one so the
            # others still get billed.
            logger.warning("Billing batch failed, retrying group by group", exc_info=True)
            batch_outcome = _bill_one_by_one(groups, bill)
        outcome.created += batch_outcome.created
        outcome.skipped += batch_outcome.skipped
        done += len(batch)
        if on_progress:
            on_progress(done, batch_outcome)
    return outcome


def _batches(tickets, grouping: str) -> list[list[list[int]]]:
    """The ticket ids in batches of about BATCH_SIZE tickets, as lists of groups: a group (the
    tickets of one order) is never split, or a customer would get one order per batch."""
    rows = tickets.order_by(
        *(("pk",) if grouping == Grouping.TICKET else ("customer_id", "contract_id", "pk"))
    ).values_list("pk", "customer_id", "contract_id", named=True)
    batches, groups, size, last = [], [], 0, None
    for row in rows:
        key = group_key(row, grouping)
        if key != last:
            if size >= BATCH_SIZE:
                batches.append(groups)
                groups, size = [], 0
            groups.append([])
            last = key
        groups[-1].append(row.pk)
        size += 1
    if groups:
        batches.append(groups)
    return batches


def _bill_one_by_one(groups, bill) -> BillingOutcome:
    outcome = BillingOutcome()
    for group in groups:
        single = BillingOutcome()
        try:
            with transaction.atomic():
                bill(group, outcome=single)
        except Exception as error:  # noqa: BLE001 - reported for this group, the others go on
            logger.exception("Billing tickets %s failed", group)
            for ticket in Ticket.objects.filter(pk__in=group).order_by("pk"):
                outcome.add_skipped(ticket, _failure_reason(error))
        else:
            outcome.created += single.created
            outcome.skipped += single.skipped
    return outcome
