"""Mainland China mobile numbers: the one key of a member at a merchant."""
import re

from domain.errors import DomainError

_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_SEPARATORS = re.compile(r"[\s\-()（）]")


def normalise_mobile(text):
    """'+86 138-0013-8000' -> '13800138000'; raises DomainError for anything else."""
    raw = _SEPARATORS.sub("", (text or "").strip())
    for prefix in ("+86", "0086", "86"):
        if raw.startswith(prefix) and len(raw) == len(prefix) + 11:
            raw = raw[len(prefix):]
            break
    if not _MOBILE.match(raw):
        raise DomainError("请输入正确的 11 位手机号", value=text)
    return raw


def mask_mobile(mobile):
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) == 11 else mobile
