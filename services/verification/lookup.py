"""What the verification interface and its adapters share: `Lookup`, a verifiable thing as staff see it.

Every adapter (coupons, gift cards, count/timed cards, benefit cards) builds its answers from this module, and
services/verification/instruments.py imports the adapters; so this module imports neither.
"""
from dataclasses import dataclass, field
from typing import Optional


@dataclass
class Lookup:
    """A verifiable thing as staff see it. `reason` is None when it can be used here and now."""

    kind: str
    kind_label: str
    id: int
    code: str
    title: str
    state: str
    state_label: str
    reason: Optional[str]
    member: Optional[object] = None
    details: list = field(default_factory=list)  # [(label, value)] lines, already formatted in Chinese
    take: Optional[str] = None  # None = the whole thing; "uses" = count of uses; "amount" = fen
    take_max: Optional[int] = None
    photo_url: Optional[str] = None

    @property
    def usable(self):
        return self.reason is None

    def as_json(self):
        member = self.member
        return {
            "kind": self.kind, "kind_label": self.kind_label, "id": self.id, "code": self.code, "title": self.title,
            "state": self.state, "state_label": self.state_label, "usable": self.usable, "reason": self.reason,
            "member": ({"id": member.id, "name": member.name, "mobile_masked": _mask(member.mobile)}
                       if member is not None else None),
            "details": [{"label": label, "value": value} for label, value in self.details],
            "take": self.take, "take_max": self.take_max,
        }


def _mask(mobile):
    return f"{mobile[:3]}****{mobile[-4:]}" if mobile and len(mobile) >= 7 else mobile
