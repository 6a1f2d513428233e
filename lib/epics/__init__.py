"""The team's GitLab epics: master epics by area, their DRIs, flags, and who is working on what.

The handbook: "The Support Team uses Epics to track and coordinate ongoing projects. For the
master epics [found by searching ``area:``], a Support manager will be assigned as a Directly
Responsible Individual (DRI): you will see their name in parentheses after the Epic title."

Epics arrive as a *snapshot*: one JSON file saved from GitLab (the epics REST API, several
pages concatenated, or the Work Items API that replaces it), or a direct fetch
(``lib.epics.fetch``) that goes through the same import. The newest snapshot is the one
shown; an import never edits an older one, so any earlier snapshot can be restored. Each
import or restore is one ``store.transaction`` with a change-log row and a data-version
bump, like every other write. A file that cannot be read is refused whole,
naming the file, the item and the field, and nothing is stored.

The rules (each with a worked example in DECISIONS.md §21):

- **Master epic:** its title matches the ``epic_master_pattern`` setting (a regular
  expression, case-insensitive; default ``area:``). Its *area* is the title text after the
  match, up to the DRI's parentheses.
- **DRI:** the text inside the *last* top-level parentheses of the title, with any nested
  parentheses inside it left out ("(Priya Nair (interim))" names Priya Nair). It is matched
  to the OKR page's manager roster ignoring case, accents and repeated spaces.
- **Flags** (open master epics only, except the DRI flags): no DRI; DRI not on the roster;
  overdue (due date before today); stale (no update for ``epic_stale_after_days`` days or
  more, counting the master epic's own update and those of its child epics).
- **Who is working on what:** per manager, the open master epics they are DRI of, their
  manager objectives this fiscal quarter and the open workgroups they sit on (member or
  facilitator). Zero of all three is "no visible work"; at least twice the median of all
  managers and at least 3 more than it is "far more than the rest".

The modules, each one job (import the one you need; this file holds nothing else):

- ``model``: an epic, the API shapes a file may come in, the flags.
- ``imports``: reading a saved API response of any shape into epics, or a refusal naming the item.
- ``repository``: snapshots stored, restored and read back; the manager roster and open workgroups.
- ``masters``: master epics, their area and DRI from the title, child epics and flags.
- ``links``: key results and workgroup actions that name an epic.
- ``workload``: who is working on what, and who stands out.
- ``overview``: the active snapshot's master epics, the page's tables and the command line's JSON.
- ``fetch``: fetching straight from GitLab, then importing as an uploaded file.

The demo epics are ``lib.demo.epics``.
"""
