"""Mapping and person presets for the workbench, and the way back from SCIM to Entra.

DEFAULT is Entra's default user mapping for a non-gallery SCIM app (Microsoft Learn,
"Tutorial: Develop and plan provisioning for a SCIM endpoint", its table of user attributes);
the others are the expressions the seed apps' setup guides ask for.
"""

from mappings.mapfile import Row

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
WORK_EMAIL = 'emails[type eq "work"].value'
SAFE_ACTIVE = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'
KANTEGA_NAME = ('Switch(IsPresent([displayName]), , "True", [displayName], "False", '
                'Join(" ", [givenName], [surname]))')
KANTEGA_EMAIL = 'Switch(IsPresent([mail]), , "True", [mail], "False", [userPrincipalName])'
TEST_SUFFIX = 'Append([userPrincipalName], ".test")'

# (Entra source attribute, target), in the order the tutorial lists them.
_DEFAULT = [
    ("userPrincipalName", "userName"),
    ("Not([IsSoftDeleted])", "active"),
    ("displayName", "displayName"),
    ("jobTitle", "title"),
    ("mail", WORK_EMAIL),
    ("mailNickname", "externalId"),
    ("givenName", "name.givenName"),
    ("surname", "name.familyName"),
    ('Join(" ", [givenName], [surname])', "name.formatted"),
    ("streetAddress", 'addresses[type eq "work"].streetAddress'),
    ("city", 'addresses[type eq "work"].locality'),
    ("state", 'addresses[type eq "work"].region'),
    ("postalCode", 'addresses[type eq "work"].postalCode'),
    ("country", 'addresses[type eq "work"].country'),
    ("telephoneNumber", 'phoneNumbers[type eq "work"].value'),
    ("mobile", 'phoneNumbers[type eq "mobile"].value'),
    ("facsimileTelephoneNumber", 'phoneNumbers[type eq "fax"].value'),
    ("employeeId", f"{ENTERPRISE}:employeeNumber"),
    ("department", f"{ENTERPRISE}:department"),
    ("manager", f"{ENTERPRISE}:manager"),
]


def _rows(pairs, matching: str = "userName") -> list[Row]:
    return [Row(source, target, 1 if target == matching else None) for source, target in pairs]


def _with(replacements: dict, matching: str = "userName") -> list[Row]:
    return _rows([(replacements.get(target, source), target) for source, target in _DEFAULT],
                 matching)


MAPPINGS = {
    "entra-default": ("Entra default (non-gallery SCIM app)", _rows(_DEFAULT)),
    "safe": ("SAFE: active from IsSoftDeleted, matched on the work email",
             _with({"active": SAFE_ACTIVE}, matching=WORK_EMAIL)),
    "kantega": ("Kantega SSO: display name and work email with fallbacks",
                _with({"displayName": KANTEGA_NAME, "name.formatted": KANTEGA_NAME,
                       WORK_EMAIL: KANTEGA_EMAIL})),
    "test-suffix": ('Test tenant: Append([userPrincipalName], ".test")',
                    _with({"userName": TEST_SUFFIX})),
}

_INGRID = {
    "objectId": "0b6e6f3c-1d2a-4c55-9d5e-7c1f2b8a9e01",
    "userPrincipalName": "ingrid.solberg@contoso.example", "mail": "ingrid.solberg@contoso.example",
    "mailNickname": "ingrid.solberg", "displayName": "Ingrid Solberg", "givenName": "Ingrid",
    "surname": "Solberg", "jobTitle": "Payroll lead", "department": "Finance",
    "employeeId": "10042", "IsSoftDeleted": False, "telephoneNumber": "+47 22 33 44 55",
    "city": "Oslo", "country": "NO",
}
PEOPLE = {
    "complete": ("Ingrid Solberg: every attribute set", _INGRID),
    "no-mail": ("Tomasz Wiśniewski: no mail, no display name", {
        "objectId": "5f1c2b3a-7e8d-4f90-a1b2-c3d4e5f60718",
        "userPrincipalName": "tomasz.wisniewski@contoso.example", "mailNickname": "tomasz.w",
        "givenName": "Tomasz", "surname": "Wiśniewski", "department": "Warehouse",
        "IsSoftDeleted": False}),
    "soft-deleted": ("Ingrid Solberg, soft-deleted (IsSoftDeleted true)",
                     {**_INGRID, "IsSoftDeleted": True}),
    "diacritics": ("Øyvind Bræk-Ødegård: a name with diacritics", {
        "objectId": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
        "userPrincipalName": "oyvind.braek-odegard@contoso.example",
        "mail": "Øyvind.Bræk-Ødegård@contoso.example", "mailNickname": "oyvind",
        "displayName": "Øyvind Bræk-Ødegård", "givenName": "Øyvind", "surname": "Bræk-Ødegård",
        "jobTitle": "Fjellfører", "department": "Drift", "IsSoftDeleted": False}),
    "turkish": ("İlkay Yıldız: a Turkish dotted İ", {
        "objectId": "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f",
        "userPrincipalName": "ilkay.yildiz@contoso.example", "mail": "İlkay.Yıldız@contoso.example",
        "mailNickname": "ilkay", "displayName": "İlkay Yıldız", "givenName": "İlkay",
        "surname": "Yıldız", "jobTitle": "Mühendis", "IsSoftDeleted": False}),
}
# The change the PATCH example shows when the admin gives none: Entra soft-deletes the user.
DEFAULT_CHANGE = {"IsSoftDeleted": True}

# Rollcall stores what Entra sent, not Entra's source: the default mapping read backwards.
_INVERSE = [
    ("userPrincipalName", ("userName",)), ("displayName", ("displayName",)),
    ("jobTitle", ("title",)), ("mailNickname", ("externalId",)),
    ("givenName", ("name", "givenName")), ("surname", ("name", "familyName")),
    ("employeeId", (ENTERPRISE, "employeeNumber")), ("department", (ENTERPRISE, "department")),
    ("companyName", (ENTERPRISE, "organization")), ("manager", (ENTERPRISE, "manager", "value")),
]
_TYPED = [("mail", "emails", "work", "value"), ("telephoneNumber", "phoneNumbers", "work", "value"),
          ("mobile", "phoneNumbers", "mobile", "value"),
          ("facsimileTelephoneNumber", "phoneNumbers", "fax", "value"),
          ("streetAddress", "addresses", "work", "streetAddress"),
          ("city", "addresses", "work", "locality"), ("state", "addresses", "work", "region"),
          ("postalCode", "addresses", "work", "postalCode"),
          ("country", "addresses", "work", "country")]


def source_from_scim(data: dict) -> dict:
    """Entra source values that the default mapping would have turned into this stored user."""
    source = {"IsSoftDeleted": data.get("active") is False}
    for name, path in _INVERSE:
        value = _dig(data, path)
        if value not in (None, ""):
            source[name] = value
    for name, attribute, kind, sub in _TYPED:
        entry = next((e for e in data.get(attribute) or [] if e.get("type") == kind), None)
        if entry and entry.get(sub) not in (None, ""):
            source[name] = entry[sub]
    return source


def _dig(data: dict, path: tuple):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data if isinstance(data, str | int | float) and not isinstance(data, bool) else None
