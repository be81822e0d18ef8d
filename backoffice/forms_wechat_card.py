"""The 微信会员卡 form: the card's face (title, brand, colour from WeChat's palette, logo, notice), its privileges
and instructions, whether points and balance show on the card, and the entries it opens. WeChat's limits are checked
by services/wechat_cards/face.py, whose messages the page shows per field."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from domain.wechat_member_card import CELLS, COLORS

COLOR_NAMES = {"Color010": "浅绿", "Color020": "深绿", "Color030": "浅蓝", "Color040": "蓝", "Color050": "紫",
               "Color060": "棕", "Color070": "黄", "Color080": "橙", "Color081": "深橙", "Color082": "黄绿",
               "Color090": "红", "Color100": "深红", "Color101": "大红", "Color102": "灰"}


class WechatCardForm(FlaskForm):
    title = StringField(_l("卡名称"), validators=[DataRequired(_l("请填写卡名称")), Length(max=27)],
                        description=_l("最多 9 个汉字，显示在卡面上"))
    brand_name = StringField(_l("商户名称"), validators=[DataRequired(_l("请填写商户名称")), Length(max=36)],
                             description=_l("最多 12 个汉字；会员卡在微信创建后不能再改"))
    color = SelectField(_l("卡面颜色"), choices=[(name, f"{COLOR_NAMES[name]} {value}") for name, value in COLORS.items()])
    logo = FileField(_l("商户标志"), validators=[FileAllowed(["jpg", "jpeg", "png"], _l("图片须为 JPG 或 PNG"))],
                     description=_l("JPG 或 PNG，不超过 1 MB，建议 300×300；不上传时用卡面颜色的圆形标志"))
    notice = StringField(_l("使用提醒"), validators=[DataRequired(_l("请填写使用提醒")), Length(max=48)],
                         description=_l("最多 16 个汉字"))
    prerogative = TextAreaField(_l("特权说明"), validators=[DataRequired(_l("请填写特权说明")), Length(max=3072)])
    description = TextAreaField(_l("使用说明"), validators=[DataRequired(_l("请填写使用说明")), Length(max=3072)])
    supply_bonus = BooleanField(_l("卡面显示积分（点开是会员中心的积分页）"))
    supply_balance = BooleanField(_l("卡面显示余额（点开是会员中心的储值页）"))
    cells = SelectMultipleField(_l("卡内入口"), choices=list(CELLS.items()), validate_choice=False)

    def fill(self, values):
        for name, value in values.items():
            if name in self._fields and name != "logo":
                self[name].data = value
        return self

    def values(self):
        return {name: self[name].data for name in ("title", "brand_name", "color", "notice", "prerogative",
                                                   "description", "supply_balance", "supply_bonus")} | {
            "cells": list(self.cells.data or [])}
