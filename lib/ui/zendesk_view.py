"""The Upload page's "Pull from Zendesk now": for an editor, when ``[zendesk]`` (or ZENDESK_*) is configured."""

from __future__ import annotations

import streamlit as st

from lib.core.errors import RefusedFile
from lib.store import zendesk_pulls
from lib.ui.cache import by_data_version
from lib.ui.page import PageContext, escape_markdown
from lib.zendesk import pull as zendesk_pull
from lib.zendesk import trust
from lib.zendesk.client import PullFailed
from lib.zendesk.settings import ZendeskSettings, scrub


def configured() -> ZendeskSettings | None:
    try:
        return ZendeskSettings.from_sources(st.secrets)
    except FileNotFoundError:  # no secrets.toml at all: the environment may still configure it
        return ZendeskSettings.from_sources({})


def last_pull_text(con) -> str:
    last = zendesk_pulls.last_pull(con)
    if last is None:
        return "Not pulled yet: the first pull reads the last 13 weeks."
    return (
        f"Last pull {last['pulled_at']:%d %b %Y %H:%M} UTC by {last['pulled_by']}, "
        f"changes up to {last['range_end']:%d %b %Y %H:%M} UTC."
    )


def show_pull(ctx: PageContext, on_stored) -> None:
    """The button and the last pull's time; ``on_stored`` gets the messages to show after a stored pull."""
    settings = configured()
    if settings is None or not ctx.can_edit:
        return
    st.subheader("Zendesk", divider="gray")
    st.caption(escape_markdown(last_pull_text(ctx.con)))
    if not st.button("Pull from Zendesk now", icon=":material/cloud_download:"):
        return
    with st.status("Pulling from Zendesk", expanded=False) as status:
        try:
            result = zendesk_pull.pull(
                ctx.con, settings, pulled_by=ctx.user, on_progress=lambda text: status.update(label=text)
            )
        except (PullFailed, RefusedFile) as error:
            status.update(label="Nothing stored", state="error")
            st.error(escape_markdown(scrub(str(error), settings)), icon=":material/block:")
            return
    on_stored([("success" if result.status == "stored" else "info", result.summary)])


# Cached like every figure on the page: without it, each Data trust run queried the store three times (about
# 5 ms), even with no pull to show.
@by_data_version(takes_context=True)
def api_comparison_rows(ctx: PageContext) -> list[dict]:
    return trust.api_comparison_rows(ctx.con, ctx.settings)


def show_api_comparison(ctx: PageContext) -> None:
    """Data trust: the pull's weekly figures against the Explore export's and Sisense's, when there is a pull."""
    rows = api_comparison_rows(ctx)
    if not rows:
        return
    st.header("Zendesk API against the Explore export and Sisense", anchor=False)
    st.caption(
        "Each source's own newest upload for the week, pooled at Combined; flagged beyond the same "
        f"±{ctx.settings.reconciliation_tolerance_points:g} point tolerance as Sisense."
    )
    percent = {"format": "%.1f %%"}
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "Week": st.column_config.DateColumn("Week", format="DD MMM YYYY"),
            **{
                name: st.column_config.NumberColumn(name, **percent)
                for name in ("Zendesk API", "Explore export", "Sisense")
            },
        },
    )
