"""Pure business rules: no Flask, no SQLAlchemy, tested without a database."""
