"""OKR edits in the app: scores as check-ins, deletions, refusals, and who may change OKRs."""

from __future__ import annotations

from datetime import date

import pytest
from okr_builders import (
    DEMO_END,
    Q4,
    base_sheets,
    counts,
    view_of,
    write_workbook,
)

from lib.core import auth
from lib.core.errors import PermissionDenied, RefusedFile
from lib.okrs import repository
from lib.store.history import change_log

# --- editing in the app -------------------------------------------------------------------


def test_editing_a_score_in_the_table_is_recorded_as_a_check_in(con, tmp_path):
    repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = repository.stored_frame(con, "key_results", Q4)
    keys = [repository.row_key("key_results", r) for r in frame.to_dict("records")]
    frame.loc[frame["key_result_id"] == "D1-KR1", "score"] = 55.0
    repository.save_table(con, "key_results", frame, "bo", original_keys=keys, today=date(2026, 11, 26))
    assert con.execute("SELECT score, note FROM okr_check_ins WHERE key_result_id = 'D1-KR1'").fetchall() == [
        (55.0, "score changed in the app")
    ]
    assert change_log(con)[0][1:4] == ("bo", "okr edit", "Key results")
    assert counts(con)["okr_check_ins"] == 2  # A1-KR1's score did not change, so no new check-in


def test_deleting_an_objective_in_the_table_takes_its_key_results_with_it(con, tmp_path):
    repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = repository.stored_frame(con, "objectives", Q4)
    keys = list(frame["objective_id"])
    remaining = frame[frame["objective_id"] != "D1"].reset_index(drop=True)
    # A1 still names D1 as its parent: deleting D1 alone is refused, naming the row that refers to it.
    with pytest.raises(RefusedFile) as refused:
        repository.save_table(con, "objectives", remaining, "ana", original_keys=keys, today=DEMO_END)
    assert (refused.value.row, refused.value.column) == (1, "aligned_to")
    assert counts(con)["okr_objectives"] == 2
    remaining.loc[0, "aligned_to"] = None
    repository.save_table(con, "objectives", remaining, "ana", original_keys=keys, today=DEMO_END)
    assert counts(con) == {"okr_managers": 2, "okr_objectives": 1, "okr_key_results": 1, "okr_check_ins": 1}
    assert [gap.detail for gap in view_of(con).gaps if gap.check == "Not aligned"] == ["aligned with nothing"]


def test_a_bad_edit_is_refused_with_the_table_row_and_column(con, tmp_path):
    repository.import_okr_file(con, write_workbook(tmp_path / "okrs.xlsx", base_sheets()), "ana")
    frame = repository.stored_frame(con, "managers")
    frame.loc[1, "region"] = "LATAM"
    with pytest.raises(RefusedFile) as refused:
        repository.save_table(con, "managers", frame, "ana", original_keys=list(frame["name"]), today=DEMO_END)
    assert (refused.value.file_name, refused.value.row, refused.value.column) == ("the Managers table", 2, "region")


def test_a_viewer_cannot_change_okrs_and_nothing_is_stored(con, tmp_path):
    path = write_workbook(tmp_path / "okrs.xlsx", base_sheets())
    auth.set_principal(auth.Principal("bob@example.com", auth.VIEWER, signed_in=True))
    try:
        with pytest.raises(PermissionDenied):
            repository.import_okr_file(con, path)
        with pytest.raises(PermissionDenied):
            repository.add_check_in(con, "A1-KR1", DEMO_END, 50, None)
    finally:
        auth.set_principal(None)
    assert counts(con) == dict.fromkeys(counts(con), 0)
    auth.set_principal(auth.Principal("ann@example.com", auth.EDITOR, signed_in=True))
    try:
        repository.import_okr_file(con, path)  # no actor given: the signed-in address is recorded
    finally:
        auth.set_principal(None)
    assert change_log(con)[0][1] == "ann@example.com"
