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

    def failures(self) -> list[str]:
        if not self.errors:
            return []
        return [f"{people(self.errors)} would fail on {label(self.target)}: {self.first_error}"]

    def gaps(self, checked: int) -> list[str]:
        """Empty values for some people (not all: those are listed together)."""
        if not 0 < self.empty < checked:
            return []
        return [f"{people(self.empty)} would get an empty {label(self.target)}"]

    def changes(self) -> list[str]:
        if not self.changed:
            return []
        return [f"{people(self.changed)} would get a different {label(self.target)} "
                "than Rollcall stores now"]


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
        """Failures first, then values some people lack, changes, and targets nobody gets."""
        tallies = list(self.tallies.values())
        out = [f"{people(n)} would be refused: {detail}" for detail, n in self.refused.items()]
        out += [f"{people(n)} would be blocked: {detail}" for detail, n in self.blocked.items()]
        out += [s for tally in tallies for s in tally.failures()]
        out += [s for tally in tallies for s in tally.gaps(self.checked)]
        out += [s for tally in tallies for s in tally.changes()]
        nobody = [label(t.target) for t in tallies if self.checked and t.empty == self.checked]
        if nobody:
            out.append("No one would get a value for " + ", ".join(nobody))
        return out
