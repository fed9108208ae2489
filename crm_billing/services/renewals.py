"""Renewals as a workflow: which contracts come due (the Scadenzario rinnovi), the next period
and its cost by the configured rule, and "Rinnova", which creates that renewal once."""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import prefetch_related_objects
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from backoffice.models import Order
from backoffice.services import create_orders
from contracts.models import Contract, Renewal
from contracts.permissions import MANAGE_CONTRACTS
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from core.history import record_changes_by
from crm_billing.models import BillingProfile
from crm_billing.services.billing import (
    Price,
    configured_profile,
    create_order_for_renewal,
    renewal_order_draft,
    renewal_price,
)
from crm_billing.services.indices import IndexMissing, foi_indices

logger = logging.getLogger(__name__)


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
    start, end = contract.next_period()
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
        current_end=contract.current_end,
        start=start,
        end=end,
        notice_deadline=contract.notice_deadline(),
        price=price,
        reason=reason,
    )


def renewal_profile() -> BillingProfile | None:
    """The "Rinnovi" defaults, or None while they are incomplete."""
    try:
        return configured_profile(case=BillingProfile.Case.RENEWAL)
    except DomainError:
        return None


def plan_renewals(contracts) -> list[Proposal]:
    """The renewal proposal of each contract, in a fixed number of queries."""
    prefetch_related_objects(contracts, "renewals__order")
    profile, indices = renewal_profile(), foi_indices()
    return [propose_renewal(contract, profile=profile, indices=indices) for contract in contracts]


def plan_previewed_renewals(*, run) -> list[Proposal]:
    """The proposals of a previewed "Rinnova e fattura" run as confirming it would treat them:
    only the periods stored with the run are renewed, so a contract that could not be renewed
    when previewed, or was renewed since, is shown left out with the reason."""
    contracts = list(
        Contract.objects.filter(pk__in=[int(pk) for pk in run.contract_periods])
        .select_related("customer", "order")
        .order_by("pk")
    )
    proposals = []
    for proposal in plan_renewals(contracts):
        stored = run.contract_periods.get(str(proposal.contract.pk))
        if proposal.price is not None and stored is None:
            proposal = replace(
                proposal,
                price=None,
                reason=_("it could not be renewed when previewed: preview it again"),
            )
        elif proposal.price is not None and stored != proposal.start.isoformat():
            proposal = replace(proposal, price=None, reason=_renewed_meanwhile(proposal))
        proposals.append(proposal)
    return proposals


def _renewed_meanwhile(proposal: Proposal) -> str:
    """Why a previewed period is not renewed: the contract was renewed since the preview."""
    return _("renewed meanwhile: its next period now starts on %(start)s") % {
        "start": date_format(proposal.start, "SHORT_DATE_FORMAT")
    }


@transaction.atomic
def renew_contract(
    *, contract: Contract, actor: Actor, expected_start: date | None = None
) -> Renewal:
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
    if expected_start is not None and proposal.start != expected_start:
        raise NotRenewable(_renewed_meanwhile(proposal))
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
    contract.store_current_end()
    return renewal


# --- "Rinnova e fattura": many contracts at once, as a BillingRun -------------------------------


def previewed_periods(proposals: list[Proposal]) -> dict[str, str]:
    """{contract id: start of its next period} of the proposals that can be renewed, as a run
    stores them (JSON keys are strings)."""
    return {
        str(proposal.contract.pk): proposal.start.isoformat()
        for proposal in proposals
        if proposal.price is not None
    }


def _item(contract_id, contract, reason: str) -> dict:
    return {
        "contract": int(contract_id),
        "contract_number": contract.number if contract else "",
        "reason": reason,
    }


def _created(renewal: Renewal, order: Order) -> dict:
    return {
        "contract": renewal.contract_id,
        "contract_number": renewal.contract.number,
        "renewal": renewal.pk,
        "period": str(renewal),
        "order": order.pk,
        "number": order.number,
        "protocol": order.protocol,
        "total": str(order.total),
    }


def _renew_and_bill_batch(items, *, actor: Actor, profile: BillingProfile, indices):
    """One batch, set-wise: the contracts locked in id order, every proposal computed from
    prefetched rows, renewals and orders written in bulk (create_orders), their history too. A
    fixed number of queries however many contracts."""
    ids = [int(pk) for pk, _start in items]
    list(
        Contract.objects.filter(pk__in=ids)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    contracts = {
        contract.pk: contract
        for contract in Contract.objects.filter(pk__in=ids).select_related(
            "customer__payment_terms", "customer__vat_exemption", "order"
        )
    }
    prefetch_related_objects(list(contracts.values()), "renewals__order")
    renewals, prices, skipped = [], [], []
    for contract_id, start in items:
        contract = contracts.get(int(contract_id))
        if contract is None:
            skipped.append(_item(contract_id, None, _("the contract no longer exists")))
            continue
        proposal = propose_renewal(contract, profile=profile, indices=indices)
        if proposal.start != date.fromisoformat(start):
            skipped.append(_item(contract_id, contract, _renewed_meanwhile(proposal)))
        elif proposal.price is None:
            skipped.append(_item(contract_id, contract, proposal.reason))
        else:
            renewals.append(
                Renewal(
                    contract=contract,
                    start_date=proposal.start,
                    end_date=proposal.end,
                    cost=proposal.price.amount,
                )
            )
            prices.append(proposal.price)
    if not renewals:
        return [], skipped
    Renewal.objects.bulk_create(renewals)
    Contract.objects.filter(
        pk__in=[renewal.contract_id for renewal in renewals]
    ).store_current_end()
    orders = create_orders(
        drafts=[
            renewal_order_draft(renewal, profile=profile, price=price)
            for renewal, price in zip(renewals, prices, strict=True)
        ],
        actor=actor,
    )
    for renewal, order in zip(renewals, orders, strict=True):
        renewal.order = order
    Renewal.objects.bulk_update(renewals, ["order"])
    Renewal.history.bulk_history_create(renewals, default_user=actor)
    return [
        _created(renewal, order) for renewal, order in zip(renewals, orders, strict=True)
    ], skipped


def _renew_and_bill_one_by_one(items, *, actor: Actor):
    """A batch that failed, again contract by contract: one bad contract does not stop the
    others, and says why it was left out."""
    created, skipped = [], []
    for contract_id, start in items:
        contract = Contract.objects.filter(pk=int(contract_id)).first()
        try:
            with transaction.atomic():
                if contract is None:
                    raise NotRenewable(_("the contract no longer exists"))
                renewal = renew_contract(
                    contract=contract, actor=actor, expected_start=date.fromisoformat(start)
                )
                generated = create_order_for_renewal(renewal=renewal, actor=actor)
        except DomainError as error:
            skipped.append(_item(contract_id, contract, str(error.message)))
        else:
            created.append(_created(renewal, generated.order))
    return created, skipped


def renew_and_bill(
    *,
    contract_periods: dict[str, str],
    actor: Actor,
    on_progress: Callable[[int, list[dict], list[dict]], None] | None = None,
    batch_size: int = 1000,
) -> tuple[list[dict], list[dict]]:
    """Renew each contract for exactly the period previewed, and generate the renewal's order
    with the "Rinnovi" defaults. Batches are written set-wise, each in one transaction (no
    renewal without its order); a batch that fails is done again contract by contract. A
    contract renewed meanwhile, or whose period changed, is left out with the reason.
    Idempotent: run again, it renews nothing twice. Returns (created, skipped) as plain data."""
    require_function(actor, MANAGE_CONTRACTS)
    profile = configured_profile(case=BillingProfile.Case.RENEWAL)
    indices = foi_indices()
    created, skipped = [], []
    items = sorted(contract_periods.items(), key=lambda item: int(item[0]))
    for start_index in range(0, len(items), batch_size):
        batch = items[start_index : start_index + batch_size]
        try:
            with transaction.atomic():
                batch_created, batch_skipped = _renew_and_bill_batch(
                    batch, actor=actor, profile=profile, indices=indices
                )
        except Exception:  # noqa: BLE001 - the batch is done again contract by contract
            logger.warning("Renewal batch failed, retrying contract by contract", exc_info=True)
            batch_created, batch_skipped = _renew_and_bill_one_by_one(batch, actor=actor)
        created += batch_created
        skipped += batch_skipped
        if on_progress:
            on_progress(min(start_index + batch_size, len(items)), batch_created, batch_skipped)
    return created, skipped
