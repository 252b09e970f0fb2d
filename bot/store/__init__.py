"""The outcome store shared by the action server and the staff web service."""

from . import followup_models  # noqa: F401  (registers the follow-up tables)
from . import review_models  # noqa: F401  (registers the review inbox's decisions)
from .database import migrate
from .errors import ConsentRequired, InvalidValue, StoreError, UnknownOutcome
from .outcome_store import UNSET, OutcomeStore, get_store
from .validation import KINDS, LANGUAGES, ROLES, STATUSES

__all__ = [
    "KINDS",
    "LANGUAGES",
    "ROLES",
    "STATUSES",
    "UNSET",
    "ConsentRequired",
    "InvalidValue",
    "OutcomeStore",
    "StoreError",
    "UnknownOutcome",
    "get_store",
    "migrate",
]
