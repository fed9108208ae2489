"""The Order/Offer as a PDF: opened and read back as text."""

import io
import re
from datetime import date
from decimal import Decimal

from django.urls import reverse
from pypdf import PdfReader

from backoffice import services
from backoffice.models import OrderType
from backoffice.permissions import MANAGE_ORDERS
from tests.factories import (
    CustomerFactory,
    ExemptionFactory,
    OrderTypeFactory,
    PaymentTermsFactory,
    ProductFactory,
    UserFactory,
    VatRateFactory,
)


def pdf_text(response) -> str:
    reader = PdfReader(
        io.BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return "\n".join(page.extract_text() for page in reader.pages)


def make_order(*, kind=OrderType.Kind.ORDER, exemption=None):
    actor = UserFactory(username="ufficio", functions=[MANAGE_ORDERS])
    customer = CustomerFactory(
        name="Officine Meccaniche Rossi S.r.l.",
        vat_number="01234560371",
        tax_code="01234560371",
        address="Via Emilia 200",
        postal_code="40068",
        city="San Lazzaro di Savena",
        province="BO",
        payment_terms=PaymentTermsFactory(name="Bonifico 30 gg data fattura"),
        vat_exemption=exemption,
    )
    vat22 = VatRateFactory(code="22", description="IVA 22%", rate=Decimal("22"))
    pump = ProductFactory(code="RIC-POMPA", list_price=Decimal("1480.00"), vat_rate=vat22)
    hour = ProductFactory(code="INT-ORA", list_price=Decimal("1250.00"), vat_rate=vat22)
    order = services.create_order(
        order_type=OrderTypeFactory(
            name="Offerta" if kind == "offer" else "Ordine cliente", kind=kind
        ),
        customer=customer,
        actor=actor,
        date=date(2026, 11, 30),
        lines=[
            services.LineDraft(pump, "Pompa di ricircolo", Decimal("2"), Decimal("1480.00")),
            services.LineDraft(hour, "Intervento tecnico", Decimal("1.5"), Decimal("1250.00")),
        ],
    )
    return actor, order


def test_the_pdf_of_an_order_has_everything_the_customer_reads(client, db):
    actor, order = make_order()
    client.force_login(actor)
    response = client.get(reverse("backoffice:order_pdf", args=[order.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert order.number.replace("/", "-") in response["Content-Disposition"]
    text = pdf_text(response)
    for expected in [
        "Assistenza Tecnica Esempio S.r.l.",  # the company, from settings
        "Officine Meccaniche Rossi S.r.l.",
        "P.IVA 01234560371",
        "Via Emilia 200",
        "40068 San Lazzaro di Savena (BO)",
        order.number,
        order.protocol,
        "30/11/2026",
        "Pompa di ricircolo",
        "2.960,00 €",  # 2 × 1.480,00
        "1.875,00 €",  # 1,5 × 1.250,00
        "4.835,00 €",  # taxable
        "1.063,70 €",  # VAT 22 %
        "5.898,70 €",  # grand total
        "Bonifico 30 gg data fattura",
    ]:
        assert expected in text, expected
    assert "valida fino al" not in text.lower()  # an order, not an offer


def test_an_offer_says_until_when_it_is_valid_and_an_exemption_its_nature(client, db, settings):
    settings.OFFER_VALIDITY_DAYS = 45
    exemption = ExemptionFactory()
    actor, order = make_order(kind=OrderType.Kind.OFFER, exemption=exemption)
    client.force_login(actor)
    text = pdf_text(client.get(reverse("backoffice:order_pdf", args=[order.pk])))
    assert re.search(r"valida fino al\s+14/01/2027", text, re.IGNORECASE)  # + 45 days
    assert exemption.nature in text
    assert "4.835,00 €" in text and "Totale IVA" in text


def test_only_back_office_users_download_it(client, db):
    _actor, order = make_order()
    client.force_login(UserFactory(username="tecnico"))
    assert client.get(reverse("backoffice:order_pdf", args=[order.pk])).status_code == 403
