"""Property tests: PATCH is total (a valid resource or a SCIMError) and pure."""

import copy
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from scim import patch
from scim import resource
from scim import schema
from scim.errors import SCIMError

ENT = schema.ENTERPRISE
USER = schema.user_type()
GROUP = schema.GROUP_TYPE

text = st.text(max_size=8)
word = st.sampled_from(["work", "home", "other", "mobile", "u1", "u2", "x@y", "True", "false"])
scalars = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=False),
                    text, word)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["value", "type", "primary", "display", "$ref",
                                         "givenName", "Value", "bogus", "department"]),
                        inner, max_size=3)),
    max_leaves=6,
)


@st.composite
def entries(draw, types=("work", "home", "other")):
    out = draw(st.lists(st.fixed_dictionaries(
        {"value": st.text(min_size=1, max_size=6)},
        optional={"type": st.sampled_from(types), "display": st.text(min_size=1, max_size=4)}),
        max_size=3))
    if out and draw(st.booleans()):
        out[draw(st.integers(0, len(out) - 1))]["primary"] = True
    return out


@st.composite
def users(draw):
    user = {"userName": draw(st.text(min_size=1, max_size=8))}
    optional = {
        "name": st.fixed_dictionaries({}, optional={"givenName": st.text(min_size=1),
                                                    "familyName": st.text(min_size=1)}),
        "displayName": st.text(min_size=1, max_size=8),
        "active": st.booleans(),
        "externalId": st.text(min_size=1, max_size=8),
        "emails": entries(),
        "phoneNumbers": entries(("work", "mobile")),
        ENT: st.fixed_dictionaries({}, optional={
            "department": st.text(min_size=1, max_size=5),
            "manager": st.fixed_dictionaries({"value": st.sampled_from(["m1", "m2"])})}),
    }
    for key, strategy in optional.items():
        if draw(st.booleans()):
            user[key] = draw(strategy)
    return resource.validate(user, USER)  # strips the empty name / extension draws


groups = st.builds(lambda name, members: {"displayName": name, **(
    {"members": members} if members else {})},
    st.text(min_size=1, max_size=8),
    st.lists(st.fixed_dictionaries({"value": st.sampled_from(["u1", "u2", "u3"])},
                                   optional={"type": st.sampled_from(["User", "Group"])}),
             max_size=3, unique_by=lambda m: m["value"]))

PATHS = [
    "userName", "nickName", "active", "name", "name.givenName", "Name.FamilyName", "emails",
    'emails[type eq "work"]', 'emails[type eq "work"].value', 'emails[type eq "home"].primary',
    'emails[value pr].type', 'phoneNumbers[type eq "mobile"].value', "addresses",
    'addresses[type eq "work"].formatted', "externalId", "manager", 'manager[value eq "m1"]',
    f"{ENT}:manager", f"{ENT}:manager.value", f"{ENT}:department", ENT, "members",
    'members[value eq "u1"]', 'members[value eq "u2"].type', "displayName", "groups", "id",
    "meta", "password", "bogus", "name.bogus", "emails[", 'emails[bogus eq "x"]',
    "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:postalCode", "",
]
garbage = st.fixed_dictionaries(
    {"op": st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove", "copy", 3])},
    optional={"path": st.one_of(st.sampled_from(PATHS), text, st.integers()),
              "value": st.one_of(values, st.dictionaries(st.sampled_from(PATHS), values,
                                                         max_size=3))},
)
short = st.text(min_size=1, max_size=6)
member = st.fixed_dictionaries({"value": st.sampled_from(["u1", "u2", "u3"])},
                               optional={"$ref": st.none(), "display": short})
email = st.fixed_dictionaries({"value": short}, optional={
    "type": st.sampled_from(["work", "home"]), "primary": st.sampled_from([True, "False"])})
# Paths with values of the right shape, so that many operations succeed.
PLAUSIBLE = {
    "userName": short, "nickName": st.one_of(short, st.none()),
    "active": st.sampled_from([True, False, "True", "false"]),
    "name": st.fixed_dictionaries({}, optional={"givenName": short, "Formatted": short}),
    "name.givenName": short, "emails": st.one_of(email, st.lists(email, max_size=2)),
    'emails[type eq "work"].value': short, 'emails[type eq "home"].primary': st.booleans(),
    'emails[type eq "work"]': email, 'addresses[type eq "work"].formatted': short,
    "externalId": short, "manager": st.sampled_from(["m1", [{"$ref": None, "value": "m2"}]]),
    f"{ENT}:manager": st.just("m1"), f"{ENT}:department": short,
    'manager[value eq "m1"]': st.none(), "members": st.lists(member, max_size=3),
    'members[value eq "u1"]': st.none(), "displayName": short,
}
plausible = st.sampled_from(sorted(PLAUSIBLE)).flatmap(lambda path: st.fixed_dictionaries({
    "op": st.sampled_from(["add", "replace", "remove", "Add", "Replace", "Remove"]),
    "path": st.just(path), "value": PLAUSIBLE[path]}))
pathless = st.fixed_dictionaries({"op": st.sampled_from(["add", "replace"]),
                                  "value": st.dictionaries(st.sampled_from(sorted(PLAUSIBLE)),
                                                           short, max_size=3)})
operation = st.one_of(plausible, plausible, pathless, garbage)


def check(before, ops, rtype):
    snapshot = copy.deepcopy(before)
    try:
        parsed = patch.operations({"schemas": [patch.PATCH_OP], "Operations": ops})
        after, ignored = patch.apply(before, parsed, rtype)
    except SCIMError:
        pass
    else:
        assert resource.validate(after, rtype) == after
        assert all(isinstance(path, str) for path in ignored)
    assert before == snapshot


@settings(max_examples=200, deadline=None)
@given(users(), st.lists(operation, min_size=1, max_size=4))
def test_user_patch_is_total_and_pure(user, ops):
    check(user, ops, USER)


@settings(max_examples=200, deadline=None)
@given(groups, st.lists(operation, min_size=1, max_size=4))
def test_group_patch_is_total_and_pure(group, ops):
    check(group, ops, GROUP)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(PATHS + ["schemas", "Emails", f"{ENT}:department"]),
                       values, max_size=5))
def test_load_is_total(body):
    try:
        loaded, _ = resource.load(body, USER)
    except SCIMError:
        return
    assert resource.validate(loaded, USER) == loaded


def outcome(call):
    try:
        return call()
    except SCIMError as error:
        return type(error), error.detail


@settings(max_examples=300, deadline=None)
@given(users(), st.lists(operation, min_size=1, max_size=4))
def test_values_kept_from_the_input_give_what_full_validation_gives(user, ops):
    """apply() re-checks only what the operations changed (resource.validate's
    `unchanged_from`); checking every value again gives the same result or error."""
    full_validate = resource.validate

    def checking_everything(doc, rtype, **options):
        return full_validate(doc, rtype, **{**options, "unchanged_from": None})

    try:
        parsed = patch.operations({"schemas": [patch.PATCH_OP], "Operations": ops})
    except SCIMError:
        return
    kept = outcome(lambda: patch.apply(user, parsed, USER))
    with mock.patch.object(resource, "validate", checking_everything):
        checked = outcome(lambda: patch.apply(user, parsed, USER))
    assert kept == checked


EMAIL = {"value": "ø@example.com", "type": "work"}


@pytest.mark.parametrize("key, stored, sent", [
    ("active", True, 1), ("active", False, 0.0),
    ("emails", [{**EMAIL, "primary": True}], [{**EMAIL, "primary": 1}])])
def test_an_equal_value_of_another_type_is_checked_not_kept(key, stored, sent):
    """1 == True and 0.0 == False in Python; `unchanged_from` keeps only identical JSON."""
    before = {"userName": "Ødegård", key: stored}
    assert resource.validate(before, USER) == before
    assert before[key] == sent  # equal to Python, so a plain == would keep it
    with pytest.raises(SCIMError):
        resource.validate({**before, key: sent}, USER, unchanged_from=before)
    assert resource.validate(copy.deepcopy(before), USER, unchanged_from=before) == before
