"""The epics command line: import, JSON, refusals, listing and restoring snapshots."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from epic_builders import GROUP, TODAY, rest_epic, write

from lib import cli
from lib.metrics import fiscal

# --- the command line ---------------------------------------------------------------------------


@pytest.fixture
def pinned_today(monkeypatch):
    monkeypatch.setattr(fiscal, "today", lambda: TODAY)


def test_cli_import_then_json(db_path, tmp_path, capsys, pinned_today):
    good = write(tmp_path, "epics.json", json.dumps([rest_epic(1, "area: Docs (Priya Nair)", due_date="2026-01-01")]))

    assert cli.main(["epics", "import", str(good), "--by", "ann"]) == 0
    assert "imported  epics.json: snapshot 1: 1 epics from the GitLab epics REST API" in capsys.readouterr().out
    assert cli.main(["epics", "--json"]) == 0

    report = json.loads(capsys.readouterr().out)
    assert report["master_epics"] == [
        {
            "reference": f"{GROUP}&1",
            "title": "area: Docs (Priya Nair)",
            "area": "Docs",
            "dri": "Priya Nair",
            "dri_on_roster": False,  # this database has no roster
            "region": None,
            "state": "open",
            "start_date": "2026-09-01",
            "due_date": "2026-01-01",
            "last_update": "2026-11-20",
            "children_open": 0,
            "children_closed": 0,
            "flags": ["DRI not on roster", "Overdue"]
            + (["Stale"] if (fiscal.today() - dt.date(2026, 11, 20)).days >= 30 else []),
            "web_url": f"https://gitlab.com/groups/{GROUP}/-/epics/1",
            "named_in": [],
        }
    ]


def test_cli_refusal_exits_2_and_names_the_file(db_path, tmp_path, capsys):
    bad = write(tmp_path, "explore.csv", "Ticket ID,SLA metric\n1,First reply time\n")

    assert cli.main(["epics", "import", str(bad)]) == 2
    assert capsys.readouterr().out.startswith("refused   explore.csv: not readable as JSON")
    assert cli.main(["epics", "import", str(tmp_path / "missing.json")]) == 2


def test_cli_lists_master_epics_and_restores_a_snapshot(db_path, tmp_path, capsys, pinned_today):
    first = write(tmp_path, "first.json", json.dumps([rest_epic(1, "area: Docs (Priya Nair)")]))
    second = write(tmp_path, "second.json", json.dumps([rest_epic(2, "area: Tooling")]))
    assert cli.main(["epics", "import", str(first)]) == 0
    assert cli.main(["epics", "import", str(second)]) == 0
    capsys.readouterr()

    assert cli.main(["epics", "restore", "1", "--by", "carol"]) == 0
    assert cli.main(["epics"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "epics snapshot 1 restored"
    assert lines[1].startswith("epics snapshot 1 from first.json")
    assert lines[2].split() == ["gitlab-com/support&1", "open", "Priya", "Nair", "Docs", "[DRI", "not", "on", "roster]"]
    assert cli.main(["epics", "restore", "7"]) == 2


# Terminal escapes in an epic's title (issue 23): an OSC 8 hyperlink, clear screen, a bell, a C1 CSI, a bidi override.
HOSTILE_TITLE = "area: \x1b]8;;http://127.0.0.1:9/x\x1b\\Docs\x1b]8;;\x1b\\ \x1b[2J\x07\x9b31m \u202eevil (Priya Nair)"


def test_what_the_command_line_prints_holds_no_control_character(db_path, tmp_path, capsys, pinned_today):
    hostile = write(tmp_path, "epics\x1b[2J.json", json.dumps([rest_epic(1, HOSTILE_TITLE)]))
    assert cli.main(["epics", "import", str(hostile), "--by", "ann"]) == 0
    assert cli.main(["epics"]) == 0
    listing = capsys.readouterr().out
    assert cli.main(["epics", "--json"]) == 0
    as_json = capsys.readouterr().out
    for printed in (listing, as_json):
        assert not [char for char in printed if char != "\n" and (ord(char) < 32 or 0x7F <= ord(char) < 0xA0)]
        assert "\u202e" not in printed
    assert "\\u001b]8;;http://127.0.0.1:9/x\\u001b\\Docs" in listing  # seen, not obeyed
    assert "\\u001b[2J\\u0007\\u009b31m \\u202eevil" in listing
    assert "epics\\u001b[2J.json" in listing
    assert json.loads(as_json)["master_epics"][0]["title"] == HOSTILE_TITLE  # the JSON still says exactly what it held
