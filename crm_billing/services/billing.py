"""Orders/Offers generated from the billing defaults: "Nuovo ordine" on a contract or a renewal.

Each operation is one transaction: it locks the row it bills, refuses if a live order is already
linked (a double click or two users at once get the existing order back, not a second one),
builds the order from the case's defaults and the customer's, and links it before committing.
"""

from dataclasses import dataclass, replace
from decimal import Decimal

from django.db import transaction
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice import money
from backoffice import services as order_services
from backoffice.billed import live_order_billing
from backoffice.models import Order
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from core.history import record_changes_by
from crm_billing.models import BillingProfile
from crm_billing.services.indices import revaluation_for, shown


class ConfigurationMissing(DomainError):
    default_message = gettext_lazy("The billing configuration for this case is incomplete.")

    def __init__(self, profile: BillingProfile):
        self.profile = profile
        super().__init__(
            _("Billing configuration for “%(case)s” is incomplete: set %(missing)s.")
            % {"case": profile.get_case_display(), "missing": ", ".join(profile.missing)}
        )


class AlreadyLinked(DomainError):
    def __init__(self, order: Order):
        self.order = order
        super().__init__(
            _(
                "Already linked to %(type)s %(number)s (internal protocol %(protocol)s): "
                "no new order."
            )
            % {"type": order.order_type.name, "number": order.number, "protocol": order.protocol}
        )


@dataclass(frozen=True)
class Price:
    """An amount and where it came from, said in words for the message after creation."""

    amount: Decimal
    source: str
    agreed: bool  # an agreed amount is never discounted again (DESIGN §6)
    rule: str = ""  # the renewal pricing rule that chose the source, when there is one


def configured_profile(*, case: str) -> BillingProfile:
    """The defaults of a case, complete and active; ConfigurationMissing otherwise."""
    BillingProfile.objects.for_case(case)  # the row exists from the first time it is asked for
    profile = BillingProfile.objects.select_related(
        "order_type",
        "deal_subject",
        "product__vat_rate",
        "call_out_product__vat_rate",
        "travel_product__vat_rate",
    ).get(case=case)
    if profile.missing:
        raise ConfigurationMissing(profile)
    return profile


def _day(value) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


def _euro(amount: Decimal) -> str:
    return f"{number_format(money.to_cents(amount), 2, force_grouping=True)} €"


def _list_price(profile: BillingProfile) -> Price:
    return Price(profile.product.list_price, _("list price of the product/service"), agreed=False)


def contract_price(*, contract: Contract, profile: BillingProfile) -> Price:
    if contract.customer_cost is not None:
        return Price(contract.customer_cost, _("customer cost of the contract"), agreed=True)
    return _list_price(profile)


def _last_cost(renewal: Renewal, *, include_own: bool) -> Price | None:
    """The renewal's own cost, else the latest earlier renewal's, else the contract's cost."""
    if include_own and renewal.cost is not None:
        return Price(renewal.cost, _("cost of this renewal"), agreed=True)
    # Read through the contract's renewals, so a list that prefetched them prices every row
    # without a query each (the Scadenzario rinnovi).
    earlier = max(
        (
            other
            for other in renewal.contract.renewals.all()
            if other.start_date < renewal.start_date and other.cost is not None
        ),
        key=lambda other: other.start_date,
        default=None,
    )
    if earlier is not None:
        return Price(
            earlier.cost,
            _("cost of the renewal of %(date)s") % {"date": _day(earlier.start_date)},
            agreed=True,
        )
    if renewal.contract.customer_cost is not None:
        return Price(renewal.contract.customer_cost, _("customer cost of the contract"), True)
    return None


def indexed_amount(cost: Decimal, rate_percent: Decimal) -> Decimal:
    """cost × (1 + rate), rounded to the cent half-up."""
    return money.to_cents(cost * (Decimal("1") + rate_percent / Decimal("100")))


def renewal_price(*, renewal: Renewal, profile: BillingProfile, indices=None) -> Price:
    """The renewal order's amount by the configured rule, with the rule and its source.
    `indices`: the FOI table when the caller read it already (a list prices many renewals).
    IndexMissing when the indexed rule needs an index not entered yet."""
    price = _renewal_price_by_rule(renewal, profile, indices)
    return replace(price, rule=str(profile.get_renewal_pricing_display()))


def _renewal_price_by_rule(renewal: Renewal, profile: BillingProfile, indices) -> Price:
    rule = profile.renewal_pricing
    if rule == BillingProfile.RenewalPricing.LIST_PRICE:
        return _list_price(profile)
    if rule == BillingProfile.RenewalPricing.LAST_RENEWAL_COST:
        return _last_cost(renewal, include_own=True) or _list_price(profile)
    # Indexed: what was paid last time, revalued. The base is never this renewal's own cost,
    # which is the amount being decided.
    base = _last_cost(renewal, include_own=False)
    if base is None:
        return _list_price(profile)
    contract = renewal.contract
    if not contract.indexed:
        return replace(
            base, source=_("%(source)s, the contract is not indexed") % {"source": base.source}
        )
    revaluation = revaluation_for(renewal.start_date, indices=indices)
    share = Decimal(contract.index_share_percent)
    rate = revaluation.variation_percent * share / Decimal("100")
    return Price(
        indexed_amount(base.amount, rate),
        _(
            "%(source)s (%(base)s) revalued by %(share)s%% of the ISTAT FOI variation "
            "%(reference)s on %(earlier)s (%(reference_value)s on %(earlier_value)s: "
            "%(variation)s%%)"
        )
        % {
            "source": base.source,
            "base": _euro(base.amount),
            "share": contract.index_share_percent,
            "reference": shown(revaluation.reference),
            "earlier": shown(revaluation.earlier),
            "reference_value": number_format(revaluation.reference_value, 1),
            "earlier_value": number_format(revaluation.earlier_value, 1),
            "variation": number_format(revaluation.variation_percent, 1),
        },
        agreed=True,
    )


def _line(profile: BillingProfile, price: Price, description: str, source, customer):
    discount = Decimal("0") if price.agreed else customer.discount_percent
    return order_services.LineDraft(
        product=profile.product,
        description=description,
        quantity=Decimal("1"),
        unit_price=money.to_cents(price.amount),
        discount_percent=discount,
        source=source,
    )


@dataclass(frozen=True)
class Generated:
    order: Order
    price: Price


def _refuse_if_linked(billed) -> None:
    """A contract or renewal with a live order gets that one back, never a second: the order
    that bills it (even if someone unlinked it since), or the one linked to it."""
    generated = live_order_billing(billed)
    if generated is not None:
        raise AlreadyLinked(generated)
    if billed.order_id:
        order = Order.objects.select_related("order_type").get(pk=billed.order_id)
        if order.status != Order.Status.CANCELLED:
            raise AlreadyLinked(order)


def _create_and_link(billed, *, profile, price, customer, origin, description, event, actor: Actor):
    """One order of one line from the case's defaults, linked to what it bills."""
    order = order_services.create_order(
        order_type=profile.order_type,
        customer=customer,
        actor=actor,
        deal_subject=profile.deal_subject,
        origin=origin,
        source=billed,
        from_defaults=True,
        lines=[_line(profile, price, description, billed, customer)],
        event_message=event,
    )
    billed.order = order
    record_changes_by(billed, actor)
    billed.save(update_fields=["order"])
    return Generated(order, price)


def _record_cost_billed(renewal: Renewal, order: Order) -> None:
    """A renewal billed without a cost of its own records what was billed, so the next
    renewal's "last renewal cost" rule finds it."""
    if renewal.cost is None:
        renewal.cost = order.total_net
        record_changes_by(renewal, order.owner)
        renewal.save(update_fields=["cost"])


@transaction.atomic
def create_order_for_contract(*, contract: Contract, actor: Actor) -> Generated:
    """Create the contract's Order/Offer from the "Nuovi contratti" defaults and link it.

    Raises AlreadyLinked when the contract already has a live order, ConfigurationMissing when
    the case's defaults are not set; nothing is written in either case."""
    require_function(actor, MANAGE_CONTRACTS)
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer__payment_terms", "customer__vat_exemption", "product")
        .get(pk=contract.pk)
    )
    _refuse_if_linked(contract)
    profile = configured_profile(case=BillingProfile.Case.NEW_CONTRACT)
    price = contract_price(contract=contract, profile=profile)
    return _create_and_link(
        contract,
        profile=profile,
        price=price,
        customer=contract.customer,
        origin=Order.Origin.CONTRACT,
        description=_("%(product)s – contract %(number)s from %(start)s to %(end)s")
        % {
            "product": profile.product.description,
            "number": contract.number,
            "start": _day(contract.start_date),
            "end": _day(contract.end_date),
        },
        event=_("From contract %(number)s; amount: %(source)s")
        % {"number": contract.number, "source": price.source},
        actor=actor,
    )


@transaction.atomic
def create_order_for_renewal(*, renewal: Renewal, actor: Actor) -> Generated:
    """Create the renewal's Order/Offer from the "Rinnovi" defaults and pricing rule, and link
    it. Same guarantees as create_order_for_contract."""
    require_function(actor, MANAGE_CONTRACTS)
    renewal = (
        Renewal.objects.select_for_update(of=("self",))
        .select_related("contract__customer__payment_terms", "contract__customer__vat_exemption")
        .get(pk=renewal.pk)
    )
    _refuse_if_linked(renewal)
    profile = configured_profile(case=BillingProfile.Case.RENEWAL)
    price = renewal_price(renewal=renewal, profile=profile)
    generated = _create_and_link(
        renewal,
        profile=profile,
        price=price,
        customer=renewal.contract.customer,
        origin=Order.Origin.RENEWAL,
        description=renewal_line_description(renewal, profile=profile),
        event=renewal_order_event(renewal, price=price),
        actor=actor,
    )
    _record_cost_billed(renewal, generated.order)
    return generated


def renewal_line_description(renewal: Renewal, *, profile: BillingProfile) -> str:
    return _("%(product)s – renewal of contract %(number)s from %(start)s to %(end)s") % {
        "product": profile.product.description,
        "number": renewal.contract.number,
        "start": _day(renewal.start_date),
        "end": _day(renewal.end_date),
    }


def renewal_order_event(renewal: Renewal, *, price: Price) -> str:
    return _("From the renewal of contract %(number)s; amount: %(source)s") % {
        "number": renewal.contract.number,
        "source": price.source,
    }


def renewal_order_draft(renewal: Renewal, *, profile: BillingProfile, price: Price):
    """The Order/Offer of a renewal as create_orders writes many at once: the same defaults,
    line and event as create_order_for_renewal."""
    customer = renewal.contract.customer
    return order_services.OrderDraft(
        order_type=profile.order_type,
        customer=customer,
        deal_subject=profile.deal_subject,
        origin=Order.Origin.RENEWAL,
        source=renewal,
        from_defaults=True,
        event_message=renewal_order_event(renewal, price=price),
        lines=[
            _line(
                profile,
                price,
                renewal_line_description(renewal, profile=profile),
                renewal,
                customer,
            )
        ],
    )
