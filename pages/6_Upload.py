"""Upload: fresh exports from the browser, previewed, committed atomically, undoable.

Tables here show file names and headers people typed, and a table's toolbar can save it as
CSV: text a spreadsheet would run as a formula is neutralised on screen too.
"""

import streamlit as st

from lib.ui import upload_view as view
from lib.ui import zendesk_view
from lib.ui.page import escape_markdown, setup_page

ctx = setup_page("Upload", ":material/upload_file:")
state = st.session_state
view.start_session_state()

st.title("Upload exports")
report = state.pop("upload_report", None)
if report:
    view.show_messages(report)
    st.page_link("app.py", label="See the new figures on the weekly review", icon=":material/event_note:")
if ctx.can_edit:
    st.caption(
        "Drop this week's Explore exports (CSV or XLSX; Sisense and dbt_zendesk files too). Each file is "
        "previewed first: nothing is stored until you press Store, and every upload can be rolled back."
    )
    view.show_uploader(ctx)
    zendesk_view.show_pull(ctx, on_stored=view.finish)
else:
    st.info(
        f"You are signed in as a viewer ({escape_markdown(ctx.user)}): you can see every upload and download "
        "its original file. Uploading and rolling back need an editor.",
        icon=":material/visibility:",
    )
# The data version the previews on screen were computed at: a commit only goes ahead if no
# other change landed since, so nobody stores a file whose preview they have not seen.
state["upload_shown_version"] = ctx.data_version

view.show_failed_notifications(ctx)
st.header("Upload history", divider="gray")
view.show_history(ctx)
view.show_profiles(ctx)
view.show_unmapped_forms(ctx)
