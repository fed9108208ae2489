from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from backoffice.models import Customer
from core.forms import StyledForm
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket

DATE = {"type": "date"}


def _technicians():
    return get_user_model().objects.filter(is_active=True).order_by("first_name", "username")


class TicketFilterForm(StyledForm, forms.Form):
    """The ticket list's filters. "Fattura attività" on all filtered tickets re-applies them."""

    STATE_CHOICES = [("", "---------"), ("open", _("open")), ("closed", _("closed"))]

    customer = forms.ModelChoiceField(
        label=_("Customer"), queryset=Customer.objects.only("pk", "name"), required=False
    )
    state = forms.ChoiceField(label=_("State"), choices=STATE_CHOICES, required=False)
    opened_from = forms.DateField(
        label=_("Opened from"), required=False, widget=forms.DateInput(DATE, format="%Y-%m-%d")
    )
    opened_to = forms.DateField(
        label=_("Opened to"), required=False, widget=forms.DateInput(DATE, format="%Y-%m-%d")
    )
    technician = forms.ModelChoiceField(
        label=_("Technician"), queryset=_technicians(), required=False
    )
    to_bill = forms.BooleanField(label=_("With activities to be billed"), required=False)

    def filter(self, tickets):
        if not self.is_valid():
            return tickets.none()
        data = self.cleaned_data
        if data["customer"]:
            tickets = tickets.filter(customer=data["customer"])
        if data["state"] == "open":
            tickets = tickets.filter(closed_on__isnull=True)
        elif data["state"] == "closed":
            tickets = tickets.filter(closed_on__isnull=False)
        if data["opened_from"]:
            tickets = tickets.filter(opened_on__gte=data["opened_from"])
        if data["opened_to"]:
            tickets = tickets.filter(opened_on__lte=data["opened_to"])
        if data["technician"]:
            tickets = tickets.filter(technician=data["technician"])
        if data["to_bill"]:
            tickets = tickets.with_billable_activities()
        return tickets


class TicketForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["customer", "subject", "description", "opened_on", "closed_on", "technician"]
        widgets = {
            "opened_on": forms.DateInput(DATE, format="%Y-%m-%d"),
            "closed_on": forms.DateInput(DATE, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def setup_fields(self):
        self.fields["customer"].queryset = Customer.objects.filter(
            Q(active=True) | Q(pk=self.instance.customer_id)
        )
        self.fields["technician"].queryset = _technicians()
        if self.instance.pk and self.instance.activities.on_live_orders().exists():
            # Its orders are made out to this customer: the ticket cannot move to another.
            self.fields["customer"].disabled = True
            self.fields["customer"].help_text = _(
                "Activities of this ticket are billed: the customer cannot change."
            )

    def clean(self):
        cleaned = super().clean()
        opened, closed = cleaned.get("opened_on"), cleaned.get("closed_on")
        if opened and closed and closed < opened:
            self.add_error("closed_on", _("A ticket cannot be closed before it was opened."))
        return cleaned


class ActivityForm(StyledForm, forms.ModelForm):
    class Meta:
        model = Activity
        fields = ["date", "technician", "description", "duration_minutes", "status", "condition"]
        widgets = {
            "date": forms.DateInput(DATE, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, billed_on=None, **kwargs):
        # billed_on: the number of the live order the activity is on; its billed fields freeze.
        self.billed_on = billed_on
        super().__init__(*args, **kwargs)

    def setup_fields(self):
        self.fields["technician"].queryset = _technicians()
        self.fields["status"].queryset = ActivityStatus.objects.filter(
            Q(active=True) | Q(pk=self.instance.status_id)
        )
        self.fields["condition"].queryset = ActivityCondition.objects.filter(
            Q(active=True) | Q(pk=self.instance.condition_id)
        )
        duration = self.fields["duration_minutes"]
        duration.widget.attrs.update(min=1, max=settings.ACTIVITY_MAX_MINUTES)
        duration.validators.append(MaxValueValidator(settings.ACTIVITY_MAX_MINUTES))
        duration.help_text = _("At most %(max)s minutes. Empty: billed as 1 hour.") % {
            "max": settings.ACTIVITY_MAX_MINUTES
        }
        if self.billed_on:
            for name in Activity.BILLED_FIELDS:
                self.fields[name].disabled = True
                self.fields[name].help_text = _(
                    "Cannot change while the activity is on order %(number)s."
                ) % {"number": self.billed_on}
