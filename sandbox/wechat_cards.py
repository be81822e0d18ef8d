"""Sandbox WeChat card API for member cards (/sandbox/wechat/api/card/...), as wechatpy's `client.card` calls it.

- `card/create` (`create`) answers {"card_id"}; `card/update` (`update`) {"send_check": false}; `card/get` (`get`)
  {"card": {...}} with base_info.id and status.
- `card/membercard/activate` (`activate_membercard`), `card/membercard/updateuser` (`update_membercard`,
  answering result_bonus, result_balance and openid).
- `card/membercard/activateuserform/set` (`set_activate_user_form`) and `card/membercard/activatetempinfo/get`
  (`get_activate_info`): WeChat's activation form (sandbox/wechat_card_forms.py).
- `card/code/get` (`get_code`) and `card/code/decrypt` (`decrypt_code`: the encrypt_code the phone appends to the
  card's links, as WeChat does, turned back into the code).
Checks and storage: sandbox/wechat_card_store.py. The phone's card package: sandbox/phone_cards.py.
"""
from datetime import timedelta

from extensions import db
from sandbox import blueprint, wechat_card_forms as forms, wechat_card_store as store, wechat_state as sbx
from sandbox.wechat_api import API, api, json_body, token_app
from sandbox.wechat_state import ApiError

ENCRYPT_TTL = timedelta(days=1)


def _ok(**extra):
    return {"errcode": 0, "errmsg": "ok", **extra}


@blueprint.route(API + "card/create", methods=["POST"])
@api
def wechat_card_create():
    app_id, data = token_app(), json_body()
    return _ok(card_id=store.create(db.session, app_id, data).card_id)


@blueprint.route(API + "card/update", methods=["POST"])
@api
def wechat_card_update():
    app_id, data = token_app(), json_body()
    store.update(db.session, app_id, data)
    return _ok(send_check=False)


@blueprint.route(API + "card/get", methods=["POST"])
@api
def wechat_card_get():
    app_id, data = token_app(), json_body()
    return _ok(card=store.card_json(store.card_of(db.session, app_id, data.get("card_id"))))


@blueprint.route(API + "card/membercard/activate", methods=["POST"])
@api
def wechat_card_activate():
    app_id, data = token_app(), json_body()
    store.activate(db.session, app_id, data)
    return _ok()


@blueprint.route(API + "card/membercard/updateuser", methods=["POST"])
@api
def wechat_card_update_user():
    app_id, data = token_app(), json_body()
    row = store.update_user(db.session, app_id, data)
    return _ok(result_bonus=row.bonus, result_balance=row.balance, openid=row.openid)


@blueprint.route(API + "card/membercard/activateuserform/set", methods=["POST"])
@api
def wechat_card_activate_form_set():
    app_id, data = token_app(), json_body()
    forms.set_form(db.session, app_id, data)
    return _ok()


@blueprint.route(API + "card/membercard/activatetempinfo/get", methods=["POST"])
@api
def wechat_card_activate_answers():
    app_id, data = token_app(), json_body()
    return _ok(info=forms.answers_for(db.session, app_id, data.get("activate_ticket")))


@blueprint.route(API + "card/code/get", methods=["POST"])
@api
def wechat_card_code_get():
    app_id, data = token_app(), json_body()
    row = store.code_of(db.session, app_id, data.get("code"), data.get("card_id"))
    return _ok(openid=row.openid, can_consume=row.state != "deleted",
               user_card_status="DELETE" if row.state == "deleted" else "NORMAL",
               card={"card_id": row.card_id, "begin_time": int(row.created_at.timestamp()), "end_time": 0})


@blueprint.route(API + "card/code/decrypt", methods=["POST"])
@api
def wechat_card_code_decrypt():
    app_id, data = token_app(), json_body()
    value = data.get("encrypt_code")
    if not isinstance(value, str) or not value:
        raise ApiError(40056)
    try:
        grant = sbx.live_grant(db.session, "card_encrypt", value)
    except ApiError:
        raise ApiError(40056) from None
    if grant.app_id != app_id:
        raise ApiError(40056)
    return _ok(code=grant.scope)


def encrypt_code(session, app_id, code):
    """What WeChat appends to a card's links as `encrypt_code`: opaque, for this app, valid a day."""
    return sbx.issue(session, "card_encrypt", app_id, ttl=ENCRYPT_TTL, scope=code).value
