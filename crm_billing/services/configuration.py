"""Configurazione fatturazione: the defaults of each billing case, with a history of changes."""

from django.db import transaction
from django.utils.formats import localize
from django.utils.translation import gettext

from core.actors import Actor
from crm_billing.models import BillingProfile, BillingProfileChange
from tickets.models import ActivityCondition


def _shown(profile: BillingProfile, name: str) -> str:
    value = getattr(profile, name)
    field = profile._meta.get_field(name)
    if field.choices:
        return str(getattr(profile, f"get_{name}_display")())
    return "" if value is None else str(localize(value))


@transaction.atomic
def update_billing_profile(*, profile: BillingProfile, actor: Actor, values: dict) -> list:
    """Write the given defaults of one case and record each change (who, when, old → new)."""
    profile = BillingProfile.objects.select_for_update().get(pk=profile.pk)
    changes = []
    for name, value in values.items():
        old = _shown(profile, name)
        setattr(profile, name, value)
        new = _shown(profile, name)
        if old != new:
            changes.append(
                BillingProfileChange(
                    profile=profile,
                    actor=actor,
                    field=str(profile._meta.get_field(name).verbose_name),
                    old_value=old[:300],
                    new_value=new[:300],
                )
            )
    if changes:
        profile.full_clean()
        profile.save()
        BillingProfileChange.objects.bulk_create(changes)
    return changes


@transaction.atomic
def set_conditions_to_be_billed(*, conditions, actor: Actor) -> list:
    """Flag exactly the given active conditions "Da fatturare"; each change is recorded on the
    activity case's history."""
    profile = BillingProfile.objects.for_case(BillingProfile.Case.ACTIVITY)
    wanted = {condition.pk for condition in conditions}
    changes = []
    for condition in ActivityCondition.objects.select_for_update().filter(active=True):
        flag = condition.pk in wanted
        if condition.to_be_billed != flag:
            changes.append(
                BillingProfileChange(
                    profile=profile,
                    actor=actor,
                    field=gettext("To be billed: %(name)s") % {"name": condition.name},
                    old_value=gettext("yes") if condition.to_be_billed else gettext("no"),
                    new_value=gettext("yes") if flag else gettext("no"),
                )
            )
            condition.to_be_billed = flag
            condition.save(update_fields=["to_be_billed"])
    BillingProfileChange.objects.bulk_create(changes)
    return changes


@transaction.atomic
def save_billing_configuration(*, values_by_profile: dict, conditions, actor: Actor) -> int:
    """The whole page in one transaction: every case's defaults and the conditions to be
    billed. Returns the number of changes recorded."""
    changed = len(set_conditions_to_be_billed(conditions=conditions, actor=actor))
    for profile, values in values_by_profile.items():
        changed += len(update_billing_profile(profile=profile, actor=actor, values=values))
    return changed
