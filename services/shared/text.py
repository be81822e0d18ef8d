"""Small checks for text a person typed."""
from domain.errors import DomainError


def required_text(value, label, max_length):
    value = (value or "").strip()
    if not value:
        raise DomainError(f"请填写{label}")
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字符")
    return value


def optional_text(value, label, max_length):
    value = (value or "").strip()
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字符")
    return value or None
