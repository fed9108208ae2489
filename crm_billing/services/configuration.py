"""Configurazione fatturazione: the defaults of each billing case, with a history of changes."""

from django.db import transaction
from django.utils.formats import localize

from crm_billing.models import BillingProfile, BillingProfileChange


def _shown(profile: BillingProfile, name: str) -> str:
    value = getattr(profile, name)
    field = profile._meta.get_field(name)
    if field.choices:
        return str(getattr(profile, f"get_{name}_display")())
    return "" if value is None else str(localize(value))


@transaction.atomic
def update_billing_profile(*, profile: BillingProfile, actor, values: dict) -> list:
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
