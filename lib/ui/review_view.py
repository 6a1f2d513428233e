"""The weekly review's sections (app.py): the empty state, and one card per KPI with its chart.

Widgets only: every figure comes from ``lib.metrics.review`` and the cached reads in ``lib.ui.stored``.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from lib.core.kpis import kpi_keys
from lib.core.links import web_link
from lib.core.text import escape_markdown, format_percent, format_points
from lib.metrics import review
from lib.ui.cache import by_data_version
from lib.ui.explain_view import show_change
from lib.ui.figures import kpi_trend_figure
from lib.ui.provenance_view import show_provenance
from lib.ui.stored import kpi_summaries, upload_labels
from lib.ui.view_links import view_query
from lib.workgroups import repository

CARD_TREND_WEEKS = 12


@by_data_version
def open_workgroups_by_kpi(con) -> dict[str, dict]:
    """KPI -> the metrics workgroup already open for it (workgroup writes bump the data version too)."""
    return {kpi: found for kpi in kpi_keys() if (found := repository.open_workgroup_for(con, kpi))}


# Figures are cached as objects (not pickled): rebuilding or unpickling a plotly figure costs more than a rerun may.
@by_data_version(keep_objects=True, takes_context=True)
def card_figure(ctx, kpi: str, week: dt.date, presentation: bool):
    summary = review.as_of(kpi_summaries(ctx)[kpi], week, ctx.settings)
    return kpi_trend_figure(
        kpi,
        summary.series[-CARD_TREND_WEEKS:],
        floor=summary.floor,
        target=summary.target,
        episodes=summary.episodes,
        upload_labels=upload_labels(ctx),
        presentation=presentation,
        compact=True,
    )


def show_empty_state(ctx) -> None:
    st.info(
        "There are no weekly figures to review yet: every upload has been rolled back or none has been made.",
        icon=":material/inbox:",
    )
    if not ctx.can_edit:
        st.write("An editor can upload exports or load a year of generated demo data.")
        return
    if review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(
            review.UPLOAD_PAGE,
            label="Upload your Explore or Sisense exports",
            icon=":material/upload_file:",
            query_params=view_query(),
        )
    st.write("Or look around with a year of generated demo data (you can remove it again on the Upload page).")
    if st.button("Load the demo data", icon=":material/science:", key="load_demo"):
        from lib.demo.load import load_demo

        with st.spinner("Loading the demo data…"):
            load_demo(ctx.con, end=dt.date.today())
        st.rerun()


def show_card(ctx, card: review.KpiCard, week: dt.date) -> None:
    with st.container(border=True):
        # Words, an icon of its own shape and a colour: the status never rests on colour alone.
        # h2 and h3 under the page's h1: heading levels in order for a screen reader.
        st.markdown(f"## {card.kpi}\n### :{card.status.colour}[{card.status.icon} {card.status.label}]")
        older_week = f", week of {card.week:%d %b}" if card.week and card.week != week else ""
        st.metric(
            f"{card.name} (combined){older_week}",
            format_percent(card.value, card.floor),
            delta=None if card.change_points is None else format_points(card.change_points),
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
        if card.week and st.button(
            "Why did it change?",
            key=f"change_{card.kpi}",
            icon=":material/waterfall_chart:",
            type="tertiary",
            help="On a breach: the breach weeks against the four weeks before it began.",
        ):
            show_change(ctx, card.kpi, card.week)
        show_workgroup_links(card)
        if card.week:
            st.plotly_chart(
                card_figure(ctx, card.kpi, week, ctx.presentation),
                width="stretch",
                config={"displayModeBar": False},
                key=f"card_chart_{card.kpi}",
                alt=f"{card.kpi}: the last {CARD_TREND_WEEKS} weeks against the {card.floor:g} % floor",
            )
        st.markdown(review.segments_markdown_table(card))


def show_summary(the_review: review.Review) -> None:
    """Each KPI's status, value and floor in one line, with the workgroup a sustained breach calls for: the
    whole review on the first screen of a 1280x720 projector, before the cards."""
    if not any(card.status.key in ("sustained", "breach") for card in the_review.cards):
        st.markdown("**No KPI is at or below its floor this week.**")
    for card in the_review.cards:
        with st.container(horizontal=True, vertical_alignment="center", gap="small"):
            value = format_percent(card.value, card.floor) if card.value is not None else "no figure"
            st.markdown(
                f"**{card.kpi}** :{card.status.colour}[{card.status.icon} {card.status.label}] · **{value}** · "
                f"floor {card.floor:g} % · {review.streak_text(card)}",
                width="content",
            )
            workgroup_link(card)


def workgroup_link(card: review.KpiCard) -> None:
    """The workgroup a sustained breach calls for: the open one, or a link that forms one."""
    if not review.app_page_exists(review.WORKGROUPS_PAGE):
        return
    if card.open_workgroup and "id" in card.open_workgroup:
        st.page_link(
            review.WORKGROUPS_PAGE,
            label=f"Open workgroup #{card.open_workgroup['id']}",
            icon=":material/arrow_forward:",
            query_params=view_query(wg=str(card.open_workgroup["id"]), kpi=None),
        )
    elif card.call_to_action:
        st.page_link(
            review.WORKGROUPS_PAGE,
            label=f"Form a metrics workgroup for {card.kpi}",
            icon=":material/group_add:",
            query_params=view_query(**card.workgroup_query),
        )


def show_workgroup_links(card: review.KpiCard) -> None:
    """A sustained breach asks for a workgroup; an open one is named. Their links are in the summary above."""
    if card.call_to_action and not card.open_workgroup:
        st.error(card.call_to_action, icon=":material/groups:")
    if card.open_workgroup:
        title = escape_markdown(card.open_workgroup.get("title", "untitled"))
        st.info(f"A workgroup is already open: {title}", icon=":material/groups:")
        issue_url = web_link(card.open_workgroup.get("issue_url") or "")
        if issue_url:  # only an http(s) address becomes a button
            st.link_button("Workgroup issue", issue_url, icon=":material/open_in_new:", key=f"issue_{card.kpi}")
