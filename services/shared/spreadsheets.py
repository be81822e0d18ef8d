"""Exports merchants open in Excel: CSV with a byte-order mark (so Chinese text opens correctly) and XLSX."""
import csv
import io
import tempfile
from decimal import Decimal

MONEY_FORMAT = "#,##0.00"
TEXT_FORMAT = "@"


def csv_bytes(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title, rows, text_columns=()):
    """One sheet; Decimal cells (yuan) get a money format, so totals can be summed in Excel. Cells in the
    `text_columns` (0-based) are formatted as text: numbers such as card numbers and PINs keep their leading zeros
    and never turn into scientific notation, even when edited in Excel."""
    out = io.BytesIO()
    _write_only_book(title, rows, text_columns).save(out)
    return out.getvalue()


def csv_stream(rows, batch=500):
    """CSV as chunks of bytes while `rows` (any iterable, e.g. a server-side cursor) is read: a long export never
    sits in memory. The first chunk carries the byte-order mark."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % batch == 0:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


def xlsx_file(title, rows, text_columns=()):
    """An XLSX of `rows` (any iterable) written row by row into a temporary file, returned open at its start:
    openpyxl's write-only workbook keeps no rows in memory, and the response streams the file."""
    spooled = tempfile.TemporaryFile()
    _write_only_book(title, rows, text_columns).save(spooled)
    spooled.seek(0)
    return spooled


def _write_only_book(title, rows, text_columns):
    """One sheet of `rows`, cells made as xlsx_bytes says; write-only, so rows are written as they are read."""
    # openpyxl is imported here on purpose: it takes about 0.2 s and its memory in every process that loads the
    # services, and only an export request needs it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        sheet.append([_cell(sheet, value, WriteOnlyCell, column in text_columns) for column, value in enumerate(row)])
    return book


def _cell(sheet, value, cell_class, as_text=False):
    if as_text:
        cell = cell_class(sheet, value=value)
        cell.number_format = TEXT_FORMAT
        return cell
    if not isinstance(value, Decimal):
        return value
    cell = cell_class(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    return cell


def yuan_number(fen):
    """Fen as an exact Decimal of yuan for a spreadsheet cell (never a float)."""
    return Decimal(fen) / 100
