"""Gift cards (礼品卡): templates, electronic and physical issue, binding, activation, spending, transfer, void.

A card's balance sits on its own wallet of kind 'gift_card' and moves only through the stored-value journal.
Every state change is a conditional UPDATE on `cards.state`; spending first takes the card row with such an
update (state must still be 'active'), so a spend and a transfer of the same card are serialised and never both
happen on one state. A transfer ends the giver's row ('transferred') and opens a new row for the friend that
points at the same wallet.
"""
import csv
import hashlib
import hmac
import io
import secrets
from datetime import timedelta

from sqlalchemy import func, insert, select, text, update

from domain import cards as card_rules
from domain import coupons as code_rules
from domain import gift_cards as rules
from domain import roles
from domain import stored_value as prepaid_rules
from domain.clock import now_utc, until_text
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from domain.money import MAX_FEN, format_yuan
from models import (AuditLog, Card, CardTemplate, GiftCardBatch, Member, StoredValueSettings, Transfer, Wallet,
                    WalletTransaction)
from models.coupons import CHANNELS
from services.merchant import audit
from services.cards import templates as card_templates
from services.shared import idempotency
from services.members import sms_codes
from services.verification import records as verifications
from services.wallet import journal as wallet
from services.shared.tenancy import get_owned, merchant_timezone, scoped
from services.shared.text import optional_text, required_text
from services.verification.lookup import Lookup

GIFT = card_rules.GIFT
SMS_PURPOSE = "gift_activate"
PIN_TRY_ACTION = "gift_card.pin_try"


class WrongPin(DomainError):
    """The PIN did not match. The try is already counted on its own connection, so the refusal keeps it."""

    code = "gift_card_wrong_pin"


class TransferExpired(Conflict):
    """The link is past its 24 hours; the card was put back to active in this transaction (commit it)."""

    code = "transfer_expired"


# --- templates ------------------------------------------------------------------------------------------

def save_template(session, actor, template, **values):
    """Create (template=None) or update a gift card template of the actor's merchant."""
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=GIFT, stock_issued=0)
        session.add(template)
    elif template.kind != GIFT:
        raise NotFound("记录不存在")
    card_templates.apply_text(template, values, "礼品卡名称")
    template.face_values = rules.check_face_values(values.get("face_values"))
    if any(v > MAX_FEN for v in template.face_values):
        raise DomainError("面值过大")
    template.themes = _themes(values.get("themes"))
    template.cover_color = template.themes[0]["color"] if template.themes else "#C0392B"
    activation = values.get("activation", "auto")
    if activation not in rules.ACTIVATIONS:
        raise DomainError("未知的激活方式")
    template.activation = activation
    valid_days = values.get("valid_days")
    if valid_days is not None and not 0 < int(valid_days) <= 3650:
        raise DomainError("有效天数须在 1 到 3650 之间")
    template.valid_days = valid_days
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    template.disabled = bool(values.get("disabled", False))
    session.flush()
    return template


def _themes(themes):
    """[{"label", "color"}] -> [{"key", "label", "color"}]; the label is the key (what a card row stores)."""
    cleaned, seen = [], set()
    for theme in themes or ():
        label = required_text(theme.get("label"), "主题名称", 10)
        color = card_templates.hex_colour(theme.get("color"), f"主题「{label}」的颜色应为 #RRGGBB")
        if label in seen:
            raise DomainError(f"主题「{label}」重复")
        seen.add(label)
        cleaned.append({"key": label, "label": label, "color": color})
    if len(cleaned) > 10:
        raise DomainError("主题最多 10 个")
    return cleaned


def gift_template(session, merchant_id, template_id):
    template = get_owned(session, CardTemplate, merchant_id, template_id)
    if template.kind != GIFT:
        raise NotFound("记录不存在")
    return template


def theme_color(template, theme):
    for item in template.themes or ():
        if item["key"] == theme:
            return item["color"]
    return template.cover_color


def _check_issue(template, face_value, theme):
    if template.disabled:
        raise Conflict("该礼品卡已停止发放")
    if face_value not in (template.face_values or ()):
        raise DomainError("请选择礼品卡的面值")
    keys = [item["key"] for item in template.themes or ()]
    if theme is None and keys:
        return keys[0]
    if theme is not None and theme not in keys:
        raise DomainError("请选择礼品卡的主题")
    return theme


# --- electronic cards -----------------------------------------------------------------------------------

def issue_electronic(session, merchant, template_id, member_id, *, face_value, theme, channel, key, issued_by=None,
                     price_paid=None, stock_reserved=False, now=None):
    """An active card for a member, its wallet credited: what was paid as principal, the rest as bonus.

    A free card is all bonus (a marketing cost); a card sold below face value is principal up to the price.
    `stock_reserved`: the card was already counted on the template when its order was created
    (services/orders/gift_card_sales), so it is not taken from stock a second time.
    """
    if channel not in CHANNELS:
        raise DomainError("未知的发放渠道")
    idempotency.check_key(key)
    now = now or now_utc()
    member = get_owned(session, Member, merchant.id, member_id)
    existing = idempotency.find_existing(session, Card, merchant.id, key)
    if existing is not None:
        return idempotency.ensure_same_request(existing, template_id=int(template_id), member_id=member.id,
                                               face_value=face_value)
    template = gift_template(session, merchant.id, template_id)
    if not stock_reserved:  # a paid order was checked when priced: a later edit of the template cannot undo the sale
        theme = _check_issue(template, face_value, theme)
    if price_paid is not None and not 0 <= price_paid <= face_value:
        raise DomainError("实付金额不能超过面值")
    if not stock_reserved:
        card_templates.take_stock(session, template, "礼品卡已售罄")  # counts electronic cards issued (sold or given)
    purse = wallet.gift_card_wallet(session, merchant.id)
    card = Card(merchant_id=merchant.id, template_id=template.id, kind=GIFT, member_id=member.id,
                code=code_rules.new_code(), state=card_rules.ACTIVE, channel=channel, idempotency_key=key,
                issued_by_id=issued_by.id if issued_by else None, face_value=face_value, theme=theme,
                wallet_id=purse.id, activated_at=now, ends_at=_ends_at(template, now), price_paid=price_paid,
                created_at=now)
    session.add(card)
    session.flush()
    principal = price_paid or 0
    wallet.credit(session, merchant.id, purse.id, principal, face_value - principal,
                  key=f"gift-issue:{card.id}", reference=("gift_card", card.id), operator=issued_by,
                  note="礼品卡购买" if price_paid is not None else "赠送礼品卡")
    return card


def _ends_at(template, now):
    return now + timedelta(days=template.valid_days) if template.valid_days else None


# --- physical cards: batches, export --------------------------------------------------------------------

def create_batch(session, actor, template_id, face_value, quantity, theme=None):
    """`quantity` inactive cards with a unique card number, a PIN and a code each. Value arrives at activation."""
    if not isinstance(quantity, int) or not 1 <= quantity <= rules.MAX_BATCH:
        raise DomainError(f"数量须在 1 到 {rules.MAX_BATCH} 之间")
    template = gift_template(session, actor.merchant_id, template_id)
    theme = _check_issue(template, face_value, theme)
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
    _lock(session, f"gift-card-no:{merchant_id}")
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


EXPORT_HEADER = ("卡号", "密码", "面值（元）", "主题", "券码")


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
    """UTF-8 with a BOM so Excel opens the Chinese header correctly; numbers stay text-safe with a tab prefix."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_HEADER)
    for card_no, pin, face, theme, code in rows:
        writer.writerow((f"\t{card_no}", f"\t{pin}", face, theme, code))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(rows):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "礼品卡"
    sheet.append(EXPORT_HEADER)
    for row in rows:
        sheet.append(list(row))
    for cell in sheet["A"] + sheet["B"]:
        cell.number_format = "@"  # card numbers and PINs are text: no scientific notation, leading zeros kept
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- binding and activation in H5 -----------------------------------------------------------------------

def bind(session, merchant, member_id, typed_card_no, typed_pin, *, now=None):
    """A member binds a physical card by number + PIN: 'auto' activates it, 'phone' leaves it claimed."""
    now = now or now_utc()
    number, pin = rules.normalise_card_no(typed_card_no), rules.normalise_pin(typed_pin)
    member = get_owned(session, Member, merchant.id, member_id)
    card = session.scalars(scoped(Card, merchant.id).where(Card.card_no == number, Card.kind == GIFT)).one_or_none()
    if card is None:
        raise DomainError("卡号或密码不正确")
    left = _reserve_pin_try(session, card, now)
    if not card.pin or not hmac.compare_digest(card.pin, pin):
        raise WrongPin(f"卡号或密码不正确，还可尝试 {left} 次" if left else "密码错误次数过多，请 1 小时后再试",
                       tries_left=left)
    if card.member_id == member.id and card.state in (card_rules.CLAIMED, card_rules.ACTIVE):
        return card  # a double submit: the first one bound it
    if card.state != card_rules.INACTIVE:
        raise Conflict("该卡已被绑定或已作废")
    template = card.template
    if template.activation == "auto":
        return _activate(session, card, card_rules.INACTIVE, now, member_id=member.id)
    _move(session, card, card_rules.INACTIVE, card_rules.CLAIMED, member_id=member.id)
    return card


def _reserve_pin_try(session, card, now):
    """Count one try on a connection of its own (committed at once); refuse past the hourly limit.

    Returns how many tries are left after this one. Tries are audit-log rows so the merchant sees them too.
    """
    since = now - rules.PIN_TRY_WINDOW
    with session.get_bind().begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"gift-pin:{card.id}"})
        tries = connection.execute(
            select(func.count(AuditLog.id)).where(AuditLog.merchant_id == card.merchant_id,
                                                  AuditLog.action == PIN_TRY_ACTION,
                                                  AuditLog.target_type == "card", AuditLog.target_id == str(card.id),
                                                  AuditLog.created_at > since)
        ).scalar_one()
        if tries >= rules.PIN_TRIES_PER_HOUR:
            raise Conflict("密码错误次数过多，请 1 小时后再试")
        connection.execute(insert(AuditLog).values(merchant_id=card.merchant_id, staff_id=None, action=PIN_TRY_ACTION,
                                                   target_type="card", target_id=str(card.id), created_at=now))
    return rules.PIN_TRIES_PER_HOUR - tries - 1


def send_activation_code(session, merchant, member, card_id, *, ip=None, now=None):
    card = member_card(session, merchant.id, member.id, card_id)
    if card.state != card_rules.CLAIMED:
        raise Conflict("该卡无需短信激活")
    return sms_codes.request_code(session, merchant, member.mobile, ip=ip, purpose=SMS_PURPOSE, now=now)


def activate_by_sms(session, merchant, member, card_id, code, *, now=None):
    """A claimed card becomes active once the member proves their phone with a code sent to it."""
    now = now or now_utc()
    card = member_card(session, merchant.id, member.id, card_id)
    if card.state != card_rules.CLAIMED:
        raise Conflict("该卡无需短信激活")
    sms_codes.verify(session, merchant.id, member.mobile, code, purpose=SMS_PURPOSE, now=now)
    return _activate(session, card, card_rules.CLAIMED, now)


def _activate(session, card, current, now, **extra):
    """current -> active with a new wallet credited the face value (a physical card was paid for)."""
    purse = wallet.gift_card_wallet(session, card.merchant_id)
    _move(session, card, current, card_rules.ACTIVE, wallet_id=purse.id, activated_at=now,
          ends_at=_ends_at(card.template, now), **extra)
    wallet.credit(session, card.merchant_id, purse.id, card.face_value, 0, key=f"gift-activate:{card.id}",
                  reference=("gift_card", card.id), note="礼品卡激活")
    return card


# --- member's view ----------------------------------------------------------------------------------------

def member_cards(session, merchant_id, member_id):
    return session.scalars(scoped(Card, merchant_id).where(Card.member_id == member_id, Card.kind == GIFT)
                           .order_by(Card.id.desc())).all()


def member_card(session, merchant_id, member_id, card_id):
    """The member's own gift card; another member's (or merchant's) card is NotFound."""
    card = get_owned(session, Card, merchant_id, card_id)
    if card.kind != GIFT or card.member_id != member_id:
        raise NotFound("记录不存在")
    return card


def balance(session, card):
    if card.wallet_id is None:
        return 0
    purse = session.get(Wallet, card.wallet_id)
    return purse.balance if purse is not None else 0


def history(session, card, limit=50):
    """The card wallet's journal while this row held it, newest first.

    A transferred card shares its wallet with the friend's new row; neither sees the other's spending.
    """
    if card.wallet_id is None:
        return []
    query = select(WalletTransaction).where(WalletTransaction.merchant_id == card.merchant_id,
                                            WalletTransaction.wallet_id == card.wallet_id)
    if card.transferred_from_id is not None:
        query = query.where(WalletTransaction.created_at >= card.created_at)
    if card.state == card_rules.TRANSFERRED and card.closed_at is not None:
        query = query.where(WalletTransaction.created_at <= card.closed_at)
    return session.scalars(query.order_by(WalletTransaction.id.desc()).limit(limit)).all()


# --- transfer --------------------------------------------------------------------------------------------

def token_hash(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def create_transfer(session, merchant, member_id, card_id, *, now=None):
    """Open a one-time link for the member's active card: (transfer, token). Only the token's hash is stored."""
    now = now or now_utc()
    card = member_card(session, merchant.id, member_id, card_id)
    if card.ends_at is not None and now >= card.ends_at:
        raise Conflict("礼品卡已过期，不能转赠")
    _move(session, card, card_rules.ACTIVE, card_rules.TRANSFERRING)
    token = secrets.token_urlsafe(24)
    transfer = Transfer(merchant_id=merchant.id, instrument_type="gift_card", card_id=card.id,
                        from_member_id=member_id, token_hash=token_hash(token),
                        expires_at=rules.transfer_expires_at(now), created_at=now)
    session.add(transfer)
    session.flush()
    return transfer, token


def open_transfer(session, merchant_id, card_id):
    """The card's link still waiting for a friend, or None."""
    return session.scalars(scoped(Transfer, merchant_id).where(
        Transfer.card_id == card_id, Transfer.accepted_at.is_(None), Transfer.cancelled_at.is_(None))
        .order_by(Transfer.id.desc()).limit(1)).first()


def transfer_for_token(session, merchant_id, token, *, lock=False):
    query = scoped(Transfer, merchant_id).where(Transfer.token_hash == token_hash(token),
                                                Transfer.instrument_type == "gift_card")
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    transfer = session.scalars(query).one_or_none()
    if transfer is None:
        raise NotFound("链接无效")
    return transfer


def release_if_expired(session, transfer, now):
    """An expired, unused link closes and its card goes back to active for the giver. True if it did."""
    if transfer.accepted_at is not None or transfer.cancelled_at is not None:
        return False
    if not rules.transfer_expired(transfer.expires_at, now):
        return False
    return _close_transfer(session, transfer, now)


def _close_transfer(session, transfer, now):
    closed = session.execute(
        update(Transfer).where(Transfer.id == transfer.id, Transfer.accepted_at.is_(None),
                               Transfer.cancelled_at.is_(None))
        .values(cancelled_at=now).execution_options(synchronize_session=False)).rowcount
    if closed == 1:
        session.execute(update(Card).where(Card.id == transfer.card_id, Card.state == card_rules.TRANSFERRING)
                        .values(state=card_rules.ACTIVE).execution_options(synchronize_session=False))
    session.expire(transfer)
    return closed == 1


def cancel_transfer(session, merchant, member_id, card_id, *, now=None):
    """The giver takes the card back before the friend accepts."""
    now = now or now_utc()
    card = member_card(session, merchant.id, member_id, card_id)
    transfer = open_transfer(session, merchant.id, card.id)
    if transfer is None or not _close_transfer(session, transfer, now):
        session.expire(card)
        raise Conflict("转赠已被领取或已取消")
    session.expire(card)
    return card


def accept_transfer(session, merchant, member_id, token, *, now=None):
    """The friend takes the card: the giver's row ends as 'transferred', a new active row is theirs.

    The transfer row is locked, so of many concurrent accepts one wins and the others read 已被领取.
    """
    now = now or now_utc()
    friend = get_owned(session, Member, merchant.id, member_id)
    transfer = transfer_for_token(session, merchant.id, token, lock=True)
    if transfer.accepted_at is not None:
        raise Conflict("已被领取")
    if transfer.cancelled_at is not None:
        raise Conflict("链接已过期" if transfer.cancelled_at >= transfer.expires_at else "转赠已取消，链接已失效")
    if transfer.from_member_id == friend.id:
        raise Conflict("不能领取自己转赠的礼品卡")
    if release_if_expired(session, transfer, now):
        raise TransferExpired("链接已过期")
    old = get_owned(session, Card, merchant.id, transfer.card_id)
    _move(session, old, card_rules.TRANSFERRING, card_rules.TRANSFERRED, closed_at=now)
    new = Card(merchant_id=merchant.id, template_id=old.template_id, kind=GIFT, member_id=friend.id,
               code=code_rules.new_code(), state=card_rules.ACTIVE, channel="friend",
               idempotency_key=f"gift-transfer:{transfer.id}", face_value=old.face_value, theme=old.theme,
               wallet_id=old.wallet_id, activated_at=now, ends_at=old.ends_at, transferred_from_id=old.id,
               created_at=now)
    session.add(new)
    session.flush()
    transfer.accepted_at, transfer.accepted_by_id, transfer.new_card_id = now, friend.id, new.id
    session.flush()
    return new


# --- spending at the till ---------------------------------------------------------------------------------

def spend(session, actor, card_id, *, store_id, method, key, amount, amount_received=0, now=None):
    """Take `amount` fen from an active card. The card row is taken (still active) before the wallet is debited."""
    verifications.check_request(method, key)
    now = now or now_utc()
    store = verifications.actor_store(session, actor, store_id)
    earlier = verifications.replay(session, actor, key)
    if earlier is not None:
        return earlier
    card = get_owned(session, Card, actor.merchant_id, card_id)
    if card.kind != GIFT:
        raise NotFound("券码不存在")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("请填写扣减金额")
    _release_expired_link(session, card, now)
    reason = rules.why_not_spendable(card.state, card.ends_at, now, card_templates.valid_in(card.template, store.id))
    if reason is not None:
        raise Conflict(reason, code=card.code, state=card.state)
    if not _take(session, card, (card_rules.ACTIVE,)):
        raise Conflict(rules.why_not_spendable(card.state, None, now, True) or "礼品卡状态已变化，请重试",
                       code=card.code, state=card.state)
    earlier = verifications.replay(session, actor, key)  # a twin request may have finished while we waited
    if earlier is not None:
        return earlier
    operator = None if verifications.is_api_key(actor) else actor
    txn = wallet.debit(session, actor.merchant_id, card.wallet_id, amount, key=_ledger_key("gift-spend", key),
                       reference=("gift_card", card.id), operator=operator, store_id=store.id, note="礼品卡消费")
    if txn.principal_after + txn.bonus_after == 0:
        _move(session, card, card_rules.ACTIVE, card_rules.USED_UP, closed_at=now)
    record = verifications.record(session, actor, store=store, instrument_type="gift_card",
                                  instrument_name=card.template.title, method=method, key=key,
                                  member_id=card.member_id, now=now, amount_received=amount_received,
                                  card_id=card.id, amount_taken=amount, wallet_transaction_id=txn.id)
    session.expire(card)
    return record


def undo_spend(session, staff, record, now=None):
    """Give the spend back to the card's wallet and reopen the card if that spend emptied it."""
    card = get_owned(session, Card, staff.merchant_id, record.card_id)
    if not _take(session, card, (card_rules.ACTIVE, card_rules.USED_UP)):
        raise Conflict(f"礼品卡{rules.state_label(card.state)}，不能撤销")
    wallet.refund_debit(session, staff.merchant_id, record.wallet_transaction_id, record.amount_taken,
                        key=f"gift-undo:{record.id}", reference=("verification", record.id), operator=staff,
                        store_id=record.store_id, note="撤销礼品卡消费")
    if card.state == card_rules.USED_UP:
        _move(session, card, card_rules.USED_UP, card_rules.ACTIVE, closed_at=None)


def _release_expired_link(session, card, now):
    if card.state != card_rules.TRANSFERRING:
        return
    transfer = open_transfer(session, card.merchant_id, card.id)
    if transfer is not None and release_if_expired(session, transfer, now):
        session.expire(card)


def _take(session, card, states):
    """Lock the card row if it is still in one of `states` (a conditional update, so waits see the new state)."""
    taken = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(states)).values(state=Card.state)
        .returning(Card.id).execution_options(synchronize_session=False)).one_or_none()
    session.expire(card)
    return taken is not None


def _move(session, card, current, target, **values):
    """current -> target as a conditional update; Conflict (with the state found) when someone moved it first."""
    card_rules.move(GIFT, current, target)
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state == current).values(state=target, **values)
        .execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(f"礼品卡当前状态为「{rules.state_label(card.state)}」，请刷新后重试", state=card.state)


def _ledger_key(prefix, key):
    """A journal key derived from a request key of any allowed length, within the 100-character limit."""
    return f"{prefix}:{hashlib.sha256(key.encode()).hexdigest()[:48]}"


# --- the merchant -----------------------------------------------------------------------------------------

def void(session, actor, card_id, *, reason=None, ip=None, now=None):
    """The merchant voids a card that still has value for someone; an open link closes with it."""
    now = now or now_utc()
    card = get_owned(session, Card, actor.merchant_id, card_id)
    if card.kind != GIFT:
        raise NotFound("记录不存在")
    reason = optional_text(reason, "作废原因", 200)
    before = card.state
    # Transfer rows first, then the card: the same order as cancel and accept, so they cannot deadlock.
    session.execute(select(Transfer.id).where(Transfer.card_id == card.id).with_for_update())
    done = session.execute(
        update(Card).where(Card.id == card.id, Card.state.in_(rules.VOIDABLE))
        .values(state=card_rules.VOIDED, closed_at=now).execution_options(synchronize_session=False)).rowcount
    session.expire(card)
    if done != 1:
        raise Conflict(f"礼品卡{rules.state_label(card.state)}，不能作废")
    session.execute(update(Transfer).where(Transfer.card_id == card.id, Transfer.accepted_at.is_(None),
                                           Transfer.cancelled_at.is_(None))
                    .values(cancelled_at=now).execution_options(synchronize_session=False))
    audit.record(session, actor, "gift_card.void", "card", card.id, before={"state": before},
                 after={"state": card_rules.VOIDED, "reason": reason}, ip=ip)
    session.flush()
    return card


def template_cards(session, merchant_id, template_id, state=None, limit=500):
    """[(card, balance)] of one template, newest first, for the back office list."""
    query = (select(Card, Wallet.principal + Wallet.bonus).outerjoin(Wallet, Wallet.id == Card.wallet_id)
             .where(Card.merchant_id == merchant_id, Card.template_id == template_id, Card.kind == GIFT))
    if state:
        query = query.where(Card.state == state)
    return [(card, amount or 0) for card, amount in session.execute(query.order_by(Card.id.desc()).limit(limit))]


def state_counts(session, merchant_id, template_id):
    return dict(session.execute(select(Card.state, func.count()).where(
        Card.merchant_id == merchant_id, Card.template_id == template_id).group_by(Card.state)).all())


def _lock(session, key):
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})


# --- the staff page and the API (services/verification/instruments.py) -------------------------------------------------

class _GiftCardInstrument:
    kind = "gift_card"

    def find(self, session, merchant_id, code):
        return session.scalars(scoped(Card, merchant_id).where(Card.code == code, Card.kind == GIFT)).one_or_none()

    def describe(self, session, card, store_id, now):
        _release_expired_link(session, card, now)
        left = balance(session, card)
        holder = card.member
        details = [("面值", f"¥{format_yuan(card.face_value)}"), ("余额", f"¥{format_yuan(left)}")]
        if holder is None:
            details.append(("持卡人", "未绑定"))
        if card.ends_at is not None:
            tz_name = merchant_timezone(session, card.merchant_id)
            details.append(("有效期至", until_text(card.ends_at, tz_name)))
        return Lookup(kind=self.kind, kind_label=card_rules.KIND_LABELS[GIFT], id=card.id, code=card.code,
                      title=card.template.title, state=card.state, state_label=rules.state_label(card.state),
                      reason=rules.why_not_spendable(card.state, card.ends_at, now,
                                                     card_templates.valid_in(card.template, store_id)),
                      member=holder, details=details, take="amount", take_max=left)

    def verify(self, session, actor, row_id, *, store_id, method, key, quantity=None, amount=None,
               amount_received=0, now=None):
        return spend(session, actor, row_id, store_id=store_id, method=method, key=key, amount=amount,
                     amount_received=amount_received, now=now)

    def undo(self, session, staff, record, now):
        undo_spend(session, staff, record, now)

    def held_by(self, session, member, store_id, now):
        rows = session.scalars(scoped(Card, member.merchant_id).where(
            Card.member_id == member.id, Card.kind == GIFT, Card.state == card_rules.ACTIVE)
            .order_by(Card.id)).all()
        return [self.describe(session, card, store_id, now) for card in rows]


INSTRUMENT = _GiftCardInstrument()
