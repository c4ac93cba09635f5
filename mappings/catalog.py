"""The functions the evaluator knows and how many arguments each takes.

Arities follow the parameter tables of Microsoft Learn's "Reference for writing expressions
for attribute mappings in Microsoft Entra ID": optional parameters may be left out at the end
or passed empty.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Arity:
    least: int
    most: int | None  # None: no upper bound
    even: bool = False  # Switch: source, default, then key/value pairs

    def accepts(self, count: int) -> bool:
        if count < self.least or (self.most is not None and count > self.most):
            return False
        return not self.even or count % 2 == 0

    def describe(self) -> str:
        if self.even:
            return f"an even number of arguments, at least {self.least}"
        if self.most is None:
            return f"at least {self.least} argument{'s' if self.least != 1 else ''}"
        if self.least == self.most:
            return f"{self.least} argument{'s' if self.least != 1 else ''}"
        return f"{self.least} to {self.most} arguments"


ARITY = {
    "Append": Arity(2, 2),
    "AppRoleAssignmentsComplex": Arity(1, 1),
    "BitAnd": Arity(2, 2),
    "CBool": Arity(1, 1),
    "CDate": Arity(1, 1),
    "Coalesce": Arity(1, None),
    "ConvertToBase64": Arity(1, 1),
    "ConvertToUTF8Hex": Arity(1, 1),
    "Count": Arity(1, 1),
    "CStr": Arity(1, 1),
    "DateAdd": Arity(3, 3),
    "DateDiff": Arity(3, 3),
    "DateFromNum": Arity(1, 1),
    "FormatDateTime": Arity(3, 4),
    "Guid": Arity(0, 0),
    "IgnoreFlowIfNullOrEmpty": Arity(1, 1),
    "IIF": Arity(3, 3),
    "InStr": Arity(2, 4),
    "IsNull": Arity(1, 1),
    "IsNullOrEmpty": Arity(1, 1),
    "IsPresent": Arity(1, 1),
    "IsString": Arity(1, 1),
    "Item": Arity(2, 2),
    "Join": Arity(2, None),
    "Left": Arity(2, 2),
    "Mid": Arity(3, 3),
    "NormalizeDiacritics": Arity(1, 1),
    "Not": Arity(1, 1),
    "Now": Arity(0, 0),
    "NumFromDate": Arity(1, 1),
    "PCase": Arity(1, 2),
    "RandomString": Arity(5, 6),
    "Redact": Arity(1, 1),
    "RemoveDuplicates": Arity(1, 1),
    "Replace": Arity(3, 7),
    "SelectUniqueValue": Arity(2, None),
    "SingleAppRoleAssignment": Arity(1, 1),
    "Split": Arity(2, 2),
    "StripSpaces": Arity(1, 1),
    "Switch": Arity(2, None, even=True),
    "ToLower": Arity(1, 2),
    "ToUpper": Arity(1, 2),
    "Word": Arity(3, 3),
}
# The reference: "This function must be at the top-level and can't be nested."
TOP_LEVEL_ONLY = ("SelectUniqueValue",)


def suggestion(name: str) -> str | None:
    """The function a wrongly cased name means (the syntax is case-sensitive)."""
    return next((known for known in ARITY if known.lower() == name.lower()), None)
