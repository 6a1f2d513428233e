"""The hypothesis library: common hypotheses, what past workgroups concluded on each, and copying one in."""

from __future__ import annotations

import re

from lib.core import auth
from lib.store import database as store
from lib.workgroups.contents import add_hypothesis
from lib.workgroups.model import VERDICTS, WorkgroupError, clean_text
from lib.workgroups.repository import require_workgroup, rows_of, write


def library(con, query: str = "") -> list[dict]:
    """Library entries matching every word of ``query``, each with what past workgroups concluded."""
    entries = rows_of(
        con.execute(
            """SELECT id, title, statement, falsified_if, approach, shaping_actions FROM hypothesis_library
               WHERE deleted_at IS NULL ORDER BY id"""
        )
    )
    words = [word.casefold() for word in re.findall(r"\w+", query or "")]
    if words:
        searched = ("title", "statement", "falsified_if", "approach", "shaping_actions")
        entries = [
            entry
            for entry in entries
            if all(word in " ".join(clean_text(entry[k]) for k in searched).casefold() for word in words)
        ]
    conclusions = rows_of(
        con.execute(
            """SELECT h.library_id, h.id AS hypothesis_id, h.verdict, h.verdict_on, h.notes,
                      w.id AS workgroup_id, w.title AS workgroup_title, w.kpi, w.scope, w.opened_on
               FROM workgroup_hypotheses h JOIN workgroups w ON w.id = h.workgroup_id
               WHERE h.library_id IS NOT NULL AND h.deleted_at IS NULL AND w.deleted_at IS NULL
                 AND h.verdict <> 'open'
               ORDER BY h.verdict_on DESC NULLS LAST, h.id DESC"""
        )
    )
    for entry in entries:
        entry["past"] = [c for c in conclusions if c["library_id"] == entry["id"]]
        entry["tally"] = {v: sum(1 for c in entry["past"] if c["verdict"] == v) for v in VERDICTS if v != "open"}
    return entries


def copy_from_library(con, actor: str | None, workgroup_id: int, library_id: int) -> int:
    """Add a library hypothesis to a workgroup, worded for its KPI; the copy is the workgroup's to edit."""
    auth.require_editor("add hypotheses")
    actor = actor or auth.actor()
    found = rows_of(con.execute("SELECT * FROM hypothesis_library WHERE id = ? AND deleted_at IS NULL", [library_id]))
    if not found:
        raise WorkgroupError(f"there is no library hypothesis #{library_id}")
    entry = found[0]
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
        library_id = con.execute("SELECT nextval('hypothesis_library_ids')").fetchone()[0]
        with write(con, actor, "library hypothesis added", f"library {library_id}"):
            con.execute(
                "INSERT INTO hypothesis_library VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, now()::TIMESTAMP, NULL)",
                [
                    library_id,
                    clean_text(title),
                    clean_text(statement),
                    clean_text(falsified_if),
                    clean_text(approach),
                    clean_text(shaping_actions),
                ],
            )
    return library_id
