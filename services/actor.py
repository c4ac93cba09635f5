"""Who is acting: passed explicitly to every service that writes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # "token", "admin" or "cli"
    id: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


CLI = Actor("cli", "cli", "command line")
