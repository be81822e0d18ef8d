"""Handing a points-mall gift over on the staff page: typing the member's pick-up code shows the gift and the
member, verifying records the store, and a second hand-over of the same code is refused."""
import re

from extensions import db
from models import Verification
from services.members.levels import list_levels
from services.points import ledger as points
from services.points_mall import exchanges, gifts
from tests.web.helpers import count, fresh, text_of
from tests.web.staff_h5.test_staff_h5 import shop, staff_login  # noqa: F401  (the fixture is used by name)


def test_can_a_cashier_hand_a_gift_over_by_its_pickup_code(client, shop):
    merchant, member = shop["merchant"], shop["member"]
    prices = {str(level.id): 30 for level in list_levels(db.session, merchant.id)}
    gift = gifts.save(db.session, shop["owner"], None, gifts.GiftValues(number="G9", name="马克杯", stock=3,
                                                                           prices=prices))
    points.earn(db.session, merchant, member.id, 100, key="earn:handover")
    row = exchanges.exchange(db.session, merchant, gift.id, member.id, key="handover:1")
    db.session.commit()
    staff_login(client, shop["cashier_east"])
    page = client.post("/staff/lookup", data={"code": row.pickup_code, "via": "manual"})
    body = text_of(page)
    assert page.status_code == 200 and "马克杯" in body and "积分商城礼品" in body and "王小明" in body
    key = re.findall(r'name="key" value="([^"]+)"', body)[0]
    done = client.post("/staff/verify", data={"code": row.pickup_code, "key": key, "method": "manual"})
    assert done.status_code == 200 and "核销成功" in text_of(done)
    assert fresh(row).state == "handed_over" and fresh(row).store_id == shop["east"].id
    assert count(Verification, Verification.instrument_type == "gift_exchange",
                 Verification.store_id == shop["east"].id) == 1
    again = client.post("/staff/verify", data={"code": row.pickup_code, "key": "verify:gift-again-0001",
                                               "method": "manual"})
    assert again.status_code == 409 and "已领取" in text_of(again)
