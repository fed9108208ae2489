"""Template tags for the billing buttons that sit on other apps' pages (they post here)."""

from django import template

from crm_billing.models import BillingRun

register = template.Library()


@register.simple_tag
def billing_groupings():
    """The ways "Fattura attività" can gather tickets into orders, the first being the default."""
    return BillingRun.Grouping.choices
