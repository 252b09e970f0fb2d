"""Errors the store raises; the web app turns each into one JSON error."""


class StoreError(Exception):
    """Base class: the message is safe to show to staff."""


class UnknownOutcome(StoreError):
    """No outcome has the given id."""


class InvalidValue(StoreError):
    """An argument is outside the store's vocabulary or limits."""


class ConsentRequired(StoreError):
    """Outcomes are only stored for conversations whose person said yes to storage."""
