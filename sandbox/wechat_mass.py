"""Sandbox WeChat mass messages (群发): message/mass/send, sendall and preview, as wechatpy's
`client.message.send_mass_*` call them. The limits and the storage are sandbox/wechat_mass_store.py; the result
event (MASSSENDJOBFINISH) is sandbox/wechat_mass_report.py.

An accepted send answers {"errcode": 0, "errmsg": "send job submission success", "msg_id", "msg_data_id"}; a
refusal is WeChat's {"errcode", "errmsg"} with nothing recorded (45065 also carries the first call's msg_id).
"""

from flask import after_this_request, current_app

from extensions import db
from sandbox import blueprint, wechat_mass_report as report, wechat_mass_store as store
from sandbox.wechat_api import API, api, json_body, token_app


def _call():
    """(app_id, JSON body) of an API call: a live access token and a JSON object, else WeChat's error."""
    return token_app(), json_body()


def _accepted(message):
    app, app_id = current_app._get_current_object(), message.app_id  # the timer runs outside this request

    @after_this_request
    def push_later(response):  # after the commit, so the timer finds the message
        report.schedule(app, app_id)
        return response

    return {"errcode": 0, "errmsg": "send job submission success", "msg_id": message.id,
            "msg_data_id": message.id}


def _per_minute():
    return current_app.config.get("SANDBOX_WECHAT_MASS_PER_MINUTE") or 0


@blueprint.route(API + "cgi-bin/message/mass/send", methods=["POST"])
@api
def wechat_mass_send():
    app_id, data = _call()
    return _accepted(store.send(db.session, app_id, data, _per_minute()))


@blueprint.route(API + "cgi-bin/message/mass/sendall", methods=["POST"])
@api
def wechat_mass_sendall():
    app_id, data = _call()
    return _accepted(store.send_to_all(db.session, app_id, data, _per_minute()))


@blueprint.route(API + "cgi-bin/message/mass/preview", methods=["POST"])
@api
def wechat_mass_preview():
    app_id, data = _call()
    message = store.preview(db.session, app_id, data)
    return {"errcode": 0, "errmsg": "preview success", "msg_id": message.id}
