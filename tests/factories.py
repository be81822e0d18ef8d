"""Factories that build valid rows through the services, with sensible defaults."""
import itertools

from domain import roles
from services.members import levels, members
from services.merchant import merchants, staff, stores
from services.wallet import journal as wallet

PASSWORD = "password123"
_counter = itertools.count(1)


class Factories:
    def __init__(self, session):
        self.session = session

    def merchant(self, slug=None, name="测试商户", with_levels=True, **settings):
        n = next(_counter)
        merchant = merchants.create_merchant(self.session, slug or f"m{n}", name)
        for key, value in settings.items():
            setattr(merchant, key, value)
        if with_levels:
            self.levels(merchant)
        self.session.flush()
        return merchant

    def levels(self, merchant):
        owner = self.staff(merchant, role=roles.OWNER, username=f"lvowner{next(_counter)}")
        created = [
            levels.save_level(self.session, owner, None, rank=1, name="普通", discount_percent=100),
            levels.save_level(self.session, owner, None, rank=2, name="银卡", min_spend=100000, min_visits=10,
                              discount_percent=95, points_multiplier_tenths=12),
            levels.save_level(self.session, owner, None, rank=3, name="金卡", min_spend=500000, min_topup=200000,
                              discount_percent=88, points_multiplier_tenths=15),
        ]
        return created

    def store(self, merchant, name=None):
        return stores.create_store(self.session, merchant.id, name or f"门店{next(_counter)}")

    def staff(self, merchant, role=roles.OWNER, username=None, stores_=None):
        if roles.is_store_bound(role) and not stores_:
            stores_ = [self.store(merchant)]
        return staff.create_staff(self.session, merchant.id, username=username or f"{role}{next(_counter)}",
                                  name=f"员工{role}", role=role, password=PASSWORD,
                                  store_ids=[s.id for s in (stores_ or [])])

    def member(self, merchant, mobile=None, **fields):
        n = next(_counter)
        return members.create_member(self.session, merchant.id, mobile=mobile or f"139{n:08d}", **fields)

    def wallet(self, merchant, member, principal=0, bonus=0):
        purse = wallet.member_wallet(self.session, merchant.id, member.id)
        if principal or bonus:
            wallet.credit(self.session, merchant.id, purse.id, principal, bonus, key=f"factory:credit:{next(_counter)}")
        return purse
