"""The tables of the lists of Amministrazione (Gestione Utenti)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.tables import BooleanColumn, DateColumn, MoneyColumn, Table


class UserTable(Table):
    username = tables.Column(
        verbose_name=_("User name"),
        linkify=("administration:user_update", {"pk": tables.A("pk")}),
    )
    name = tables.Column(
        verbose_name=_("Name"), accessor="last_name", order_by=("last_name", "first_name", "id")
    )
    email = tables.Column(verbose_name=_("Email"))
    functions = tables.Column(verbose_name=_("Functions"), orderable=False, empty_values=())
    is_active = tables.Column(
        verbose_name=_("Status"), order_by=("is_active", "username"), empty_values=()
    )
    last_login = DateColumn(verbose_name=_("Last login"), visible=False)
    is_superuser = BooleanColumn(verbose_name=_("Administrator"), visible=False)
    actions = tables.Column(
        verbose_name="",
        orderable=False,
        exclude_from_export=True,
        empty_values=(),
        attrs={"td": {"class": "text-end"}},
    )

    class Meta(Table.Meta):
        empty_text = _("No user found.")

    def render_name(self, record):
        return record.get_full_name()

    def value_name(self, record):
        return record.get_full_name()

    def render_functions(self, record):
        administrator = (
            format_html(
                '<span class="badge text-bg-dark">{}</span>', gettext("all (administrator)")
            )
            if record.is_superuser
            else ""
        )
        badges = format_html_join(
            "",
            '<span class="badge text-bg-secondary me-1">{}</span>',
            ((gettext(perm.name),) for perm in record.user_permissions.all()),
        )
        return format_html("{} {}", administrator, badges)

    def render_is_active(self, record):
        if record.is_active:
            return format_html('<span class="badge text-bg-success">{}</span>', gettext("active"))
        return format_html('<span class="badge text-bg-warning">{}</span>', gettext("deactivated"))

    def render_actions(self, record):
        functions = format_html(
            '<a href="{}" class="btn btn-sm btn-outline-primary">{}</a>',
            reverse("administration:user_update", args=[record.pk]),
            gettext("Functions"),
        )
        if record.is_active:
            url, css, label = "administration:user_deactivate", "danger", gettext("Deactivate")
        else:
            url, css, label = "administration:user_activate", "success", gettext("Reactivate")
        switch = format_html(
            '<a href="{}" class="btn btn-sm btn-outline-{}">{}</a>',
            reverse(url, args=[record.pk]),
            css,
            label,
        )
        return format_html("{} {}", functions, switch)

    def value_functions(self, record):
        names = [gettext(perm.name) for perm in record.user_permissions.all()]
        if record.is_superuser:
            names.insert(0, gettext("all (administrator)"))
        return ", ".join(names)

    def value_is_active(self, record):
        return gettext("active") if record.is_active else gettext("deactivated")


class RenewalsDueTable(Table):
    """The Scadenzario rinnovi's export: the contracts coming due, in the order chosen."""

    number = tables.Column(verbose_name=_("Contract no."))
    customer_code = tables.Column(verbose_name=_("Customer code"), accessor="customer__code")
    customer = tables.Column(verbose_name=_("Customer"), accessor="customer__name")
    current_end = DateColumn(verbose_name=_("Current period ends"))
    notice_deadline = DateColumn(verbose_name=_("Notice deadline"), empty_values=())
    tacit_renewal = BooleanColumn(verbose_name=_("Tacit renewal"))
    customer_cost = MoneyColumn(verbose_name=_("Customer cost"))
    order = tables.Column(verbose_name=_("Order no."), accessor="order__number")

    def value_notice_deadline(self, record):
        return record.notice_deadline(record.current_end)
