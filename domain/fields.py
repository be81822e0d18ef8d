"""Merchant-defined member fields: checking the values a form or an API sends for them."""
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Sequence, Tuple

from domain.errors import DomainError

MAX_TEXT_LENGTH = 200
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    field_type: str = "text"
    options: Tuple[str, ...] = field(default_factory=tuple)
    required: bool = False


def check_key(key):
    if not KEY_PATTERN.match(key or ""):
        raise DomainError("字段标识须以小写字母开头，只含小写字母、数字和下划线，最多 40 个字符")
    return key


def clean_values(specs: Sequence[FieldSpec], raw: dict):
    """The stored form of each value, keyed by field key. Raises DomainError listing every bad field."""
    cleaned, errors = {}, {}
    for spec in specs:
        value = raw.get(spec.key)
        text = value.strip() if isinstance(value, str) else value
        if text in (None, "", []):
            if spec.required:
                errors[spec.key] = f"请填写{spec.label}"
            continue
        try:
            cleaned[spec.key] = _clean_one(spec, text)
        except ValueError as exc:
            errors[spec.key] = f"{spec.label}：{exc}"
    if errors:
        raise DomainError("；".join(errors.values()), fields=errors)
    return cleaned


def _clean_one(spec, value):
    if spec.field_type == "text":
        value = str(value)
        if len(value) > MAX_TEXT_LENGTH:
            raise ValueError(f"不能超过 {MAX_TEXT_LENGTH} 个字符")
        return value
    if spec.field_type == "number":
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError("须为数字") from None
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            raise ValueError("须为合理的数字")
        return str(number)
    if spec.field_type == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise ValueError("日期格式应为 YYYY-MM-DD") from None
    if spec.field_type == "select":
        if str(value) not in spec.options:
            raise ValueError("不是可选的值")
        return str(value)
    if spec.field_type == "boolean":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "true", "y", "yes", "on", "是"):
            return True
        if str(value).lower() in ("0", "false", "n", "no", "off", "否"):
            return False
        raise ValueError("须为是或否")
    raise ValueError("未知的字段类型")
