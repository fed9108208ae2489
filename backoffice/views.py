from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import CreateView, ListView, UpdateView

from backoffice import forms, selectors, services
from backoffice.erp import services as erp
from backoffice.exceptions import DomainError
from backoffice.models import (
    Agent,
    Customer,
    DealSubject,
    Order,
    OrderType,
    PaymentTerms,
    Product,
    VatRate,
)
from backoffice.permissions import (
    MANAGE_MASTER_DATA,
    MANAGE_ORDERS,
    SEND_TO_ERP,
    function_required,
)
from backoffice.selectors import order_events, order_lines, orders_visible_to
from backoffice.validators import search_text

# --- Orders/Offers ----------------------------------------------------------------------------


@function_required(MANAGE_ORDERS)
def order_list(request):
    filters = forms.OrderFilterForm(request.GET or None)
    orders = orders_visible_to(request.user).with_list_relations().with_erp_state()
    if request.GET:
        orders = filters.filter(orders)
    page = Paginator(orders, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    template = "backoffice/order_list.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(
        request,
        template,
        {"filters": filters, "page": page},
    )


@function_required(MANAGE_ORDERS)
def order_create(request):
    form = forms.OrderCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order = services.create_order(actor=request.user, **form.cleaned_data)
        messages.success(request, _("%(order)s created.") % {"order": order})
        return redirect(order)
    return render(request, "backoffice/order_form.html", {"form": form})


def _visible_order(request, pk):
    return get_object_or_404(orders_visible_to(request.user).with_list_relations(), pk=pk)


def _render_order(request, order, *, bound_line=None, add_form=None, header_form=None, status=200):
    """The order page, or only its lines and totals for htmx. A form that failed validation is
    shown in place of the clean one so its errors appear where the user typed."""
    lines = order_lines(order)
    line_forms = [
        (
            line,
            bound_line
            if bound_line is not None and bound_line.instance.pk == line.pk
            else forms.OrderLineEditForm(instance=line, prefix=f"line-{line.pk}"),
        )
        for line in lines
    ]
    add_form = add_form or forms.OrderLineForm(prefix="new")
    forms.share_line_choices([form for _line, form in line_forms] + [add_form])
    context = {
        "order": order,
        "line_forms": line_forms,
        "summary": order.vat_summary(lines),
        "add_form": add_form,
    }
    if request.htmx:
        return render(request, "backoffice/order_detail.html#lines", context, status=status)
    transmissions = selectors.order_transmissions(order)
    context.update(
        header_form=header_form or forms.OrderHeaderForm(instance=order),
        events=order_events(order),
        transmissions=transmissions,
        latest_transmission=transmissions[0] if transmissions else None,
    )
    return render(request, "backoffice/order_detail.html", context, status=status)


@function_required(MANAGE_ORDERS)
def order_detail(request, pk):
    return _render_order(request, _visible_order(request, pk))


def _error_message(error: DomainError):
    problems = getattr(error, "problems", None)
    if not problems:
        return error.message
    return format_html(
        '{}<ul class="mb-0">{}</ul>',
        error.message,
        format_html_join("", "<li>{}</li>", ((problem,) for problem in problems)),
    )


def _run(request, operation, **kwargs):
    """Call a service; a broken business rule becomes an error message. True when it ran."""
    try:
        operation(actor=request.user, **kwargs)
    except DomainError as error:
        messages.error(request, _error_message(error))
        return False
    return True


@function_required(MANAGE_ORDERS)
@require_POST
def order_header_update(request, pk):
    order = _visible_order(request, pk)
    form = forms.OrderHeaderForm(request.POST, instance=_visible_order(request, pk))
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return _render_order(request, order, header_form=form, status=422)
    if _run(request, services.update_order_header, order=order, changes=form.cleaned_data):
        messages.success(request, _("Order header saved."))
    return redirect(order)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_add(request, pk):
    order = _visible_order(request, pk)
    form = forms.OrderLineForm(request.POST, prefix="new")
    if not form.is_valid():
        return _render_order(request, order, add_form=form, status=422)
    data = form.cleaned_data
    draft = services.line_for_product(
        order=order,
        product=data["product"],
        quantity=data["quantity"],
        description=data["description"],
        unit_price=data["unit_price"],
        discount_percent=data["discount_percent"],
        vat_rate=data["vat_rate"],
    )
    _run(request, services.add_line, order=order, draft=draft)
    return _after_line_change(request, order)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_update(request, pk, line_pk):
    order = _visible_order(request, pk)
    line = get_object_or_404(order.lines, pk=line_pk)
    form = forms.OrderLineEditForm(request.POST, instance=line, prefix=f"line-{line.pk}")
    if not form.is_valid():
        return _render_order(request, order, bound_line=form, status=422)
    changes = {
        name: value
        for name, value in form.cleaned_data.items()
        if value is not None and value != ""
    }
    _run(request, services.update_line, line=line, changes=changes)
    return _after_line_change(request, order)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_delete(request, pk, line_pk):
    order = _visible_order(request, pk)
    line = get_object_or_404(order.lines, pk=line_pk)
    _run(request, services.remove_line, line=line)
    return _after_line_change(request, order)


def _after_line_change(request, order):
    if request.htmx:
        order.refresh_from_db()
        return _render_order(request, order)
    return redirect(order)


@function_required(MANAGE_ORDERS)
def order_cancel(request, pk):
    order = _visible_order(request, pk)
    form = forms.OrderCancelForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "backoffice/order_cancel.html", {"order": order, "form": form}, status=422
            )
        if _run(request, services.cancel_order, order=order, reason=form.cleaned_data["reason"]):
            messages.success(request, _("%(order)s cancelled.") % {"order": order})
        return redirect(order)
    return render(request, "backoffice/order_cancel.html", {"order": order, "form": form})


# --- Sending to the ERP -----------------------------------------------------------------------


def _sent_message(request, order):
    """Where the send stands now: the inline backend may already have delivered it, or failed."""
    order.refresh_from_db(fields=["status", "erp_reference"])
    if order.status == Order.Status.SENT:
        messages.success(
            request,
            _("%(order)s delivered to the ERP: %(reference)s.")
            % {"order": order, "reference": order.erp_reference},
        )
    elif order.status == Order.Status.DRAFT:
        latest = order.transmissions.order_by("-revision").first()
        messages.error(
            request,
            _("%(order)s was not delivered to the ERP: %(error)s")
            % {"order": order, "error": latest.last_error},
        )
    else:
        messages.success(request, _("%(order)s queued for the ERP.") % {"order": order})


@function_required(SEND_TO_ERP)
@require_POST
def order_send(request, pk):
    order = _visible_order(request, pk)
    form = forms.SendOrderForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The request was incomplete: check the order, then send it."))
    elif _run(
        request,
        erp.send_order,
        order=order,
        expected_revision=form.cleaned_data["revision"],
    ):
        _sent_message(request, order)
    return redirect(order)


@function_required(SEND_TO_ERP)
@require_POST
def transmission_resend(request, pk, transmission_pk):
    order = _visible_order(request, pk)
    transmission = get_object_or_404(order.transmissions, pk=transmission_pk)
    if _run(request, erp.resend_transmission, transmission=transmission):
        _sent_message(request, order)
    return redirect(order)


@function_required(MANAGE_ORDERS)
def order_transmissions(request, pk):
    """The ERP card alone, which the order page polls while a send is under way. When the send
    is over, htmx reloads the whole page: state, buttons and editable fields change with it."""
    order = _visible_order(request, pk)
    if not request.htmx:
        return redirect(order)
    erp.retry_due_inline(order=order)
    order.refresh_from_db()
    transmissions = selectors.order_transmissions(order)
    response = render(
        request,
        "backoffice/order_detail.html#erp",
        {"order": order, "transmissions": transmissions},
    )
    if order.status != Order.Status.SENDING:
        response["HX-Refresh"] = "true"
    return response


# --- Master data ------------------------------------------------------------------------------


class MasterData:
    """One screen family for each kind of master data: list, new, edit. Records in use are
    switched off with "active" instead of being deleted, so there is no delete."""

    def __init__(self, slug, model, form_class, columns, search_fields):
        self.slug, self.model, self.form_class = slug, model, form_class
        self.columns, self.search_fields = columns, search_fields

    @property
    def title(self):
        return self.model._meta.verbose_name_plural


MASTER_DATA = {
    md.slug: md
    for md in [
        MasterData(
            "clienti",
            Customer,
            forms.CustomerForm,
            ["code", "name", "vat_number", "city", "payment_terms", "active"],
            ["code", "name", "vat_number", "tax_code"],
        ),
        MasterData(
            "prodotti",
            Product,
            forms.ProductForm,
            ["code", "description", "unit", "list_price", "vat_rate", "active"],
            ["code", "description"],
        ),
        MasterData(
            "tipi-ordine",
            OrderType,
            forms.OrderTypeForm,
            ["code", "name", "kind", "numbering_pattern", "active"],
            ["code", "name"],
        ),
        MasterData(
            "oggetti-trattativa", DealSubject, forms.DealSubjectForm, ["name", "active"], ["name"]
        ),
        MasterData(
            "pagamenti",
            PaymentTerms,
            forms.PaymentTermsForm,
            ["code", "name", "active"],
            ["code", "name"],
        ),
        MasterData(
            "aliquote-iva",
            VatRate,
            forms.VatRateForm,
            ["code", "description", "rate", "nature", "active"],
            ["code", "description"],
        ),
        MasterData("agenti", Agent, forms.AgentForm, ["code", "name", "active"], ["code", "name"]),
    ]
}


def master_data_kind(slug) -> MasterData:
    try:
        return MASTER_DATA[slug]
    except KeyError:
        raise Http404(slug) from None


def _display(obj, column):
    if obj._meta.get_field(column).choices:
        return getattr(obj, f"get_{column}_display")()
    return getattr(obj, column)


class MasterDataMixin:
    @method_decorator(function_required(MANAGE_MASTER_DATA))
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.kind = master_data_kind(kwargs["kind"])
        self.model = self.kind.model
        self.form_class = self.kind.form_class

    def get_queryset(self):
        related = [
            column for column in self.kind.columns if self.model._meta.get_field(column).is_relation
        ]
        return self.model.objects.select_related(*related)

    def get_context_data(self, **kwargs):
        return super().get_context_data(kind=self.kind, master_data=MASTER_DATA.values(), **kwargs)

    def get_success_url(self):
        return reverse("backoffice:masterdata_list", args=[self.kind.slug])

    def form_valid(self, form):
        messages.success(self.request, _("%(object)s saved.") % {"object": form.instance})
        return super().form_valid(form)


class MasterDataList(MasterDataMixin, ListView):
    template_name = "backoffice/masterdata_list.html"
    paginate_by = settings.PAGE_SIZE

    def get_queryset(self):
        queryset = super().get_queryset()
        self.search = search_text(self.request.GET.get("q"))
        if self.search:
            condition = Q()
            for field in self.kind.search_fields:
                condition |= Q(**{f"{field}__icontains": self.search})
            queryset = queryset.filter(condition)
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            headers=[self.model._meta.get_field(c).verbose_name for c in self.kind.columns],
            rows=[
                (obj, [_display(obj, c) for c in self.kind.columns]) for obj in context["page_obj"]
            ],
            search=self.search,
        )
        return context


class MasterDataCreate(MasterDataMixin, CreateView):
    template_name = "backoffice/masterdata_form.html"


class MasterDataUpdate(MasterDataMixin, UpdateView):
    template_name = "backoffice/masterdata_form.html"
