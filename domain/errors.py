"""Domain errors. Each carries a message a person can read; entry points map them to HTTP."""


class DomainError(Exception):
    """A rule was broken by the request; nothing was changed."""

    code = "invalid"
    http_status = 400

    def __init__(self, message, **details):
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "forbidden"
    http_status = 403


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


class InsufficientPoints(Conflict):
    code = "insufficient_points"


class WalletFrozen(Conflict):
    code = "wallet_frozen"


class IdempotencyMismatch(Conflict):
    code = "idempotency_mismatch"


class IdentityTaken(Conflict):
    code = "identity_taken"
