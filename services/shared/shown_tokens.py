"""Tokens a phone shows as a QR code: signed with the application's secret, naming their merchant and the moment
they were made, and stale after `valid_seconds`, so a screenshot or a code handed to someone else stops working.

The member's code (services/members/qr.py) and a coupon's or card's code (services/verification/qr.py) are two
kinds of it, each with its own salt and its own words for a refusal.
"""
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from domain.clock import now_utc
from services.shared import host

CLOCK_SKEW_SECONDS = 5


@dataclass(frozen=True)
class ShownToken:
    salt: str
    invalid: type  # the DomainError raised for a token that is not ours (or not this merchant's)
    expired: type  # the one raised for a token that is ours but stale
    expired_text: str
    invalid_text: str
    valid_seconds: int = 60

    def make(self, merchant_id, fields, now=None):
        """A fresh token carrying `fields` (a list of JSON values) for this merchant."""
        issued = int((now or now_utc()).timestamp())
        return self._serializer().dumps([merchant_id, issued, *fields])

    def read(self, merchant_id, value, now=None):
        """The fields the token carries, when it is this merchant's and fresh; raises `expired` or `invalid`."""
        try:
            token_merchant_id, issued, *fields = self._serializer().loads(value or "")
        except (BadSignature, TypeError, ValueError):
            raise self.invalid(self.invalid_text) from None
        if token_merchant_id != merchant_id or not isinstance(issued, int):
            raise self.invalid(self.invalid_text)
        age = int((now or now_utc()).timestamp()) - issued
        if age > self.valid_seconds:
            raise self.expired(self.expired_text)
        if age < -CLOCK_SKEW_SECONDS:
            raise self.invalid(self.invalid_text)
        return fields

    def _serializer(self):
        return URLSafeSerializer(host.secret_key(), salt=self.salt)
