"""Database plumbing every feature package uses; no business rules live here.

- `tenancy`: every lookup of a tenant-owned row, scoped to the merchant.
- `idempotency`: checking a key, finding what an earlier request with it wrote, refusing a key reused differently.
- `ledger_rows`: the one write path of every ledger row kind (INSERT ... ON CONFLICT DO NOTHING, with children and
  gates).
- `plain_rows`: rows kept in the session as the database holds them, without reading them again.
- `staged_changes`: changes staged on locked rows, written together before the commit (a till payment's).
- `direct_sql`: the till's hot statements on the psycopg cursor, compiled once.
- `merchant_memory`: a process's short memory of a merchant's till configuration.
- `spreadsheets`: CSV (with BOM) and XLSX exports.
- `text`: checks for text a person typed.
"""
