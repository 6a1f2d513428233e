"""The data-trust page's sections (pages/5_Data_trust.py): freshness per source, Explore against Sisense,
and where one week's figure comes from on each side.

Widgets only: the comparison is ``lib.metrics.reconcile``'s, the provenance ``lib.metrics.provenance``'s,
each cached on the data version.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from lib.core.downloads import safe_csv
from lib.core.kpis import get_kpi, kpi_keys
from lib.core.labels import SOURCE_NAMES
from lib.core.settings import COMBINED
from lib.core.text import escape_markdown, format_percent, format_points
from lib.metrics import provenance, reconcile, review
from lib.metrics.fiscal import long_date
from lib.ui.cache import by_data_version
from lib.ui.figures import reconciliation_figure
from lib.ui.page import link_choice, week_picker
from lib.ui.provenance_view import drill_down_section, provenance_details
from lib.ui.tables import page_count, page_range_text, plain_table, rows_on_page
from lib.ui.view_links import view_query

state = st.session_state
sources_freshness = by_data_version(provenance.source_freshness)


# Kept as the object itself: every run reads all of it (summary, flagged rows, the chart's series), and
# unpickling every week's comparison cost a third of the page's script time. Read only, never mutated.
@by_data_version(keep_objects=True, takes_context=True)
def reconciliation(ctx) -> reconcile.Reconciliation:
    return reconcile.reconcile(ctx.con, ctx.settings)


@by_data_version(takes_context=True)
def provenance_of(ctx, kpi: str, week: str, scope: str, layer: str) -> provenance.Provenance:
    return provenance.provenance(
        ctx.con, ctx.settings, kpi, dt.date.fromisoformat(week), reconcile.scope_segments(scope), layer
    )


# Figures are cached as objects (not pickled), as on the trends page.
@by_data_version(keep_objects=True, takes_context=True)
def comparison_figure(ctx, kpi: str, scope: str, presentation: bool):
    rec = reconciliation(ctx)
    primary, secondary = rec.series[(kpi, scope)]
    return reconciliation_figure(
        kpi,
        scope,
        primary,
        secondary,
        [c for c in rec.comparisons if c.kpi == kpi and c.scope == scope],
        floor=ctx.settings.floors[kpi],
        tolerance=rec.tolerance,
        presentation=presentation,
    )


def show_no_figures(ctx) -> None:
    st.info("No weekly figures yet: every upload has been rolled back or none has been made.", icon=":material/inbox:")
    if ctx.can_edit and review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(
            review.UPLOAD_PAGE,
            label="Upload your Explore or Sisense exports",
            icon=":material/upload_file:",
            query_params=view_query(),
        )


def show_nothing_to_compare(ctx) -> None:
    st.info(
        "Nothing to compare yet: no week has figures from both Explore and Sisense. Upload a Sisense weekly "
        "aggregate (week, ticket form or segment, metric, counts or a percentage) for weeks Explore covers.",
        icon=":material/compare_arrows:",
    )
    if ctx.can_edit and review.app_page_exists(review.UPLOAD_PAGE):
        st.page_link(
            review.UPLOAD_PAGE,
            label="Upload a Sisense export",
            icon=":material/upload_file:",
            query_params=view_query(),
        )


def show_source_freshness(ctx) -> None:
    fresh = sources_freshness(ctx)
    if not fresh:
        return
    today = dt.date.today()
    for column, source in zip(st.columns(max(len(fresh), 2)), fresh, strict=False):
        name = SOURCE_NAMES.get(source.source, source.source)
        with column:
            st.markdown(f"**{escape_markdown(name)}** data through **{source.data_through:%a %d %b %Y}**")
            st.caption(
                f"Last upload {source.last_upload_at:%d %b %Y %H:%M} UTC: {escape_markdown(source.file_name)} "
                f"by {escape_markdown(source.uploaded_by)}"
            )
            age = source.age_days(today)
            if age > ctx.settings.stale_after_days:
                st.warning(f"{escape_markdown(name)} data is {age} days old.", icon=":material/schedule:")


def show_summary(rec: reconcile.Reconciliation) -> None:
    overall = rec.summaries["All"]
    cells = st.columns(4)
    cells[0].metric("Segment-weeks compared", f"{overall.segments.compared:,}")
    cells[1].metric(
        f"Beyond ±{rec.tolerance:g} point",
        f"{overall.segments.flagged:,}",
        help="Segment-weeks (L&R, GitLab SM, GitLab SaaS) where Sisense and Explore differ by more than the "
        "tolerance. A difference of exactly the tolerance agrees.",
    )
    cells[2].metric(
        "Combined weeks beyond",
        f"{overall.combined.flagged:,} of {overall.combined.compared:,}",
        help="The three segments pooled, as on the review page.",
    )
    largest = overall.largest
    cells[3].metric(
        "Largest difference",
        format_points(largest.difference) if largest else "—",
        help="Sisense minus Explore, in percentage points.",
    )
    st.markdown(escape_markdown(reconcile.summary_sentence(overall, rec.tolerance)))
    # Three rows: a static table (no grid for the browser to load and draw; it wraps on a shared screen).
    rows = pd.DataFrame(reconcile.summary_rows(rec))
    written = {"Mean diff.": rows["Mean diff."].map("{:.2f} pts".format), "Largest": rows["Largest"].map(format_points)}
    plain_table(rows.assign(**written).rename(columns={"Beyond": f"Beyond ±{rec.tolerance:g} pt"}))
    st.caption(
        "Per KPI: segment-weeks both sources have figures for, and how many differ by more than the tolerance; "
        "combined weeks beyond it; the mean absolute difference per segment-week; the largest difference "
        "(Sisense minus Explore) and where; weeks only one source has a figure for."
    )


TABLE_CONFIG = {
    "Week": st.column_config.DateColumn(format="DD MMM YYYY"),
    # Values as every page writes them (95.7 %); the difference keeps two decimals against the ±1 point tolerance.
    "Explore %": st.column_config.NumberColumn("Explore", format="%.1f %%"),
    "Sisense %": st.column_config.NumberColumn("Sisense", format="%.1f %%"),
    "Difference (pts)": st.column_config.NumberColumn(format="%+.2f"),
}


DISAGREEMENTS_PAGE = "disagreements_page"
PICKED = "explain_disagreement"


def disagreement_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Flagged rows as a projector reads them: 16 Nov 2026, 95.7 %, -3.27 (two decimals against the ±1 point
    tolerance). Every row here is flagged, so no Flag column; Note only when some row has one."""
    written = {
        "Week": rows["Week"].map(long_date),
        "Explore %": rows["Explore %"].map(format_percent),
        "Sisense %": rows["Sisense %"].map(format_percent),
        "Difference (pts)": rows["Difference (pts)"].map("{:+.2f}".format),
    }
    table = rows.assign(**written).drop(columns=["Flag"] if rows["Note"].any() else ["Flag", "Note"])
    return table.rename(columns={"Explore %": "Explore", "Sisense %": "Sisense"})


def disagreement_label(token: tuple[str, str, str], difference: float) -> str:
    """'NRT · 16 Mar 2026 · GitLab SM: -3.86 pts': only the app's own KPI keys, weeks and segments."""
    kpi, week, scope = token
    return f"{kpi} · {long_date(dt.date.fromisoformat(week))} · {scope}: {difference:+.2f} pts"


def explain_picked() -> None:
    """A disagreement picked fills the provenance picks below and opens each source's figure; the box empties
    again, so the same disagreement can be picked once more after the picks below were changed."""
    token = state.get(PICKED)
    if token is None:
        return
    state["kpi"], state["week"], state["scope"] = token
    state["trust_sides"] = True
    state[PICKED] = None


def show_disagreements(rec: reconcile.Reconciliation) -> None:
    """Every flagged segment-week in a static table (25 a page), and a select box that explains one below.

    A static table, not a pickable grid: the grid's code and canvas cost the page about 0.2 s to load and draw."""
    st.subheader(f"Where Sisense disagrees by more than {rec.tolerance:g} point", anchor=False)
    flagged_rows = reconcile.comparison_rows(rec.flagged)
    if not flagged_rows:
        st.success(
            f"Every week both sources have agrees within {rec.tolerance:g} point.", icon=":material/check_circle:"
        )
        return
    flagged = pd.DataFrame(flagged_rows)
    page, pages = 1, page_count(len(flagged))
    if pages > 1:  # as Change history pages its table: the page select, and which rows the page holds
        with st.container(horizontal=True, vertical_alignment="center"):
            page = st.selectbox(
                "Page of disagreements",
                range(1, pages + 1),
                key=DISAGREEMENTS_PAGE,
                label_visibility="collapsed",
                width=110,
            )
            st.caption(page_range_text(page, len(flagged), "disagreements"), width="content")
    on_page = rows_on_page(flagged, page)
    plain_table(disagreement_table(on_page))
    tokens = zip(on_page["KPI"], on_page["Week"].map(dt.date.isoformat), on_page["Segment"], strict=True)
    differences = dict(zip(tokens, on_page["Difference (pts)"], strict=True))
    st.selectbox(
        "Explain a disagreement",
        list(differences),
        format_func=lambda token: disagreement_label(token, differences[token]),
        index=None,
        placeholder="Pick one to see, below, where each side's figure comes from",
        key=PICKED,
        on_change=explain_picked,
    )


def show_charts(ctx, rec: reconcile.Reconciliation) -> None:
    st.subheader("The two series", anchor=False)
    link_choice("chart", reconcile.SCOPES)  # an unknown segment in a link is said to be left out
    scope = (
        st.segmented_control(
            "Segment",
            reconcile.SCOPES,
            default=COMBINED,
            key="chart",
            bind="query-params",
            required=True,
            help="Combined pools L&R, GitLab SM and GitLab SaaS; a planted or real error often shows in one segment.",
        )
        or COMBINED
    )  # an empty ?chart= leaves even this required control with no segment (Streamlit 1.67)
    chart_config = {"displayModeBar": False} if ctx.presentation else {"displaylogo": False}
    # Tracked tabs build only the open one: the browser draws one chart, not three (two of them hidden).
    tabs = st.tabs([f"{kpi} · {get_kpi(kpi).name}" for kpi in kpi_keys()], key="series_kpi", on_change="rerun")
    for tab, kpi in zip(tabs, kpi_keys(), strict=True):
        if not tab.open:
            continue
        with tab:
            st.plotly_chart(
                comparison_figure(ctx, kpi, scope, ctx.presentation),
                width="stretch",
                config=chart_config,
                key=f"trust_chart_{kpi}",
                alt=f"{kpi}, {scope}: Explore and Sisense weekly, and their difference against ±{rec.tolerance:g} pt",
            )
    st.caption(
        "Top: Explore (solid) and Sisense (dashed); open diamonds mark weeks beyond the tolerance. "
        "Bottom: Sisense minus Explore in points; the dotted lines are the tolerance, hatched bars are beyond it."
    )


def show_every_comparison(rec: reconcile.Reconciliation) -> None:
    expander = st.expander(
        f"Every week side by side ({len(rec.comparisons):,} comparisons)", key="every_week", on_change="rerun"
    )
    if not expander.open:  # the table of every comparison is built and sent only once asked for
        return
    with expander:
        filters = st.columns(3, vertical_alignment="bottom")
        kpis_shown = filters[0].multiselect("KPI", kpi_keys(), default=list(kpi_keys()), key="table_kpis")
        scopes_shown = filters[1].multiselect(
            "Segment", reconcile.SCOPES, default=list(reconcile.SCOPES), key="table_scopes"
        )
        only_flagged = filters[2].toggle("Only beyond the tolerance", key="table_flagged")
        chosen = [
            c
            for c in rec.comparisons
            if c.kpi in kpis_shown and c.scope in scopes_shown and (c.flagged or not only_flagged)
        ]
        table = pd.DataFrame(reconcile.comparison_rows(chosen))
        st.dataframe(table, hide_index=True, width="stretch", key="every_comparison", column_config=TABLE_CONFIG)
        st.download_button(
            "Download as CSV",
            safe_csv(table),
            file_name="explore-vs-sisense.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
        )


def show_provenance_section(ctx, rec: reconcile.Reconciliation) -> None:
    st.subheader("Where a number comes from", anchor=False)
    st.caption(
        "Pick a KPI, week and segment: each source's figure, the upload it comes from, the rows it uses, the rules "
        "applied, and the rows behind it."
    )
    # Read before the pickers run: a bound picker drops its default value from the URL. With nothing to
    # compare, this section is the page's content, so it opens too.
    asked = any(name in st.query_params for name in ("kpi", "week", "scope")) or not rec.summaries["All"].weeks_compared
    picks = st.columns([1, 1.4, 1.4], vertical_alignment="bottom")
    link_choice("kpi", kpi_keys())  # an unknown value in a link is said to be left out, as on every page
    kpi = picks[0].selectbox("KPI", kpi_keys(), key="kpi", bind="query-params")
    weeks = rec.weeks_with_figures(kpi)
    if not weeks:
        st.info(f"No {kpi} figures from any source.", icon=":material/search_off:")
        return
    week = week_picker(
        picks[1].selectbox,
        "Week (its Monday)",
        weeks,
        key="week",
        param="week",
        default=weeks[rec.latest_complete_index(kpi, weeks)],
        format_func=lambda iso: f"{dt.date.fromisoformat(iso):%d %b %Y}",
        help="Weeks start on Monday and are named by that Monday.",
    )
    link_choice("scope", reconcile.SCOPES)
    scope = picks[2].selectbox(
        "Segment",
        reconcile.SCOPES,
        key="scope",
        bind="query-params",
        help="Combined pools L&R, GitLab SM and GitLab SaaS.",
    )
    floor = ctx.settings.floors[kpi]
    sides = {layer: provenance_of(ctx, kpi, week, scope, layer) for layer in ("primary", "secondary")}
    compared = rec.comparison(kpi, week, scope)
    if compared and compared.difference is not None:
        verdict = reconcile.verdict(compared, rec.tolerance)
        st.markdown(f"**Sisense minus Explore: {format_points(compared.difference)}**, {verdict}.")
    # Below the fold, so built on demand: open when a link names a figure or a disagreement was picked.
    if asked and "trust_sides" not in state:
        state["trust_sides"] = True  # once per session: the reader may close it again
    details = st.expander("Each source's figure: its upload, rows and rules", key="trust_sides", on_change="rerun")
    if not details.open:
        return
    with details:
        left, right = st.columns(2, gap="large")
    with left:
        st.markdown("##### Explore (primary): the figure the pages show")
        provenance_details(sides["primary"], floor, key="trust_primary")
    with right:
        st.markdown("##### Sisense (secondary): for comparison")
        provenance_details(sides["secondary"], floor, key="trust_secondary")
    shown = sides["primary"] if sides["primary"].upload else sides["secondary"]
    # Opened on demand: the rows behind a figure are two more tables for the browser to draw.
    behind = st.expander(
        f"The {get_kpi(kpi).family.bad_events} behind the figure", key="trust_behind", on_change="rerun"
    )
    if behind.open:
        with behind:
            drill_down_section(ctx.con, shown, key="trust_drill", allow_download=not ctx.presentation)
