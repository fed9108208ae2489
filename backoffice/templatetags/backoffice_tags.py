from django import template
from django.utils.html import format_html

from backoffice.models import Transmission

register = template.Library()

STATUS_BADGES = {"draft": "text-bg-secondary", "sending": "text-bg-info", "sent": "text-bg-success"}
ERP_BADGES = {
    "delivered": "text-bg-success",
    "failed": "text-bg-danger",
    "delivering": "text-bg-primary",
}


@register.filter
def erp_state_label(state):
    """The label of a transmission state kept as a bare value (e.g. an annotation)."""
    try:
        return Transmission.State(state).label
    except ValueError:
        return ""


@register.simple_tag
def status_badge(order):
    """An order's status as a badge (the order page, the order list)."""
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_BADGES.get(order.status, "text-bg-dark"),
        order.get_status_display(),
    )


@register.simple_tag
def erp_badge(state):
    """A transmission state as a badge (the order page, the order list)."""
    return format_html(
        '<span class="badge erp-state {}" data-state="{}">{}</span>',
        ERP_BADGES.get(state, "text-bg-info"),
        state,
        erp_state_label(state),
    )
