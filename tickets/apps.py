from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from core import menu
from tickets.permissions import MANAGE_TICKETS


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self):
        menu.add(
            menu.POST_SALES, menu.MenuItem(_("Tickets"), "tickets:ticket_list", MANAGE_TICKETS)
        )
