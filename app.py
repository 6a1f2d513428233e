"""Weekly review, the landing page: is any KPI at or below its floor, and for how long?

One card per KPI in agenda order (sustained breaches first). The chosen week lives in the
URL as an ISO week (``?week=2026-11-09``; ``?week=09+Nov+2026`` is read too; the latest week leaves
the URL clean), so a link pasted into the meeting chat opens the same review.
"""

import datetime as dt

import streamlit as st

from lib.core.settings import KPIS, database_path
from lib.metrics import kpis, review
from lib.store import database as store
from lib.ui.explain_view import week_so_far_section
from lib.ui.figures import kpi_trend_figure
from lib.ui.page import escape_markdown, setup_page, week_picker
from lib.ui.provenance_view import show_provenance
from lib.workgroups.repository import open_workgroup_for

ctx = setup_page("Weekly review", ":material/event_note:")
DATABASE = str(database_path())

CARD_TREND_WEEKS = 12


@st.cache_data(show_spinner=False)
def kpi_summaries(_con, _settings, database: str, data_version: int) -> dict[str, kpis.KpiSummary]:
    del database, data_version  # the cache key: settings changes and uploads both bump the version
    return kpis.kpi_summaries(_con, _settings)


@st.cache_data(show_spinner=False)
def upload_facts(_con, database: str, data_version: int) -> dict[int, dict]:
    del database, data_version
    return {
        upload["id"]: {
            "label": f"upload {upload['id']} ({upload['file']})",
            "last_date": upload["last_date"],
            "uploaded_at": upload["uploaded_at"],
            "active": upload["status"] == "active",
        }
        for upload in store.list_uploads(_con)
    }


@st.cache_data(show_spinner=False)
def open_workgroups_by_kpi(_con, database: str, data_version: int) -> dict[str, dict]:
    """KPI -> the metrics workgroup already open for it (workgroup writes bump the data version too)."""
    del database, data_version
    return {kpi: found for kpi in KPIS if (found := open_workgroup_for(_con, kpi))}


# Figures are cached as objects (not pickled): rebuilding or unpickling a plotly figure costs more than a rerun may.
@st.cache_resource(show_spinner=False, max_entries=64)
def card_figure(database: str, data_version: int, kpi: str, week: dt.date, presentation: bool):
    summary = review.as_of(kpi_summaries(ctx.con, ctx.settings, database, data_version)[kpi], week, ctx.settings)
    labels = {upload_id: facts["label"] for upload_id, facts in upload_facts(ctx.con, database, data_version).items()}
    return kpi_trend_figure(
        kpi,
        summary.series[-CARD_TREND_WEEKS:],
        floor=summary.floor,
        target=summary.target,
        episodes=summary.episodes,
        upload_labels=labels,
        presentation=presentation,
        compact=True,
    )


def show_empty_state() -> None:
    st.info(
        "There are no weekly figures to review yet: every upload has been rolled back or none has been made.",
        icon=":material/inbox:",
    )
    if not ctx.can_edit:
        st.write("An editor can upload exports or load a year of generated demo data.")
        return
    if review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(review.UPLOAD_PAGE, label="Upload your Explore or Sisense exports", icon=":material/upload_file:")
    st.write("Or look around with a year of generated demo data (you can remove it again on the Upload page).")
    if st.button("Load the demo data", icon=":material/science:", key="load_demo"):
        from lib.demo.load import load_demo

        with st.spinner("Loading the demo data…"):
            load_demo(ctx.con, end=dt.date.today())
        st.rerun()


def show_card(card: review.KpiCard, week: dt.date) -> None:
    with st.container(border=True):
        # Words, an icon of its own shape and a colour: the status never rests on colour alone.
        st.markdown(f"### {card.kpi}\n#### :{card.status.colour}[{card.status.icon} {card.status.label}]")
        older_week = f", week of {card.week:%d %b}" if card.week and card.week != week else ""
        st.metric(
            f"{card.name} (combined){older_week}",
            review.format_percent(card.value, card.floor),
            delta=None if card.change_points is None else review.format_points(card.change_points),
            help="Pooled over L&R, GitLab SM and GitLab SaaS: all good events over all counted events. "
            "The change is in percentage points from the week before.",
        )
        counts = f"{card.good:,} good of {card.total:,} · " if card.total else ""
        st.markdown(f"{counts}floor **{card.floor:g} %** · target {card.target:g} %  \n{review.streak_text(card)}")
        if card.note:
            st.caption(escape_markdown(card.note))
        if card.week and st.button(
            "Where does this number come from?",
            key=f"provenance_{card.kpi}",
            icon=":material/manage_search:",
            type="tertiary",
        ):
            show_provenance(ctx, card.kpi, card.week)
        if card.call_to_action and not card.open_workgroup:
            st.error(card.call_to_action, icon=":material/groups:")
            if review.app_page_exists(review.WORKGROUPS_PAGE):
                st.page_link(
                    review.WORKGROUPS_PAGE,
                    label=f"Form a metrics workgroup for {card.kpi}",
                    icon=":material/group_add:",
                    query_params=card.workgroup_query,
                )
        if card.open_workgroup:
            title = escape_markdown(card.open_workgroup.get("title", "untitled"))
            st.info(f"A workgroup is already open: {title}", icon=":material/groups:")
            if review.app_page_exists(review.WORKGROUPS_PAGE) and "id" in card.open_workgroup:
                st.page_link(
                    review.WORKGROUPS_PAGE,
                    label="Open the workgroup",
                    icon=":material/arrow_forward:",
                    query_params={"wg": str(card.open_workgroup["id"])},
                )
        if card.week:
            st.plotly_chart(
                card_figure(DATABASE, ctx.data_version, card.kpi, week, ctx.presentation),
                width="stretch",
                config={"displayModeBar": False},
                key=f"card_chart_{card.kpi}",
                alt=f"{card.kpi}: the last {CARD_TREND_WEEKS} weeks against the {card.floor:g} % floor",
            )
        st.markdown(review.segments_markdown_table(card))


summaries = kpi_summaries(ctx.con, ctx.settings, DATABASE, ctx.data_version)
facts = upload_facts(ctx.con, DATABASE, ctx.data_version)
weeks = review.reviewable_weeks(summaries)

title = st.empty()
if not weeks:
    title.title("Weekly review", anchor=False)
    show_empty_state()
    st.stop()

week_options = [week.isoformat() for week in weeks]
controls = st.columns([2, 1, 3], vertical_alignment="bottom")
chosen = week_picker(
    controls[0].selectbox,
    "Week",
    week_options,
    key="week",
    param="week",
    default=week_options[0],
    format_func=lambda iso: f"{dt.date.fromisoformat(iso):%d %b %Y}" + (" (latest)" if iso == week_options[0] else ""),
    help="Weeks start on Monday and are named by that Monday. The link in the address bar keeps this choice.",
)
the_review = review.weekly_review(
    summaries,
    ctx.settings,
    week=dt.date.fromisoformat(chosen),
    open_workgroups=open_workgroups_by_kpi(ctx.con, DATABASE, ctx.data_version),
    upload_last_dates={upload_id: f["last_date"] for upload_id, f in facts.items() if f["last_date"]},
    today=dt.date.today(),
)
notes = review.meeting_notes_markdown(
    the_review,
    freshness=review.data_freshness(facts.values()),
    is_demo=ctx.is_demo,
    generated=dt.datetime.now(dt.UTC).replace(tzinfo=None),
)
controls[1].download_button(
    "Meeting notes",
    notes,
    file_name=f"kpi-review-{the_review.week.isoformat()}.md",
    mime="text/markdown",
    icon=":material/download:",
    help="This week's values, changes, flags and open workgroups as Markdown, ready for the agenda document.",
    on_click="ignore",
)

week_end = the_review.week + dt.timedelta(days=6)
title.title(f"Weekly review · week of {the_review.week:%d %b %Y}", anchor=False)
st.caption(f"{the_review.week:%A %d %b} to {week_end:%A %d %b %Y}, the latest complete week unless you pick another.")
for banner in the_review.banners:
    st.warning(banner, icon=":material/event_busy:")

flagged = [card for card in the_review.cards if card.status.key in ("sustained", "breach")]
if flagged:
    st.markdown(
        "**At or below the floor:** "
        + " · ".join(f"{card.kpi} — {card.status.label.lower()}, {review.streak_text(card)}" for card in flagged)
    )
else:
    st.markdown("**No KPI is at or below its floor this week.**")

for column, card in zip(st.columns(len(the_review.cards)), the_review.cards, strict=True):
    with column:
        show_card(card, the_review.week)
if chosen == week_options[0]:
    week_so_far_section(ctx, summaries)

st.caption(
    "Agenda order: sustained breaches, then single-week breaches, then KPIs within "
    f"{ctx.settings.near_floor_points:g} point of their floor, then the rest. "
    "Other (forms outside L&R, GitLab SM and GitLab SaaS) is shown on its own and is not part of the combined figure."
)
