"""Weekly review, the landing page: is any KPI at or below its floor, and for how long?

One card per KPI in agenda order (sustained breaches first). The chosen week lives in the
URL as an ISO week (``?week=2026-11-09``; ``?week=09+Nov+2026`` is read too; the latest week leaves
the URL clean), so a link pasted into the meeting chat opens the same review.
"""

import datetime as dt

import streamlit as st

from lib.metrics import review
from lib.ui import stored
from lib.ui.explain_view import week_so_far_section
from lib.ui.page import setup_page, week_picker
from lib.ui.review_view import open_workgroups_by_kpi, show_card, show_empty_state, show_summary

ctx = setup_page("Weekly review", ":material/event_note:")

summaries = stored.kpi_summaries(ctx)
facts = stored.upload_facts(ctx)
weeks = review.reviewable_weeks(summaries)

title = st.empty()
if not weeks:
    title.title("Weekly review", anchor=False)
    show_empty_state(ctx)
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
    open_workgroups=open_workgroups_by_kpi(ctx),
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
# The week's span and the partial week are context, said quietly; a missing figure or a stale review is loud.
quiet = " ".join(the_review.quiet)
st.caption(
    f":material/date_range: {the_review.week:%A %d %b} to {week_end:%A %d %b %Y}, the latest complete week unless "
    f"you pick another. {quiet}"
)
for banner in the_review.loud:
    st.warning(banner, icon=":material/event_busy:")
show_summary(the_review)

for column, card in zip(st.columns(len(the_review.cards)), the_review.cards, strict=True):
    with column:
        show_card(ctx, card, the_review.week)
if chosen == week_options[0]:
    week_so_far_section(ctx)

st.caption(
    "Agenda order: sustained breaches, then single-week breaches, then KPIs within "
    f"{ctx.settings.near_floor_points:g} point of their floor, then the rest. "
    "Other (forms outside L&R, GitLab SM and GitLab SaaS) is shown on its own and is not part of the combined figure."
)
