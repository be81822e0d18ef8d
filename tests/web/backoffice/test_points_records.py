"""Back office 积分查询: the merchant's points changes with who, where and why, the filters, the next page, the
CSV and XLSX exports, bad input answered with a message and the form kept, another merchant's store a 404, and who
may open it."""
import io

from openpyxl import load_workbook

from extensions import db
from models import MemberIdentity
from services.points import ledger, lookup
from tests.web.helpers import text_of


def points(make, merchant, owner, store):
    zhang = make.member(merchant, mobile="13800000001", name="张伟")
    li = make.member(merchant, mobile="13900000002", name="李娜")
    db.session.add(MemberIdentity(merchant_id=merchant.id, member_id=zhang.id, kind="card_no", value="0088001"))
    ledger.earn(db.session, merchant, zhang.id, 100, key="z1", reason="消费送积分", store_id=store.id)
    ledger.adjust(db.session, merchant, li.id, 20, key="l1", reason="补录积分", operator=owner, store_id=store.id)
    other = make.merchant(name="隔壁店")
    ledger.earn(db.session, other, make.member(other, mobile="13800000001", name="隔壁张伟").id, 7, key="o1")
    db.session.commit()
    return zhang, li, other


def test_does_the_page_list_every_change_with_member_card_kind_store_and_operator(as_owner, make, merchant, owner,
                                                                                   store):
    points(make, merchant, owner, store)
    page = as_owner.get("/backoffice/points/records")
    body = text_of(page)
    assert page.status_code == 200
    assert "张伟" in body and "138****0001" in body and "0088001" in body and "+100" in body and "消费送积分" in body
    assert "李娜" in body and "手动调整" in body and "补录积分" in body and "人民广场店" in body and "员工owner" in body
    assert "隔壁张伟" not in body and "13800000001" not in body  # phones are masked; the neighbour never shows
    assert body.index("李娜") < body.index("138****0001")  # newest first


def test_do_the_filters_narrow_the_list(as_owner, make, merchant, owner, store):
    points(make, merchant, owner, store)
    by_card = text_of(as_owner.get("/backoffice/points/records?card_no=0088001"))
    assert "张伟" in by_card and "李娜" not in by_card
    by_name = text_of(as_owner.get("/backoffice/points/records", query_string={"member": "李娜", "kind": "adjust"}))
    assert "李娜" in by_name and "138****0001" not in by_name
    by_kind = text_of(as_owner.get("/backoffice/points/records?kind=expire"))
    assert "没有符合条件的积分记录" in by_kind


def test_does_the_next_page_follow_the_last_row(as_owner, make, merchant, monkeypatch):
    monkeypatch.setattr(lookup, "PAGE_SIZE", 2)
    member = make.member(merchant, name="翻页会员")
    for n in range(5):
        ledger.earn(db.session, merchant, member.id, n + 1, key=f"p{n}")
    db.session.commit()
    first = text_of(as_owner.get("/backoffice/points/records"))
    assert "+5" in first and "+4" in first and "+3" not in first and 'id="points-first"' not in first
    after = first.split('id="points-next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text_of(as_owner.get(after))
    assert "+3" in second and "+2" in second and "+5" not in second and 'id="points-first"' in second


def test_do_the_exports_carry_the_filtered_rows_only(as_owner, make, merchant, owner, store):
    points(make, merchant, owner, store)
    csv = as_owner.get("/backoffice/points/records?format=csv&member=张伟")
    assert csv.mimetype == "text/csv" and csv.data.startswith(b"\xef\xbb\xbf")
    lines = csv.get_data().decode("utf-8-sig").splitlines()
    assert lines[0] == ",".join(lookup.EXPORT_HEADER) and len(lines) == 2
    assert "张伟,138****0001,0088001,获得,100,100,消费送积分,人民广场店," in lines[1]
    response = as_owner.get("/backoffice/points/records?format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    response.close()
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == lookup.EXPORT_HEADER and len(rows) == 3 and {r[1] for r in rows[1:]} == {"张伟", "李娜"}
    assert as_owner.get("/backoffice/points/records?format=pdf").status_code == 404


def test_is_bad_input_answered_with_a_message_and_the_form_kept(as_owner, merchant):
    for query, words in (({"start": "2026-13-45"}, "开始日期格式不正确"), ({"kind": "gift"}, "未知的积分类型"),
                         ({"member": "张" * 65}, "不能超过"), ({"before": "garbage"}, "翻页参数不正确"),
                         ({"start": "2020-01-01", "end": "2026-01-01"}, "最长 366 天")):
        page = as_owner.get("/backoffice/points/records", query_string=query)
        assert page.status_code == 400 and words in text_of(page), query
    kept = text_of(as_owner.get("/backoffice/points/records", query_string={"kind": "gift", "card_no": "123"}))
    assert 'value="123"' in kept
    assert as_owner.get("/backoffice/points/records?format=csv&kind=gift").status_code == 400


def test_is_another_merchants_store_not_found(as_owner, make, db):
    other = make.merchant(name="隔壁店")
    their_store = make.store(other, "隔壁门店")
    db.session.commit()
    assert as_owner.get(f"/backoffice/points/records?store={their_store.id}").status_code == 404
    assert as_owner.get(f"/backoffice/points/records?store={their_store.id}&format=csv").status_code == 404

