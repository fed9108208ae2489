"""The filters of the lists of Amministrazione (Gestione Utenti)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from core.filters import FilterSet, SearchFilter


class UserFilter(FilterSet):
    STATE_CHOICES = [("active", _("active")), ("inactive", _("deactivated"))]

    q = SearchFilter(
        fields=["username", "first_name", "last_name", "email"],
        help_text=_("Search by user name or name"),
    )
    state = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATE_CHOICES, method="filter_state"
    )

    def filter_state(self, users, name, value):
        if value in ("active", "inactive"):
            return users.filter(is_active=value == "active")
        return users
