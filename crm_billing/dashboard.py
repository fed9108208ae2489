""" "Da fatturare": the billable activities not yet on a live order line, by age since the
activity (0–30, 31–60, 61–90, over 90 days), by customer and by technician, with their hours and
value. One aggregate query, whatever the number of activities: grouped in SQL by customer,
technician and age, then added up here into the three tables (rows: at most customers ×
technicians × 4, not activities); the names of the rows shown are read after.

Hours and value are those billing would write for the activity's hours, computed in SQL in whole
numbers (so SQLite and PostgreSQL agree to the cent with the planner of services/activities.py):
- hours: the billed minutes (duration, 60 when none was recorded, rounded up to the billing
  increment and at least the minimum: the contract's, else the configuration's) over 60,
  half up to two places, per activity;
- value: those hours × the price chain of services/prices.py (the contract's rate for the
  activity type's product, else the configured product → the customer's price list → the list
  price less the customer's discount), rounded to the cent per activity.
The value is at list price/rate, before the prepaid hours (monte ore) a contract may draw them
from, and covers the hours only: call-out fees, travel and materials are not in it. The page says
so."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Round
from django.utils.translation import gettext_lazy as _

from backoffice.models import Customer
from crm_billing.models import BillingProfile
from tickets.models import Activity


@dataclass(frozen=True)
class Age:
    """An age bucket: activities done between `newest` and `oldest` days ago (no bound: None)."""

    key: str
    label: str
    newest: int
    oldest: int | None

    def condition(self, today: date) -> Q:
        # The first bucket takes activities dated in the future too (age below 0).
        condition = Q()
        if self.newest:
            condition &= Q(date__lte=today - timedelta(days=self.newest))
        if self.oldest is not None:
            condition &= Q(date__gte=today - timedelta(days=self.oldest))
        return condition


AGES = (
    Age("0-30", _("0–30 days"), 0, 30),
    Age("31-60", _("31–60 days"), 31, 60),
    Age("61-90", _("61–90 days"), 61, 90),
    Age("over-90", _("over 90 days"), 91, None),
)
AGE_BY_KEY = {age.key: age for age in AGES}
# Customers and technicians shown, those with the most to bill first (the totals count all).
TABLE_ROWS = 50


def slice_activities(
    *, today: date, customer_id: int | None = None, technician_id=None, age: str = ""
) -> QuerySet[Activity]:
    """The billable activities of one cell of the dashboard: of a customer and/or a technician,
    of an age bucket (all of them when nothing is given)."""
    activities = Activity.objects.billable()
    if customer_id:
        activities = activities.filter(ticket__customer_id=customer_id)
    if technician_id:
        activities = activities.filter(technician_id=technician_id)
    if age:
        activities = activities.filter(AGE_BY_KEY[age].condition(today))
    return activities


def _cents(expression):
    """A Decimal amount with two places as whole cents (exact on SQLite's floats too)."""
    return Cast(Round(expression * Value(100)), BigIntegerField())


def _whole(expression):
    return Cast(expression, BigIntegerField())


def priced(activities: QuerySet[Activity], *, today: date, profile: BillingProfile) -> QuerySet:
    """The activities annotated with their age bucket, billed hours in cents of an hour
    (`hours_cents`) and value in cents (`value_cents`), as billing would price their hours."""
    age = Case(
        # The buckets' own conditions, the ones a cell's slice is billed by (the first match).
        *(When(a.condition(today), then=Value(a.key)) for a in AGES[:-1]),
        default=Value(AGES[-1].key),
    )
    minutes = _whole(Coalesce("duration_minutes", Value(60)))
    increment = _whole(
        Coalesce("ticket__contract__billing_increment_minutes", profile.billing_increment_minutes)
    )
    minimum = _whole(Coalesce("ticket__contract__minimum_minutes", profile.minimum_minutes))
    product = Coalesce(
        "activity_type__product_id", Value(profile.product_id), output_field=IntegerField()
    )
    list_price = Coalesce(
        "activity_type__product__list_price",
        Value(profile.product.list_price if profile.product_id else None),
    )
    # The hour's price in cents × (10,000 − the discount in hundredths of a percent): an agreed
    # price (contract rate, price list) × 10,000, the list price less the customer's discount.
    # The agreed prices are joined (at most one row each, by their unique constraints), not
    # looked up by a subquery per activity.
    price = Coalesce(
        _cents(F("contract_rate__unit_price")) * Value(10_000),
        _cents(F("listed_price__unit_price")) * Value(10_000),
        _cents(list_price) * (Value(10_000) - _cents(F("ticket__customer__discount_percent"))),
        Value(0),
        output_field=BigIntegerField(),
    )
    return activities.annotate(
        bill_product=product,
        contract_rate=FilteredRelation(
            "ticket__contract__rates",
            condition=Q(ticket__contract__rates__product_id=F("bill_product")),
        ),
        listed_price=FilteredRelation(
            "ticket__customer__price_list__items",
            condition=Q(ticket__customer__price_list__items__product_id=F("bill_product")),
        ),
    ).annotate(
        age=age,
        bill_increment=increment,
        bill_minimum=minimum,
        bill_minutes=Greatest(
            Case(
                When(
                    bill_increment__gt=0,
                    then=(minutes + F("bill_increment") - 1)
                    / F("bill_increment")
                    * F("bill_increment"),
                ),
                default=minutes,
                output_field=BigIntegerField(),
            ),
            F("bill_minimum"),
            output_field=BigIntegerField(),
        ),
        # Minutes over 60, half up to two places: (minutes × 100 + 30) ÷ 60, whole division.
        hours_cents=_whole((F("bill_minutes") * 100 + 30) / 60),
        # Cents per hour × hundredths of an hour × 10,000 is in millionths of a cent.
        value_cents=_whole((F("hours_cents") * price + 500_000) / 1_000_000),
    )


@dataclass
class Cell:
    """The activities of one slice: how many, their hours and value, and what selects them."""

    customer_id: int | None = None
    technician_id: int | None = None
    age: str = ""
    count: int = 0
    hours_cents: int = 0
    value_cents: int = 0

    def add(self, row: dict) -> None:
        self.count += row["count"]
        self.hours_cents += row["hours_cents"] or 0
        self.value_cents += row["value_cents"] or 0

    @property
    def age_label(self) -> str:
        return str(AGE_BY_KEY[self.age].label) if self.age else ""

    @property
    def hours(self) -> Decimal:
        return Decimal(self.hours_cents) / 100

    @property
    def value(self) -> Decimal:
        return Decimal(self.value_cents) / 100


@dataclass
class Row:
    """A customer's or a technician's line: one cell per age bucket and the total."""

    name: str
    total: Cell
    cells: dict[str, Cell] = field(default_factory=dict)

    @property
    def by_age(self) -> list[Cell]:
        return [self.cells[age.key] for age in AGES]


def _row(name: str, **selects) -> Row:
    return Row(
        name=name,
        total=Cell(**selects),
        cells={age.key: Cell(age=age.key, **selects) for age in AGES},
    )


@dataclass
class Board:
    """The dashboard: totals by age, and the customers' and technicians' rows."""

    total: Row
    customers: list[Row]
    technicians: list[Row]
    customer_count: int
    technician_count: int


def _top(rows: dict, limit: int) -> list[Row]:
    """The rows with the most to bill first (then the most activities, then the oldest id)."""
    ranked = sorted(
        rows.items(), key=lambda kv: (-kv[1].total.value_cents, -kv[1].total.count, kv[0])
    )
    return [row for _id, row in ranked[:limit]]


def to_be_billed(*, today: date, limit: int | None = None) -> Board:
    """The dashboard as of `today`, with `limit` (TABLE_ROWS) customers and technicians, in
    four queries whatever the number of activities: the configuration, the aggregate
    grouped by ids only (narrow sort keys), the names of the customers and of the technicians
    shown."""
    limit = limit or TABLE_ROWS
    profile = BillingProfile.objects.select_related("product").for_case(
        BillingProfile.Case.ACTIVITY
    )
    rows = (
        priced(Activity.objects.billable(), today=today, profile=profile)
        .values("ticket__customer_id", "technician_id", "age")
        .annotate(count=Count("pk"), hours_cents=Sum("hours_cents"), value_cents=Sum("value_cents"))
        .order_by()
    )
    total = _row("")
    customers, technicians = {}, {}
    for row in rows:
        customer_id, technician_id = row["ticket__customer_id"], row["technician_id"]
        if customer_id not in customers:
            customers[customer_id] = _row("", customer_id=customer_id)
        if technician_id not in technicians:
            technicians[technician_id] = _row("", technician_id=technician_id)
        for line in (total, customers[customer_id], technicians[technician_id]):
            line.total.add(row)
            line.cells[row["age"]].add(row)
    shown_customers, shown_technicians = _top(customers, limit), _top(technicians, limit)
    names = dict(
        Customer.objects.filter(pk__in=[r.total.customer_id for r in shown_customers])
        .order_by()
        .values_list("pk", "name")
    )
    for row in shown_customers:
        row.name = names[row.total.customer_id]
    users = get_user_model().objects.filter(
        pk__in=[r.total.technician_id for r in shown_technicians]
    )
    people = {user.pk: user.get_full_name() or user.username for user in users.order_by()}
    for row in shown_technicians:
        row.name = people[row.total.technician_id]
    return Board(
        total=total,
        customers=shown_customers,
        technicians=shown_technicians,
        customer_count=len(customers),
        technician_count=len(technicians),
    )


@dataclass(frozen=True)
class Bar:
    key: str
    label: str
    value: Decimal
    x: int
    y: int
    width: int
    height: int
    fill: str


# Colours of the age buckets, young to old (Bootstrap's success, info, warning, danger).
AGE_COLOURS = ("#198754", "#0dcaf0", "#ffc107", "#dc3545")
CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM = 480, 220, 24, 190


def chart(board: Board) -> list[Bar]:
    """The value to be billed by age as bars of an SVG drawn by the template (no JavaScript):
    heights in whole pixels, the tallest bar the full height."""
    cells = board.total.by_age
    highest = max((cell.value_cents for cell in cells), default=0) or 1
    slot = CHART_WIDTH // len(cells)
    bars = []
    for index, (age, cell, colour) in enumerate(zip(AGES, cells, AGE_COLOURS, strict=True)):
        height = round((CHART_BOTTOM - CHART_TOP) * cell.value_cents / highest)
        bars.append(
            Bar(
                key=age.key,
                label=str(age.label),
                value=cell.value,
                x=index * slot + slot // 6,
                y=CHART_BOTTOM - height,
                width=slot * 2 // 3,
                height=height,
                fill=colour,
            )
        )
    return bars
