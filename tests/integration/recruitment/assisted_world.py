"""The shop the 帮顾客办理 tests start from (service and staff page alike): one store with an 开卡礼 of 100 points,
and an owner, a cashier, a guide and a verifier working there."""
from domain import roles
from services.rewards import gifts as gift_rules


def assisted_join_shop(db, make, name, store_name, usernames):
    """{merchant, store, owner, cashier, guide, verifier}, committed; `usernames` names each role's login."""
    merchant = make.merchant(name=name)
    store = make.store(merchant, store_name)
    db.session.add(gift_rules.points_rule(merchant.id, "registration", "开卡礼", 100))
    people = {
        "owner": make.staff(merchant, role=roles.OWNER, username=usernames["owner"]),
        "cashier": make.staff(merchant, role=roles.CASHIER, username=usernames["cashier"], stores_=[store]),
        "guide": make.staff(merchant, role=roles.GUIDE, username=usernames["guide"], stores_=[store]),
        "verifier": make.staff(merchant, role=roles.VERIFIER, username=usernames["verifier"], stores_=[store]),
    }
    db.session.commit()
    return {"merchant": merchant, "store": store, **people}
