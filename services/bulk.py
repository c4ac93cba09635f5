"""SCIM Bulk (RFC 7644 §3.7): run many operations on Users and Groups in one request.

Each operation calls the same service verb as its own endpoint, so each is one
transaction: applied whole or not at all. `bulkId:…` references (in paths, member
values and manager values) are resolved by running the operations they name first.
Consecutive user creates that reference no bulkId are the exception: they are checked
one by one but written together (services/users/batch.py), still each with its outcome.
"""

import logging
import re
from dataclasses import dataclass
from dataclasses import field

from scim.errors import InvalidSyntax
from scim.errors import InvalidValue
from scim.errors import PayloadTooLarge
from scim.errors import SCIMError
from scim.resource import clip
from services import groups
from services import users
from services.context import current_request_id
from services.users import batch as bulk_users

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
METHODS = ("POST", "PUT", "PATCH", "DELETE")
_REF = re.compile(r"^bulkId:(.+)$")
# Operations waiting on one another through bulkId references, at most.
MAX_CHAIN = 512
# User creates written per transaction: bounds the IN list and SQLite's write-lock hold.
BATCH = 100

log = logging.getLogger("rollcall")


@dataclass
class _Operation:
    index: int
    method: str
    path: str
    bulk_id: str | None
    data: object
    version: str | None
    refs: list[str] = field(default_factory=list)
    result: dict | None = None  # set once processed


def process(body: dict, actor, base_url: str, max_operations: int) -> dict:
    """Run a BulkRequest and return the BulkResponse (RFC 7644 §3.7.3).

    Operations run in request order, except that an operation naming `bulkId:x` runs
    after the one creating x. Processing stops once `failOnErrors` operations failed;
    the response lists the operations processed, in request order.
    :raise PayloadTooLarge: for more than `max_operations` operations (RFC 7644 §3.7.4).
    :raise InvalidSyntax: for a body that is no BulkRequest.
    """
    ops, fail_on_errors = _parse(body, max_operations)
    run = _Run(ops, actor, base_url, fail_on_errors)
    batching, position = bulk_users.batchable(), 0
    while position < len(ops) and not run.stopped():
        creates = _user_creates(ops, position) if batching else []
        if creates:
            run.create_users(creates)
        else:
            run.ensure(ops[position], ())
        position += len(creates) or 1
    return {"schemas": [BULK_RESPONSE],
            "Operations": [op.result for op in ops if op.result is not None]}


def _parse(body: dict, max_operations: int) -> tuple[list[_Operation], int | None]:
    fields = {str(k).lower(): v for k, v in body.items()}
    schemas = fields.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST.lower() not in [
            str(s).lower() for s in schemas]:
        raise InvalidSyntax(f"schemas must include {BULK_REQUEST}")
    raw_ops = fields.get("operations")
    if not isinstance(raw_ops, list) or not raw_ops:
        raise InvalidSyntax("Operations must be a non-empty list")
    if len(raw_ops) > max_operations:
        raise PayloadTooLarge(f"The bulk request has {len(raw_ops)} operations; "
                              f"the maximum is {max_operations} (maxOperations)")
    fail_on_errors = fields.get("failonerrors")  # Entra's inbound provisioning sends null
    if isinstance(fail_on_errors, float) and fail_on_errors.is_integer() and fail_on_errors < 2**53:
        fail_on_errors = int(fail_on_errors)  # JSON has one number type: 2.0 is the integer 2
    if fail_on_errors is not None and (not isinstance(fail_on_errors, int) or
                                       isinstance(fail_on_errors, bool) or fail_on_errors < 1):
        raise InvalidSyntax("failOnErrors must be a positive integer")
    ops = [_operation(i, raw) for i, raw in enumerate(raw_ops)]
    ids = [op.bulk_id for op in ops if op.bulk_id is not None]
    if len(ids) != len(set(ids)):
        raise InvalidValue("bulkId values must be unique within a bulk request")
    return ops, fail_on_errors


def _operation(index: int, raw) -> _Operation:
    fields = {str(k).lower(): v for k, v in raw.items()} if isinstance(raw, dict) else {}
    bulk_id = fields.get("bulkid")
    op = _Operation(index, str(fields.get("method") or "").upper(), fields.get("path"),
                    bulk_id if isinstance(bulk_id, str) else None, fields.get("data"),
                    fields.get("version") if isinstance(fields.get("version"), str) else None)
    op.refs = list(dict.fromkeys(_references(op.path) + _references(op.data)))
    return op


def _user_creates(ops: list[_Operation], start: int) -> list[_Operation]:
    """The run of unprocessed POST /Users operations from `start` that name no bulkId."""
    run = []
    for op in ops[start:start + BATCH]:
        if not _plain_user_create(op):
            break
        run.append(op)
    return run


def _plain_user_create(op: _Operation) -> bool:
    if op.result is not None or op.refs or op.method != "POST" or not isinstance(op.data, dict):
        return False
    try:
        return _target(op, op.path)[0] == "Users"
    except SCIMError:
        return False


def _references(value) -> list[str]:
    """The bulkIds named as `bulkId:x` anywhere in a path or a data value (RFC 7644 §3.7.2)."""
    if isinstance(value, str):
        if "bulkId:" not in value:  # most strings: no split, no regex
            return []
        return [m.group(1) for part in value.split("/") if (m := _REF.match(part))]
    if isinstance(value, list):
        return [ref for item in value for ref in _references(item)]
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in _references(item)]
    return []


def _substitute(value, created: dict[str, str]):
    if isinstance(value, str):
        return "/".join(created.get(m.group(1), part) if (m := _REF.match(part)) else part
                        for part in value.split("/"))
    if isinstance(value, list):
        return [_substitute(item, created) for item in value]
    if isinstance(value, dict):
        return {k: _substitute(v, created) for k, v in value.items()}
    return value


class _Run:
    def __init__(self, ops, actor, base_url: str, fail_on_errors: int | None):
        self.by_bulk_id = {op.bulk_id: op for op in ops if op.bulk_id is not None}
        self.created: dict[str, str] = {}
        self.actor, self.base_url = actor, base_url
        self.fail_on_errors, self.errors = fail_on_errors, 0

    def stopped(self) -> bool:
        return self.fail_on_errors is not None and self.errors >= self.fail_on_errors

    def ensure(self, op: _Operation, chain: tuple = ()) -> None:
        """Process `op` after the operations it references (depth first, in request order).

        An explicit stack, not recursion: a chain of a few hundred bulkIds would pass
        Python's recursion limit. Chains deeper than MAX_CHAIN fail with 409.
        """
        stack, on_stack = [[op, 0]], {op.index}
        while stack and not self.stopped():
            frame = stack[-1]
            current, position = frame
            if current.result is not None:
                stack.pop()
                on_stack.discard(current.index)
            elif position == len(current.refs):
                self.finish(current, *self.execute(current))
            else:
                outcome = self.dependency(current.refs[position], on_stack, len(stack))
                if isinstance(outcome, SCIMError):
                    self.finish(current, None, outcome)
                elif outcome is None:
                    frame[1] += 1  # this reference is resolved
                else:
                    stack.append([outcome, 0])
                    on_stack.add(outcome.index)

    def dependency(self, ref: str, on_stack: set, depth: int):
        """None when `ref` is created, the operation to run first, or the error."""
        source = self.by_bulk_id.get(ref)
        if source is None:
            return InvalidValue(f"bulkId {clip(ref)!r} is not defined in this request")
        if source.index in on_stack:
            # RFC 7644 §3.7.1 allows 409 Conflict where circular references stay unresolved.
            return SCIMError(f"circular bulkId reference through {clip(ref)!r}", status=409)
        if source.result is None:
            if depth >= MAX_CHAIN:
                return SCIMError(f"bulkId references chain deeper than {MAX_CHAIN}", status=409)
            return source
        if ref not in self.created:
            status = source.result.get("status")
            return SCIMError(f"bulkId {clip(ref)!r} was not created ({status})", status=409)
        return None

    def create_users(self, ops: list[_Operation]) -> None:
        """Create a run of users, written together; one the batch leaves out runs alone."""
        while ops and not self.stopped():
            outcomes = self.batch(ops)
            if outcomes is None:
                for op in ops:  # as if there were no batch
                    if not self.stopped():
                        self.ensure(op, ())
                return
            for op, outcome in zip(ops, outcomes, strict=False):
                self.created_user(op, outcome)
            if len(outcomes) < len(ops) and not self.stopped():
                self.ensure(ops[len(outcomes)], ())
            ops = ops[len(outcomes) + 1:]

    def batch(self, ops: list[_Operation]) -> list | None:
        budget = None if self.fail_on_errors is None else self.fail_on_errors - self.errors
        try:
            return bulk_users.create([op.data for op in ops], self.actor, budget)
        except Exception:  # each operation then fails, or not, by itself
            log.exception("bulk user creates %d-%d failed", ops[0].index, ops[-1].index)
            return None

    def created_user(self, op: _Operation, outcome) -> None:
        if isinstance(outcome, SCIMError):
            self.finish(op, None, outcome)
            return
        if op.bulk_id is not None:
            self.created[op.bulk_id] = outcome.id
        self.finish(op, {"status": "201", "location": f"{self.base_url}/Users/{outcome.id}",
                         "version": users.etag(outcome)}, None)

    def execute(self, op: _Operation) -> tuple[dict | None, SCIMError | None]:
        try:
            path = _substitute(op.path, self.created)
            return self.dispatch(op, path, _substitute(op.data, self.created)), None
        except SCIMError as error:
            return None, error
        except Exception:  # an operation's bug must not hide what the others did
            log.exception("bulk operation %d (%s %s) failed", op.index, op.method, op.path)
            return None, SCIMError("an internal error occurred; it has been logged", status=500)

    def dispatch(self, op: _Operation, path, data) -> dict:
        kind, resource_id = _target(op, path)
        service = users if kind == "Users" else groups
        if op.method == "DELETE":
            service.delete(resource_id, self.actor, op.version)
            return {"status": "204", "location": f"{self.base_url}/{kind}/{resource_id}"}
        if not isinstance(data, dict):
            raise InvalidSyntax(f"{op.method} needs a data object")
        if op.method == "POST":
            row, status = service.create(data, self.actor), "201"
            if isinstance(row, tuple):  # users.create: (user, False) when it linked an existing one
                row, status = row[0], "201" if row[1] else "200"
            self.created[op.bulk_id] = row.id
        elif op.method == "PUT":
            row, status = service.replace(resource_id, data, self.actor, op.version), "200"
        else:
            row, status = service.patch(resource_id, data, self.actor, op.version), "200"
        return {"status": status, "location": f"{self.base_url}/{kind}/{row.id}",
                "version": service.etag(row)}

    def finish(self, op: _Operation, outcome: dict | None, error: SCIMError | None) -> None:
        result = {"method": op.method or None, "bulkId": op.bulk_id, **(outcome or {})}
        if error is not None:
            self.errors += 1
            result["status"] = str(error.status)
            result["response"] = error.to_dict(current_request_id())
        op.result = {k: v for k, v in result.items() if v is not None}


def _target(op: _Operation, path) -> tuple[str, str | None]:
    """("Users" or "Groups", id or None) from an operation's method and path.

    :raise InvalidValue: for a method or path Bulk does not support here.
    """
    if op.method not in METHODS:
        raise InvalidSyntax(f"method must be one of {', '.join(METHODS)}")
    parts = [p for p in path.split("/") if p] if isinstance(path, str) else []
    kind = {"users": "Users", "groups": "Groups"}.get(parts[0].lower()) if parts else None
    wanted = 1 if op.method == "POST" else 2
    if kind is None or len(parts) != wanted:
        shape = "/Users or /Groups" if wanted == 1 else "/Users/{id} or /Groups/{id}"
        raise InvalidValue(f"{op.method} needs a path {shape}, got {clip(path)!r}")
    if op.method == "POST" and not op.bulk_id:
        raise InvalidValue("POST operations need a bulkId (RFC 7644 §3.7)")
    return kind, parts[1] if wanted == 2 else None
