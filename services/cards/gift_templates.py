"""Gift card templates (礼品卡): saving one (face values, themes, activation, validity, stores), finding one of a
merchant, and the checks and dates every gift card issued under a template takes from it."""
from datetime import timedelta

from domain import gift_cards as rules
from domain.cards import GIFT
from domain.errors import Conflict, DomainError, NotFound
from domain.money import MAX_FEN
from models import CardTemplate
from services.cards import templates as card_templates
from services.shared.tenancy import get_owned
from services.shared.text import required_text


def save_template(session, actor, template, **values):
    """Create (template=None) or update a gift card template of the actor's merchant."""
    if template is None:
        template = CardTemplate(merchant_id=actor.merchant_id, kind=GIFT, stock_issued=0)
        session.add(template)
    elif template.kind != GIFT:
        raise NotFound("记录不存在")
    card_templates.apply_text(template, values, "礼品卡名称")
    template.face_values = rules.check_face_values(values.get("face_values"))
    if any(v > MAX_FEN for v in template.face_values):
        raise DomainError("面值过大")
    template.themes = _themes(values.get("themes"))
    template.cover_color = template.themes[0]["color"] if template.themes else "#C0392B"
    activation = values.get("activation", "auto")
    if activation not in rules.ACTIVATIONS:
        raise DomainError("未知的激活方式")
    template.activation = activation
    valid_days = values.get("valid_days")
    if valid_days is not None and not 0 < int(valid_days) <= 3650:
        raise DomainError("有效天数须在 1 到 3650 之间")
    template.valid_days = valid_days
    card_templates.assign_stores(session, template, actor.merchant_id, values.get("store_ids"))
    template.disabled = bool(values.get("disabled", False))
    session.flush()
    return template


def _themes(themes):
    """[{"label", "color"}] -> [{"key", "label", "color"}]; the label is the key (what a card row stores)."""
    cleaned, seen = [], set()
    for theme in themes or ():
        label = required_text(theme.get("label"), "主题名称", 10)
        color = card_templates.hex_colour(theme.get("color"), f"主题「{label}」的颜色应为 #RRGGBB")
        if label in seen:
            raise DomainError(f"主题「{label}」重复")
        seen.add(label)
        cleaned.append({"key": label, "label": label, "color": color})
    if len(cleaned) > 10:
        raise DomainError("主题最多 10 个")
    return cleaned


def gift_template(session, merchant_id, template_id):
    template = get_owned(session, CardTemplate, merchant_id, template_id)
    if template.kind != GIFT:
        raise NotFound("记录不存在")
    return template


def theme_color(template, theme):
    for item in template.themes or ():
        if item["key"] == theme:
            return item["color"]
    return template.cover_color


def check_issue(template, face_value, theme):
    """The theme a new card of this face value gets (the first one when none is chosen); refuses a stopped
    template, a face value it does not offer and a theme it does not have."""
    if template.disabled:
        raise Conflict("该礼品卡已停止发放")
    if face_value not in (template.face_values or ()):
        raise DomainError("请选择礼品卡的面值")
    keys = [item["key"] for item in template.themes or ()]
    if theme is None and keys:
        return keys[0]
    if theme is not None and theme not in keys:
        raise DomainError("请选择礼品卡的主题")
    return theme


def ends_at(template, now):
    """When a card of this template that becomes active `now` ends; None when it never does."""
    return now + timedelta(days=template.valid_days) if template.valid_days else None
