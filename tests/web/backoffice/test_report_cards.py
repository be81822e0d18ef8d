"""Back office: the cards report page (卡报表), its store filter and exports; the timed-card holders and gift-card
buyers lists with their keyset pages and exports; refusals and another merchant's rows."""
import io
import random
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from domain import roles
from domain.clock import local_today, now_utc
from extensions import db
from services.cards import count_timed_issue, count_timed_use, gift_spend
from tests.integration.reports.test_cards_report import buy_card, buy_gift_cards, card_templates
from tests.web.helpers import text_of


@pytest.fixture()
def cards(make, merchant, owner):
    one, two = make.store(merchant, "人民广场店"), make.store(merchant, "徐家汇店")
    buyer = make.member(merchant, name="王芳", mobile="13912345678", home_store_id=None)
    db.session.flush()
    buyer.home_store_id = two.id
    templates = card_templates(db, owner)
    db.session.commit()
    count_card = count_timed_issue.issue(db.session, merchant, templates["count"].id, buyer.id, channel="staff",
                                         key="give:count")
    count_timed_use.use(db.session, owner, count_card.id, store_id=one.id, method="manual", key="u1", quantity=2)
    timed = buy_card(db, merchant, templates["timed"], buyer, "buy:timed", now_utc(),
                     tier_key=templates["timed"].tiers[0]["key"])
    gifts = buy_gift_cards(db, merchant, templates["gift"], buyer, "buy:gift", now_utc(), random.Random(1))
    gift_spend.spend(db.session, owner, gifts.fulfilment["card_ids"][0], store_id=two.id, method="manual", key="s1",
                     amount=1500)
    db.session.commit()
    return dict(one=one, two=two, buyer=buyer, templates=templates, timed=timed, gifts=gifts)


def test_does_the_page_show_cards_sold_used_and_per_store(as_owner, cards):
    page = as_owner.get("/backoffice/reports/cards")
    assert page.status_code == 200
    text = text_of(page)
    assert "洗车十次卡" in text and "健身卡" in text and "新春礼品卡" in text
    assert "次卡" in text and "时长卡" in text and "权益卡" in text
    assert "15.00" in text  # the gift card spend
    income = cards["timed"].amount + cards["gifts"].amount
    assert f"{income / 100:,.2f}" in text
    assert text.count('class="bo-report-chart report-chart') == 2

    only_one = text_of(as_owner.get(f"/backoffice/reports/cards?store={cards['one'].id}"))
    assert 'id="store-note"' in only_one and "15.00" not in only_one and "洗车十次卡" in only_one


def test_do_the_exports_carry_days_kinds_and_templates(as_owner, merchant, cards):
    today = local_today(merchant.timezone)
    csv = as_owner.get(f"/backoffice/reports/cards?format=csv&start={(today - timedelta(days=1)).isoformat()}")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0].startswith("日期/卡,类型,售出,售卡金额,赠送") and len(lines) == 1 + 2 + 1
    gift_count = sum(line["quantity"] for line in cards["gifts"].items["lines"])
    assert lines[2].startswith(f"{today.isoformat()},,{1 + gift_count},") and lines[-1].startswith("合计,")

    kinds = as_owner.get("/backoffice/reports/cards?format=csv&view=kinds").get_data().decode("utf-8-sig")
    assert [row.split(",")[0] for row in kinds.splitlines()[1:]] == ["次卡", "时长卡", "礼品卡", "权益卡", "合计"]
    assert kinds.splitlines()[1].startswith("次卡,次卡,0,0.00,1,0,0.00,2,0")  # given once, two uses

    response = as_owner.get("/backoffice/reports/cards?format=xlsx&view=templates")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][0] == "合计" and Decimal(str(rows[-1][9])) == Decimal("15.00")


def test_do_the_holder_lists_show_masked_phones_and_export(as_owner, merchant, cards):
    page = text_of(as_owner.get("/backoffice/reports/cards/timed-holders"))
    assert "王芳" in page and "139****5678" in page and "13912345678" not in page
    assert "健身卡（" in page and "徐家汇店" in page and "首次使用后" in page
    assert "王芳" not in text_of(as_owner.get(f"/backoffice/reports/cards/timed-holders?store={cards['one'].id}"))
    csv = as_owner.get("/backoffice/reports/cards/timed-holders?format=csv").get_data().decode("utf-8-sig")
    assert csv.splitlines()[0] == "会员,手机号,时长卡,状态,有效期至,所属门店"
    assert csv.splitlines()[1].startswith("王芳,139****5678,健身卡（") and len(csv.splitlines()) == 2

    buyers = text_of(as_owner.get("/backoffice/reports/cards/gift-buyers"))
    assert "王芳" in buyers and "139****5678" in buyers and "新春礼品卡" in buyers
    response = as_owner.get("/backoffice/reports/cards/gift-buyers?format=xlsx")
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    response.close()
    assert rows[0][:3] == ("购买人", "手机号", "礼品卡") and len(rows) == 1 + len(cards["gifts"].fulfilment["card_ids"])
    spent = [row for row in rows[1:] if Decimal(str(row[4])) - Decimal(str(row[5])) == Decimal("15.00")]
    assert len(spent) == 1  # the balance left is the card's own
    yesterday = (local_today(merchant.timezone) - timedelta(days=1)).isoformat()
    assert "王芳" not in text_of(as_owner.get(f"/backoffice/reports/cards/gift-buyers?end={yesterday}"))


def test_are_the_holder_pages_read_by_keyset(as_owner, make, merchant, owner, cards):
    members = [make.member(merchant, name=f"会员{n:02d}") for n in range(60)]
    db.session.flush()
    for n, member in enumerate(members):
        count_timed_issue.issue(db.session, merchant, cards["templates"]["timed"].id, member.id, channel="staff",
                                key=f"t{n}", tier_key=cards["templates"]["timed"].tiers[1]["key"])
    db.session.commit()
    first = text_of(as_owner.get("/backoffice/reports/cards/timed-holders"))
    assert "共 61 张" in first and 'id="page-next"' in first and 'id="page-first"' not in first
    after = first.split('id="page-next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text_of(as_owner.get(after))
    assert 'id="page-first"' in second and 'id="page-next"' not in second
    shown = [n for n in range(60) if f"会员{n:02d}" in first] + [n for n in range(60) if f"会员{n:02d}" in second]
    assert sorted(shown) == list(range(60))  # every holder once, none twice
    for junk in ("abc", "-1", "²", "9" * 40):
        assert as_owner.get(f"/backoffice/reports/cards/timed-holders?after={junk}").status_code == 200


def test_are_bad_dates_and_another_merchants_store_refused_everywhere(as_owner, make):
    other = make.merchant(slug="elsewhere")
    store = make.store(other)
    db.session.commit()
    for path in ("/backoffice/reports/cards", "/backoffice/reports/cards/timed-holders",
                 "/backoffice/reports/cards/gift-buyers"):
        assert as_owner.get(f"{path}?start=2026-02-30").status_code == 400, path
        assert as_owner.get(f"{path}?store={store.id}").status_code == 404, path
        assert as_owner.get(f"{path}?store={store.id}&format=csv").status_code == 404, path
        assert as_owner.get(f"{path}?format=pdf").status_code == 404, path


def test_is_a_cashier_refused_the_cards_report_and_lists(sign_in_as, client):
    sign_in_as(roles.CASHIER)
    for path in ("/backoffice/reports/cards", "/backoffice/reports/cards/timed-holders?format=csv",
                 "/backoffice/reports/cards/gift-buyers?format=xlsx"):
        assert client.get(path).status_code == 403, path
