from django import template

from backoffice.models import Transmission

register = template.Library()


@register.filter
def erp_state_label(state):
    """The label of a transmission state kept as a bare value (e.g. an annotation)."""
    try:
        return Transmission.State(state).label
    except ValueError:
        return ""
