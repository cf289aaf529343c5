"""Errors a user can cause: each carries a message fit to show as it is."""


class DomainError(Exception):
    """A rule of a record was broken; the message names the rule."""


class NotFound(DomainError):
    """A record asked for by id or key does not exist."""


class InvalidTransition(DomainError):
    """A state change that the record's life cycle does not allow."""
