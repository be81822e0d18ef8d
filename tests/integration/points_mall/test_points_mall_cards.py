"""Cards in the points mall (积分商城: "coupons and cards can be listed beside gifts"): a gift that is a count card, a
timed card of one tier or a benefit card goes into the member's card package in the exchange's own transaction,
paid in points only; the card's own stock and state are respected; a gift-card template, a paid membership or
another merchant's card is refused; a racing crowd gets exactly the stock."""
import pytest
from sqlalchemy import func, select

from domain import points_mall as rules
from domain.errors import Conflict, DomainError, NotFound
from models import Card, GiftExchange, Merchant
from services.cards import benefit_templates, count_timed_templates, gift_templates
from services.members.levels import list_levels
from services.points import ledger as points
from services.points_mall import card_gifts, counter, exchanges, gifts
from tests.integration.helpers import run_concurrently

TIERS = [{"label": "月卡", "days": 30, "price": 9900}, {"label": "季卡", "days": 90, "price": 25900}]


@pytest.fixture()
def shop(db, make):
    merchant = make.merchant(name="卡券商城")
    owner = make.staff(merchant)
    prices = {str(level.id): 100 for level in list_levels(db.session, merchant.id)}
    count = count_timed_templates.save_template(db.session, owner, None, kind="count", title="洗车十次卡",
                                                service_name="精洗", uses=10, price=19900)
    timed = count_timed_templates.save_template(db.session, owner, None, kind="timed", title="健身卡", tiers=TIERS)
    benefit = benefit_templates.save_template(db.session, owner, None, title="黄金权益卡", price=9900, valid_days=30,
                                              discount_percent=90)
    db.session.commit()
    return dict(merchant=merchant, owner=owner, prices=prices, count=count, timed=timed, benefit=benefit)


def card_gift(db, shop, template, tier_key=None, stock=5, number="C1"):
    gift = gifts.save(db.session, shop["owner"], None, gifts.GiftValues(
        number=number, name=template.title, stock=stock, prices=shop["prices"], card_template_id=template.id,
        card_tier_key=tier_key))
    db.session.commit()
    return gift


def rich_member(db, make, merchant, amount=1000):
    member = make.member(merchant)
    points.earn(db.session, merchant, member.id, amount, key=f"seed:{member.id}")
    db.session.commit()
    return member


def test_does_a_count_card_gift_go_into_the_card_package_at_once_paid_in_points(db, make, shop):
    gift = card_gift(db, shop, shop["count"])
    member = rich_member(db, make, shop["merchant"])
    row = exchanges.exchange(db.session, shop["merchant"], gift.id, member.id, key="card:1")
    db.session.commit()
    card = db.session.get(Card, row.card_id)
    assert (card.kind, card.member_id, card.channel, card.price_paid, card.uses_left) == \
        ("count", member.id, "points_exchange", 0, 10)
    assert (row.state, row.expires_at, row.points) == (rules.HANDED_OVER, None, 100)
    db.session.expire_all()
    assert member.points_balance == 900 and db.session.get(type(gift), gift.id).stock == 4
    again = exchanges.exchange(db.session, shop["merchant"], gift.id, member.id, key="card:1")  # a retry
    db.session.commit()
    assert again.id == row.id and db.session.scalar(select(func.count()).select_from(Card)) == 1
    with pytest.raises(Conflict, match="已领取"):
        exchanges.cancel(db.session, shop["merchant"], row.id, by_member_id=member.id)  # the card is in hand


def test_do_a_timed_tier_and_a_benefit_card_come_as_chosen(db, make, shop):
    quarter = shop["timed"].tiers[1]["key"]
    timed_gift = card_gift(db, shop, shop["timed"], tier_key=quarter, number="T1")
    benefit_gift = card_gift(db, shop, shop["benefit"], number="B1")
    member = rich_member(db, make, shop["merchant"])
    timed = exchanges.exchange(db.session, shop["merchant"], timed_gift.id, member.id, key="t:1")
    benefit = exchanges.exchange(db.session, shop["merchant"], benefit_gift.id, member.id, key="b:1")
    db.session.commit()
    timed_card, benefit_card = db.session.get(Card, timed.card_id), db.session.get(Card, benefit.card_id)
    assert (timed_card.kind, timed_card.tier_key, timed_card.days, timed_card.price_paid) == ("timed", quarter, 90, 0)
    assert (benefit_card.kind, benefit_card.state, benefit_card.price_paid) == ("benefit", "active", 0)
    assert card_gifts.held_card(db.session, shop["merchant"].id, member.id, timed.card_id).id == timed_card.id


def test_does_the_counter_exchange_a_card_gift_without_a_hand_over(db, make, shop):
    gift = card_gift(db, shop, shop["count"])
    store = make.store(shop["merchant"], "东门店")
    member = rich_member(db, make, shop["merchant"])
    row, record = counter.exchange_and_hand_over(db.session, shop["owner"], member, gift.id, store_id=store.id,
                                                 key="counter:1")
    db.session.commit()
    assert record is None and row.card_id is not None and (row.store_id, row.staff_id) == (store.id, shop["owner"].id)


def test_does_a_stopped_card_refuse_the_whole_exchange_and_spend_nothing(db, make, shop):
    gift = card_gift(db, shop, shop["count"])
    member = rich_member(db, make, shop["merchant"])
    shop["count"].disabled = True  # the merchant stopped the card after listing it in the mall
    db.session.commit()
    with pytest.raises(Conflict, match="停止发放"):
        exchanges.exchange(db.session, shop["merchant"], gift.id, member.id, key="stopped:1")
    db.session.rollback()
    db.session.expire_all()
    assert member.points_balance == 1000 and db.session.scalar(select(func.count()).select_from(GiftExchange)) == 0


def test_are_gift_cards_memberships_unknown_tiers_and_another_merchants_cards_refused(db, make, shop):
    stored_value = gift_templates.save_template(db.session, shop["owner"], None, title="礼品卡", face_values=[10000])
    membership = benefit_templates.save_template(db.session, shop["owner"], None, title="年度会员", price=9900,
                                                 valid_days=365, discount_percent=95)
    membership.membership = True
    other = make.merchant(name="隔壁")
    theirs = count_timed_templates.save_template(db.session, make.staff(other), None, kind="count", title="隔壁卡",
                                                 service_name="洗", uses=5, price=100)
    db.session.commit()
    refused = [(theirs.id, None, NotFound), (shop["timed"].id, None, DomainError),
               (shop["timed"].id, "nope", DomainError), (stored_value.id, None, DomainError),
               (membership.id, None, DomainError)]
    for template_id, tier, error in refused:
        with pytest.raises(error):
            gifts.save(db.session, shop["owner"], None, gifts.GiftValues(
                number="X", name="X", stock=1, prices=shop["prices"], card_template_id=template_id,
                card_tier_key=tier))
        db.session.rollback()
    for value in ("abc", "1:" + "x" * 30, "9" * 12):
        with pytest.raises(DomainError):
            card_gifts.parse(value)


def test_do_twenty_members_racing_for_five_card_gifts_get_exactly_five_cards(app, db, make, shop):
    gift = card_gift(db, shop, shop["count"], stock=5)
    crowd = [rich_member(db, make, shop["merchant"], 150).id for _ in range(20)]
    merchant_id, gift_id = shop["merchant"].id, gift.id

    def exchange(session, index):
        return exchanges.exchange(session, session.get(Merchant, merchant_id), gift_id, crowd[index],
                                  key=f"race:{index}").id

    done, refused = run_concurrently(app, 20, exchange)
    assert len(done) == 5 and all(isinstance(e, Conflict) for e in refused)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Card)) == 5
