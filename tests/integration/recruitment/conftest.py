"""Fixtures the recruitment integration tests share: a payment channel that refunds at once, without a network."""
import pytest

from channels import payment_channels


class InstantRefundChannel:
    """A channel whose every refund has already succeeded."""

    @staticmethod
    def refund(merchant, order, amount, out_refund_no, reason):
        return {"refund_id": f"CH{out_refund_no}", "status": "succeeded"}


@pytest.fixture()
def fake_channel(monkeypatch):
    """Refunds go to InstantRefundChannel (a module asks for it with pytest.mark.usefixtures("fake_channel"))."""
    monkeypatch.setattr(payment_channels, "channel_for", lambda channel: InstantRefundChannel)
