"""What the user is told after a billing action: the order generated with the default settings,
linked in the Back Office only for users who hold that function (DESIGN §2.6), or why not."""

from django.contrib import messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from backoffice.permissions import MANAGE_ORDERS
from core.exceptions import DomainError
from crm_billing.permissions import CONFIGURE_BILLING
from crm_billing.services.billing import AlreadyLinked, ConfigurationMissing


def order_reference(request, order):
    """A link to the order for Back Office users; its number and protocol for everyone else."""
    if request.user.has_perm(MANAGE_ORDERS):
        return format_html(
            '<a class="btn btn-sm btn-primary ms-2" href="{}">{}</a>',
            order.get_absolute_url(),
            _("Open in the Back Office"),
        )
    return format_html(
        " {}",
        _("Order no. %(number)s, internal protocol %(protocol)s")
        % {"number": order.number, "protocol": order.protocol},
    )


def announce_generated(request, order, detail: str) -> None:
    messages.success(
        request,
        format_html(
            "{} {} {}",
            (
                pgettext("offer", "%(type)s %(number)s was generated with the default settings.")
                if order.is_offer
                else pgettext(
                    "order", "%(type)s %(number)s was generated with the default settings."
                )
            )
            % {"type": order.order_type.name, "number": order.number},
            detail,
            order_reference(request, order),
        ),
    )


def refuse(request, error: DomainError) -> None:
    """A domain error as a message; an order already linked is linked, a missing configuration
    is linked for those who may fix it."""
    if isinstance(error, AlreadyLinked):
        messages.warning(
            request, format_html("{}{}", error.message, order_reference(request, error.order))
        )
    elif isinstance(error, ConfigurationMissing) and request.user.has_perm(CONFIGURE_BILLING):
        messages.error(
            request,
            format_html(
                '{} <a href="{}">{}</a>',
                error.message,
                reverse("administration:billing_configuration"),
                _("Open the billing configuration"),
            ),
        )
    else:
        messages.error(request, error.message)
