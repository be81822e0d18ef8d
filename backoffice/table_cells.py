"""Labels on the cells of a back-office table, so that on a phone each row can show as a card.

The list templates write plain rows (`<tr><td>…</td></tr>`) under a header given to the `table` macro
(templates/backoffice/_macros.html). The macro passes its rows through `label_cells`, which gives every cell the text
of its column's header as `data-label` (the phone's CSS prints it before the value: `td[data-label]::before`) and
marks the columns the header calls key (`bo-key` in its class) with `data-key`, so the card shows them first.
Doing it here rather than in each template keeps the 40-odd lists from repeating their headers on every cell.
"""
import re

from markupsafe import Markup, escape

from backoffice import blueprint

KEY_CLASS = "bo-key"
# Only the tags that matter for counting columns; the rows are our own templates' markup, never user HTML.
TAG = re.compile(r"<(/?)(table|tr|td|th)\b([^>]*)>", re.IGNORECASE)
COLSPAN = re.compile(r"""\bcolspan\s*=\s*["']?(\d+)""", re.IGNORECASE)


def column_specs(headers):
    """The table macro's headers (a text, or a (text, class) pair) as (label, is_key) per column."""
    specs = []
    for header in headers:
        if isinstance(header, str) or not isinstance(header, (list, tuple)):
            specs.append((str(header), False))
        else:
            text, css = header[0], header[1] if len(header) > 1 else ""
            specs.append((str(text), KEY_CLASS in (css or "").split()))
    return specs


@blueprint.app_template_filter("label_cells")
def label_cells(rows_html, headers):
    """Give each top-level <td> of `rows_html` its column's data-label (and data-key for key columns)."""
    specs = column_specs(headers)
    html = str(rows_html)
    out, last, nested, column = [], 0, 0, 0
    for match in TAG.finditer(html):
        closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
        if name == "table":
            nested += -1 if closing else 1
            continue
        if nested:
            continue
        if name == "tr" and not closing:
            column = 0
        elif name in ("td", "th") and not closing:
            span = COLSPAN.search(attrs)
            if name == "td" and column < len(specs) and "data-label" not in attrs:
                label, is_key = specs[column]
                extra = f' data-label="{escape(label)}"' + (" data-key" if is_key else "")
                out.append(html[last:match.end(3)])
                out.append(extra)
                last = match.end(3)
            column += int(span.group(1)) if span else 1
    out.append(html[last:])
    return Markup("".join(out))
