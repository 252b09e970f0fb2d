"""Failed sign-ins slow down and then lock, per username typed and per client address.

Counted in the database (table login_throttles), so every web worker and a restart agree, on
SQLite and PostgreSQL alike. Unknown usernames are counted like real ones, so the answers never
tell whether an account exists.

    account: failures 1-2 free; 3 -> wait 2 s; 4 -> wait 4 s; 5 -> locked 15 minutes
    address: failures 1-9 free; 10 -> wait 2 s, doubling; 20 -> locked 15 minutes
Failures older than 15 minutes are forgotten; a successful sign-in clears the account's count
(not the address's: one valid account must not let an address guess others for free).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from bot.store.accounts import AccountStore, normalise_username

WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Policy:
    kind: str  # "account" or "address"
    slow_from: int  # from this failure on, each try waits 2, 4, 8 ... seconds
    lock_at: int  # this many failures lock the key for `lock_for`
    lock_for: timedelta = timedelta(minutes=15)

    def wait_after(self, failures: int) -> timedelta | None:
        if failures >= self.lock_at:
            return self.lock_for
        if failures >= self.slow_from:
            return timedelta(seconds=2 ** (failures - self.slow_from + 1))
        return None


ACCOUNT = Policy("account", slow_from=3, lock_at=5)
ADDRESS = Policy("address", slow_from=10, lock_at=20)


@dataclass(frozen=True)
class Blocked:
    kind: str  # which count blocks: "account" or "address"
    seconds: int  # until the next try is allowed (Retry-After)
    locked: bool  # a lock-out (minutes) rather than a short slow-down


def keys(username: str, address: str | None) -> dict[str, str]:
    return {"account": f"account:{normalise_username(username)[:150]}",
            "address": f"address:{address or 'unknown'}"}


def blocked(store: AccountStore, username: str, address: str | None, at: datetime
            ) -> Blocked | None:
    """Whether a sign-in may be tried now; the longest wait wins."""
    named = keys(username, address)
    found = store.throttles(list(named.values()))
    worst: Blocked | None = None
    for kind, key in named.items():
        row = found.get(key)
        if row is None or row["blocked_until"] is None or row["blocked_until"] <= at:
            continue
        seconds = ceil((row["blocked_until"] - at).total_seconds())
        policy = ACCOUNT if kind == "account" else ADDRESS
        if worst is None or seconds > worst.seconds:
            worst = Blocked(kind, seconds, row["failures"] >= policy.lock_at)
    return worst


def record_failure(store: AccountStore, username: str, address: str | None, at: datetime,
                   *, count_address: bool = True) -> None:
    named = keys(username, address)
    store.record_failure(named["account"], now=at, window=WINDOW, block_for=ACCOUNT.wait_after)
    if count_address:
        store.record_failure(named["address"], now=at, window=WINDOW,
                             block_for=ADDRESS.wait_after)


def record_success(store: AccountStore, username: str) -> None:
    store.clear_throttle(keys(username, None)["account"])
