"""What a scanned or typed value names, decided on the server: a member (their QR), one instrument (its QR
token), or an instrument's printed code. The page sends whatever the scanner read, as it was read."""
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import gettext as _

from domain.errors import DomainError
from services.verification import qr as instrument_qr, instruments
from services.verification.lookup import Lookup
from services.members import qr as member_qr


class StaleToken(DomainError):
    """A valid instrument token whose code is no longer held by the member it was made for."""

    code = "instrument_qr_stale"


@dataclass
class Scanned:
    lookup: Optional[Lookup] = None  # one instrument
    member: Optional[object] = None  # or a member and what they hold
    held: list = field(default_factory=list)


def _is_token(value):
    # Signed tokens are base64 parts joined by dots; printed codes are letters, digits, spaces and dashes.
    return "." in value


def resolve(session, merchant_id, value, store_id, now):
    """Raises DomainError (unknown code, bad format, invalid or expired token) for anything else."""
    value = (value or "").strip()
    if not _is_token(value):
        return Scanned(lookup=instruments.lookup(session, merchant_id, value, store_id, now))
    try:
        code, member_id = instrument_qr.resolve(merchant_id, value, now)
    except instrument_qr.InstrumentQrExpired:  # a real instrument token, only stale: say so, not "invalid"
        raise
    except instrument_qr.InstrumentQrInvalid:
        member = member_qr.resolve(session, merchant_id, value, now)  # raises its own reason when not a member QR
        return Scanned(member=member, held=instruments.held_by(session, member, store_id, now))
    adapter, row = instruments.find(session, merchant_id, code)
    if getattr(row, "member_id", None) != member_id:
        raise StaleToken(_("二维码已失效，请让会员刷新后重新出示"))
    return Scanned(lookup=adapter.describe(session, row, store_id, now))
