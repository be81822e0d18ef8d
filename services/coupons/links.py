"""Receipt QR: a one-time claim link for one coupon, bound to a payment.

The token is an HMAC of (merchant, template, payment) with the app secret, so printing the same receipt
again yields the same QR, while the database keeps only the token's sha256 (a leaked table names no link).
Claiming is a conditional update on `claimed_at IS NULL`: of many scans, exactly one wins, and the coupon
is issued in the same transaction, so a refused issue (stock out, limit) leaves the link unclaimed.
"""
import base64
import io
import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

import qrcode
from qrcode.image.pure import PyPNGImage
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from domain.clock import now_utc, to_local
from domain.errors import Conflict, DomainError, NotFound
from models import ClaimLink, CouponTemplate, Member
from services.coupons import issue as coupon_issue
from services.members import qr as member_qr
from services.shared import host
from services.shared.tenancy import get_owned, scoped
from services.shared.text import required_text

MAX_TTL_DAYS = 366
OPEN, CLAIMED, EXPIRED = "open", "claimed", "expired"


@dataclass
class LinkView:
    link: ClaimLink
    status: str  # open | claimed | expired

    @property
    def template(self):
        return self.link.template


def token_for(merchant_id, template_id, payment_ref):
    message = f"coupon-link:v1:{merchant_id}:{template_id}:{payment_ref}".encode()
    digest = hmac.new(host.secret_key().encode(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token):
    return hashlib.sha256((token or "").encode()).hexdigest()


def create_claim_link(session, merchant, template_id, payment_ref, *, ttl_days=30, now=None):
    """The receipt's claim token for this payment and coupon; asking again returns the same token."""
    payment_ref = required_text(payment_ref, "支付单号", 64)
    if not isinstance(ttl_days, int) or not 0 < ttl_days <= MAX_TTL_DAYS:
        raise DomainError("有效天数须在 1 到 366 之间")
    template = get_owned(session, CouponTemplate, merchant.id, template_id)
    if not template.active:
        raise Conflict("该券已停止发放")
    token = token_for(merchant.id, template.id, payment_ref)
    if _existing(session, merchant.id, token) is None:
        now = now or now_utc()
        _insert_once(session, ClaimLink(merchant_id=merchant.id, template_id=template.id, payment_ref=payment_ref,
                                        channel="receipt_qr", token_hash=hash_token(token),
                                        expires_at=now + timedelta(days=ttl_days), created_at=now))
    return token


def link_url(merchant, token):
    return host.external_url("member_h5.coupon_link", merchant_slug=merchant.slug, token=token)


def link_svg(merchant, token):
    """The link as an inline SVG QR code, for the receipt or a page."""
    return member_qr.svg(link_url(merchant, token), label="领券二维码")


def link_png(merchant, token):
    """The link as PNG bytes, for a printer that takes images."""
    code = qrcode.QRCode(border=2, box_size=6)
    code.add_data(link_url(merchant, token))
    buffer = io.BytesIO()
    code.make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


def view(session, merchant, token, now=None):
    """What the scanned link is: its coupon and whether it can still be claimed."""
    link = _existing(session, merchant.id, token)
    if link is None:
        raise NotFound("二维码无效")
    return LinkView(link, _status(link, now or now_utc()))


def claim_by_link(session, merchant, token, member_id, now=None):
    """Issue the link's coupon to this member, once for all scans. Returns the code.

    On any refusal the caller rolls back: the link is marked claimed before the coupon is issued.
    """
    now = now or now_utc()
    link = view(session, merchant, token, now).link
    member_id = get_owned(session, Member, merchant.id, member_id).id
    won = session.execute(
        update(ClaimLink).where(ClaimLink.id == link.id, ClaimLink.claimed_at.is_(None), ClaimLink.expires_at > now)
        .values(claimed_at=now, claimed_by_id=member_id).execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        session.refresh(link)
        raise _refusal(link, merchant.timezone)
    code = coupon_issue.claim(session, merchant, link.template_id, member_id, channel=link.channel,
                              key=f"link:{link.id}", now=now)
    session.execute(update(ClaimLink).where(ClaimLink.id == link.id).values(coupon_code_id=code.id)
                    .execution_options(synchronize_session=False))
    session.expire(link)
    return code


def _refusal(link, tz_name):
    if link.claimed_at is not None:
        return Conflict(f"该二维码已领取（{to_local(link.claimed_at, tz_name):%Y-%m-%d %H:%M}）",
                        claimed_at=link.claimed_at.isoformat())
    return Conflict("该二维码已过期")


def _status(link, now):
    if link.claimed_at is not None:
        return CLAIMED
    return OPEN if link.expires_at > now else EXPIRED


def _existing(session, merchant_id, token):
    return session.scalars(scoped(ClaimLink, merchant_id).where(ClaimLink.token_hash == hash_token(token))).one_or_none()


def _insert_once(session, link):
    """Two tills printing the same receipt at once: the unique hash keeps one row, both get the same token."""
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError:
        if _existing_by_hash(session, link.token_hash) is None:
            raise


def _existing_by_hash(session, token_hash):
    return session.scalars(select(ClaimLink.id).where(ClaimLink.token_hash == token_hash)).one_or_none()

