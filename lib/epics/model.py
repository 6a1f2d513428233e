"""What an epic is, the API shapes a file may come in, and the flags a master epic may carry."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

# A snapshot is active (shown) or replaced (restorable), as the store records it.
from lib.store.epics import ACTIVE as ACTIVE

REST_SHAPE = "GitLab epics REST API"
GRAPHQL_SHAPE = "GitLab Work Items API (GraphQL)"
WORK_ITEMS_REST_SHAPE = "GitLab Work Items API (REST)"
FETCH_SHAPE = "GitLab epics REST API (fetched)"

EXPECTED_FILE = (
    "the JSON GitLab returns for GET /groups/:id/epics (one page or several concatenated), "
    "or for the Work Items API (GraphQL data.group.workItems, or REST /groups/:id/-/work_items)"
)

NO_DRI = "No DRI"
NOT_ON_ROSTER = "DRI not on roster"
OVERDUE = "Overdue"
STALE = "Stale"
# Symbols every font draws (emoji are missing on many presentation machines); the words say the rest.
FLAG_SYMBOLS = {NO_DRI: "⚠", NOT_ON_ROSTER: "⚠", OVERDUE: "▲", STALE: "◐"}

NO_VISIBLE_WORK = "No visible work"
FAR_MORE = "Far more than the rest"
FAR_MORE_FACTOR = 2  # at least twice the median ...
FAR_MORE_MARGIN = 3  # ... and at least this many items more than it


@dataclass(frozen=True)
class Epic:
    group_path: str
    iid: int
    title: str
    state: str  # open or closed
    web_url: str | None = None
    labels: tuple[str, ...] = ()
    parent_group_path: str | None = None
    parent_iid: int | None = None
    author: str | None = None
    start_date: dt.date | None = None
    due_date: dt.date | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None

    @property
    def key(self) -> tuple[str, int]:
        return (self.group_path, self.iid)

    @property
    def parent_key(self) -> tuple[str, int] | None:
        return None if self.parent_iid is None else (self.parent_group_path or "", self.parent_iid)

    @property
    def reference(self) -> str:
        """GitLab's own reference: 'gitlab-com/support&12', or '&12' without a group."""
        return f"{self.group_path}&{self.iid}"


@dataclass
class ParsedFile:
    shape: str
    epics: list[Epic]
    ignored: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def left_out(self) -> str:
        """'; leaves out 2 not an epic (Issue)': what the file held that is not an epic."""
        return "".join(f"; leaves out {n} {why}" for why, n in self.ignored.items())


OUTSIDE_FILE = "(outside this file)"  # the group of a parent epic the file does not hold
URL_PATTERN = re.compile(r"/groups/(?P<group>[^?#]+?)/-/(?:epics|work_items)/(?P<iid>\d+)")
REFERENCE_PATTERN = re.compile(r"(?P<group>[\w.\-]+(?:/[\w.\-]+)*)?&(?P<iid>\d+)")
