"""The "once per member" top-up nudge against PostgreSQL: pages opened at the same moment show it once."""
from models import Member, Merchant
from services.wallet import stored_value, topup_nudge
from tests.integration.helpers import run_concurrently


def test_do_ten_order_pages_at_once_show_a_once_only_nudge_once(app, db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role="owner")
    member = make.member(merchant)
    stored_value.enable(db.session, owner)
    stored_value.settings_of(db.session, merchant.id).nudge_mode = "once"
    stored_value.save_rule(db.session, owner, None, pay_amount=10000, bonus=1000, instalment_total=0,
                           instalment_months=0, points=0, growth=0, coupons=[], active=True, sort=0,
                           starts_on=None, ends_on=None)
    db.session.commit()
    merchant_id, member_id = merchant.id, member.id

    def look(session, index):
        return topup_nudge.offer(session, session.get(Merchant, merchant_id), session.get(Member, member_id))

    results, errors = run_concurrently(app, 10, look)
    assert errors == [] and len([r for r in results if r is not None]) == 1
