"""The Order/Offer as a PDF document (WeasyPrint): what the customer receives, in Italian formats,
from the same figures as the order page (stored totals, VAT per rate with the exemption's
nature)."""

from datetime import timedelta

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML

from backoffice.models import Order
from backoffice.selectors import order_lines


def order_pdf_name(order: Order) -> str:
    """A file name the user recognises: the Num. Ordine, without its slashes."""
    return order.number.replace("/", "-") + ".pdf"


def order_pdf(order: Order, *, base_url: str) -> bytes:
    """The PDF of an order, always in Italian (it goes to an Italian customer): company header,
    customer with P.IVA/CF and address, Num. Ordine, Prot. Int., lines, VAT summary, totals,
    payment terms, and an offer's validity."""
    lines = order_lines(order)
    context = {
        "order": order,
        "company": settings.COMPANY,
        "lines": lines,
        "summary": order.vat_summary(lines),
        "valid_until": order.date + timedelta(days=settings.OFFER_VALIDITY_DAYS)
        if order.is_offer
        else None,
    }
    with translation.override("it"):
        html = render_to_string("backoffice/order_pdf.html", context)
    return HTML(string=html, base_url=base_url).write_pdf()
