"""The Back Office's Orders/Offers: list, manual creation, the order page with its header and
lines (edited with htmx), cancellation."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from backoffice import documents, forms
from backoffice.exceptions import AmountTooLarge, OrderNotEditable
from backoffice.filters import OrderFilter
from backoffice.permissions import MANAGE_ORDERS
from backoffice.selectors import (
    order_events,
    order_lines_page,
    order_transmissions,
    order_vat_summary,
    orders_visible_to,
)
from backoffice.services import (
    add_line,
    cancel_order,
    create_order,
    line_for_product,
    remove_line,
    update_line,
    update_order_header,
)
from backoffice.tables import OrderTable
from core.exceptions import DomainError
from core.functions import function_required
from core.lists import list_page


@function_required(MANAGE_ORDERS)
def order_list(request):
    orders = orders_visible_to(request.user).with_list_relations().with_erp_state()
    return list_page(
        request,
        filterset=OrderFilter(request.GET or None, queryset=orders),
        table_class=OrderTable,
        template="backoffice/order_list.html",
        export_name="ordini",
    )


@function_required(MANAGE_ORDERS)
def order_create(request):
    form = forms.OrderCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        order = create_order(actor=request.user, **form.cleaned_data)
        created = (
            pgettext("offer", "%(order)s created.")
            if order.is_offer
            else pgettext("order", "%(order)s created.")
        )
        messages.success(request, created % {"order": order})
        return redirect(order)
    return render(request, "backoffice/order_form.html", {"form": form})


def visible_order(request, pk):
    """The order, if this user may see it (deny by default: 404 otherwise)."""
    return get_object_or_404(orders_visible_to(request.user).with_list_relations(), pk=pk)


def _render_order(request, order, *, page=None, add_form=None, header_form=None, status=200):
    """The order page, or only its lines and totals for htmx. The lines are a read-only table,
    one page of them at a time (the totals are over all of them); a line is edited on its own
    (`order_line_edit`). A new line that failed validation is shown with its errors; the
    header's form only when given (asked for, or refused)."""
    add_form = add_form or forms.OrderLineForm(prefix="new")
    forms.share_line_choices([add_form])
    context = {
        "order": order,
        "lines": order_lines_page(
            order, page or request.GET.get("page") or request.POST.get("page")
        ),
        "summary": order_vat_summary(order),
        "add_form": add_form,
    }
    if request.htmx:
        return render(request, "backoffice/order_detail.html#lines", context, status=status)
    transmissions = order_transmissions(order)
    context.update(
        header_form=header_form,  # shown when asked for (order_detail) or refused
        events=order_events(order),
        transmissions=transmissions,
        latest_transmission=transmissions[0] if transmissions else None,
    )
    return render(request, "backoffice/order_detail.html", context, status=status)


def _line_form(line, data=None):
    form = forms.OrderLineEditForm(data, instance=line, prefix=f"line-{line.pk}")
    forms.share_line_choices([form])
    form.attach_to(f"line-{line.pk}-form")
    return form


def _render_line(request, order, line, *, form=None, status=200):
    """One line: its row (read-only, with the totals refreshed out of band), or its form in
    place of the row while it is edited; without htmx, a page of its own with that form."""
    context = {"order": order, "line": line, "form": form}
    if form is None:
        context["summary"] = order_vat_summary(order)
        return render(request, "backoffice/order_detail.html#line_saved", context, status=status)
    if request.htmx:
        return render(request, "backoffice/order_detail.html#line_form", context, status=status)
    return render(request, "backoffice/order_line_form.html", context, status=status)


@function_required(MANAGE_ORDERS)
def order_detail(request, pk):
    order = visible_order(request, pk)
    if request.GET.get("header") == "edit" and not order.is_editable:
        # Asked from a page left open while the order was sent: the page again, as it is now
        # (with htmx a whole reload, not the page inside the header's card).
        messages.error(request, OrderNotEditable.default_message)
        return HttpResponseClientRefresh() if request.htmx else redirect(order)
    if request.GET.get("header") == "edit":
        # The header's form, asked for by its button: in place (htmx), or on the page.
        header_form = forms.OrderHeaderForm(instance=order)
        if request.htmx:
            context = {"order": order, "header_form": header_form}
            return render(request, "backoffice/order_detail.html#header_edit", context)
        return _render_order(request, order, header_form=header_form)
    return _render_order(request, order)


@function_required(MANAGE_ORDERS)
def order_pdf(request, pk):
    """The Order/Offer as the customer receives it: a PDF download."""
    order = visible_order(request, pk)
    response = HttpResponse(
        documents.order_pdf(order, base_url=request.build_absolute_uri("/")),
        content_type="application/pdf",
    )
    response["Content-Disposition"] = f'attachment; filename="{documents.order_pdf_name(order)}"'
    return response


def error_message(error: DomainError):
    """The refusal as a message: with the list of problems when the error has one."""
    problems = getattr(error, "problems", None)
    if not problems:
        return error.message
    return format_html(
        '{}<ul class="mb-0">{}</ul>',
        error.message,
        format_html_join("", "<li>{}</li>", ((problem,) for problem in problems)),
    )


@function_required(MANAGE_ORDERS)
@require_POST
def order_header_update(request, pk):
    order = visible_order(request, pk)
    form = forms.OrderHeaderForm(request.POST, instance=visible_order(request, pk))
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return _render_order(request, order, header_form=form, status=422)
    try:
        update_order_header(order=order, changes=form.cleaned_data, actor=request.user)
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, _("Order header saved."))
    return redirect(order)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_add(request, pk):
    order = visible_order(request, pk)
    form = forms.OrderLineForm(request.POST, prefix="new")
    if not form.is_valid():
        return _render_order(request, order, add_form=form, status=422)
    data = form.cleaned_data
    draft = line_for_product(
        order=order,
        product=data["product"],
        quantity=data["quantity"],
        description=data["description"],
        unit_price=data["unit_price"],
        discount_percent=data["discount_percent"],
        vat_rate=data["vat_rate"],
    )
    try:
        add_line(order=order, draft=draft, actor=request.user)
    except AmountTooLarge as error:
        # Shown on the line the user typed, like a validation error.
        form.add_error(None, error.message)
        return _render_order(request, order, add_form=form, status=422)
    except DomainError as error:
        messages.error(request, error_message(error))
    return _after_line_change(request, order, page="last")


def _order_line(request, pk, line_pk):
    order = visible_order(request, pk)
    return order, get_object_or_404(order.lines.select_related("product", "vat_rate"), pk=line_pk)


@function_required(MANAGE_ORDERS)
def order_line_edit(request, pk, line_pk):
    """The form of one line, in place of its row (htmx) or on a page of its own."""
    order, line = _order_line(request, pk, line_pk)
    if not order.is_editable:
        messages.error(request, _("The order is not a draft: its lines cannot be changed."))
        # To htmx the row as stored (a redirect would put the whole page inside the row).
        return _render_line(request, order, line) if request.htmx else redirect(order)
    return _render_line(request, order, line, form=_line_form(line))


@function_required(MANAGE_ORDERS)
def order_line_row(request, pk, line_pk):
    """The line's row as stored: what "Annulla" puts back in place of the form."""
    order, line = _order_line(request, pk, line_pk)
    if not request.htmx:
        return redirect(order)
    return _render_line(request, order, line)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_update(request, pk, line_pk):
    order, line = _order_line(request, pk, line_pk)
    form = _line_form(line, request.POST)
    if not form.is_valid():
        return _render_line(request, order, line, form=form, status=422)
    changes = {
        name: value
        for name, value in form.cleaned_data.items()
        if value is not None and value != ""
    }
    try:
        update_line(line=line, changes=changes, actor=request.user)
    except AmountTooLarge as error:
        form.add_error(None, error.message)
        return _render_line(request, order, line, form=form, status=422)
    except DomainError as error:
        messages.error(request, error_message(error))
        if not request.htmx:
            return redirect(order)
        line.refresh_from_db()
        return _render_line(request, order, line)
    if not request.htmx:
        return redirect(order)
    order.refresh_from_db()
    line.refresh_from_db()
    return _render_line(request, order, line)


@function_required(MANAGE_ORDERS)
@require_POST
def order_line_delete(request, pk, line_pk):
    order = visible_order(request, pk)
    line = get_object_or_404(order.lines, pk=line_pk)
    try:
        remove_line(line=line, actor=request.user)
    except DomainError as error:
        messages.error(request, error_message(error))
    return _after_line_change(request, order)


def _after_line_change(request, order, page=None):
    if request.htmx:
        order.refresh_from_db()
        return _render_order(request, order, page=page)
    return redirect(order)


@function_required(MANAGE_ORDERS)
def order_cancel(request, pk):
    order = visible_order(request, pk)
    form = forms.OrderCancelForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(
                request, "backoffice/order_cancel.html", {"order": order, "form": form}, status=422
            )
        try:
            cancel_order(order=order, reason=form.cleaned_data["reason"], actor=request.user)
        except DomainError as error:
            messages.error(request, error_message(error))
        else:
            cancelled = (
                pgettext("offer", "%(order)s cancelled.")
                if order.is_offer
                else pgettext("order", "%(order)s cancelled.")
            )
            messages.success(request, cancelled % {"order": order})
        return redirect(order)
    return render(request, "backoffice/order_cancel.html", {"order": order, "form": form})
