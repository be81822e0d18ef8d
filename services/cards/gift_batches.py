"""Physical gift cards (实体礼品卡): a batch of inactive cards, each with a unique card number, a PIN and a code,
and the printing file of a batch (CSV or XLSX, through services/shared/spreadsheets.py). The value arrives when
a member binds and activates a card (services/cards/gift_activation.py)."""
from sqlalchemy import insert, select

from domain import cards as card_rules
from domain import coupons as code_rules
from domain import gift_cards as rules
from domain import roles
from domain import stored_value as prepaid_rules
from domain.cards import GIFT
from domain.clock import now_utc
from domain.errors import DomainError, PermissionDenied
from domain.money import format_yuan
from models import Card, GiftCardBatch, StoredValueSettings
from services.cards import gift_templates
from services.merchant import audit
from services.shared import advisory_locks, spreadsheets
from services.shared.tenancy import get_owned, scoped

EXPORT_HEADER = ("卡号", "密码", "面值（元）", "主题", "券码")
EXPORT_SHEET = "礼品卡"
TEXT_COLUMNS = (0, 1)  # card number and PIN: text, so leading zeros stay and nothing turns into 1.2E+15


def create_batch(session, actor, template_id, face_value, quantity, theme=None):
    """`quantity` inactive cards with a unique card number, a PIN and a code each. Value arrives at activation."""
    if not isinstance(quantity, int) or not 1 <= quantity <= rules.MAX_BATCH:
        raise DomainError(f"数量须在 1 到 {rules.MAX_BATCH} 之间")
    template = gift_templates.gift_template(session, actor.merchant_id, template_id)
    theme = gift_templates.check_issue(template, face_value, theme)
    _check_anonymous_cap(session, actor.merchant_id, face_value)
    batch = GiftCardBatch(merchant_id=actor.merchant_id, template_id=template.id, face_value=face_value,
                          theme=theme, quantity=quantity, created_by_id=actor.id)
    session.add(batch)
    session.flush()
    numbers = _fresh_card_numbers(session, actor.merchant_id, quantity)
    session.execute(insert(Card), [
        {"merchant_id": actor.merchant_id, "template_id": template.id, "kind": GIFT, "code": code_rules.new_code(),
         "state": card_rules.INACTIVE, "channel": "purchase", "idempotency_key": f"gift-batch:{batch.id}:{i}",
         "issued_by_id": actor.id, "face_value": face_value, "theme": theme, "card_no": number,
         "pin": rules.new_pin(), "batch_id": batch.id}
        for i, number in enumerate(numbers)
    ])
    audit.record(session, actor, "gift_card.batch_create", "gift_card_batch", batch.id,
                 after={"template_id": template.id, "face_value": face_value, "quantity": quantity, "theme": theme})
    session.flush()
    return batch


def _check_anonymous_cap(session, merchant_id, face_value):
    """Physical cards are anonymous (不记名) until someone binds them, so prepaid-card rules cap their face value
    at the merchant's setting (the default when the merchant never saved stored-value settings)."""
    cap = session.scalar(select(StoredValueSettings.anonymous_max_face)
                         .where(StoredValueSettings.merchant_id == merchant_id))
    cap = cap or prepaid_rules.DEFAULTS["anonymous_max_face"]
    if face_value > cap:
        raise DomainError(f"不记名实体礼品卡的面值不能超过 {prepaid_rules.short_yuan(cap)} 元", field="face_value",
                          cap=cap)


def _fresh_card_numbers(session, merchant_id, quantity):
    """Distinct numbers not yet used at this merchant. A clash with a concurrent batch fails that batch's insert."""
    advisory_locks.card_numbers(session, merchant_id)
    numbers = set()
    while len(numbers) < quantity:
        wanted = {rules.new_card_no() for _ in range(quantity - len(numbers))}
        taken = set(session.scalars(select(Card.card_no).where(Card.merchant_id == merchant_id,
                                                               Card.card_no.in_(wanted))))
        numbers |= wanted - taken
    return sorted(numbers)


def batches(session, merchant_id, template_id):
    return session.scalars(scoped(GiftCardBatch, merchant_id).where(GiftCardBatch.template_id == template_id)
                           .order_by(GiftCardBatch.id.desc())).all()


# --- the printing file ------------------------------------------------------------------------------------

def export_rows(session, actor, batch_id, *, fmt, ip=None, now=None):
    """The printing file's rows for a batch (owner/admin only); the export itself goes in the audit trail."""
    if actor.role not in (roles.OWNER, roles.ADMIN):
        raise PermissionDenied("只有老板或管理员可以导出卡密")
    batch = get_owned(session, GiftCardBatch, actor.merchant_id, batch_id)
    rows = session.scalars(select(Card).where(Card.merchant_id == actor.merchant_id, Card.batch_id == batch.id)
                           .order_by(Card.card_no)).all()
    batch.exported_at = now or now_utc()
    audit.record(session, actor, "gift_card.batch_export", "gift_card_batch", batch.id,
                 after={"format": fmt, "rows": len(rows)}, ip=ip)
    session.flush()
    return batch, [(card.card_no, card.pin, format_yuan(card.face_value), card.theme or "",
                    code_rules.format_code(card.code)) for card in rows]


def csv_bytes(rows):
    """The rows of export_rows under the header; card numbers and PINs stay text in Excel with a tab prefix."""
    return spreadsheets.csv_bytes([EXPORT_HEADER] + [(f"\t{card_no}", f"\t{pin}", face, theme, code)
                                                     for card_no, pin, face, theme, code in rows])


def xlsx_bytes(rows):
    """The rows of export_rows under the header, on one sheet whose card number and PIN columns are text."""
    return spreadsheets.xlsx_bytes(EXPORT_SHEET, [EXPORT_HEADER, *rows], text_columns=TEXT_COLUMNS)
