"""The member's QR code: a token signed with the app secret, valid 60 seconds, so a screenshot goes stale.

The token carries the member id, the merchant id and the issue time. Staff scanning resolves it with
`resolve`, which checks the signature, the merchant, the age and that the member is still active.
"""
import qrcode
from markupsafe import escape

from domain.errors import DomainError
from models import Member
from services.shared.shown_tokens import ShownToken
from services.shared.tenancy import scoped


class MemberQrInvalid(DomainError):
    code = "member_qr_invalid"


class MemberQrExpired(MemberQrInvalid):
    code = "member_qr_expired"


SHOWN = ShownToken("member-qr-v1", MemberQrInvalid, MemberQrExpired,
                   expired_text="会员码已过期，请让会员刷新后重新出示", invalid_text="会员码无效")
VALID_SECONDS = SHOWN.valid_seconds


def issue(member, now=None):
    """A fresh token for the member's QR code."""
    return SHOWN.make(member.merchant_id, [member.id], now)


def resolve(session, merchant_id, token, now=None):
    """The member the token names, at this merchant. Raises MemberQrExpired or MemberQrInvalid."""
    fields = SHOWN.read(merchant_id, token, now)
    member_id = fields[0] if len(fields) == 1 else None
    if not isinstance(member_id, int):
        raise MemberQrInvalid(SHOWN.invalid_text)
    member = session.scalars(scoped(Member, merchant_id).where(Member.id == member_id)).one_or_none()
    if member is None or member.status != "active":
        raise MemberQrInvalid("会员不存在或已停用")
    return member


def svg(token, border=2, label="会员码"):
    """The token as an inline SVG QR code: one path of horizontal runs (about 2 KB)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=border)
    code.add_data(token)
    code.make(fit=True)
    matrix = code.get_matrix()
    runs = []
    for y, row in enumerate(matrix):
        x = 0
        while x < len(row):
            if row[x]:
                start = x
                while x < len(row) and row[x]:
                    x += 1
                runs.append(f"M{start} {y}h{x - start}v1H{start}z")
            else:
                x += 1
    size = len(matrix)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" shape-rendering="crispEdges" '
            f'role="img" aria-label="{escape(label)}"><rect width="{size}" height="{size}" fill="#fff"/>'
            f'<path d="{"".join(runs)}"/></svg>')
