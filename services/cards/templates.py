"""What card templates of every kind (count/timed, gift, benefit) share: name and notes, cover colour, stock,
the stores a card is valid in, and taking one card from stock when it is issued."""
import re

from sqlalchemy import update

from domain.errors import Conflict, DomainError
from models import CardTemplate, Store
from services.shared.tenancy import owned_ids
from services.shared.text import optional_text, required_text

MAX_STOCK = 10_000_000
DEFAULT_COVER = "#07C160"
_HEX_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def apply_text(template, values, title_label="卡名称"):
    """The title members see (40 characters) and the usage notes (1000)."""
    template.title = required_text(values.get("title"), title_label, 40)
    template.notes = optional_text(values.get("notes"), "使用说明", 1000)


def cover_colour(value):
    """The card face's colour, green when none is chosen."""
    return hex_colour(value or DEFAULT_COVER, "封面颜色须为 #RRGGBB 格式")


def hex_colour(value, message):
    """'#rrggbb' (spaces around allowed) -> '#RRGGBB'; anything else is refused with `message`.
    Only this form is accepted because the colour is written into the member page's style attribute."""
    text = (value or "").strip()
    if not _HEX_COLOUR.match(text):
        raise DomainError(message)
    return text.upper()


def check_stock(value, issued):
    """None (unlimited) or a positive stock not below what was already issued."""
    if value is not None and not (0 < value <= MAX_STOCK and value >= issued):
        raise DomainError("库存须为正数，且不少于已发放数量")
    return value


def assign_stores(session, template, merchant_id, store_ids):
    """No store chosen means every store, including ones opened later; another merchant's store is NotFound."""
    store_ids = store_ids or ()
    template.all_stores = not store_ids
    template.stores = owned_ids(session, Store, merchant_id, store_ids)


def valid_in(template, store_id):
    return template.all_stores or any(s.id == store_id for s in template.stores)


def take_stock(session, template, sold_out_message):
    """Count one more card issued, in one conditional UPDATE so two tills never sell the last card twice."""
    taken = session.execute(
        update(CardTemplate).where(CardTemplate.id == template.id,
                                   CardTemplate.stock_total.is_(None)
                                   | (CardTemplate.stock_issued < CardTemplate.stock_total))
        .values(stock_issued=CardTemplate.stock_issued + 1).execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        raise Conflict(sold_out_message)
    session.expire(template, ["stock_issued"])
