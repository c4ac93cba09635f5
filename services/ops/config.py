"""The knobs of provisioning health and alerts, read once from the app config."""

from dataclasses import dataclass
from dataclasses import fields
from datetime import timedelta

# Entra runs an incremental cycle about every 40 minutes (docs/operations-health.md).
CYCLE_INTERVAL_MINUTES = 40


@dataclass(frozen=True)
class OpsConfig:
    # A pause longer than this between two requests of a connection ends a cycle.
    # (Floats, not ints: from_mapping converts a setting to its default's type.)
    cycle_gap_minutes: float = 10.0
    cycle_interval_minutes: float = float(CYCLE_INTERVAL_MINUTES)
    # No cycle for this long: "overdue" (twice the interval by default).
    cycle_overdue_minutes: float = 2.0 * CYCLE_INTERVAL_MINUTES
    # A cycle whose failure share (references excluded) reaches this degrades the connection.
    degraded_ratio: float = 0.05
    # Alert when a cycle's failure share reaches this, or its 401s reach `alert_unauthorized`.
    alert_failure_ratio: float = 0.2
    alert_unauthorized: int = 1
    # How far back the health page reads cycles.
    history_hours: int = 48
    # Alert when the oldest event waiting for an active subscription is older than this.
    events_lag_minutes: float = 60
    # A token counts as "in use" when a client authenticated with it within this many days.
    in_use_days: int = 7
    # Where the admin UI lives, for links in alert messages ("" leaves them relative).
    base_url: str = ""

    @property
    def gap(self) -> timedelta:
        return timedelta(minutes=self.cycle_gap_minutes)

    @property
    def interval(self) -> timedelta:
        return timedelta(minutes=self.cycle_interval_minutes)

    @property
    def overdue(self) -> timedelta:
        return timedelta(minutes=self.cycle_overdue_minutes)


# Config variable for each field: OPS_CYCLE_GAP_MINUTES, OPS_CYCLE_OVERDUE_MINUTES, ...
def from_mapping(config) -> OpsConfig:
    """Build the settings from a Flask config (or any mapping) with OPS_* keys."""
    values = {}
    for f in fields(OpsConfig):
        key = "OPS_" + f.name.upper()
        if config.get(key) is not None:
            values[f.name] = type(f.default)(config[key])
    if not values.get("base_url") and config.get("PUBLIC_URL"):
        values["base_url"] = str(config["PUBLIC_URL"]).rstrip("/")
    return OpsConfig(**values)
