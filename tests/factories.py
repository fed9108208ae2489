"""Factories build valid minimal objects; each test sets only what it depends on."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from backoffice import models
from contracts.models import Contract, Renewal
from tickets.models import Activity, ActivityCondition, ActivityStatus, Ticket


def perm(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Mario"
    last_name = "Rossi"
    password = factory.PostGenerationMethodCall("set_password", "pw-test-123")

    @factory.post_generation
    def functions(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted:
            self.user_permissions.add(*[perm(name) for name in extracted])
        self.save()


class PaymentTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PaymentTerms

    code = factory.Sequence(lambda n: f"PT{n}")
    name = factory.Sequence(lambda n: f"Bonifico {n} gg")


class VatRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VatRate
        django_get_or_create = ["code"]

    code = "22"
    description = "IVA 22%"
    rate = Decimal("22")


class ExemptionFactory(VatRateFactory):
    code = "N6.7"
    description = "Reverse charge"
    rate = Decimal("0")
    nature = models.VatRate.Nature.N6_7


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Customer

    code = factory.Sequence(lambda n: f"C{n:05}")
    name = factory.Sequence(lambda n: f"Cliente {n} S.r.l.")
    vat_number = "01234567897"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Product

    code = factory.Sequence(lambda n: f"P{n:04}")
    description = factory.Sequence(lambda n: f"Servizio {n}")
    unit = models.Product.Unit.HOURS
    # Above 1.000,00 €: thousands separators reach every page and form, as in a real office.
    list_price = Decimal("1234.50")
    vat_rate = factory.SubFactory(VatRateFactory)


class OrderTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OrderType

    code = factory.Sequence(lambda n: f"T{n}")
    name = factory.Sequence(lambda n: f"Ordine cliente {n}")
    numbering_pattern = "{code}/{year}/{seq:05}"


class DealSubjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DealSubject

    name = factory.Sequence(lambda n: f"Oggetto {n}")


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"CTR-{n:04}")
    customer = factory.SubFactory(CustomerFactory)
    product = factory.SubFactory(ProductFactory)
    start_date = date(2026, 1, 1)
    end_date = date(2026, 12, 31)


class RenewalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Renewal

    contract = factory.SubFactory(ContractFactory)
    start_date = factory.Sequence(lambda n: date(2027 + n, 1, 1))
    end_date = factory.LazyAttribute(lambda renewal: renewal.start_date.replace(month=12, day=31))

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        super()._after_postgeneration(instance, create, results)
        if create:  # as the services do: the contract's stored current end follows
            instance.contract.store_current_end()


class ActivityStatusFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityStatus
        django_get_or_create = ["name"]

    name = "Completata"
    kind = ActivityStatus.Kind.CLOSED


class ActivityConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActivityCondition
        django_get_or_create = ["name"]

    name = "A pagamento"
    to_be_billed = True


class TicketFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ticket

    customer = factory.SubFactory(CustomerFactory)
    subject = factory.Sequence(lambda n: f"Guasto {n}")
    opened_on = date(2026, 10, 1)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    ticket = factory.SubFactory(TicketFactory)
    date = date(2026, 10, 2)
    technician = factory.SubFactory(UserFactory, username="tecnico")
    description = "Sostituzione scheda"
    duration_minutes = 90
    status = factory.SubFactory(ActivityStatusFactory)
    condition = factory.SubFactory(ActivityConditionFactory)


# Price lists, activity types, contract rates and prepaid hours.


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PriceList

    code = factory.Sequence(lambda n: f"L{n:04}")
    name = factory.Sequence(lambda n: f"Listino {n}")


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("1150.00")


class ActivityTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "tickets.ActivityType"
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Intervento {n}")


class ContractRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.ContractRate"

    contract = factory.SubFactory(ContractFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("1080.00")


class PrepaidHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contracts.PrepaidHours"

    contract = factory.SubFactory(ContractFactory)
    hours = Decimal("40")
    valid_from = date(2026, 1, 1)
    valid_to = date(2026, 12, 31)
