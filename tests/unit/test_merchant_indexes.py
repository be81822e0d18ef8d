"""Every tenant table's rows are found by merchant through exactly one index that begins with merchant_id: its own
unique constraint, primary key or index when it has one, else TenantMixin's index of merchant_id alone, never both."""
from models import Base


def _keys(constraint):
    return [column.key for column in constraint.columns]


def test_is_each_tenant_table_indexed_by_merchant_once_and_not_twice():
    for table in Base.metadata.tables.values():
        if "merchant_id" not in table.c or table.name == "merchants":
            continue
        leading = [_keys(index) for index in table.indexes if _keys(index)[:1] == ["merchant_id"]]
        leading += [_keys(c) for c in table.constraints
                    if c.__visit_name__ in ("unique_constraint", "primary_key_constraint")
                    and _keys(c)[:1] == ["merchant_id"]]
        alone = [keys for keys in leading if keys == ["merchant_id"]]
        assert leading, f"{table.name}: no index begins with merchant_id"
        assert len(alone) <= 1 and (not alone or len(leading) == 1), f"{table.name}: {leading}"
