"""Renewals as a workflow: which contracts come due (the Scadenzario rinnovi), the next period
and its cost by the configured rule, and "Rinnova", which creates that renewal once."""

from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from backoffice.models import Order
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from core.history import record_changes_by
from crm_billing.models import BillingProfile
from crm_billing.services.billing import Price, configured_profile, renewal_price
from crm_billing.services.indices import IndexMissing


class NotRenewable(DomainError):
    pass


@dataclass(frozen=True)
class Proposal:
    """The renewal "Rinnova" would create for a contract: its period and cost, or why none."""

    contract: Contract
    current_end: date
    start: date
    end: date
    notice_deadline: date
    price: Price | None
    reason: str = ""
    # The live order of the current period (the last renewal's, or the contract's), if any.
    current_order: Order | None = None


def propose_renewal(
    contract: Contract, *, profile: BillingProfile | None, indices=None
) -> Proposal:
    """The next period of `contract` and its cost by the renewal rule (`profile` None: the
    configuration is incomplete, said as the reason)."""
    current_end = contract.current_period_end()
    start, end = contract.next_period(current_end)
    price, reason = None, ""
    if contract.is_cancelled:
        reason = _("the contract was cancelled")
    elif profile is None:
        reason = _("the renewal billing configuration is incomplete")
    else:
        renewal = Renewal(contract=contract, start_date=start, end_date=end)
        try:
            price = renewal_price(renewal=renewal, profile=profile, indices=indices)
        except IndexMissing as missing:
            reason = str(missing.message)
    last = max(contract.renewals.all(), key=lambda renewal: renewal.end_date, default=None)
    return Proposal(
        current_order=(last or contract).live_order,
        contract=contract,
        current_end=current_end,
        start=start,
        end=end,
        notice_deadline=contract.notice_deadline(current_end),
        price=price,
        reason=reason,
    )


def renewal_profile() -> BillingProfile | None:
    """The "Rinnovi" defaults, or None while they are incomplete."""
    try:
        return configured_profile(case=BillingProfile.Case.RENEWAL)
    except DomainError:
        return None


@transaction.atomic
def renew_contract(*, contract: Contract, actor: Actor) -> Renewal:
    """Create the contract's next renewal: from the day after its current period ends, for its
    renewal months, at the cost the configured rule gives. Under the contract's row lock, so two
    users pressing "Rinnova" at once make one renewal; never for a cancelled contract."""
    require_function(actor, MANAGE_CONTRACTS)
    contract = Contract.objects.select_for_update().get(pk=contract.pk)
    if contract.is_cancelled:
        raise NotRenewable(_("The contract was cancelled: it is not renewed."))
    proposal = propose_renewal(
        contract, profile=configured_profile(case=BillingProfile.Case.RENEWAL)
    )
    if proposal.price is None:
        raise NotRenewable(proposal.reason)
    clash = contract.period_clash(proposal.start, proposal.end)
    if clash:
        raise NotRenewable(clash)
    renewal = Renewal(
        contract=contract,
        start_date=proposal.start,
        end_date=proposal.end,
        cost=proposal.price.amount,
    )
    record_changes_by(renewal, actor)
    try:
        with transaction.atomic():
            renewal.save()
    except IntegrityError as error:  # the same period, saved meanwhile by another path
        raise NotRenewable(_("This period was renewed already.")) from error
    return renewal
