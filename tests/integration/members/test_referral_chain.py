"""Referral chains: a cycle can never be saved, and the chain paid on a checkout stops at the merchant's levels."""
import pytest

from domain import earning, roles
from domain.errors import DomainError
from services.till import settings as checkout_settings
from services.members import members


def chain_of(make, merchant, length):
    """length members, each referred by the previous one: [root, child, grandchild, ...]."""
    people = [make.member(merchant)]
    for _ in range(length - 1):
        people.append(make.member(merchant, referrer_id=people[-1].id))
    return people


def relink(db, owner, member, referrer):
    members.update_member(db.session, owner, member, mobile=member.mobile, referrer_id=referrer.id)


def test_is_a_referral_cycle_refused(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role=roles.OWNER)
    a, b, c = chain_of(make, merchant, 3)  # a <- b <- c
    with pytest.raises(DomainError, match="推荐关系不能形成循环"):
        relink(db, owner, a, c)
    with pytest.raises(DomainError, match="推荐关系不能形成循环"):
        relink(db, owner, b, c)
    with pytest.raises(DomainError, match="推荐人不能是会员本人"):
        relink(db, owner, a, a)
    db.session.expire_all()
    assert a.referrer_id is None


def test_may_a_member_change_to_a_referrer_outside_their_own_downline(db, make):
    merchant = make.merchant()
    owner = make.staff(merchant, role=roles.OWNER)
    a, b, c = chain_of(make, merchant, 3)
    outsider = make.member(merchant)
    relink(db, owner, c, outsider)
    relink(db, owner, a, outsider)  # outsider's chain does not lead back to a
    assert (a.referrer_id, c.referrer_id) == (outsider.id, outsider.id)


def test_does_the_chain_stop_at_the_merchants_number_of_levels(db, make):
    merchant = make.merchant()
    people = chain_of(make, merchant, 8)
    payer = people[-1]
    assert checkout_settings.referrer_chain(db.session, payer, 5) == list(reversed(people[2:7]))
    assert checkout_settings.referrer_chain(db.session, payer, 1) == [people[-2]]
    assert checkout_settings.referrer_chain(db.session, payer, 0) == []
    assert checkout_settings.referrer_chain(db.session, people[0], 5) == []


def test_five_level_referral_at_ten_percent_pays_each_ancestor(db, make):
    """Seed 004: the payer earns 1000 points; five referrers up the chain get 100 each, the sixth nothing."""
    merchant = make.merchant()
    people = chain_of(make, merchant, 7)
    chain = checkout_settings.referrer_chain(db.session, people[-1], 5)
    shares = dict(zip([m.id for m in chain], earning.referral_shares(1000, 5, 10)))
    assert shares == {m.id: 100 for m in people[1:6]} and people[0].id not in shares


def test_does_an_old_cycle_in_the_data_not_loop_forever(db, make):
    """Rows saved before the rule (or by hand) may loop; the chain stops at the first repeat."""
    merchant = make.merchant()
    a, b, c = chain_of(make, merchant, 3)
    a.referrer_id = c.id  # bypasses the service on purpose
    db.session.flush()
    assert checkout_settings.referrer_chain(db.session, c, 5) == [b, a]


def test_does_the_chain_never_cross_to_another_merchant(db, make):
    ours, theirs = make.merchant(), make.merchant()
    outsider = make.member(theirs)
    member = make.member(ours)
    member.referrer_id = outsider.id  # a forged row; the service would refuse it (get_owned)
    db.session.flush()
    assert checkout_settings.referrer_chain(db.session, member, 5) == []
