"""The setup guide's attribute-mapping table, generated from the live schema registry.

Target strings are written the way Entra's attribute-mapping editor wants them:
`emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`, `urn:…:User:<custom>`.
"""

from dataclasses import dataclass

from scim.schema import ENTERPRISE
from scim.schema import ResourceType
from services import custom_fields
from services import directories
from services.context import current_directory_id

# Entra's default source for each target of a non-gallery app (Microsoft Learn, "Develop and
# plan provisioning for a SCIM endpoint"), plus organization, which the enterprise schema has
# and reporting needs (CybSafe's reporting folders).
ENTRA_SOURCES = {
    "userName": "userPrincipalName",
    "active": 'Switch([IsSoftDeleted], , "False", "True", "True", "False")',
    "displayName": "displayName",
    "title": "jobTitle",
    'emails[type eq "work"].value': "mail",
    "name.givenName": "givenName",
    "name.familyName": "surname",
    "name.formatted": 'Join(" ", [givenName], [surname])',
    'addresses[type eq "work"].streetAddress': "streetAddress",
    'addresses[type eq "work"].locality': "city",
    'addresses[type eq "work"].region': "state",
    'addresses[type eq "work"].postalCode': "postalCode",
    'addresses[type eq "work"].country': "country",
    'phoneNumbers[type eq "work"].value': "telephoneNumber",
    'phoneNumbers[type eq "mobile"].value': "mobile",
    'phoneNumbers[type eq "fax"].value': "facsimileTelephoneNumber",
    "externalId": "mailNickname",
    f"{ENTERPRISE}:employeeNumber": "employeeId",
    f"{ENTERPRISE}:department": "department",
    f"{ENTERPRISE}:manager": "manager",
    f"{ENTERPRISE}:organization": "companyName",
}
# Entra's attribute editor knows these types; it has none for decimals, which travel as
# String: Rollcall reads a numeric string ("1.5") as the number (scim/resource.py).
ENTRA_TYPES = {"string": "String", "boolean": "Boolean", "integer": "Integer",
               "decimal": "String", "dateTime": "DateTime", "reference": "Reference",
               "binary": "Binary", "complex": "Reference"}
# What a custom field of each type accepts, for the guide's custom-attribute notes.
TYPE_NOTES = {
    "integer": "Integer in Entra: whole numbers of at most 64 bits (±9,223,372,036,854,775,807);"
               " a larger value is refused.",
    "decimal": 'String in Entra (it has no decimal type): Rollcall reads a numeric string such '
               'as "1.5" or "-2e3" as the number, and filters and sorts it as one.',
    "dateTime": "DateTime in Entra: ISO 8601 with an offset (2021-06-01T23:00:00Z); Rollcall "
                "stores it in UTC and compares instants, whatever the offset sent. Without an "
                "offset the time is read as UTC.",
    "boolean": 'Boolean in Entra: true or false ("True"/"False" as strings are accepted too).',
}
SKIPPED = {"password", "groups", "entitlements", "x509Certificates"}


@dataclass(frozen=True)
class Mapping:
    target: str
    type: str
    source: str | None
    description: str
    custom: bool = False

    @property
    def entra_type(self) -> str:
        return ENTRA_TYPES.get(self.type, "String")


def tenant_slug() -> str | None:
    """The current directory's segment of its Tenant URL (`/scim/v2/<slug>`).

    None for the default directory, whose Tenant URL stays `/scim/v2`.
    """
    directory_id = current_directory_id()
    if directory_id == directories.DEFAULT_ID:
        return None
    return directories.slug_of(directory_id)


def mappings(rtype: ResourceType | None = None) -> tuple[list[Mapping], list[Mapping]]:
    """(recommended, other) mappings: recommended ones have a default Entra source or are custom."""
    rtype = rtype or custom_fields.user_type()
    rows = list(_targets(rtype))
    recommended = [r for r in rows if r.source or r.custom]
    order = {target: i for i, target in enumerate(ENTRA_SOURCES)}
    recommended.sort(key=lambda r: (r.custom, order.get(r.target, len(order))))
    return recommended, [r for r in rows if not (r.source or r.custom)]


def custom_type_notes(rows: list[Mapping]) -> list[tuple[str, str]]:
    """(type, note) for each type among the custom fields that has one, in TYPE_NOTES order."""
    types = {row.type for row in rows if row.custom}
    return [(kind, note) for kind, note in TYPE_NOTES.items() if kind in types]


def matching_target(matching_attribute: str) -> tuple[str, str]:
    """(Entra source, target) to give matching precedence 1 under the current rule."""
    if matching_attribute == "email":
        return "mail", 'emails[type eq "work"].value'
    return "userPrincipalName", "userName"


def _targets(rtype: ResourceType):
    yield from _schema_targets(rtype.core.attributes, "")
    yield _row("externalId", "string", "An identifier from the provisioning client.")
    for schema in rtype.extensions:
        custom = schema.id not in (ENTERPRISE,)
        for attribute in schema.attributes:
            yield _row(f"{schema.id}:{attribute.name}", attribute.type, attribute.description,
                       custom=custom)


def _schema_targets(attributes, prefix: str):
    for attribute in attributes:
        if attribute.name in SKIPPED or attribute.mutability in ("readOnly", "writeOnly"):
            continue
        if attribute.type != "complex":
            yield _row(prefix + attribute.name, attribute.type, attribute.description)
        elif not attribute.multi_valued:
            for sub in attribute.sub_attributes:
                yield _row(f"{attribute.name}.{sub.name}", sub.type, sub.description)
        else:
            yield from _multi_targets(attribute)


def _multi_targets(attribute):
    """`emails[type eq "work"].value`: one row per canonical type and writable sub-attribute."""
    type_sub = attribute.sub("type")
    # Without canonical types (roles) there is no `[type eq …]` target to type into Entra.
    types = type_sub.canonical_values if type_sub else ()
    subs = [s for s in attribute.sub_attributes if s.name not in ("type", "primary", "display")]
    for kind in types:
        for sub in subs:
            yield _row(f'{attribute.name}[type eq "{kind}"].{sub.name}', sub.type,
                       f"{attribute.description} {sub.description}".strip())


def _row(target: str, type_: str, description: str, custom: bool = False) -> Mapping:
    return Mapping(target, type_, ENTRA_SOURCES.get(target), description, custom)
