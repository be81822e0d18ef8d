"""Routes: look up a code, verify it (idempotent), list the records, and the API's own document."""
from dataclasses import dataclass

from flask import g, jsonify, render_template, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from api import blueprint, limits, openapi, payloads
from api.errors import ApiError, domain_response
from domain import coupons as code_rules
from domain.clock import now_utc
from domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from extensions import db
from models import Store, Verification
from services.verification import instruments, reports as verification_reports, records as verifications
from services.shared.tenancy import get_owned
from web import boundary
from web.requests import client_ip


def _refuse_if_blocked(key):
    if limits.is_blocked(db.session, key):
        minutes = int(limits.WINDOW.total_seconds() // 60)
        raise ApiError(429, "too_many_failed_lookups", f"查询失败次数过多，请 {minutes} 分钟后再试",
                       retry_after=int(limits.WINDOW.total_seconds()))


def _miss(key, typed, exc):
    """An unknown code: counted against the key (committed), and told apart from nothing else."""
    db.session.rollback()
    limits.record_failure(db.session, key, typed, ip=client_ip())
    boundary.keep_on_error()
    return domain_response(exc)


@blueprint.get("/codes/<typed>")
def lookup_code(typed):
    key = g.api_key
    store_id = payloads.query_integer("store_id", required=True, minimum=1)
    _refuse_if_blocked(key)
    store = verifications.actor_store(db.session, key, store_id)
    payloads.code(typed)
    try:
        answer = instruments.lookup(db.session, key.merchant_id, typed, store.id).as_json()
    except NotFound as exc:
        return _miss(key, typed, exc)
    return jsonify(answer)


@blueprint.post("/verifications")
def create_verification():
    key = g.api_key
    stored_key = f"api{key.id}:{payloads.request_key()}"  # each key has its own namespace of request keys
    wanted = payloads.verification_request(payloads.json_object())
    _refuse_if_blocked(key)
    # Checked first so that a NotFound below is about the code; the key remembers it for the instrument's check.
    store = verifications.actor_store(db.session, key, wanted["store_id"])
    now = now_utc()
    try:
        record = instruments.verify(db.session, key, wanted["code"], store_id=wanted["store_id"], method="api",
                                    key=stored_key, quantity=wanted["quantity"], amount=wanted["amount"],
                                    amount_received=wanted["amount_received"], now=now)
    except NotFound as exc:
        return _miss(key, wanted["code"], exc)
    except (Conflict, IntegrityError) as exc:
        # A concurrent request with the same key may have won: then this is its replay, not a conflict.
        db.session.rollback()
        earlier = verifications.replay(db.session, key, stored_key)
        if earlier is not None:
            return _replayed(key, earlier, wanted)
        if isinstance(exc, IntegrityError):
            raise
        raise _named_actor(key, exc) from None
    if record.created_at != now:
        # The instrument returned the record an earlier request with this key made (its replay rule), so this
        # request is a retry: the same record if it asked for the same thing, a refusal otherwise.
        return _replayed(key, record, wanted)
    # Built before the request's commit expires the rows; the code verified is the one typed, normalised (that is how it was found).
    answer = payloads.verification_json(record, key.merchant_timezone, key, store,
                                        code_rules.normalise_code(wanted["code"]))
    return jsonify(answer), 201


def _replayed(key, earlier, wanted):
    """The same request again gets the same record (200); different parameters under the key are refused."""
    try:
        same_code = code_rules.normalise_code(wanted["code"]) == payloads.instrument_code(earlier)
    except DomainError:
        same_code = False
    same = (same_code and earlier.store_id == wanted["store_id"]
            and earlier.amount_received == wanted["amount_received"]
            and wanted["quantity"] in (None, earlier.quantity) and wanted["amount"] in (None, earlier.amount_taken))
    if not same:
        raise ApiError(409, "idempotency_mismatch", "该幂等键已用于另一笔不同的核销", verification_id=earlier.id)
    answer = payloads.verification_json(earlier, key.merchant_timezone, key)
    return jsonify(answer), 200


def _named_actor(key, exc):
    """A code used through the API has no staff member: name the key that used it instead of "unknown"."""
    if exc.details.get("used_by") != "未知员工" or not exc.details.get("code"):
        return exc
    try:
        adapter, row = instruments.find(db.session, key.merchant_id, exc.details["code"])
    except DomainError:
        return exc
    is_coupon = "coupon" in getattr(adapter, "kinds", (adapter.kind,))
    record = db.session.scalars(
        select(Verification).where(Verification.merchant_id == key.merchant_id,
                                   (Verification.coupon_code_id if is_coupon else Verification.card_id) == row.id,
                                   Verification.undone_at.is_(None), Verification.api_key_id.is_not(None))
        .options(selectinload(Verification.api_key)).order_by(Verification.id.desc()).limit(1)).first()
    if record is not None and record.api_key is not None:
        exc.details["used_by"] = record.api_key.actor_label
        exc.message = exc.message.replace("由 未知员工", f"由 {record.api_key.actor_label}")
    return exc


@dataclass(frozen=True)
class _StoreId:
    id: int


@dataclass(frozen=True)
class _KeyViewer:
    """An API key seen as a viewer of records: a store-restricted key sees only its stores' records."""

    merchant_id: int
    is_store_bound: bool
    stores: list  # what services.verification.reports reads of them: their ids


@blueprint.get("/verifications")
def list_verifications():
    key = g.api_key
    filters = _list_filters(key)
    cursor = payloads.query_integer("cursor", minimum=1)
    limit = payloads.query_integer("limit", minimum=1) or payloads.DEFAULT_LIMIT
    if limit > payloads.MAX_LIMIT:
        raise payloads.invalid(f"参数 limit 不能超过 {payloads.MAX_LIMIT}", field="limit")
    tz_name = key.merchant_timezone
    viewer = _KeyViewer(key.merchant_id, not key.all_stores, [_StoreId(i) for i in sorted(key.store_ids)])
    query = (verification_reports.records(viewer, filters, tz_name)
             .options(selectinload(Verification.api_key), selectinload(Verification.card))
             .order_by(None).order_by(Verification.id.desc()))  # ids are the cursor, so they are the order
    if cursor:
        query = query.where(Verification.id < cursor)
    rows = db.session.scalars(query.limit(limit + 1)).all()
    page = rows[:limit]
    answer = {"data": [payloads.verification_json(r, tz_name, key) for r in page],
              "next_cursor": page[-1].id if len(rows) > limit else None}
    return jsonify(answer)


def _list_filters(key):
    date_from, date_to = payloads.query_date("from"), payloads.query_date("to")
    if date_from and date_to and date_from > date_to:
        raise payloads.invalid("开始日期不能晚于结束日期", field="from")
    store_id = payloads.query_integer("store_id", minimum=1)
    if store_id is not None:
        store = get_owned(db.session, Store, key.merchant_id, store_id)
        if not key.can_act_in(store.id):
            raise PermissionDenied("该接口密钥不能查看此门店的记录")
    return verification_reports.Filters(date_from=date_from, date_to=date_to, store_id=store_id)


@blueprint.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@blueprint.get("/docs")
def docs():
    return render_template("api/docs.html", doc=openapi.document(), operations=openapi.operations())
