"""Small checks for text a person typed."""
from domain.errors import DomainError


def required_text(value, label, max_length):
    value = (value or "").strip()
    _refuse_nul(value, label)
    if not value:
        raise DomainError(f"请填写{label}")
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字符")
    return value


def optional_text(value, label, max_length):
    value = (value or "").strip()
    _refuse_nul(value, label)
    if len(value) > max_length:
        raise DomainError(f"{label}不能超过 {max_length} 个字符")
    return value or None


def _refuse_nul(value, label):
    """PostgreSQL cannot store a NUL character in text: refused with the field's name, not a 500."""
    if "\x00" in value:
        raise DomainError(f"{label}不能包含控制字符")
