"""The filters of the lists of Amministrazione (Gestione Utenti) and of the Scadenzario rinnovi."""

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backoffice.filters import customer_filter
from core.filters import FilterSet, IntegerFilter, SearchFilter


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


class DueWithinFilter(IntegerFilter):
    """The Scadenzario's window: contracts not cancelled whose current period ends within this
    many days of today, or has ended already. Applied with no days typed too (`default`)."""

    def __init__(self, *, default: int, **kwargs):
        self.default = default
        super().__init__(**kwargs)

    def filter(self, contracts, value):
        days = self.default if value is None else value
        return contracts.due_for_renewal(today=timezone.localdate(), within_days=days)


class RenewalsDueFilter(FilterSet):
    """The Scadenzario rinnovi's filters; "Rinnova e fattura" of every contract listed applies
    them again (crm_billing.forms.RenewalSelectionForm)."""

    DEFAULT_WITHIN_DAYS = 60

    within_days = DueWithinFilter(
        label=_("Ending within (days)"),
        default=DEFAULT_WITHIN_DAYS,
        min_value=0,
        max_value=3650,
    )
    customer = customer_filter()
    q = SearchFilter(fields=["number", "customer__name"], help_text=_("Contract no., customer"))

    def __init__(self, data=None, *args, **kwargs):
        # Always bound, even to no data: the window applies before any filter is typed.
        super().__init__({} if data is None else data, *args, **kwargs)

    @property
    def days(self) -> int:
        """The window's days, as applied (the default while the filters are not valid)."""
        days = self.form.cleaned_data.get("within_days") if self.is_valid() else None
        return self.DEFAULT_WITHIN_DAYS if days is None else days
