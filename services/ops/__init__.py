"""Operations: token truth, provisioning cycles and health, alerts, metrics, the quirk ledger.

Everything here is read from the request log and the tokens; nothing runs on the SCIM
request's path. Every function that depends on the time takes `now`, so tests (and the
scheduler) drive it with their own clock. See docs/operations-health.md.
"""
