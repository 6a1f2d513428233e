"""The Upload page driven through AppTest: preview, commit, refusal, mapping, history, undo."""

from __future__ import annotations

import datetime as dt
import gc
import io
import os
import re
import shutil
import time
from pathlib import Path

import pytest
from export_builders import EVENT_HEADER, complete_weeks_csv
from notify_servers import WebhookHandler, running_webhook
from page_cache import reset_page_resources
from streamlit.testing.v1 import AppTest

from lib.core.text import format_percent
from lib.metrics.kpis import status_report
from lib.store import database as store
from lib.store import forms
from lib.store import upload_records as records
from lib.store.history import change_log
from lib.uploads import changes
from lib.uploads import flow as uploads
from lib.uploads import status as upload_status

APP = str(Path(__file__).resolve().parents[2] / "app.py")
PAGE = "pages/6_Upload.py"
NOV_09 = dt.date(2026, 11, 9)
NOV_16 = dt.date(2026, 11, 16)


def explore_export(weeks: dict, *, header=EVENT_HEADER, metric="First reply time", form="SaaS") -> bytes:
    return complete_weeks_csv(weeks, header=header, metric=metric, form=form, first_ticket=800000).encode()


FIXES_FRT = explore_export({NOV_09: (97, 3), NOV_16: (98, 2)})


def plain(text: str) -> str:
    """Page text without the backslashes escape_markdown puts before punctuation."""
    return re.sub(r"\\(.)", r"\1", text)


def texts(elements) -> list[str]:
    return [plain(element.value) for element in elements]


@pytest.fixture
def con(demo_template, db_path, tmp_path, monkeypatch):
    """The test's own view of the page's database (a copy of the demo, as a new team sees it)."""
    shutil.copyfile(demo_template, db_path)
    monkeypatch.setattr(uploads, "staging_dir", lambda: tmp_path / "staging")  # uploaded files land here
    reset_page_resources()
    connection = store.connect(db_path)
    yield connection
    connection.close()
    reset_page_resources()


def upload_page() -> AppTest:
    """The page as the multipage app serves it, so its link to the weekly review resolves."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page(PAGE)
    return at


@pytest.fixture
def page(con) -> AppTest:
    at = upload_page().run()
    assert not at.exception
    return at


def upload(at: AppTest, *files: tuple[str, bytes]) -> AppTest:
    uploader = next(u for u in at.file_uploader if u.key.startswith("uploader-"))
    values = [(name, data, "text/csv") for name, data in files]
    uploader.set_value(values if len(values) > 1 else values[0]).run()
    assert not at.exception
    return at


def snapshot(con) -> tuple:
    """Everything a refused or previewed file must leave alone."""
    return (
        con.execute("SELECT id, status FROM uploads ORDER BY id").fetchall(),
        store.data_version(con),
        status_report(con, store.load_settings(con)),
    )


def history_choice(at: AppTest):
    return next(box for box in at.selectbox if box.label == "Choose an upload to download or undo")


def frame(at: AppTest, column: str):
    """The first table on the page that has this column."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_preview_shows_the_difference_and_commit_stores_it_and_empties_the_uploader(page, con):
    before = snapshot(con)
    upload(page, ("frt-week.csv", FIXES_FRT))

    metrics = {m.label: m.value for m in page.metric}
    assert metrics == {"Rows read": "200", "Rows counted": "200", "Rows ignored": "0", "Weeks": "2"}
    assert page.selectbox[0].value == "explore_sla"  # detected, and correctable
    assert any("breach flag disappears" in text for text in texts(page.markdown))
    table = frame(page, "Breach flag")
    frt = table[(table["KPI"] == "FRT") & (table["Week"] == "16 Nov 2026")].iloc[0]
    demo_value = before[2]["kpis"]["FRT"]["weekly"]["2026-11-16"]
    assert (frt["Before"], frt["After"], frt["Breach flag"]) == (
        format_percent(demo_value, 93.0),
        "98.0\u00a0%",
        "disappears",
    )
    assert any("replaces the demo data" in text for text in texts(page.info))
    assert any("no region column" in text for text in texts(page.warning))  # a warning, not a refusal
    assert snapshot(con) == before  # the preview stored nothing

    page.button(key="upload-commit").click().run()

    assert not page.exception
    [stored] = texts(page.success)
    assert re.fullmatch(
        r"Stored frt-week\.csv as upload \d+: 200 rows counted, 2 weeks \(09 Nov 2026 to 16 Nov 2026\)\.", stored
    )
    assert any("demo data is gone" in text for text in texts(page.info))
    links = [(link.proto.label, link.proto.page) for link in page.main.get("page_link")]
    assert links == [("See the new figures on the weekly review", "")]  # "" is the landing page's address
    assert [(u.key, u.value) for u in page.file_uploader] == [("uploader-1", [])]
    history = frame(page, "Who")
    assert (history.iloc[0]["File"], history.iloc[0]["Who"], history.iloc[0]["Status"]) == (
        "frt-week.csv",
        "unknown",
        "active",
    )
    report = status_report(con, store.load_settings(con))
    assert (report["latest_week"], report["kpis"]["FRT"]["latest_value"]) == ("2026-11-16", 98.0)
    assert report["kpis"]["FRT"]["sustained_breach"] is False
    assert store.data_version(con) == before[1] + 1


def test_a_refused_file_shows_why_in_plain_words_and_changes_nothing(page, con):
    before = snapshot(con)
    bad = FIXES_FRT.decode().replace("Breached", "Maybe", 1).encode()

    upload(page, ("bad.csv", bad))

    [error] = texts(page.error)
    assert error.startswith("Will not be stored. bad.csv: row ")
    assert "column 'SLA target status': 'Maybe' is not a target status (expected Achieved or Breached)" in error
    assert page.button(key="upload-commit").disabled
    assert page.button(key="upload-commit").label == "Store 0 files"
    assert snapshot(con) == before


def test_an_unreadable_file_is_refused_before_any_preview(page, con):
    before = snapshot(con)
    upload(page, ("chart.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64))
    assert texts(page.error) == ["Will not be stored. chart.csv: this is a PNG image, not a CSV or XLSX export"]
    assert snapshot(con) == before


def test_several_files_at_once_each_previewed_and_the_good_ones_stored(page, con):
    nrt = explore_export({NOV_16: (90, 10)}, metric="Next reply time", form="Self-Managed")
    bad = FIXES_FRT.decode().replace("2026-11-09", "next week", 1).encode()

    upload(page, ("frt.csv", FIXES_FRT), ("nrt.csv", nrt), ("bad.csv", bad))

    headings = [plain(m.value) for m in page.markdown if m.value.startswith("####")]
    assert headings == ["#### frt.csv", "#### nrt.csv", "#### bad.csv"]
    assert len(page.error) == 1 and "'next week' is not a date" in plain(page.error[0].value)
    assert page.button(key="upload-commit").label == "Store 2 files"
    page.button(key="upload-commit").click().run()

    assert len(page.success) == 2
    assert "Left out, not stored: bad.csv." in texts(page.info)
    stored = {u["file"]: u["uploaded_by"] for u in records.list_uploads(con) if not u["is_demo"]}
    assert stored == {"frt.csv": "unknown", "nrt.csv": "unknown"}
    report = status_report(con, store.load_settings(con))
    assert report["kpis"]["NRT"]["weekly"] == {"2026-11-16": 90.0}


def signed_in(email: str) -> AppTest:
    """The page with sign-in configured (an [auth] table) and ann@example.com the one editor."""
    at = upload_page()
    at.secrets = {
        "auth": {
            "redirect_uri": "http://localhost:8501/oauth2callback",
            "cookie_secret": "test-cookie-secret",
            "client_id": "floorline",
            "client_secret": "test-client-secret",
            "server_metadata_url": "https://id.example.com/.well-known/openid-configuration",
        },
        "floorline": {"allowed_domains": ["example.com"], "editors": ["ann@example.com"]},
    }
    at.user = {"is_logged_in": True, "email": email, "email_verified": True, "name": email.split("@")[0]}
    return at.run()


def test_the_signed_in_manager_is_recorded_as_the_uploader(con):
    at = signed_in("ann@example.com")
    upload(at, ("frt.csv", FIXES_FRT))
    at.button(key="upload-commit").click().run()
    assert frame(at, "Who").iloc[0]["Who"] == "ann@example.com"
    assert records.list_uploads(con)[0]["uploaded_by"] == "ann@example.com"


def test_a_viewer_sees_the_history_but_cannot_upload_or_roll_back(con):
    at = signed_in("bob@example.com")
    assert not at.exception
    assert not at.file_uploader
    assert any("signed in as a viewer" in text for text in texts(at.info))
    assert len(frame(at, "Who")) == 3  # the demo uploads
    assert at.get("download_button")  # originals can still be downloaded
    assert not [b for b in at.button if b.key and b.key.startswith(("ask-", "remove-demo"))]


def test_the_detected_source_can_be_corrected_before_committing(page, con):
    upload(page, ("from-sisense.csv", FIXES_FRT))
    source = next(s for s in page.selectbox if s.label == "Source")
    assert source.value == "explore"
    source.set_value("sisense").run()
    page.button(key="upload-commit").click().run()
    newest = records.list_uploads(con)[0]
    assert (newest["file"], newest["source"], newest["layer"]) == ("from-sisense.csv", "sisense", "secondary")


CUSTOM_HEADER = ["Case", "Queue", "Clock", "Clock state", "Outcome", "When"]
CUSTOM_MAPPING = {
    "Ticket ID": "Case",
    "Ticket form": "Queue",
    "SLA metric": "Clock",
    "SLA metric status (optional)": "Clock state",
    "SLA target status": "Outcome",
    "Time - SLA status update - Date": "When",
}


def test_unknown_headers_are_mapped_once_saved_and_used_again_automatically(page, con):
    custom = explore_export({NOV_16: (98, 2)}, header=CUSTOM_HEADER)
    upload(page, ("our-report.csv", custom))
    assert any("does not recognise these columns: 'Case', 'Queue'" in text for text in texts(page.warning))
    assert not page.metric  # no preview until the columns are mapped

    next(s for s in page.selectbox if s.label == "Kind of export").set_value("explore_sla").run()
    for box in page.selectbox:
        if box.label in CUSTOM_MAPPING:
            box.set_value(CUSTOM_HEADER.index(CUSTOM_MAPPING[box.label]))
    next(t for t in page.text_input if t.label == "Name this mapping").set_value("Our SLA report")
    next(b for b in page.button if b.label == "Save mapping and preview").click().run()

    assert not page.exception
    assert "Columns read with your saved mapping “Our SLA report”." in texts(page.info)
    assert {m.label: m.value for m in page.metric}["Rows counted"] == "100"
    page.button(key="upload-commit").click().run()
    assert status_report(con, store.load_settings(con))["kpis"]["FRT"]["weekly"] == {"2026-11-16": 98.0}

    # Next week's file with the same headers: no mapping step, the saved one is used and named.
    upload(page, ("our-report-2.csv", explore_export({NOV_09: (96, 4)}, header=CUSTOM_HEADER)))
    assert "Columns read with your saved mapping “Our SLA report”." in texts(page.info)
    assert {m.label: m.value for m in page.metric}["Rows counted"] == "100"
    assert not any(b.label == "Save mapping and preview" for b in page.button)
    assert [p.name for p in uploads.list_profiles(con)] == ["Our SLA report"]


def test_rollback_asks_for_confirmation_showing_the_figures_that_change(page, con):
    before = snapshot(con)
    sla_demo = next(u["id"] for u in records.list_uploads(con) if u["file"] == "explore_sla_events_demo.csv")
    history_choice(page).set_value(sla_demo).run()
    page.button(key=f"ask-rollback-{sla_demo}").click().run()

    assert f"**Roll back upload {sla_demo} (explore_sla_events_demo.csv)?**" in texts(page.markdown)
    # Without the Explore file, Sisense speaks for those weeks: where it disagrees, the figure moves.
    expected = changes.status_change_preview(con, sla_demo, "rollback")
    assert any(c["week"] and c["old_value"] and c["new_value"] for c in expected)
    assert f"**What this changes**: {changes.changes_summary(expected)}" in texts(page.markdown)
    assert frame(page, "Breach flag").to_dict("records") == changes.changes_table(expected)
    page.button(key="cancel-rollback").click().run()
    assert snapshot(con) == before  # cancelled: nothing happened
    assert not any(b.key == "confirm-rollback" for b in page.button)

    history_choice(page).set_value(sla_demo).run()
    page.button(key=f"ask-rollback-{sla_demo}").click().run()
    page.button(key="confirm-rollback").click().run()

    assert texts(page.success) == [f"Upload {sla_demo} (explore_sla_events_demo.csv) rolled back."]
    statuses = {u["id"]: u["status"] for u in records.list_uploads(con)}
    assert statuses[sla_demo] == "rolled_back"
    weekly = status_report(con, store.load_settings(con))
    for change in expected:  # the confirmation showed exactly what happened
        if change["week"] and change["new_status"] in ("ok", "breach"):
            assert weekly["kpis"][change["kpi"]]["weekly"][str(change["week"])] == round(change["new_value"], 4)

    history_choice(page).set_value(sla_demo).run()
    page.button(key=f"ask-restore-{sla_demo}").click().run()
    page.button(key="confirm-restore").click().run()
    assert snapshot(con)[0] == before[0]
    assert snapshot(con)[2] == before[2]


def test_the_original_file_can_be_downloaded_from_the_history(page, con):
    upload(page, ("frt.csv", FIXES_FRT))
    page.button(key="upload-commit").click().run()
    newest = uploads.history(con)[0]
    button = page.get("download_button")[0]
    assert button.proto.label == "Download the original file"
    assert any(f"sha256 {newest['sha256']}" in text for text in texts(page.caption))
    assert uploads.read_archived(uploads.archived_original(newest)) == FIXES_FRT


def test_a_commit_waits_when_someone_else_stored_data_after_the_preview(page, con, tmp_path):
    upload(page, ("mine.csv", FIXES_FRT))
    # Another manager, in another browser, stores a file meanwhile.
    theirs = tmp_path / "theirs.csv"
    theirs.write_bytes(explore_export({NOV_16: (90, 10)}, metric="Next reply time"))
    with open(theirs, "rb") as handle:
        staged = uploads.stage_upload(handle, "theirs.csv", tmp_path / "staging")
    assert uploads.commit_file(con, staged, uploads.Choice(), uploaded_by="bob").result.status == "accepted"

    page.button(key="upload-commit").click().run()

    assert any("changed while you were looking" in text for text in texts(page.warning))
    assert "mine.csv" not in {u["file"] for u in records.list_uploads(con)}
    page.button(key="upload-commit").click().run()  # the preview on screen is now current
    assert {"mine.csv", "theirs.csv"} <= {u["file"] for u in records.list_uploads(con)}


def test_the_uploader_takes_its_size_limit_from_the_one_setting(con):
    assert upload_page().run().file_uploader[0].proto.max_upload_size_mb == 200
    store.save_setting(con, "max_upload_mb", 5)
    assert upload_page().run().file_uploader[0].proto.max_upload_size_mb == 5


def test_restoring_an_upload_someone_else_restored_first_changes_nothing_and_says_so(page, con):
    sla_demo = next(u["id"] for u in records.list_uploads(con) if u["file"] == "explore_sla_events_demo.csv")
    upload_status.rollback(con, sla_demo, actor="bo")
    page.run()
    history_choice(page).set_value(sla_demo).run()
    page.button(key=f"ask-restore-{sla_demo}").click().run()
    upload_status.restore(con, sla_demo, actor="bo")  # another manager, in another tab, restores it first
    before = snapshot(con), change_log(con)

    page.run()

    assert not page.exception
    assert f"Upload {sla_demo} (explore_sla_events_demo.csv) is already active: nothing changed." in texts(page.info)
    assert not any(b.key == "confirm-restore" for b in page.button)
    assert (snapshot(con), change_log(con)) == before


def staged_files(tmp_path) -> list:
    folder = tmp_path / "staging"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_a_refused_file_and_an_abandoned_session_leave_nothing_staged(con, tmp_path):
    at = upload_page().run()
    upload(at, ("picture.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 4096))
    assert any("Will not be stored." in text for text in texts(at.error))
    assert staged_files(tmp_path) == []  # refused at once: nothing kept

    upload(at, ("frt.csv", FIXES_FRT))
    assert len(staged_files(tmp_path)) == 1  # previewed, waiting for Store
    del at  # the session ends without storing it: Streamlit drops its state
    gc.collect()
    assert staged_files(tmp_path) == []


def test_staged_files_older_than_a_day_are_swept_when_the_app_starts(con, tmp_path):
    folder = tmp_path / "staging"
    old = uploads.stage_upload(io.BytesIO(b"old"), "old.csv", folder)
    fresh = uploads.stage_upload(io.BytesIO(b"fresh"), "fresh.csv", folder)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(old.path, (two_days_ago, two_days_ago))

    at = AppTest.from_file(APP, default_timeout=60).run()

    assert not at.exception
    assert staged_files(tmp_path) == [fresh.path]


WEEK_OF_YEAR_REPORT = (
    b"SLA update - Year,SLA update - Week of year,Ticket form,SLA metric,Achieved SLA targets,Breached SLA targets\n"
    b'2026,46,SaaS,First reply time,"1,940",60\n'
    b'2026,47,SaaS,First reply time,"1,960",40\n'
)


def test_the_preview_says_how_the_file_was_read_and_lets_the_manager_settle_an_ambiguity(page, con):
    before = snapshot(con)
    upload(page, ("frt-by-week-number.csv", WEEK_OF_YEAR_REPORT))

    [error] = texts(page.error)
    assert "week 46 of 2026" in error and "How the file was read" in error
    assert snapshot(con) == before

    numbering = next(box for box in page.selectbox if box.label == "Explore's week numbers start on")
    numbering.set_value("monday").run()

    assert not page.exception and not page.error
    [reading] = [text for text in texts(page.markdown) if text.startswith("- **Kind of export:**")]
    assert reading.splitlines() == [
        "- **Kind of export:** Explore report table",
        "- **Number format:** decimal dot, thousands separator comma (from '1,940')",
        "- **Week numbers:** weeks numbered from Monday (as you chose)",
    ]
    table = frame(page, "Breach flag")
    frt = table[(table["KPI"] == "FRT") & (table["Week"] == "16 Nov 2026")].iloc[0]
    assert frt["After"] == "98.0\u00a0%"  # ISO week 47 of 2026: 1,960 of 2,000
    assert snapshot(con) == before


def test_the_preview_reads_a_european_weekly_aggregate_as_the_manager_says(page, con):
    # Every count reads as thousands (93,000) or three decimals (93): refused until the manager chooses.
    european = b"week_start;ticket_form;kpi;achieved;total\r\n2026-11-16;SaaS;FRT;93.000;100.000\r\n"
    before = snapshot(con)
    upload(page, ("weekly-eu.csv", european))
    [error] = texts(page.error)
    assert "'93.000' could be 93 " in error
    next(box for box in page.selectbox if box.label == "Decimal separator").set_value("comma")
    next(box for box in page.selectbox if box.label == "Thousands separator").set_value("dot").run()
    assert not page.exception and not page.error
    [reading] = [text for text in texts(page.markdown) if text.startswith("- **Kind of export:**")]
    assert "- **Number format:** decimal comma, thousands separator dot (as you chose)" in reading.splitlines()
    assert snapshot(con) == before


def test_the_preview_says_how_a_mac_pivot_was_read(page, con):
    rows = [
        "Ticket form,SLA metric,SLA update - Week,Sum of Achieved SLA targets,Sum of Breached SLA targets",
        "Licencias y Renovación,First reply time,2026-11-16,95,5",
        ",,2026-11-23,90,10",
        ",First reply time Total,,185,15",
        "Licencias y Renovación Total,,,185,15",
        "Grand Total,,,185,15",
    ]
    upload(page, ("pivot-mac.csv", ("\r".join(rows) + "\r").encode("mac_roman")))
    assert not page.exception and not page.error
    [reading] = [text for text in texts(page.markdown) if text.startswith("- **Kind of export:**")]
    lines = reading.splitlines()
    assert (
        "- **Encoding:** Mac Roman: 'Renovación' reads as written (as Windows-1252 it would be 'Renovaci—n'); "
        "Excel for Mac's 'CSV (Macintosh)', lines ending in CR" in lines
    )
    assert (
        "- **Pivot table:** labels filled down, 2 subtotal rows left out and the Grand Total row; every total "
        "adds up to the rows it totals" in lines
    )


def test_an_editor_maps_a_form_counted_as_other_and_undoes_it_and_the_history_says_both(con):
    # The demo's Billing tickets count as Other; mapped to L&R they count in the combined figures.
    assert "Billing" in dict(forms.unmapped_forms(con))
    before = status_report(con, store.load_settings(con))
    at = signed_in("ann@example.com")
    assert f"Billing ({dict(forms.unmapped_forms(con))['Billing']:,} rows)" in texts(at.markdown)

    at.selectbox(key="form_segment::Billing").set_value("L&R").run()
    at.button(key="map_form::Billing").click().run()
    assert not at.exception
    assert store.form_segments(con)["Billing"] == "L&R"
    assert change_log(con)[0][1:4] == ("ann@example.com", "form mapping", "Billing")
    assert status_report(con, store.load_settings(con)) != before  # every stored week counts Billing in L&R now
    assert "Billing" not in dict(forms.unmapped_forms(con))
    assert not [box for box in at.selectbox if box.key == "form_segment::Billing"]

    at.button(key="form-mapping-undo").click().run()
    assert not at.exception
    assert "Billing" not in store.form_segments(con)
    assert change_log(con)[0][1:4] == ("ann@example.com", "form mapping removed", "Billing")
    assert status_report(con, store.load_settings(con)) == before
    assert any(box.key == "form_segment::Billing" for box in at.selectbox)


def test_a_viewer_sees_the_forms_counted_as_other_but_cannot_map_them(con):
    at = signed_in("bob@example.com")
    shown = texts(at.markdown)
    assert all(f"{form} ({rows:,} rows)" in shown for form, rows in forms.unmapped_forms(con))
    assert not [box for box in at.selectbox if box.key and box.key.startswith("form_segment::")]
    assert not [button for button in at.button if button.key and button.key.startswith("map_form::")]


def test_a_commit_tells_the_team_and_shows_the_editor_a_channel_that_failed(con):
    with running_webhook() as webhook:
        at = upload_page()
        at.secrets["notify"] = {
            "app_url": "https://floorline.example.com",
            "webhook": f"json://{webhook}/hooks/secret-part-123",
            "broken": f"json://{webhook}/fail/secret-part-123",
        }
        at.run()
        upload(at, ("frt-breach.csv", explore_export({NOV_09: (90, 10), NOV_16: (89, 11)})))
        at.button(key="upload-commit").click().run()

    assert not at.exception
    sent = [f"FRT ({scope}): sustained breach, 2 weeks at or below the floor" for scope in ("Combined", "GitLab SaaS")]
    assert [text for text in texts(at.info) if text.startswith("Told ")] == [f"Told webhook: {s}" for s in sent]
    failed = [text for text in texts(at.warning) if text.startswith("broken:")]
    assert [text.split(" was not sent: ")[0] for text in failed] == [f"broken: “{s}”" for s in sent]
    assert all(text.endswith("error=500.") for text in failed)
    assert "secret-part-123" not in " ".join(texts(at.warning) + texts(at.info))
    assert [body["title"] for _, body in WebhookHandler.posted] == sent
    assert any(e.label == "Notifications that did not go out (2)" for e in at.expander)
    assert len(records.list_uploads(con)) > 0 and records.list_uploads(con)[0]["file"] == "frt-breach.csv"
