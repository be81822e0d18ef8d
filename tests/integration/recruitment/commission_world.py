"""The shop the commission tests start from: a store, its owner and a guide, a member, stored value on and the
commission rule RULE saved (not yet committed, so a test module can add its own people first)."""
from domain import roles
from services.recruitment import commission_rules
from services.wallet import stored_value

RULE = dict(enabled=True, per_new_member=500, topup_bp=200, card_sale_bp=300, guided_spend_bp=150,
            guided_spend_days=30)


def commission_shop(db, make, name, prefix, mobile):
    """{merchant, store, owner, guide, member}; staff usernames start with `prefix` so modules never collide."""
    merchant = make.merchant(name=name)
    store = make.store(merchant, "东门店")
    owner = make.staff(merchant, role=roles.OWNER, username=f"{prefix}-owner")
    guide = make.staff(merchant, role=roles.GUIDE, username=f"{prefix}-guide", stores_=[store])
    member = make.member(merchant, mobile=mobile)
    stored_value.enable(db.session, owner)
    commission_rules.save(db.session, owner, **RULE)
    return dict(merchant=merchant, store=store, owner=owner, guide=guide, member=member)
