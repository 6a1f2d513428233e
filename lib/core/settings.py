"""Every number a manager may want to change, in one place.

Defaults live here; a database can override any of them (table ``settings``), so a team
that moves a floor changes it once and every page, the command line and the benchmark
agree.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from lib.core.kpis import default_floors, default_targets

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DB_PATH = PROJECT_ROOT / "data" / "floorline.duckdb"

# The pooled value of the combined segments, as every page, table and download names it.
COMBINED = "Combined"
# The three scopes the handbook pools into a "combined" KPI; everything else is "Other".
COMBINED_SEGMENTS = ("L&R", "GitLab SM", "GitLab SaaS")
OTHER_SEGMENT = "Other"
SEGMENTS = (*COMBINED_SEGMENTS, OTHER_SEGMENT)

DEFAULT_FORM_SEGMENTS = {
    "SaaS": "GitLab SaaS",
    "SaaS Account": "GitLab SaaS",
    "Self-Managed": "GitLab SM",
    "L&R": "L&R",
}

REGIONS = ("AMER", "APAC", "EMEA")

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Settings:
    # Per KPI, from the registry (lib/core/kpis.py); a saved override changes only the KPIs it names.
    floors: dict[str, float] = field(default_factory=default_floors)
    targets: dict[str, float] = field(default_factory=default_targets)
    week_start: str = "monday"
    sustained_weeks: int = 2
    recovery_weeks: int = 2
    near_floor_points: float = 1.0
    stale_after_days: int = 7
    reconciliation_tolerance_points: float = 1.0
    max_upload_mb: int = 200
    okr_bands: dict[str, float] = field(default_factory=lambda: {"on_target": 85.0, "off_target": 70.0})
    # A slice of a change (a region, a form) with fewer counted events than this in both periods is too
    # small to judge on its own: the decomposition groups such slices (DECISIONS.md §16).
    min_slice_events: int = 30
    # Epics page: a master epic's title matches this (regular expression, any case); the handbook searches "area:".
    epic_master_pattern: str = "area:"
    epic_stale_after_days: int = 30  # an open master epic with no update for this many days is flagged stale

    @property
    def week_start_index(self) -> int:
        """Python weekday number (Monday 0) on which a week begins."""
        return WEEKDAYS.index(self.week_start)

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def with_overrides(self, overrides: dict) -> Settings:
        """Saved values over these; a saved dictionary (floors, targets, OKR bands) is merged key by key,
        so floors saved before a KPI was added still leave the new KPI its default floor."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        merged = {
            name: {**current[name], **value} if isinstance(current[name], dict) and isinstance(value, dict) else value
            for name, value in overrides.items()
            if name in current
        }
        return replace(self, **merged)


# The defaults as the registry holds them at import (tests compare against them); load_settings builds
# its own, so a KPI registered later still gets its floor.
DEFAULTS = Settings()


def database_path() -> Path:
    """The database file: ``FLOORLINE_DB`` when set, else ``data/floorline.duckdb``."""
    return Path(os.environ.get("FLOORLINE_DB") or DEFAULT_DB_PATH)


def database_url() -> str | None:
    """A PostgreSQL server for several replicas: ``FLOORLINE_DATABASE_URL``, else ``[database] url`` in the
    secrets; None (the DuckDB file) when neither is set."""
    from lib.core.secrets import read_secrets_file, secret_table

    return os.environ.get("FLOORLINE_DATABASE_URL") or secret_table(read_secrets_file(), "database").get("url") or None


def archive_dir(db_path: Path) -> Path:
    """Uploaded originals sit beside the database they feed, so one folder backs up both."""
    return db_path.parent / "archive"
