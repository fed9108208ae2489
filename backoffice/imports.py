"""Master data from the ERP ("Importa dal gestionale"): customers, products/services, price lists
and their prices, payment terms, VAT rates and agents, read from the ERP's CSV or XLSX export
files through django-import-export resources.

An import is two steps on one stored file (`MasterDataImport`): the preview runs the whole file
in a transaction that is rolled back, and reports what would be created, updated, left unchanged
and every row's errors; the application runs the same file again in one transaction, all or
nothing. Records are matched by their code (a price by its list and product), so importing the
same file twice changes nothing. Order lines keep their own prices: a new list price changes no
order already made.

The files' columns are the ERP's, in Italian (README, "Importa dal gestionale"). Headers are
matched regardless of case, accents and spaces; a missing required column or an unknown one
refuses the file, naming the columns expected and those found. Amounts in a CSV file are written
the Italian way (1.234,50, core.input.italian_number's rule); in an XLSX file they are numbers.
"""

import csv
import io
import unicodedata
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources, widgets
from import_export.instance_loaders import ModelInstanceLoader
from import_export.results import RowResult
from openpyxl import load_workbook
from tablib import Dataset

from backoffice.models import (
    Agent,
    Customer,
    MasterDataImport,
    OrderLine,
    PaymentTerms,
    PriceList,
    PriceListItem,
    Product,
    VatRate,
)
from backoffice.permissions import MANAGE_MASTER_DATA
from core.actors import Actor
from core.exceptions import DomainError
from core.functions import require_function
from core.history import record_changes_by
from core.input import italian_number

Kind = MasterDataImport.Kind

MAX_BYTES = 5 * 1024 * 1024
# On the page a file is checked, then written, in a request each. Measured on a busy 2-core
# machine (SQLite): 5,000 customers checked in 6-15 s, written in 19-28 s (a row, its history
# and a savepoint each). 2,000 rows keep the writing request well within gunicorn's 30 s. The
# command (a scheduled job, no request) takes any number of rows.
MAX_ROWS = 2_000
# What the report lists of the rows created or updated, and of those with errors (the counts
# are always complete).
REPORT_ROWS = 1_000


class ImportNotApplicable(DomainError):
    default_message = gettext_lazy(
        "This import cannot be applied: the file was refused. Correct it and upload it again."
    )


class ImportAlreadyApplied(DomainError):
    default_message = gettext_lazy("This import was already applied.")


class ImportOfAnotherUser(DomainError):
    default_message = gettext_lazy("Only the user who uploaded the file can apply it.")


class FileRefused(Exception):
    """What is wrong with a file as a whole: nothing of it is imported."""

    def __init__(self, *problems):
        self.problems = [str(problem) for problem in problems]
        super().__init__("; ".join(self.problems))


# --- Reading the file ------------------------------------------------------------------------


def column_key(header) -> str:
    """A header as the columns are named here: "Città" → "citta", "Ragione sociale" →
    "ragione_sociale", a BOM or spaces around dropped."""
    text = unicodedata.normalize("NFKD", str(header or "").replace("\ufeff", ""))
    text = "".join(char for char in text if not unicodedata.combining(char))
    return "_".join(text.strip().lower().replace("-", " ").split())


@dataclass
class Table:
    headers: list[str]
    rows: list[list]
    lines: list[int]  # the file's line (the sheet's row) of each row, for the report


def read_table(*, name: str, data: bytes, max_rows: int | None = MAX_ROWS) -> Table:
    """The rows of a CSV (UTF-8, BOM tolerated, ";" or "," separated) or XLSX file (its first
    sheet), with the first row as headers. FileRefused says why a file cannot be read."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than 5 MB."))
    if data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(
            _("Old Excel files (.xls) are not read: save the file as XLSX or as CSV UTF-8.")
        )
    else:
        table = _read_csv(data)
    if len(set(table.headers)) != len(table.headers):
        doubled = sorted({h for h in table.headers if table.headers.count(h) > 1})
        raise FileRefused(
            _("Some columns appear twice: %(columns)s.") % {"columns": ", ".join(doubled)}
        )
    if not table.rows:
        raise FileRefused(_("The file holds no rows under its headers."))
    if max_rows is not None and len(table.rows) > max_rows:
        raise FileRefused(
            _(
                "The file holds %(n)s rows: at most %(max)s are imported here at once (split "
                "the file, or import it with the import_masterdata command)."
            )
            % {"n": len(table.rows), "max": max_rows}
        )
    return table


def _read_csv(data: bytes) -> Table:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not UTF-8 text (it may be Latin-1/Windows-1252): export it from "
                "the ERP as CSV UTF-8, or as XLSX."
            )
        ) from None
    if "\x00" in text:
        raise FileRefused(_("The file is not a CSV text file (it holds NUL characters)."))
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows, lines, headers = [], [], None
    try:
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            if headers is None:
                headers = cells
                continue
            rows.append(cells)
            lines.append(reader.line_num)
    except csv.Error as error:
        raise FileRefused(
            _("The CSV file cannot be read at line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": error}
        ) from None
    if headers is None:
        raise FileRefused(_("The file is empty."))
    return _table(headers, rows, lines)


def _read_xlsx(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows, lines, headers = [], [], None
        for number, row in enumerate(sheet.iter_rows(), 1):
            cells = [_xlsx_value(cell) for cell in row]
            if all(cell is None or cell == "" for cell in cells):
                continue
            if headers is None:
                headers = cells
                continue
            rows.append(cells)
            lines.append(number)
        workbook.close()
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError, TypeError):
        raise FileRefused(_("The XLSX file cannot be read: save it again from Excel.")) from None
    if headers is None:
        raise FileRefused(_("The file is empty."))
    return _table(headers, rows, lines)


def _xlsx_value(cell):
    """A cell's value as the sheet shows it: a code typed as the number 00123 in a column
    formatted "00000" keeps its zeros (the number alone is 123)."""
    value = getattr(cell, "value", None)
    if isinstance(value, str):
        return value.strip()
    zeros = getattr(cell, "number_format", "") or ""
    if isinstance(value, int | float) and not isinstance(value, bool) and set(zeros) == {"0"}:
        number = Decimal(str(value))
        if number >= 0 and number == number.to_integral_value():
            return str(int(number)).zfill(len(zeros))
    return value


def _table(headers, rows, lines) -> Table:
    headers = [column_key(header) for header in headers]
    while headers and not headers[-1]:
        headers.pop()  # empty columns after the last heading
    width = len(headers)
    problems = []
    shaped = []
    for line, cells in zip(lines, rows, strict=True):
        cells = list(cells)
        extra = [cell for cell in cells[width:] if cell not in (None, "")]
        if extra:
            problems.append(
                _(
                    "Line %(line)s has more cells than there are columns (a separator inside a "
                    "value not in quotes?)."
                )
                % {"line": line}
            )
        shaped.append((cells + [""] * width)[:width])
    if "" in headers:
        problems.append(_("A column has no heading."))
    if problems:
        raise FileRefused(*problems[:20])
    return Table(headers=headers, rows=shaped, lines=list(lines))


# --- Reading the cells -----------------------------------------------------------------------


def _text(value) -> str:
    """A cell as text: an XLSX number written as a code (10001, not "10001.0")."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


class TextWidget(widgets.CharWidget):
    """Text. `digits`: a number always written with that many digits (a partita IVA has 11, a
    CAP 5); a spreadsheet that took it for a number dropped its leading zeros (00184 → 184),
    in its cells and in the CSV files it saves, so a shorter run of digits gets them back."""

    def __init__(self, *, upper=False, choices=None, digits=None):
        self.upper, self.choices, self.digits = upper, choices, digits
        super().__init__(allow_blank=True)

    def clean(self, value, row=None, **kwargs):
        text = _text(value)
        if self.digits and text.isdigit() and len(text) < self.digits:
            text = text.zfill(self.digits)
        if self.upper:
            text = text.upper()
        if text and self.choices is not None and text not in self.choices:
            raise ValueError(
                _("“%(value)s” is not one of: %(choices)s.")
                % {"value": text, "choices": ", ".join(self.choices)}
            )
        return text


class AmountWidget(widgets.DecimalWidget):
    """An amount or a percentage: a number of an XLSX cell, or text written the Italian way
    ("1.234,50"; "1234.50" is ambiguous and refused, as in every form)."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            raise ValueError(_("Not a number."))
        if isinstance(value, int | float | Decimal):
            number = Decimal(str(value))
        else:
            text = _text(value)
            if not text:
                return None
            canonical = italian_number(text)
            if canonical is None:
                raise ValueError(
                    _("Unclear number “%(value)s”: write 1.234,50 (comma for the decimals).")
                    % {"value": text}
                )
            try:
                number = Decimal(canonical)
            except InvalidOperation:
                raise ValueError(_("“%(value)s” is not a number.") % {"value": text}) from None
        if not number.is_finite():
            raise ValueError(_("Not a number."))
        return number


YES = {"si", "sì", "s", "yes", "y", "1", "true", "vero", "x", "attivo"}
NO = {"no", "n", "0", "false", "falso", "non attivo", "inattivo"}


class ActiveWidget(widgets.BooleanWidget):
    """sì/no (1/0, S/N); empty is sì."""

    def clean(self, value, row=None, **kwargs):
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text == "" or text in YES:
            return True
        if text in NO:
            return False
        raise ValueError(_("“%(value)s” is neither sì nor no.") % {"value": _text(value)})


class CodeWidget(widgets.ForeignKeyWidget):
    """A related record named by its code. The records a file may name are read once per import
    (master data tables are small next to the rows that name them), restricted to those the
    model's field allows (its limit_choices_to: an exemption, not a rate; the resource hands it
    over), with a message that names the code not found."""

    def __init__(self, model, *, field="code", missing=None):
        self.allowed, self.missing = Q(), missing
        self._by_code = None
        super().__init__(model, field)

    def clean(self, value, row=None, **kwargs):
        code = _text(value)
        if not code:
            return None
        if self._by_code is None:
            queryset = self.model._base_manager.filter(self.allowed)
            self._by_code = {getattr(obj, self.field): obj for obj in queryset}
        try:
            return self._by_code[code]
        except KeyError:
            raise ValueError(str(self.missing) % {"code": code}) from None


# --- The resources, one per kind -------------------------------------------------------------


def _field(attribute, column, widget):
    return fields.Field(attribute=attribute, column_name=column, widget=widget)


class KeyedInstanceLoader(ModelInstanceLoader):
    """The stored records the file's rows name, read in one query per import (not one a row),
    by every key column: one (a code) or several (a price list and a product). A row whose key
    cannot be read is looked up when imported, where its error is reported."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.keys = [self.resource.fields[name] for name in self.resource.get_import_id_fields()]
        named = {field.attribute: set() for field in self.keys}
        for row in self.dataset.dict:
            try:
                values = [field.clean(row) for field in self.keys]
            except (KeyError, ValueError):
                continue
            for field, value in zip(self.keys, values, strict=True):
                named[field.attribute].add(value)
        queryset = self.get_queryset().filter(
            **{f"{attribute}__in": values for attribute, values in named.items()}
        )
        self.stored = {self._key_of(record): record for record in queryset}

    def _key_of(self, record):
        return tuple(getattr(record, field.attribute) for field in self.keys)

    def get_instance(self, row):
        return self.stored.get(tuple(field.clean(row) for field in self.keys))


class MasterDataResource(resources.ModelResource):
    """What every kind shares: matched by code, unchanged rows reported as such, the model's
    validation run on every row (a wrong check digit is the row's error), and who imported in
    the history of every record changed."""

    # Columns that must be in the file; the others of the resource may be left out (a record
    # keeps what it has, a new one gets the default).
    required: tuple[str, ...] = ()
    # The columns that name a record: twice in one file refuses the file.
    key_columns: tuple[str, ...] = ("codice",)

    def __init__(self, *, actor: Actor | None = None, write: bool = True):
        super().__init__()
        self.actor, self.write = actor, write
        for field in self.fields.values():
            if isinstance(field.widget, CodeWidget):
                related = self._meta.model._meta.get_field(field.attribute).remote_field
                field.widget.allowed = related.limit_choices_to or Q()

    class Meta:
        import_id_fields = ["code"]
        skip_unchanged = True
        report_skipped = True
        clean_model_instances = True
        skip_html_diff = True
        instance_loader_class = KeyedInstanceLoader
        use_transactions = True

    @classmethod
    def columns(cls) -> list[str]:
        return [field.column_name for field in cls.fields.values()]

    def column_of(self, attribute: str) -> str:
        for field in self.fields.values():
            if field.attribute == attribute:
                return field.column_name
        return ""

    def get_queryset(self):
        # The records related by code come with the record: comparing a row with what is
        # stored (unchanged or not) reads them.
        related = [f.attribute for f in self.fields.values() if isinstance(f.widget, CodeWidget)]
        return super().get_queryset().select_related(*related)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        """The model's validation, less the checks a query per row would repeat for nothing:
        a related record named by its code was already found among those allowed (the field's
        limit_choices_to), a record is matched by its unique code (so no other has it), and the
        check constraints are the fields' validators again (the database enforces all three
        anyway, and a row it refuses is an error that rolls the whole file back)."""
        errors = dict(import_validation_errors or {})
        exclude = set(errors)
        for field in self.fields.values():
            if isinstance(field.widget, CodeWidget):
                attname = instance._meta.get_field(field.attribute).attname
                if getattr(instance, attname) is not None:
                    exclude.add(field.attribute)
        try:
            instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        if errors:
            raise ValidationError(errors)

    def before_save_instance(self, instance, row, **kwargs):
        record_changes_by(instance, self.actor)

    def do_instance_save(self, instance, is_create):
        # The preview reads only: what a row would become is validated, not written.
        if self.write:
            super().do_instance_save(instance, is_create)


class VatRateResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    description = _field("description", "descrizione", TextWidget())
    rate = _field("rate", "aliquota", AmountWidget())
    nature = _field("nature", "natura", TextWidget(upper=True, choices=VatRate.Nature.values))
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "descrizione", "aliquota")

    class Meta(MasterDataResource.Meta):
        model = VatRate
        fields = ["code", "description", "rate", "nature", "active"]

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        if instance.pk and "rate" not in errors and "nature" not in errors:
            # As on the rate's page: orders show and send VAT from their lines' rate, so a rate
            # on an order line is never changed; a new rate is a new record.
            stored = VatRate.objects.filter(pk=instance.pk).values("rate", "nature").first()
            changed = stored and (
                stored["rate"] != instance.rate or stored["nature"] != instance.nature
            )
            if changed and OrderLine.objects.filter(vat_rate_id=instance.pk).exists():
                errors["rate"] = ValidationError(
                    _("The rate is on order lines and cannot change: give the new rate a new code.")
                )
        super().validate_instance(instance, errors, validate_unique)


class PaymentTermsResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    name = _field("name", "descrizione", TextWidget())
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "descrizione")

    class Meta(MasterDataResource.Meta):
        model = PaymentTerms
        fields = ["code", "name", "active"]


class AgentResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    name = _field("name", "nome", TextWidget())
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "nome")

    class Meta(MasterDataResource.Meta):
        model = Agent
        fields = ["code", "name", "active"]


class PriceListResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    name = _field("name", "descrizione", TextWidget())
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "descrizione")

    class Meta(MasterDataResource.Meta):
        model = PriceList
        fields = ["code", "name", "active"]


class ProductResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    description = _field("description", "descrizione", TextWidget())
    unit = _field("unit", "unita", TextWidget(choices=Product.Unit.values))
    list_price = _field("list_price", "prezzo_listino", AmountWidget())
    vat_rate = _field(
        "vat_rate",
        "aliquota_iva",
        CodeWidget(
            VatRate,
            missing=gettext_lazy("No VAT rate has the code “%(code)s” (exemptions do not count)."),
        ),
    )
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "descrizione", "prezzo_listino", "aliquota_iva")

    class Meta(MasterDataResource.Meta):
        model = Product
        fields = ["code", "description", "unit", "list_price", "vat_rate", "active"]


class PriceListItemResource(MasterDataResource):
    price_list = _field(
        "price_list",
        "listino",
        CodeWidget(PriceList, missing=gettext_lazy("No price list has the code “%(code)s”.")),
    )
    product = _field(
        "product",
        "prodotto",
        CodeWidget(Product, missing=gettext_lazy("No product/service has the code “%(code)s”.")),
    )
    unit_price = _field("unit_price", "prezzo", AmountWidget())
    required = ("listino", "prodotto", "prezzo")
    key_columns = ("listino", "prodotto")

    class Meta(MasterDataResource.Meta):
        model = PriceListItem
        fields = ["price_list", "product", "unit_price"]
        import_id_fields = ["price_list", "product"]


class CustomerResource(MasterDataResource):
    code = _field("code", "codice", TextWidget())
    name = _field("name", "ragione_sociale", TextWidget())
    vat_number = _field("vat_number", "partita_iva", TextWidget(digits=11))
    tax_code = _field("tax_code", "codice_fiscale", TextWidget(upper=True))
    address = _field("address", "indirizzo", TextWidget())
    postal_code = _field("postal_code", "cap", TextWidget(digits=5))
    city = _field("city", "citta", TextWidget())
    province = _field("province", "provincia", TextWidget(upper=True))
    email = _field("email", "email", TextWidget())
    payment_terms = _field(
        "payment_terms",
        "pagamento",
        CodeWidget(
            PaymentTerms, missing=gettext_lazy("No payment terms have the code “%(code)s”.")
        ),
    )
    vat_exemption = _field(
        "vat_exemption",
        "esenzione_iva",
        CodeWidget(
            VatRate,
            missing=gettext_lazy(
                "No VAT exemption has the code “%(code)s” (a rate with a nature code)."
            ),
        ),
    )
    agent = _field(
        "agent",
        "agente",
        CodeWidget(Agent, missing=gettext_lazy("No agent has the code “%(code)s”.")),
    )
    discount_percent = _field("discount_percent", "sconto", AmountWidget())
    price_list = _field(
        "price_list",
        "listino",
        CodeWidget(PriceList, missing=gettext_lazy("No price list has the code “%(code)s”.")),
    )
    active = _field("active", "attivo", ActiveWidget())
    required = ("codice", "ragione_sociale")

    class Meta(MasterDataResource.Meta):
        model = Customer
        fields = [
            "code",
            "name",
            "vat_number",
            "tax_code",
            "address",
            "postal_code",
            "city",
            "province",
            "email",
            "payment_terms",
            "vat_exemption",
            "agent",
            "discount_percent",
            "price_list",
            "active",
        ]

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute == "discount_percent" and "sconto" in row and not _text(row["sconto"]):
            row = {**row, "sconto": "0"}  # no discount written: none given
        super().import_field(field, instance, row, is_m2m, **kwargs)


RESOURCES: dict[str, type[MasterDataResource]] = {
    Kind.VAT_RATES: VatRateResource,
    Kind.PAYMENT_TERMS: PaymentTermsResource,
    Kind.AGENTS: AgentResource,
    Kind.PRICE_LISTS: PriceListResource,
    Kind.PRODUCTS: ProductResource,
    Kind.PRICE_LIST_PRICES: PriceListItemResource,
    Kind.CUSTOMERS: CustomerResource,
}

# The Gestione anagrafiche tab of each kind, for its "Importa dal gestionale" button.
MASTER_DATA_SLUGS = {
    "aliquote-iva": Kind.VAT_RATES,
    "pagamenti": Kind.PAYMENT_TERMS,
    "agenti": Kind.AGENTS,
    "listini": Kind.PRICE_LISTS,
    "prodotti": Kind.PRODUCTS,
    "prezzi-listino": Kind.PRICE_LIST_PRICES,
    "clienti": Kind.CUSTOMERS,
}


def import_kind_for(slug: str) -> str | None:
    return MASTER_DATA_SLUGS.get(slug)


# --- Checking the file against its kind, running it ------------------------------------------


def _dataset(kind: str, table: Table) -> Dataset:
    """The table as the kind's dataset, after the checks on the file as a whole: its columns,
    and no record twice."""
    resource = RESOURCES[kind]
    expected = resource.columns()
    missing = [column for column in resource.required if column not in table.headers]
    unknown = [column for column in table.headers if column not in expected]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(
                _("Required columns missing: %(columns)s.") % {"columns": ", ".join(missing)}
            )
        if unknown:
            problems.append(
                _("Columns not known for this kind: %(columns)s.") % {"columns": ", ".join(unknown)}
            )
        problems.append(
            _("The columns of this kind are: %(expected)s (required: %(required)s).")
            % {"expected": ";".join(expected), "required": ";".join(resource.required)}
        )
        problems.append(
            _("The file's columns are: %(found)s.") % {"found": ";".join(table.headers)}
        )
        raise FileRefused(*problems)
    positions = [table.headers.index(column) for column in resource.key_columns]
    seen, doubled = {}, []
    for line, cells in zip(table.lines, table.rows, strict=True):
        key = tuple(_text(cells[position]) for position in positions)
        if key in seen:
            doubled.append(
                _("“%(code)s” is on lines %(first)s and %(line)s.")
                % {"code": " / ".join(key), "first": seen[key], "line": line}
            )
        else:
            seen[key] = line
    if doubled:
        raise FileRefused(
            _("The same record is in the file more than once:"),
            *doubled[:50],
            *([_("… and %(n)s more.") % {"n": len(doubled) - 50}] if len(doubled) > 50 else []),
        )
    return Dataset(*[tuple(cells) for cells in table.rows], headers=table.headers)


OUTCOMES = {
    RowResult.IMPORT_TYPE_NEW: "created",
    RowResult.IMPORT_TYPE_UPDATE: "updated",
    RowResult.IMPORT_TYPE_SKIP: "unchanged",
    RowResult.IMPORT_TYPE_INVALID: "error",
    RowResult.IMPORT_TYPE_ERROR: "error",
}


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    rows: list | None = None
    problems: list | None = None


def _run(*, kind: str, table: Table, actor: Actor, dry_run: bool) -> Outcome:
    """Import the table. With dry_run nothing is written (each row is read, compared and
    validated); otherwise it is written in the caller's transaction, and rolled back (to a
    savepoint) if any row has an error."""
    resource = RESOURCES[kind](actor=actor, write=not dry_run)
    try:
        dataset = _dataset(kind, table)
    except FileRefused as refused:
        return Outcome(problems=refused.problems, rows=[])
    result = resource.import_data(
        dataset, dry_run=dry_run, use_transactions=True, rollback_on_validation_errors=True
    )
    outcome = Outcome(rows=[], problems=[str(error.error) for error in result.base_errors])
    positions = [table.headers.index(column) for column in resource.key_columns]
    shown = [0, 0]  # rows listed: without errors, with errors
    for index, row_result in enumerate(result.rows):
        status = OUTCOMES.get(row_result.import_type, "error")
        counter = "errors" if status == "error" else status
        setattr(outcome, counter, getattr(outcome, counter) + 1)
        if status == "unchanged":
            continue
        errors = _row_errors(resource, row_result) if status == "error" else []
        if shown[bool(errors)] >= REPORT_ROWS:
            continue
        shown[bool(errors)] += 1
        cells = table.rows[index]
        outcome.rows.append(
            {
                "line": table.lines[index],
                "code": " / ".join(_text(cells[position]) for position in positions),
                "outcome": status,
                "errors": errors,
            }
        )
    return outcome


def _row_errors(resource: MasterDataResource, row_result) -> list[dict]:
    errors = []
    if row_result.validation_error is not None:
        error = row_result.validation_error
        by_field = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
        for attribute, messages in by_field.items():
            column = "" if attribute == "__all__" else resource.column_of(attribute)
            errors.extend({"column": column, "message": str(m)} for m in messages)
    for failure in row_result.errors:
        errors.append({"column": "", "message": str(failure.error)})
    return errors


def _store(import_: MasterDataImport, outcome: Outcome, *, state: str) -> None:
    import_.created, import_.updated = outcome.created, outcome.updated
    import_.unchanged, import_.errors = outcome.unchanged, outcome.errors
    import_.report = {"problems": outcome.problems or [], "rows": outcome.rows or []}
    import_.state = state
    if state != MasterDataImport.State.PREVIEWED:
        # The file (up to MAX_BYTES) is kept only while it may still be applied; what it did,
        # row by row, stays in the report and in each changed record's history.
        import_.content = b""


def _outcome_of_file(
    import_: MasterDataImport, *, actor: Actor, dry_run: bool, max_rows: int | None = None
) -> Outcome:
    try:
        table = read_table(name=import_.file_name, data=bytes(import_.content), max_rows=max_rows)
    except FileRefused as refused:
        return Outcome(problems=refused.problems, rows=[])
    return _run(kind=import_.kind, table=table, actor=actor, dry_run=dry_run)


def preview_master_data_import(
    *, kind: str, file, actor: Actor, max_rows: int | None = MAX_ROWS
) -> MasterDataImport:
    """Store the uploaded file and report what importing it would do, changing nothing: the
    rows it would create, update and leave unchanged, every row's errors (line, column,
    message), or what is wrong with the file as a whole. `file` is an uploaded file (any object
    with read() and name); `max_rows` None takes any number of rows. The import is refused
    (state REFUSED) when anything is wrong."""
    require_function(actor, MANAGE_MASTER_DATA)
    if kind not in RESOURCES:
        raise DomainError(_("Unknown kind of master data."))
    data = file.read(MAX_BYTES + 1)
    import_ = MasterDataImport(
        kind=kind,
        file_name=str(getattr(file, "name", "") or "").replace("\x00", "")[-200:],
        actor=actor,
    )
    import_.content = data[: MAX_BYTES + 1]
    outcome = _outcome_of_file(import_, actor=actor, dry_run=True, max_rows=max_rows)
    refused = bool(outcome.problems or outcome.errors)
    _store(import_, outcome, state=import_.State.REFUSED if refused else import_.State.PREVIEWED)
    import_.save()
    return import_


def apply_master_data_import(*, import_: MasterDataImport, actor: Actor) -> MasterDataImport:
    """Apply a previewed import: all of its file in one transaction, or nothing. Once: a second
    confirmation (double click, Back) waits on the import's row lock and is refused with
    ImportAlreadyApplied. Should the file meet errors now that it did not meet when previewed
    (a code removed meanwhile), nothing is applied and the import is refused with them."""
    require_function(actor, MANAGE_MASTER_DATA)
    with transaction.atomic():
        locked = MasterDataImport.objects.select_for_update().get(pk=import_.pk)
        if locked.state == MasterDataImport.State.APPLIED:
            raise ImportAlreadyApplied()
        if locked.actor_id != actor.pk:
            raise ImportOfAnotherUser()
        if not locked.applicable:
            raise ImportNotApplicable()
        outcome = _outcome_of_file(locked, actor=actor, dry_run=False)
        if outcome.problems or outcome.errors:
            _store(locked, outcome, state=MasterDataImport.State.REFUSED)
        else:
            _store(locked, outcome, state=MasterDataImport.State.APPLIED)
            locked.applied_at = timezone.now()
        locked.save()
    if locked.state != MasterDataImport.State.APPLIED:
        raise ImportNotApplicable(
            _("The file now has errors it did not have when previewed: nothing was applied.")
        )
    return locked


def recent_imports(*, limit: int = 20):
    """The latest imports, newest first, for the import page (without their files)."""
    return MasterDataImport.objects.defer("content", "report").select_related("actor")[:limit]


def columns_by_kind() -> list[tuple[str, str, list[str], tuple[str, ...]]]:
    """(kind, its label, its columns, the required ones), in the order to import them."""
    return [
        (kind, label, RESOURCES[kind].columns(), RESOURCES[kind].required)
        for kind, label in Kind.choices
    ]
