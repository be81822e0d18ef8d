"""Exports merchants open in Excel: CSV with a byte-order mark (so Chinese text opens correctly) and XLSX."""
import csv
import io
from decimal import Decimal

MONEY_FORMAT = "#,##0.00"


def csv_bytes(rows):
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def xlsx_bytes(title, rows):
    """One sheet; Decimal cells (yuan) get a money format, so totals can be summed in Excel."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for row in rows:
        sheet.append([_cell(sheet, value, WriteOnlyCell) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _cell(sheet, value, cell_class):
    if not isinstance(value, Decimal):
        return value
    cell = cell_class(sheet, value=value)
    cell.number_format = MONEY_FORMAT
    return cell


def yuan_number(fen):
    """Fen as an exact Decimal of yuan for a spreadsheet cell (never a float)."""
    return Decimal(fen) / 100
