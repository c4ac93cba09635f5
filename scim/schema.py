"""The schema registry: SCIM attribute definitions (RFC 7643 §2, §4, §7).

One set of definitions drives validation, PATCH path resolution, projection
and the `/Schemas` discovery document, so they cannot drift apart.
"""

import functools
from dataclasses import dataclass
from dataclasses import field

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEFAULT_CUSTOM = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"

TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "reference", "binary", "complex")


def _by_lower_name(attributes) -> dict:
    """{lower-cased name: attribute}, the first of any two that differ only in case."""
    found: dict = {}
    for attribute in attributes:
        found.setdefault(attribute.name.lower(), attribute)
    return found


@dataclass(frozen=True)
class Attribute:
    """One attribute definition, as `/Schemas` publishes it (RFC 7643 §7)."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    description: str = ""
    sub_attributes: tuple["Attribute", ...] = ()
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()

    def sub(self, name: str) -> "Attribute | None":
        """Find a sub-attribute by name, case-insensitively (RFC 7643 §2.1)."""
        return self._subs.get(name.lower())

    @functools.cached_property
    def _subs(self) -> dict:
        # By lower-cased name, built once: a member add looks up 100 values' sub-attributes.
        return _by_lower_name(self.sub_attributes)

    def to_dict(self) -> dict:
        out = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "caseExact": self.case_exact,
            "mutability": self.mutability,
            "returned": self.returned,
            "uniqueness": self.uniqueness,
        }
        if self.sub_attributes:
            out["subAttributes"] = [sub.to_dict() for sub in self.sub_attributes]
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        return out


@dataclass(frozen=True)
class Schema:
    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    # Names of retired attributes: writes drop their values (noted), even under "reject".
    retired: tuple[str, ...] = ()

    def attr(self, name: str) -> Attribute | None:
        return self._attributes.get(name.lower())

    @functools.cached_property
    def _attributes(self) -> dict:
        return _by_lower_name(self.attributes)

    def to_dict(self, base_url: str = "") -> dict:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_dict() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{self.id}"},
        }


@dataclass(frozen=True)
class ResourceType:
    """A resource type with its core schema and extensions (RFC 7643 §6)."""

    name: str
    endpoint: str
    description: str
    core: Schema
    extensions: tuple[Schema, ...] = field(default=())

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.core, *self.extensions)

    def extension(self, urn: str) -> Schema | None:
        return self._extensions.get(urn.lower())

    @functools.cached_property
    def _extensions(self) -> dict:
        found: dict = {}
        for schema in self.extensions:
            found.setdefault(schema.id.lower(), schema)
        return found

    def split_urn(self, path: str) -> tuple[Schema | None, str]:
        """Split a leading schema URN off a path: `urn:…:User:department` → (schema, "department").

        Returns (None, path) when the path carries no known URN prefix.
        """
        lowered = path.lower()
        for schema in self.schemas:
            prefix = schema.id.lower()
            if lowered == prefix:
                return schema, ""
            if lowered.startswith(prefix + ":"):
                return schema, path[len(prefix) + 1 :]
        return None, path

    def to_dict(self, base_url: str = "") -> dict:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": self.endpoint,
            "description": self.description,
            "schema": self.core.id,
            "schemaExtensions": [{"schema": s.id, "required": False}
                                 for s in self.extensions if s.attributes],
            "meta": {"resourceType": "ResourceType", "location": f"{base_url}/ResourceTypes/{self.name}"},
        }


def _s(name, description="", **kw) -> Attribute:
    return Attribute(name, description=description, **kw)


def _multi(name, description, subs, types=()) -> Attribute:
    """A multi-valued complex attribute with the usual value/display/type/primary."""
    return Attribute(
        name,
        type="complex",
        multi_valued=True,
        description=description,
        sub_attributes=(
            *subs,
            _s("display", "A human-readable name, primarily used for display purposes."),
            _s("type", "A label indicating the attribute's function.", canonical_values=types),
            Attribute("primary", type="boolean", description="Whether this is the primary value."),
        ),
    )


_VALUE = _s("value", "The attribute's significant value.")

NAME = Attribute(
    "name",
    type="complex",
    description="The components of the user's real name.",
    sub_attributes=(
        _s("formatted", "The full name, formatted for display."),
        _s("familyName", "The family name, or last name."),
        _s("givenName", "The given name, or first name."),
        _s("middleName", "The middle name(s)."),
        _s("honorificPrefix", "The honorific prefix(es), e.g. 'Ms.'."),
        _s("honorificSuffix", "The honorific suffix(es), e.g. 'III'."),
    ),
)

ADDRESS = _multi(
    "addresses",
    "Physical mailing addresses for this user.",
    (
        _s("formatted", "The full mailing address, formatted for display."),
        _s("streetAddress", "The full street address component."),
        _s("locality", "The city or locality component."),
        _s("region", "The state or region component."),
        _s("postalCode", "The zip code or postal code component."),
        _s("country", "The country name component (ISO 3166-1 alpha-2)."),
    ),
    types=("work", "home", "other"),
)

GROUP_REF = Attribute(
    "groups",
    type="complex",
    multi_valued=True,
    mutability="readOnly",
    description="Groups the user belongs to, directly or through nested groups.",
    sub_attributes=(
        Attribute("value", mutability="readOnly", description="The id of the group."),
        Attribute("$ref", type="reference", mutability="readOnly", reference_types=("Group",),
                  description="The URI of the group."),
        Attribute("display", mutability="readOnly", description="The group's displayName."),
        Attribute("type", mutability="readOnly", canonical_values=("direct", "indirect"),
                  description="Whether the membership is direct or indirect."),
    ),
)

USER_SCHEMA = Schema(
    USER,
    "User",
    "User Account",
    (
        Attribute("userName", required=True, uniqueness="server",
                  description="Unique identifier for the user, typically the sign-in name."),
        NAME,
        _s("displayName", "The name of the user, suitable for display to end-users."),
        _s("nickName", "The casual way to address the user."),
        Attribute("profileUrl", type="reference", reference_types=("external",),
                  description="A URI of the user's online profile."),
        _s("title", "The user's title, such as 'Vice President'."),
        _s("userType", "The relationship between the organization and the user."),
        _s("preferredLanguage", "The user's preferred written or spoken language (RFC 7231)."),
        _s("locale", "The user's default location, e.g. 'en-US'."),
        _s("timezone", "The user's time zone in IANA format, e.g. 'Europe/London'."),
        Attribute("active", type="boolean", description="The user's administrative status."),
        Attribute("password", mutability="writeOnly", returned="never",
                  description="The user's cleartext password; accepted, never stored or returned."),
        _multi("emails", "Email addresses for the user.", (_VALUE,), ("work", "home", "other")),
        _multi("phoneNumbers", "Phone numbers for the user.", (_VALUE,),
               ("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", "Instant messaging addresses for the user.", (_VALUE,),
               ("aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo")),
        _multi("photos", "URLs of photos of the user.",
               (Attribute("value", type="reference", reference_types=("external",),
                          description="The URL of a photo."),), ("photo", "thumbnail")),
        ADDRESS,
        GROUP_REF,
        _multi("entitlements", "A list of entitlements for the user.", (_VALUE,)),
        _multi("roles", "A list of roles for the user.", (_VALUE,)),
        _multi("x509Certificates", "A list of certificates issued to the user.",
               (Attribute("value", type="binary", description="The DER-encoded certificate."),)),
    ),
)

ENTERPRISE_SCHEMA = Schema(
    ENTERPRISE,
    "EnterpriseUser",
    "Enterprise User",
    (
        _s("employeeNumber", "Numeric or alphanumeric identifier assigned to a person."),
        _s("costCenter", "Identifies the name of a cost center."),
        _s("organization", "Identifies the name of an organization."),
        _s("division", "Identifies the name of a division."),
        _s("department", "Identifies the name of a department."),
        Attribute(
            "manager",
            type="complex",
            description="The user's manager.",
            sub_attributes=(
                Attribute("value", required=True,
                          description="The id of the manager's User. A write may give the "
                                      "manager's unique employeeNumber instead; one that no "
                                      "user has yet is kept as sent, without $ref, until a "
                                      "user with it is written."),
                Attribute("$ref", type="reference", reference_types=("User",),
                          description="The URI of the manager's User."),
                Attribute("displayName", mutability="readOnly",
                          description="The displayName of the manager."),
            ),
        ),
    ),
)

MEMBERS = Attribute(
    "members",
    type="complex",
    multi_valued=True,
    returned="default",
    description="A list of members of the group.",
    sub_attributes=(
        Attribute("value", mutability="immutable", description="The id of the member."),
        Attribute("$ref", type="reference", mutability="immutable", reference_types=("User", "Group"),
                  description="The URI of the member."),
        Attribute("display", mutability="immutable",
                  description="The member's display name, as the client wrote it."),
        Attribute("type", mutability="immutable", canonical_values=("User", "Group"),
                  description="Whether the member is a User or a Group."),
    ),
)

GROUP_SCHEMA = Schema(
    GROUP,
    "Group",
    "Group",
    (
        Attribute("displayName", required=True, uniqueness="server",
                  description="A human-readable name for the group, unique in Rollcall."),
        MEMBERS,
    ),
)

# Common attributes (RFC 7643 §3.1): present on every resource, not part of a schema.
COMMON = (
    Attribute("id", mutability="readOnly", returned="always", uniqueness="server", case_exact=True),
    Attribute("externalId", case_exact=True),
    Attribute("meta", type="complex", mutability="readOnly"),
)

CUSTOM_TYPES = {"string", "boolean", "integer", "decimal", "dateTime", "reference"}


def custom_schema(urn: str, fields, retired: tuple[str, ...] = ()) -> Schema:
    """Build the custom extension schema from declared custom fields.

    `fields` is an iterable of objects with `name`, `type`, `multi_valued` and `description`;
    `retired` names the retired ones, whose values writes ignore.
    """
    attributes = tuple(
        Attribute(
            f.name,
            type=f.type,
            multi_valued=bool(f.multi_valued),
            description=f.description or "",
            reference_types=("external",) if f.type == "reference" else (),
        )
        for f in fields
    )
    return Schema(urn, "CustomExtension", "Custom attributes declared by this Rollcall's admins.",
                  attributes, tuple(retired))


def user_type(custom: Schema | None = None) -> ResourceType:
    """The User resource type, with the custom extension when one is declared."""
    extensions = (ENTERPRISE_SCHEMA,) if custom is None else (ENTERPRISE_SCHEMA, custom)
    return ResourceType("User", "/Users", "User Account", USER_SCHEMA, extensions)


GROUP_TYPE = ResourceType("Group", "/Groups", "Group", GROUP_SCHEMA)
