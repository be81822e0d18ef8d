"""Database plumbing every feature package uses; no business rules live here.

- `tenancy`: every lookup of a tenant-owned row, scoped to the merchant.
- `idempotency`: ledger rows under a unique idempotency key; a repeat returns the first result.
- `direct_sql`, `plain_rows`: the till's hot statements and the rows they write, kept in the session.
- `merchant_memory`: a process's short memory of a merchant's till configuration.
- `spreadsheets`: CSV (with BOM) and XLSX exports.
- `text`: checks for text a person typed.
"""
