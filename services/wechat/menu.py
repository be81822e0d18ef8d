"""The official-account menu: validation (WeChat's limits), the API payload, click replies, publishing.

Stored in WechatSettings.menu as up to 3 top items, each either a container of up to 5 sub-items or
a button itself; a button is a click (key + the text the bot replies) or a view (a URL to open):
    [{"name": "会员", "sub_button": [{"name": "会员卡", "type": "view", "url": "https://..."}, ...]},
     {"name": "联系我们", "type": "click", "key": "M2", "reply": "电话 021-..."}]
"""
import requests
from wechatpy.exceptions import WeChatClientException

from domain.clock import now_utc
from domain.errors import DomainError
from services.merchant import audit

MAX_TOP, MAX_SUB = 3, 5
TOP_NAME_WIDTH, SUB_NAME_WIDTH = 16, 60  # WeChat counts bytes; a Chinese character counts 2 here
MAX_KEY_BYTES, MAX_URL_BYTES, MAX_REPLY = 128, 1024, 600
BUTTON_TYPES = ("click", "view")


class MenuInvalid(DomainError):
    def __init__(self, problems):
        super().__init__("；".join(problems))
        self.problems = problems


def name_width(name):
    return sum(1 if ord(ch) < 128 else 2 for ch in name)


def clean_menu(items):
    """The menu as it will be stored, or MenuInvalid listing every problem (blank rows are dropped)."""
    problems, menu, keys = [], [], set()
    items = [item for item in items if _filled(item) or any(_filled(s) for s in item.get("sub_button") or [])]
    if len(items) > MAX_TOP:
        problems.append(f"一级菜单最多 {MAX_TOP} 个")
    for i, item in enumerate(items[:MAX_TOP], start=1):
        label = f"第 {i} 个菜单"
        subs = [sub for sub in item.get("sub_button") or [] if _filled(sub)]
        name = _name(item, label, TOP_NAME_WIDTH, problems)
        if len(subs) > MAX_SUB:
            problems.append(f"{label}：子菜单最多 {MAX_SUB} 个")
        if subs:
            menu.append({"name": name, "sub_button": [
                _button(sub, f"{label}的第 {j} 个子菜单", f"M{i}_{j}", SUB_NAME_WIDTH, keys, problems)
                for j, sub in enumerate(subs[:MAX_SUB], start=1)]})
        else:
            menu.append(_button(item, label, f"M{i}", TOP_NAME_WIDTH, keys, problems))
    if problems:
        raise MenuInvalid(problems)
    return menu


def _filled(item):
    return any((item.get(field) or "").strip() for field in ("name", "key", "url", "reply"))


def _name(item, label, width, problems):
    name = (item.get("name") or "").strip()
    if not name:
        problems.append(f"{label}：请填写名称")
    elif name_width(name) > width:
        problems.append(f"{label}：名称不能超过 {width // 2} 个汉字（{width} 个字母）")
    return name


def _button(item, label, default_key, width, keys, problems):
    name = _name(item, label, width, problems)
    kind = (item.get("type") or "click").strip()
    if kind not in BUTTON_TYPES:
        problems.append(f"{label}：未知的菜单类型")
        return {"name": name, "type": kind}
    if kind == "view":
        url = (item.get("url") or "").strip()
        if not url.startswith(("http://", "https://")):
            problems.append(f"{label}：请填写以 http:// 或 https:// 开头的链接")
        elif len(url.encode()) > MAX_URL_BYTES:
            problems.append(f"{label}：链接过长")
        return {"name": name, "type": "view", "url": url}
    key = (item.get("key") or "").strip() or default_key
    reply = (item.get("reply") or "").strip()
    if len(key.encode()) > MAX_KEY_BYTES:
        problems.append(f"{label}：菜单 KEY 不能超过 {MAX_KEY_BYTES} 个字节")
    elif key in keys:
        problems.append(f"{label}：菜单 KEY「{key}」重复")
    keys.add(key)
    if not reply:
        problems.append(f"{label}：请填写点击后的回复内容")
    elif len(reply) > MAX_REPLY:
        problems.append(f"{label}：回复内容不能超过 {MAX_REPLY} 个字")
    return {"name": name, "type": "click", "key": key, "reply": reply}


def to_api(menu):
    """The payload of WeChat's menu/create (replies stay with us)."""
    def button(item):
        if item.get("sub_button"):
            return {"name": item["name"], "sub_button": [button(sub) for sub in item["sub_button"]]}
        if item["type"] == "view":
            return {"type": "view", "name": item["name"], "url": item["url"]}
        return {"type": "click", "name": item["name"], "key": item["key"]}

    return {"button": [button(item) for item in menu]}


def click_reply(menu, key):
    for item in menu or []:
        for button in (item.get("sub_button") or [item]):
            if button.get("type") == "click" and button.get("key") == key:
                return button.get("reply") or None
    return None


def save_menu(session, actor, settings, items):
    menu = clean_menu(items)
    before = settings.menu or []
    settings.menu = menu
    session.flush()
    if menu != before:
        audit.record(session, actor, "wechat.menu.save", "wechat_settings", settings.id,
                     before={"menu": before}, after={"menu": menu})
    return menu


def publish(session, actor, settings, client):
    """Send the saved menu to WeChat through the API client; say clearly why when it fails."""
    if not settings.menu:
        raise DomainError("菜单为空，请先添加并保存菜单")
    try:
        client.menu.create(to_api(settings.menu))
    except WeChatClientException as exc:
        if exc.errcode is None:
            raise DomainError("微信接口返回了错误，请稍后再试") from None
        raise DomainError(f"微信接口拒绝了菜单：{exc.errmsg}（错误码 {exc.errcode}）") from None
    except requests.RequestException:
        raise DomainError("无法连接微信接口，请稍后再试") from None
    settings.menu_published_at = now_utc()
    audit.record(session, actor, "wechat.menu.publish", "wechat_settings", settings.id,
                 after={"menu": to_api(settings.menu)})
    session.flush()
