"""The tenant and the people who run it: merchants and their settings, stores, staff accounts with roles,
API keys for shops with their own till, and the audit trail of staff actions.

Public face: `merchants`, `stores`, `staff`, `api_keys`, `audit`.
"""
