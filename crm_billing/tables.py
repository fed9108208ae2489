"""The tables of the lists of Amministrazione (Gestione Utenti) and of the Scadenzario rinnovi."""

import django_tables2 as tables
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.tables import BooleanColumn, DateColumn, MoneyColumn, SelectColumn, Table
from core.templatetags.core_tags import euro
from crm_billing.services.renewals import plan_renewals


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


class ActionsColumn(tables.Column):
    """A row's buttons: a header read by screen readers only; never sorted or exported."""

    def __init__(self, **kwargs):
        kwargs.update(orderable=False, exclude_from_export=True, empty_values=())
        kwargs.setdefault("attrs", {"td": {"class": "text-end"}})
        super().__init__(verbose_name=_("Actions"), **kwargs)

    @property
    def header(self):
        return format_html('<span class="visually-hidden">{}</span>', self.verbose_name)


def _on_page(**kwargs):
    """A column of the page only, read from the row's proposal (an export has none)."""
    kwargs.setdefault("orderable", False)
    return tables.Column(empty_values=(), exclude_from_export=True, **kwargs)


def _badge(text, kind):
    return format_html(' <span class="badge text-bg-{}">{}</span>', kind, text)


class RenewalsDueTable(Table):
    """The Scadenzario rinnovi: the contracts coming due, each with the renewal "Rinnova" would
    create — planned for the page's rows only, once they are known (paginate), in a fixed
    number of queries. The export writes the contracts' own columns of every row listed, in
    the order chosen, with no planning."""

    # The rows have forms of their own ("Rinnova"): the ticks belong to the bulk form by its id.
    selected = SelectColumn(
        "contracts",
        header_label=_("Select every contract of this page"),
        row_label=lambda contract: contract.number,
        form="renew-bill-form",
    )
    number = tables.Column(verbose_name=_("Contract no."), linkify=True)
    customer_code = tables.Column(
        verbose_name=_("Customer code"), accessor="customer__code", visible=False
    )
    customer = tables.Column(
        verbose_name=_("Customer"),
        accessor="customer__name",
        order_by=("customer__name", "current_end", "number"),
    )
    # Named "end" (the sort of ?sort=end), read from the stored current end (its index).
    end = DateColumn(
        verbose_name=_("Current period ends"),
        accessor="current_end",
        order_by=("current_end", "number"),
    )
    proposed_period = _on_page(verbose_name=_("Proposed period"))
    proposed_cost = _on_page(
        verbose_name=_("Proposed cost"),
        attrs={"td": {"class": "text-end"}, "th": {"class": "text-end"}},
    )
    notice_deadline = DateColumn(
        verbose_name=_("Notice deadline"), empty_values=(), orderable=False
    )
    tacit_renewal = BooleanColumn(verbose_name=_("Tacit renewal"), orderable=False)
    customer_cost = MoneyColumn(verbose_name=_("Customer cost"), visible=False)
    order = tables.Column(verbose_name=_("Order no."), accessor="order__number", visible=False)
    current_order = _on_page(verbose_name=_("Order of the current period"))
    actions = ActionsColumn()

    class Meta(Table.Meta):
        order_by = ("end",)
        row_attrs = {"id": lambda record: f"due-{record.pk}"}
        empty_text = _("No contract comes due in this window.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = timezone.localdate()

    @cached_property
    def csrf_token(self):
        return get_token(self.request)

    def paginate(self, *args, **kwargs):
        super().paginate(*args, **kwargs)
        for proposal in plan_renewals([row.record for row in self.page.object_list]):
            proposal.contract.proposal = proposal
        return self

    def render_end(self, value):
        ended = _badge(gettext("ended"), "warning") if value < self.today else ""
        return format_html("{}{}", date_format(value, "SHORT_DATE_FORMAT"), ended)

    def value_end(self, value):
        return value  # exports get the date itself, not the page's badge

    def render_proposed_period(self, record):
        proposal = record.proposal
        return format_html(
            "{} – {}",
            date_format(proposal.start, "SHORT_DATE_FORMAT"),
            date_format(proposal.end, "SHORT_DATE_FORMAT"),
        )

    def render_proposed_cost(self, record):
        proposal = record.proposal
        if proposal.price is None:
            return format_html('<span class="text-muted">{}</span>', proposal.reason)
        return format_html(
            '{}<div class="small text-muted">{}</div>',
            euro(proposal.price.amount),
            proposal.price.source,
        )

    def render_notice_deadline(self, record):
        deadline = record.notice_deadline()
        passed = _badge(gettext("passed"), "secondary") if deadline < self.today else ""
        return format_html("{}{}", date_format(deadline, "SHORT_DATE_FORMAT"), passed)

    def value_notice_deadline(self, record):
        return record.notice_deadline()

    def render_current_order(self, record):
        order = record.proposal.current_order
        if order is None:
            return format_html('<span class="text-muted">{}</span>', gettext("none"))
        return order.number

    def render_actions(self, record):
        proposal = record.proposal
        if proposal.price is None:
            return format_html(
                '<span class="d-inline-block" tabindex="0" data-bs-toggle="tooltip" title="{}">'
                '<button type="button" class="btn btn-sm btn-primary" disabled>{}</button></span>',
                proposal.reason,
                gettext("Renew"),
            )
        # Back to this list, as it is (filters, sort, page), once renewed.
        return format_html(
            '<form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
            'value="{}"><input type="hidden" name="next" value="{}">'
            '<button type="submit" class="btn btn-sm btn-primary">{}</button></form>',
            reverse("billing:contract_renew", args=[record.pk]),
            self.csrf_token,
            self.request.get_full_path(),
            gettext("Renew"),
        )
