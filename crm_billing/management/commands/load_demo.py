"""Demo data for trying every path right after `make run`.

It writes only into an empty database (no customer yet), so running it twice changes nothing.
Demo users exist only through this command; all have the password "demo".
"""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from backoffice import services as order_services
from backoffice.models import (
    Agent,
    Customer,
    DealSubject,
    OrderType,
    PaymentTerms,
    PriceList,
    PriceListItem,
    Product,
    VatRate,
)
from backoffice.permissions import MANAGE_MASTER_DATA, MANAGE_ORDERS, SEND_TO_ERP
from contracts.models import Contract, ContractRate, PrepaidHours, Renewal
from contracts.periods import add_months
from contracts.permissions import MANAGE_CONTRACTS
from crm_billing.functions import function_permissions
from crm_billing.models import BillingProfile, ConsumerPriceIndex
from crm_billing.services.activities import bill_tickets
from crm_billing.services.billing import create_order_for_contract
from crm_billing.services.users import create_user
from tickets.models import (
    Activity,
    ActivityCondition,
    ActivityMaterial,
    ActivityStatus,
    ActivityType,
    Ticket,
)
from tickets.permissions import MANAGE_TICKETS

DEMO_PASSWORD = "demo"  # noqa: S105 - documented demo logins, created only by this command

DEMO_USERS = [
    # username, first name, last name, functions, administrator
    ("admin", "Anna", "Amministratrice", None, True),
    ("backoffice", "Bruno", "Bianchi", [MANAGE_ORDERS, MANAGE_MASTER_DATA, SEND_TO_ERP], False),
    ("postvendita", "Paola", "Russo", [MANAGE_CONTRACTS, MANAGE_TICKETS], False),
    ("tecnico", "Tommaso", "Ferrari", [], False),
]


def partita_iva(first_ten: str) -> str:
    """Complete ten digits with the check digit."""
    total = 0
    for index, char in enumerate(first_ten):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit * 2 > 9 else digit * 2
        total += digit
    return first_ten + str((10 - total % 10) % 10)


CUSTOMERS = [
    ("C0001", "Officine Meccaniche Lombarde S.r.l.", "Via Padova 12", "20127", "Milano", "MI"),
    (
        "C0002",
        "Studio Associato Conti & Galli",
        "Corso Vittorio Emanuele 45",
        "10121",
        "Torino",
        "TO",
    ),
    ("C0003", "Ospedale San Gregorio", "Viale dei Mille 3", "50131", "Firenze", "FI"),
    ("C0004", "Caseificio Valpadana S.p.A.", "Strada Provinciale 10", "26100", "Cremona", "CR"),
    ("C0005", "Comune di Castelnuovo", "Piazza del Municipio 1", "40100", "Bologna", "BO"),
    ("C0006", "Hotel Bellavista S.r.l.", "Lungomare Trieste 8", "84121", "Salerno", "SA"),
    ("C0007", "Farmacia Centrale Dr. Rossi", "Via Roma 22", "70121", "Bari", "BA"),
    ("C0008", "Logistica Adriatica S.r.l.", "Via del Porto 5", "60121", "Ancona", "AN"),
    ("C0009", "Edilnord Costruzioni S.p.A.", "Via Industria 77", "25100", "Brescia", "BS"),
    ("C0010", "Cantina Colli Euganei Soc. Coop.", "Via Vigneti 4", "35030", "Padova", "PD"),
    ("C0011", "Istituto Scolastico Galileo", "Via Galilei 9", "00185", "Roma", "RM"),
    ("C0012", "Panificio Santa Lucia S.n.c.", "Via Etnea 210", "95131", "Catania", "CT"),
]


def one_year_later(day):
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class Command(BaseCommand):
    help = "Loads the demo data into an empty database (does nothing if customers exist)."

    def handle(self, *args, **options):
        if Customer.objects.exists():
            self.stdout.write("Demo data already present: nothing changed.")
            return
        with transaction.atomic():
            self.load()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write("Demo logins (password 'demo'): admin, backoffice, postvendita, tecnico")

    def load(self):
        users = self.load_users()
        vat22 = VatRate.objects.create(code="22", description="IVA 22%", rate=Decimal("22"))
        VatRate.objects.create(code="10", description="IVA 10%", rate=Decimal("10"))
        VatRate.objects.create(code="4", description="IVA 4%", rate=Decimal("4"))
        reverse_charge = VatRate.objects.create(
            code="N6.7",
            description="Reverse charge art. 17 c.6 DPR 633/72",
            rate=Decimal("0"),
            nature=VatRate.Nature.N6_7,
        )
        intent = VatRate.objects.create(
            code="N3.5",
            description="Non imponibile art. 8 c.1 lett. c) - dichiarazione d'intento",
            rate=Decimal("0"),
            nature=VatRate.Nature.N3_5,
        )
        terms = [
            PaymentTerms.objects.create(code="RD", name="Rimessa diretta"),
            PaymentTerms.objects.create(code="BB30", name="Bonifico 30 gg data fattura"),
            PaymentTerms.objects.create(code="RB60", name="Ri.Ba. 60 gg fine mese"),
        ]
        agents = [
            Agent.objects.create(code="AG01", name="Marco Esposito"),
            Agent.objects.create(code="AG02", name="Giulia Romano"),
        ]
        customers = []
        for index, (code, name, address, cap, city, province) in enumerate(CUSTOMERS):
            customers.append(
                Customer.objects.create(
                    code=code,
                    name=name,
                    vat_number=partita_iva(f"0{index + 1:02}4567890"[:10]),
                    address=address,
                    postal_code=cap,
                    city=city,
                    province=province,
                    email=f"amministrazione@{code.lower()}.example.it",
                    payment_terms=terms[index % 3],
                    agent=agents[index % 2] if index % 3 else None,
                    discount_percent=Decimal("5") if index % 4 == 1 else Decimal("0"),
                    vat_exemption=reverse_charge
                    if code == "C0009"
                    else (intent if code == "C0004" else None),
                )
            )
        products = {
            "CAN-ASS": Product.objects.create(
                code="CAN-ASS",
                description="Canone assistenza annuale",
                unit=Product.Unit.YEARS,
                list_price=Decimal("1200.00"),
                vat_rate=vat22,
            ),
            "INT-ORA": Product.objects.create(
                code="INT-ORA",
                description="Intervento tecnico (ora)",
                unit=Product.Unit.HOURS,
                list_price=Decimal("55.00"),
                vat_rate=vat22,
            ),
            "DIR-CHI": Product.objects.create(
                code="DIR-CHI",
                description="Diritto di chiamata",
                unit=Product.Unit.FLAT,
                list_price=Decimal("35.00"),
                vat_rate=vat22,
            ),
            "MAN-PRG": Product.objects.create(
                code="MAN-PRG",
                description="Manutenzione programmata semestrale",
                unit=Product.Unit.PIECES,
                list_price=Decimal("480.00"),
                vat_rate=vat22,
            ),
            "INT-REM": Product.objects.create(
                code="INT-REM",
                description="Assistenza remota (ora)",
                unit=Product.Unit.HOURS,
                list_price=Decimal("45.00"),
                vat_rate=vat22,
            ),
            "KM": Product.objects.create(
                code="KM",
                description="Trasferta (km)",
                unit=Product.Unit.PIECES,
                list_price=Decimal("0.60"),
                vat_rate=vat22,
            ),
            "RIC-POMPA": Product.objects.create(
                code="RIC-POMPA",
                description="Pompa di ricircolo",
                unit=Product.Unit.PIECES,
                list_price=Decimal("1480.00"),
                vat_rate=vat22,
            ),
            "RIC-FILTRO": Product.objects.create(
                code="RIC-FILTRO",
                description="Filtro aria",
                unit=Product.Unit.PIECES,
                list_price=Decimal("18.50"),
                vat_rate=vat22,
            ),
        }
        Product.objects.create(
            code="CAN-OLD",
            description="Canone assistenza (listino 2023, fuori catalogo)",
            unit=Product.Unit.YEARS,
            list_price=Decimal("990.00"),
            vat_rate=vat22,
            active=False,
        )
        order_type = OrderType.objects.create(
            code="OC",
            name="Ordine cliente",
            kind=OrderType.Kind.ORDER,
            numbering_pattern="OC/{year}/{seq:05}",
        )
        OrderType.objects.create(
            code="OFF",
            name="Offerta",
            kind=OrderType.Kind.OFFER,
            numbering_pattern="OFF/{year}/{seq:05}",
        )
        subjects = [
            DealSubject.objects.create(name=name)
            for name in (
                "Contratto di assistenza",
                "Rinnovo contratto di assistenza",
                "Interventi tecnici a consuntivo",
                "Fornitura ricambi",
            )
        ]
        today = timezone.localdate()
        self.load_billing_configuration(order_type, subjects, products)
        self.load_price_indices(today)
        self.load_contracts(customers, products, users, today)
        self.load_tickets(customers, users, today)
        for index, customer in enumerate(customers[:6]):
            order_services.create_order(
                order_type=order_type,
                customer=customer,
                actor=users["backoffice"],
                date=today - timedelta(days=3 * index),
                deal_subject=subjects[3],
                lines=[
                    order_services.LineDraft(
                        product=products["INT-ORA"],
                        description="Intervento tecnico in sede",
                        quantity=Decimal(index + 1),
                        unit_price=products["INT-ORA"].list_price,
                        discount_percent=customer.discount_percent,
                    ),
                    order_services.LineDraft(
                        product=products["DIR-CHI"],
                        description=products["DIR-CHI"].description,
                        quantity=Decimal("1"),
                        unit_price=products["DIR-CHI"].list_price,
                        discount_percent=customer.discount_percent,
                    ),
                ],
            )

    def load_billing_configuration(self, order_type, subjects, products):
        defaults = {
            BillingProfile.Case.NEW_CONTRACT: (subjects[0], products["CAN-ASS"]),
            BillingProfile.Case.RENEWAL: (subjects[1], products["CAN-ASS"]),
            BillingProfile.Case.ACTIVITY: (subjects[2], products["INT-ORA"]),
        }
        for case, (subject, product) in defaults.items():
            profile = BillingProfile.objects.for_case(case)
            profile.order_type, profile.deal_subject, profile.product = order_type, subject, product
            if case == BillingProfile.Case.ACTIVITY:
                # Call-out fee once per ticket-day on site, travel per km, quarter hours with
                # half an hour at least.
                profile.call_out_product, profile.travel_product = (
                    products["DIR-CHI"],
                    products["KM"],
                )
                profile.billing_increment_minutes, profile.minimum_minutes = 15, 30
            profile.save()

    def load_price_indices(self, today):
        """ISTAT FOI indices of the last four years up to this month (a demo may renew next
        month), growing 1,8 % a year: the variation the "indexed" renewal rule then finds."""
        months = [add_months(today.replace(day=1), -back) for back in range(47, -1, -1)]
        values = {}
        for first_day in months:
            year_before = values.get((first_day.year - 1, first_day.month))
            base = Decimal("118.0") + Decimal(first_day.month) / 10
            value = (year_before * Decimal("1.018")) if year_before else base
            values[(first_day.year, first_day.month)] = value.quantize(Decimal("0.1"))
        ConsumerPriceIndex.objects.bulk_create(
            ConsumerPriceIndex(year=year, month=month, value=value)
            for (year, month), value in values.items()
        )

    def load_contracts(self, customers, products, users, today):
        """Contracts with and without Costo al cliente, one already billed, renewals with and
        without their own cost, so every pricing rule and fallback can be tried."""
        year_ago = today - timedelta(days=365)

        def contract(number, customer, cost, start, months=12, product="CAN-ASS"):
            return Contract.objects.create(
                number=number,
                customer=customer,
                product=products[product],
                description=f"Assistenza e manutenzione – {customer.name}",
                start_date=start,
                end_date=one_year_later(start) - timedelta(days=1),
                renewal_months=months,
                customer_cost=cost,
            )

        contract("CTR-0001", customers[0], Decimal("1500.00"), today - timedelta(days=20))
        contract("CTR-0002", customers[1], None, today - timedelta(days=5))
        billed = contract("CTR-0003", customers[2], Decimal("2400.00"), today - timedelta(days=60))
        create_order_for_contract(contract=billed, actor=users["postvendita"])
        contract("CTR-0004", customers[3], None, today + timedelta(days=15), product="MAN-PRG")
        # Expiring in about three weeks, for the "in scadenza entro" filter and the Scadenzario
        # rinnovi: renews tacitly, cancellations 30 days ahead.
        due = contract("CTR-0007", customers[6], Decimal("800.00"), today - timedelta(days=345))
        Contract.objects.filter(pk=due.pk).update(tacit_renewal=True, notice_days=30)
        # Coming due too, but cancelled: never proposed for renewal.
        cancelled = contract("CTR-0008", customers[7], Decimal("950.00"), today - timedelta(350))
        Contract.objects.filter(pk=cancelled.pk).update(
            cancelled_on=today - timedelta(days=40), cancelled_by=users["postvendita"]
        )
        # Expiring soon, with a renewal history.
        old = contract("CTR-0005", customers[4], Decimal("1000.00"), year_ago - timedelta(days=340))
        # Indexed at 75% of the ISTAT FOI variation, as many contracts agree.
        Contract.objects.filter(pk=old.pk).update(indexed=True, index_share_percent=75)
        old.refresh_from_db()
        Renewal.objects.create(
            contract=old,
            start_date=old.end_date + timedelta(days=1),
            end_date=one_year_later(old.end_date),
            cost=Decimal("1050.00"),
        )
        last = old.renewals.get()
        Renewal.objects.create(
            contract=old,
            start_date=last.end_date + timedelta(days=1),
            end_date=one_year_later(last.end_date),
        )
        no_cost = contract("CTR-0006", customers[5], None, year_ago - timedelta(days=300))
        Renewal.objects.create(
            contract=no_cost,
            start_date=no_cost.end_date + timedelta(days=1),
            end_date=one_year_later(no_cost.end_date),
            cost=Decimal("1300.00"),
        )
        # Renewals written directly, not by the services: their contracts' current end too.
        Contract.objects.filter(pk__in=[old.pk, no_cost.pk]).store_current_end()

    def load_tickets(self, customers, users, today):
        """Tickets with activities in every combination: open and closed statuses, each
        condition, with and without duration, one ticket already billed."""
        statuses = {
            "open": ActivityStatus.objects.create(name="Aperta", kind=ActivityStatus.Kind.OPEN),
            "progress": ActivityStatus.objects.create(
                name="In lavorazione", kind=ActivityStatus.Kind.IN_PROGRESS
            ),
            "done": ActivityStatus.objects.create(
                name="Completata", kind=ActivityStatus.Kind.CLOSED
            ),
            "no_work": ActivityStatus.objects.create(
                name="Chiusa senza intervento", kind=ActivityStatus.Kind.CLOSED
            ),
        }
        conditions = {
            "warranty": ActivityCondition.objects.create(name="In garanzia"),
            "contract": ActivityCondition.objects.create(name="In contratto"),
            "paid": ActivityCondition.objects.create(name="A pagamento", to_be_billed=True),
        }
        technician = users["tecnico"]
        combos = [
            ("done", "paid", 90),
            ("done", "paid", None),
            ("no_work", "paid", 20),
            ("done", "warranty", 60),
            ("done", "contract", 45),
            ("progress", "paid", 30),
            ("open", "paid", None),
        ]
        subjects = [
            "Stampante di rete non risponde",
            "Blocco del gestionale in magazzino",
            "Manutenzione caldaia",
            "Sostituzione gruppo di continuità",
            "Rete Wi-Fi instabile in sala riunioni",
            "Aggiornamento firmware centralino",
            "Guasto al lettore badge",
            "Configurazione nuova postazione",
            "Allarme temperatura cella frigorifera",
            "Verifica impianto di videosorveglianza",
        ]
        tickets = []
        for index, subject in enumerate(subjects):
            opened = today - timedelta(days=40 - 3 * index)
            ticket = Ticket.objects.create(
                customer=customers[index % len(customers)],
                subject=subject,
                description=f"Segnalazione ricevuta telefonicamente: {subject.lower()}.",
                opened_on=opened,
                closed_on=opened + timedelta(days=2) if index % 3 else None,
                technician=technician,
            )
            tickets.append(ticket)
            for offset, (status, condition, minutes) in enumerate(
                combos[index % 3 :: 1 + index % 2]
            ):
                Activity.objects.create(
                    ticket=ticket,
                    date=opened + timedelta(days=offset % 3),
                    technician=technician,
                    description=f"Intervento {offset + 1}: diagnosi e ripristino",
                    duration_minutes=minutes,
                    status=statuses[status],
                    condition=conditions[condition],
                )
        # One ticket is billed already, so its activities show the order they are on.
        bill_tickets(tickets=Ticket.objects.filter(pk=tickets[0].pk), actor=users["postvendita"])
        self.load_after_sales_rates(customers, users, today, statuses, conditions)

    def load_after_sales_rates(self, customers, users, today, statuses, conditions):
        """Every pricing case of activity billing: a contract with its own rate and prepaid
        hours nearly used up, a customer with a price list, on-site work with km and spare
        parts, remote work."""
        products = {product.code: product for product in Product.objects.all()}
        on_site = ActivityType.objects.create(
            name="Intervento in sede", product=products["INT-ORA"], on_site=True
        )
        remote = ActivityType.objects.create(
            name="Assistenza remota", product=products["INT-REM"], on_site=False
        )
        gold = PriceList.objects.create(code="GOLD", name="Listino clienti gold")
        PriceListItem.objects.create(
            price_list=gold, product=products["INT-ORA"], unit_price=Decimal("49.00")
        )
        PriceListItem.objects.create(
            price_list=gold, product=products["RIC-POMPA"], unit_price=Decimal("1390.00")
        )
        Customer.objects.filter(pk=customers[1].pk).update(price_list=gold)
        contract = Contract.objects.get(number="CTR-0001")
        ContractRate.objects.create(
            contract=contract, product=products["INT-ORA"], unit_price=Decimal("50.00")
        )
        PrepaidHours.objects.create(
            contract=contract,
            hours=Decimal("20"),
            valid_from=contract.start_date,
            valid_to=contract.end_date,
        )
        technician = users["tecnico"]

        def ticket(customer, subject, days_ago, contract=None):
            return Ticket.objects.create(
                customer=customer,
                contract=contract,
                subject=subject,
                opened_on=today - timedelta(days=days_ago),
                closed_on=today - timedelta(days=days_ago - 1),
                technician=technician,
            )

        def activity(ticket, kind, minutes, km=0, day=0, text="Intervento"):
            return Activity.objects.create(
                ticket=ticket,
                date=ticket.opened_on + timedelta(days=day),
                technician=technician,
                description=text,
                duration_minutes=minutes,
                km=km,
                activity_type=kind,
                status=statuses["done"],
                condition=conditions["paid"],
            )

        # 18 of the contract's 20 prepaid hours are drawn already: "running low".
        used = ticket(customers[0], "Migrazione server di posta", 15, contract)
        activity(used, remote, 600, text="Migrazione caselle")
        activity(used, remote, 480, day=1, text="Verifica e collaudo")
        bill_tickets(tickets=Ticket.objects.filter(pk=used.pk), actor=users["postvendita"])
        # To bill: 3 h on site (2 h from the package, 1 h at the contract's rate), 64 km, a pump
        # and two filters; then a remote half hour the next day.
        boiler = ticket(customers[0], "Caldaia in blocco, centrale termica", 4, contract)
        repair = activity(boiler, on_site, 170, km=64, text="Sostituzione pompa di ricircolo")
        ActivityMaterial.objects.create(activity=repair, product=products["RIC-POMPA"], quantity=1)
        ActivityMaterial.objects.create(
            activity=repair, product=products["RIC-FILTRO"], quantity=2, description="Filtri aria"
        )
        activity(boiler, remote, 20, day=1, text="Verifica da remoto dei parametri")
        # A customer with a price list: its prices, not discounted again; two days on site.
        gold_ticket = ticket(customers[1], "Impianto di condizionamento rumoroso", 6)
        first = activity(gold_ticket, on_site, 95, km=38, text="Diagnosi e pulizia")
        ActivityMaterial.objects.create(activity=first, product=products["RIC-POMPA"], quantity=1)
        activity(gold_ticket, on_site, 60, km=38, day=1, text="Sostituzione ventola")

    def load_users(self):
        users = {}
        everything = list(function_permissions())
        for username, first, last, functions, is_admin in DEMO_USERS:
            granted = (
                everything
                if functions is None
                else [
                    p for p in everything if f"{p.content_type.app_label}.{p.codename}" in functions
                ]
            )
            user = create_user(
                username=username,
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
                email=f"{username}@example.it",
                functions=granted,
                actor=None,
            )
            if is_admin:
                user.is_staff = user.is_superuser = True
                user.save(update_fields=["is_staff", "is_superuser"])
            users[username] = user
        return users
