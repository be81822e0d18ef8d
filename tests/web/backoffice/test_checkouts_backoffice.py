"""Back office: 收银记录 (till payments), one payment's steps and refunds, and the refund form (owner/admin only)."""
import re
import pytest

from domain import pricing, roles
from models import Member
from models.checkout import CheckoutRefund
from services.till import checkout, settings as checkout_settings
from services.coupons import issue as coupon_issue, templates as coupon_templates
from services.points import ledger as points
from services.wallet import journal as wallet
from tests.web.helpers import count, fresh, text_of


@pytest.fixture()
def till(make, db, merchant, owner, store):
    """A member with ¥200 and 1000 points, a ¥10-off coupon, and the till set to earn and deduct points."""
    settings = checkout_settings.settings_of(db.session, merchant.id)
    settings.earn_per_yuan, settings.points_per_yuan, settings.points_max_percent = 1, 100, 50
    settings.coupons_with_points = True
    member = make.member(merchant, mobile="13812345678")
    purse = wallet.member_wallet(db.session, merchant.id, member.id)
    wallet.credit(db.session, merchant.id, purse.id, 20000, key="topup:till")
    points.earn(db.session, merchant, member.id, 1000, key="seed-points")
    template = coupon_templates.save_template(db.session, owner, None, kind="cash", title="满50减10", amount_off=1000,
                                              min_spend=5000, validity_mode="relative", valid_days=30)
    code = coupon_issue.claim(db.session, merchant, template.id, member.id, channel="h5", key="give:till")
    db.session.commit()
    return {"merchant": merchant, "owner": owner, "store": store, "member": member, "purse": purse, "code": code}


def pay(db, till, amount, *, key, tender="balance", choice=None, member_id=...):
    made = checkout.pay(db.session, till["merchant"], till["owner"], store_id=till["store"].id,
                        member_id=till["member"].id if member_id is ... else member_id, amount=amount,
                        tender=tender, choice=choice, seed="order-1", key=key)
    db.session.commit()
    return made


@pytest.fixture()
def paid(db, till):
    """¥100 paid by balance with the coupon (-¥10) and 1000 points (-¥10): ¥80 from the wallet, 80 points earned."""
    return pay(db, till, 10000, key="till-1", choice=pricing.Choice(coupon_ids=(till["code"].id,), points=1000))


def key_of(page):
    return re.search(r'name="key"[^>]*value="([^"]+)"', page).group(1)


def test_does_the_list_show_each_payment_with_the_member_masked(as_owner, db, till, paid):
    cash = pay(db, till, 3000, key="till-2", tender="cash", member_id=None)
    page = text_of(as_owner.get("/backoffice/checkouts"))
    assert "收银记录" in page and "共 2 笔收银" in page
    assert f'data-checkout-id="{paid.id}"' in page and f'data-checkout-id="{cash.id}"' in page
    assert "138****5678" in page and "13812345678" not in page
    assert "¥100.00" in page and "¥80.00" in page and "1000 / 80" in page and "非会员" in page


@pytest.mark.parametrize("query, shown", [
    ("tender=cash", {"cash"}), ("tender=balance", {"paid"}), ("state=refunded", set()), ("state=paid", {"paid", "cash"}),
    ("date_from=2000-01-01&date_to=2000-01-02", set()), ("date_from=nonsense&state=bogus&store=abc", {"paid", "cash"}),
])
def test_do_the_filters_narrow_the_list(as_owner, db, till, paid, query, shown):
    cash = pay(db, till, 3000, key="till-2", tender="cash", member_id=None)
    page = text_of(as_owner.get(f"/backoffice/checkouts?{query}"))
    ids = {"paid": paid.id, "cash": cash.id}
    assert {name for name, id_ in ids.items() if f'data-checkout-id="{id_}"' in page} == shown


def test_does_the_store_filter_keep_only_that_stores_payments(as_owner, make, db, till, paid):
    other = make.store(till["merchant"], name="徐家汇店")
    db.session.commit()
    assert f'data-checkout-id="{paid.id}"' in text_of(as_owner.get(f"/backoffice/checkouts?store={till['store'].id}"))
    assert f'data-checkout-id="{paid.id}"' not in text_of(as_owner.get(f"/backoffice/checkouts?store={other.id}"))


def test_does_the_detail_show_the_steps_and_how_it_was_paid(as_owner, till, paid):
    page = text_of(as_owner.get(f"/backoffice/checkouts/{paid.id}"))
    assert 'data-kind="coupon"' in page and 'data-kind="points"' in page and "满50减10" in page
    assert "储值余额支付" in page and "¥80.00" in page and "138****5678" in page
    assert re.search(r'name="amount"[^>]*value="80.00"', page)  # the default: all that is left


def test_can_an_owner_refund_part_then_the_rest(as_owner, db, till, paid):
    page = text_of(as_owner.get(f"/backoffice/checkouts/{paid.id}"))
    done = text_of(as_owner.post(f"/backoffice/checkouts/{paid.id}/refund",
                                 data={"amount": "30", "reason": "少上一道菜", "key": key_of(page)},
                                 follow_redirects=True))
    assert "已退款 ¥30.00" in done and "退回储值 ¥30.00" in done and "少上一道菜" in done
    assert fresh(till["purse"]).principal == 20000 - 8000 + 3000
    assert re.search(r'name="amount"[^>]*value="50.00"', done)  # what is left, for the next refund
    done = text_of(as_owner.post(f"/backoffice/checkouts/{paid.id}/refund",
                                 data={"amount": "50", "reason": "整单退", "key": key_of(done)},
                                 follow_redirects=True))
    assert "已退款 ¥50.00" in done and "恢复优惠券 1 张" in done and "本单已全额退款" in done
    assert fresh(paid).state == "refunded" and count(CheckoutRefund, CheckoutRefund.checkout_id == paid.id) == 2
    wallet_page = text_of(as_owner.get(f"/backoffice/members/{till['member'].id}"))
    assert "¥200.00" in wallet_page  # the balance is back on the member's wallet


def test_are_earned_points_already_spent_shown_as_not_reversed(as_owner, db, till):
    cash = pay(db, till, 4000, key="till-3", tender="cash", choice=pricing.Choice())  # earns 40 points
    member = db.session.get(Member, till["member"].id)
    points.spend(db.session, till["merchant"], member.id, member.points_balance, key="spend-all")
    db.session.commit()
    page = text_of(as_owner.get(f"/backoffice/checkouts/{cash.id}"))
    done = text_of(as_owner.post(f"/backoffice/checkouts/{cash.id}/refund",
                                 data={"amount": "40", "reason": "退款", "key": key_of(page)}, follow_redirects=True))
    assert "40 分未能收回" in done and "未能退回" in done and "现金 ¥40.00（线下退还）" in done


def test_is_an_over_refund_refused_with_nothing_changed(as_owner, db, till, paid):
    page = text_of(as_owner.get(f"/backoffice/checkouts/{paid.id}"))
    response = as_owner.post(f"/backoffice/checkouts/{paid.id}/refund",
                             data={"amount": "80.01", "reason": "多退", "key": key_of(page)})
    assert response.status_code == 400 and "超过可退金额" in text_of(response)
    assert fresh(paid).refunded_amount == 0 and count(CheckoutRefund) == 0
    assert fresh(till["purse"]).principal == 12000


@pytest.mark.parametrize("data, message", [
    ({"amount": "", "reason": "x"}, "请填写退款金额"),
    ({"amount": "abc", "reason": "x"}, "金额"),
    ({"amount": "10", "reason": ""}, "请填写退款原因"),
    ({"amount": "10", "reason": "x", "key": ""}, "页面已过期"),
])
def test_is_a_malformed_refund_refused_with_nothing_changed(as_owner, till, paid, data, message):
    response = as_owner.post(f"/backoffice/checkouts/{paid.id}/refund", data={"key": "checkout-refund:bad", **data})
    assert response.status_code == 400 and message in text_of(response)
    assert fresh(paid).refunded_amount == 0 and count(CheckoutRefund) == 0


def test_may_a_cashier_see_the_payment_but_not_refund_it(sign_in_as, client, till, paid):
    sign_in_as(roles.CASHIER, stores_=[till["store"]])
    page = text_of(client.get(f"/backoffice/checkouts/{paid.id}"))
    assert "满50减10" in page and "确认退款" not in page
    response = client.post(f"/backoffice/checkouts/{paid.id}/refund",
                           data={"amount": "10", "reason": "x", "key": "checkout-refund:cashier"})
    assert response.status_code == 403 and "只有店主或管理员可以退款" in text_of(response)
    assert fresh(paid).refunded_amount == 0 and count(CheckoutRefund) == 0


def test_is_another_merchants_checkout_not_found(make, db, as_owner, till, paid):
    other = make.merchant(name="别家")
    other_store, other_owner = make.store(other), make.staff(other, role=roles.OWNER, username="otherboss")
    db.session.commit()
    foreign = checkout.pay(db.session, other, other_owner, store_id=other_store.id, member_id=None, amount=1000,
                           tender="cash", choice=None, seed="order-x", key="other:1")
    db.session.commit()
    assert as_owner.get(f"/backoffice/checkouts/{foreign.id}").status_code == 404
    response = as_owner.post(f"/backoffice/checkouts/{foreign.id}/refund",
                             data={"amount": "10", "reason": "x", "key": "checkout-refund:foreign"})
    assert response.status_code == 404 and fresh(foreign).refunded_amount == 0
    assert f'data-checkout-id="{foreign.id}"' not in text_of(as_owner.get("/backoffice/checkouts"))


def test_is_the_list_link_in_the_navigation(as_owner):
    assert 'href="/backoffice/checkouts"' in text_of(as_owner.get("/backoffice/orders"))
