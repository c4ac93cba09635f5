"""Sign-in throttling: growing delays per address and per account, never a lock-out.

Counters live in the rate-limit storage (a file shared by the workers of a machine, or
Redis across machines) over a window of an hour.

- Address: every attempt is counted before the password is checked, so a burst of
  concurrent guesses is counted too; a correct password refunds its count. Past `free`
  attempts, each one starts a wait of 1, 2, 4, ... seconds (at most `cap`) and attempts
  during a wait are refused unchecked, and counted.
- Account: failures are counted after the check; past `free`, each starts a wait the
  same way. The wait applies only to addresses that have attempted before within the
  window (a guesser spread over many addresses), so the account's admin signing in from a
  clean address is never refused.
- A browser that signed in to the account before carries a device cookie
  (blueprints/auth.py) and skips both.

Numbers and reasons: docs/security.md, "Sign-in throttling".
"""

import hashlib
import math
import time
from dataclasses import dataclass

WINDOW = 3600


@dataclass(frozen=True)
class Policy:
    free: int
    cap: float
    first: float = 1.0


def key_of(kind: str, value: str) -> str:
    """A storage key; names are hashed (a password typed as a username stays unreadable)."""
    return f"signin:{kind}:" + hashlib.sha256(value.strip().lower().encode()).hexdigest()[:32]


def wait(storage, key: str) -> int:
    """Seconds before the next attempt under `key` is checked (0: now)."""
    if not storage.get(key + ":wait"):
        return 0
    return max(1, math.ceil(storage.get_expiry(key + ":wait") - time.time()))


def start_wait(storage, key: str, over: int, policy: Policy) -> None:
    """The `over`-th attempt past the free ones: wait `first` seconds, doubled each time."""
    storage.clear(key + ":wait")
    storage.incr(key + ":wait", min(policy.cap, policy.first * 2 ** min(over - 1, 30)))


def fail(storage, key: str, policy: Policy) -> None:
    """Count a failure; past the free ones, start the next, longer wait."""
    count = storage.incr(key, WINDOW)
    if count > policy.free:
        start_wait(storage, key, count - policy.free, policy)


def admit(storage, address: str, account: str, policies: dict[str, Policy]) -> int:
    """Count an attempt; the seconds it must wait, or 0 when it is checked now."""
    address_key = key_of("address", address)
    count = storage.incr(address_key, WINDOW)
    policy = policies["address"]
    if count > policy.free:
        delay = wait(storage, address_key)
        if delay:
            return delay
        start_wait(storage, address_key, count - policy.free, policy)
    if count > 1:  # this address has tried before: the account's wait applies
        return wait(storage, key_of("account", account))
    return 0


def failed(storage, address: str, account: str, policies: dict[str, Policy]) -> None:
    fail(storage, key_of("account", account), policies["account"])


def succeeded(storage, address: str, account: str, policies: dict[str, Policy]) -> None:
    """A correct password refunds the attempt its address was charged."""
    address_key = key_of("address", address)
    if storage.get(address_key) > 0:
        storage.incr(address_key, WINDOW, -1)
