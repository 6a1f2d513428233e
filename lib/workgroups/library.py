"""The hypothesis library: common hypotheses, what past workgroups concluded on each, and copying one in."""

from __future__ import annotations

import re

from lib.core import auth
from lib.store import database as store
from lib.store import workgroups as stored
from lib.workgroups.contents import add_hypothesis
from lib.workgroups.model import VERDICTS, WorkgroupError, clean_text
from lib.workgroups.repository import require_workgroup, write


def library(con, query: str = "") -> list[dict]:
    """Library entries matching every word of ``query``, each with what past workgroups concluded."""
    entries = stored.library_entries(con)
    words = [word.casefold() for word in re.findall(r"\w+", query or "")]
    if words:
        entries = [
            entry
            for entry in entries
            if all(word in " ".join(clean_text(entry[k]) for k in stored.LIBRARY_COLUMNS).casefold() for word in words)
        ]
    conclusions = stored.library_conclusions(con)
    for entry in entries:
        entry["past"] = [c for c in conclusions if c["library_id"] == entry["id"]]
        entry["tally"] = {v: sum(1 for c in entry["past"] if c["verdict"] == v) for v in VERDICTS if v != "open"}
    return entries


def copy_from_library(con, actor: str | None, workgroup_id: int, library_id: int) -> int:
    """Add a library hypothesis to a workgroup, worded for its KPI; the copy is the workgroup's to edit."""
    auth.require_editor("add hypotheses")
    actor = actor or auth.actor()
    entry = stored.library_entry(con, library_id)
    if entry is None:
        raise WorkgroupError(f"there is no library hypothesis #{library_id}")
    kpi = require_workgroup(con, workgroup_id)["kpi"]
    return add_hypothesis(
        con,
        actor,
        workgroup_id,
        clean_text(entry["statement"]).replace("{kpi}", kpi) or entry["title"],
        title=entry["title"],
        falsified_if=clean_text(entry["falsified_if"]),
        approach=clean_text(entry["approach"]),
        library_id=library_id,
    )


def add_to_library(
    con, actor: str | None, title: str, *, statement="", falsified_if="", approach="", shaping_actions=""
) -> int:
    """A new common hypothesis (write ``{kpi}`` where the KPI's name belongs)."""
    auth.require_editor("add to the hypothesis library")
    actor = actor or auth.actor()
    if not clean_text(title):
        raise WorkgroupError("a library hypothesis needs a title")
    with store.write_lock(con):
        library_id = stored.new_library_id(con)
        with write(con, actor, "library hypothesis added", f"library {library_id}"):
            values = {
                "title": clean_text(title),
                "statement": clean_text(statement),
                "falsified_if": clean_text(falsified_if),
                "approach": clean_text(approach),
                "shaping_actions": clean_text(shaping_actions),
            }
            stored.insert_library_entry(con, library_id, values)
    return library_id
