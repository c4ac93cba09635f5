"""Counting what a mapping would do across many people: the directory check's tallies."""

from collections import Counter
from dataclasses import dataclass
from dataclasses import field

# How the directory check names common targets in its sentences.
LABELS = {
    "userName": "userName", "displayName": "display name", "active": "active flag",
    'emails[type eq "work"].value': "work email", "name.givenName": "given name",
    "name.familyName": "family name", "name.formatted": "formatted name", "title": "title",
    "externalId": "externalId",
}


def label(target: str) -> str:
    return LABELS.get(target, target)


def people(count: int) -> str:
    return f"{count} {'person' if count == 1 else 'people'}"


@dataclass
class Tally:
    target: str
    empty: int = 0
    errors: int = 0
    changed: int = 0
    first_error: str = ""

    def sentences(self) -> list[str]:
        out = []
        if self.empty:
            out.append(f"{people(self.empty)} would get an empty {label(self.target)}")
        if self.errors:
            out.append(f"{people(self.errors)} would fail on {label(self.target)}: "
                       f"{self.first_error}")
        if self.changed:
            out.append(f"{people(self.changed)} would get a different {label(self.target)} "
                       "than Rollcall stores now")
        return out


@dataclass
class Census:
    total: int = 0
    checked: int = 0
    tallies: dict = field(default_factory=dict)
    refused: Counter = field(default_factory=Counter)
    blocked: Counter = field(default_factory=Counter)

    def tally(self, target: str) -> Tally:
        return self.tallies.setdefault(target, Tally(target))

    @property
    def failing(self) -> bool:
        """Whether anyone would fail: an expression error, a refusal or a blocking rule."""
        return bool(self.refused or self.blocked or any(t.errors for t in self.tallies.values()))

    def sentences(self) -> list[str]:
        out = [s for tally in self.tallies.values() for s in tally.sentences()]
        out += [f"{people(n)} would be refused: {detail}" for detail, n in self.refused.items()]
        out += [f"{people(n)} would be blocked: {detail}" for detail, n in self.blocked.items()]
        return out
