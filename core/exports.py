"""Every list exported with its filters and its sort, as CSV or XLSX, in bounded memory.

CSV is for the Italian spreadsheet: `;` between fields, dates dd/mm/yyyy, amounts 1.234,56,
UTF-8 with a BOM (so accents survive a double click), written row by row as the response streams.
XLSX has real dates and numbers (formatted dd/mm/yyyy and #.##0,00 by the spreadsheet): openpyxl's
write-only workbook keeps one row in memory, the file is built in a temporary file and streamed.
Both read the rows with `QuerySet.iterator(chunk_size=...)`: never the whole list in memory."""

import csv
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from decimal import Decimal

from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

FORMATS = ("csv", "xlsx")
CHUNK_SIZE = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A cell starting with one of these is a formula to a spreadsheet (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def table_rows(table) -> tuple[list[str], Iterator[list]]:
    """The header and the values (dates, Decimals, numbers, text) of every row of the table's
    data, in the table's order, read in chunks."""
    readers = table.export_readers()
    header = [str(reader.bound_column.header) for reader in readers]
    data = table.data.data
    records = data.iterator(chunk_size=CHUNK_SIZE) if hasattr(data, "iterator") else iter(data)

    def rows():
        for record in records:
            yield [reader.export_value(record) for reader in readers]

    return header, rows()


def italian_amount(value: Decimal) -> str:
    """1234.5 → "1.234,50" (two decimals at least, more if it has them), whatever the language
    of the request (no float)."""
    places = max(2, -value.as_tuple().exponent) if value.is_finite() else 2
    grouped = format(value, f",.{places}f")  # "1,234.50"
    return grouped.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def csv_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, Decimal):
        return italian_amount(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


class _Line:
    """A file-like that hands back what csv.writer writes: one line at a time."""

    def write(self, value):
        return value


def csv_lines(header: list[str], rows: Iterable[list]) -> Iterator[str]:
    writer = csv.writer(_Line(), delimiter=";", quoting=csv.QUOTE_MINIMAL)
    yield "\ufeff" + writer.writerow(header)
    for row in rows:
        yield writer.writerow([csv_text(value) for value in row])


def xlsx_cell(sheet, value):
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = "DD/MM/YYYY HH:MM"
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "DD/MM/YYYY"
    elif isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value)
        cell.number_format = "#,##0.00"
    elif value is None or isinstance(value, (bool, int)):
        cell = WriteOnlyCell(sheet, value)
    else:
        # Text stays text: a spreadsheet never reads it as a formula.
        cell = WriteOnlyCell(sheet, str(value))
        cell.data_type = "s"
    return cell


def write_xlsx(header: list[str], rows: Iterable[list], file, *, title: str) -> None:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(header)
    for row in rows:
        sheet.append([xlsx_cell(sheet, value) for value in row])
    workbook.save(file)


def export_response(table, file_format: str, *, name: str):
    """The table's rows (all of them, as filtered and sorted) as a downloaded file."""
    header, rows = table_rows(table)
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    if file_format == "csv":
        response = StreamingHttpResponse(
            csv_lines(header, rows), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    # Closed by FileResponse once sent: not a `with` block, which would close it first.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    write_xlsx(header, rows, file, title=name)
    file.seek(0)
    return FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
