"""The database's shape: every table Floorline keeps, in one place, so the store creates them all
without importing the features that use them."""

# Uploads and the weekly counts every KPI is computed from.
UPLOAD_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS upload_ids START 1;
CREATE SEQUENCE IF NOT EXISTS precedence_seq START 1;
CREATE SEQUENCE IF NOT EXISTS change_ids START 1;
CREATE TABLE IF NOT EXISTS uploads (
    id BIGINT PRIMARY KEY,
    file_name VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    archive_path VARCHAR NOT NULL,
    size_bytes BIGINT,
    kind VARCHAR,
    encoding VARCHAR,
    shape VARCHAR,
    source VARCHAR,
    layer VARCHAR,
    rows_read BIGINT,
    rows_used BIGINT,
    rows_ignored BIGINT,
    ignored_reasons VARCHAR,
    first_date DATE,
    last_date DATE,
    weeks VARCHAR,
    warnings VARCHAR,
    uploaded_at TIMESTAMP,
    uploaded_by VARCHAR,
    status VARCHAR,
    precedence BIGINT,
    is_demo BOOLEAN DEFAULT false
);
CREATE TABLE IF NOT EXISTS weekly_counts (
    upload_id BIGINT, kpi VARCHAR, week DATE, form VARCHAR, segment VARCHAR, region VARCHAR,
    good BIGINT, total BIGINT, pct DOUBLE, rows BIGINT
);
-- The same counted events split by a ticket attribute (dimension 'group' or 'priority', slice its value,
-- NULL when the cell was empty), for the uploads whose export had that column: a table of its own, so
-- weekly_counts (every chart's query) keeps its size. Each dimension's slices add up to weekly_counts.
CREATE TABLE IF NOT EXISTS dimension_counts (
    upload_id BIGINT, kpi VARCHAR, week DATE, form VARCHAR, segment VARCHAR, region VARCHAR,
    dimension VARCHAR, slice VARCHAR, good BIGINT, total BIGINT
);
CREATE TABLE IF NOT EXISTS coverage (upload_id BIGINT, kpi VARCHAR, week DATE, complete BOOLEAN);
CREATE TABLE IF NOT EXISTS bad_events (
    upload_id BIGINT, source_row BIGINT, ticket_id VARCHAR, kpi VARCHAR, event_date DATE, week DATE,
    form VARCHAR, region VARCHAR, ticket_group VARCHAR, priority VARCHAR
);
CREATE TABLE IF NOT EXISTS form_segments (form_key VARCHAR PRIMARY KEY, form VARCHAR, segment VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS settings (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS column_profiles (
    header_key VARCHAR PRIMARY KEY, name VARCHAR, shape VARCHAR, source VARCHAR, column_map VARCHAR,
    created_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS change_log (
    id BIGINT PRIMARY KEY, changed_at TIMESTAMP, actor VARCHAR, action VARCHAR, subject VARCHAR, detail VARCHAR
);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value BIGINT);
"""

WORKGROUP_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS workgroup_ids START 1;
CREATE SEQUENCE IF NOT EXISTS workgroup_member_ids START 1;
CREATE SEQUENCE IF NOT EXISTS workgroup_hypothesis_ids START 1;
CREATE SEQUENCE IF NOT EXISTS hypothesis_evidence_ids START 1;
CREATE SEQUENCE IF NOT EXISTS workgroup_action_ids START 1;
CREATE SEQUENCE IF NOT EXISTS hypothesis_library_ids START 101;
CREATE TABLE IF NOT EXISTS workgroups (
    id BIGINT PRIMARY KEY,
    kpi VARCHAR NOT NULL,
    scope VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    opened_on DATE NOT NULL,
    closed_on DATE,
    trigger_start DATE,
    trigger_end DATE,
    trigger_weeks VARCHAR,
    floor_at_trigger DOUBLE,
    issue_url VARCHAR,
    facilitator VARCHAR,
    executive_stakeholder VARCHAR,
    exit_criteria VARCHAR,
    summary VARCHAR,
    created_at TIMESTAMP, created_by VARCHAR, updated_at TIMESTAMP, updated_by VARCHAR,
    deleted_at TIMESTAMP, deleted_by VARCHAR
);
CREATE TABLE IF NOT EXISTS workgroup_members (
    id BIGINT PRIMARY KEY,
    workgroup_id BIGINT NOT NULL,
    name VARCHAR NOT NULL,
    role VARCHAR, -- free text: what they bring ("EMEA manager", "SaaS IC")
    created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS hypothesis_library (
    id BIGINT PRIMARY KEY,
    title VARCHAR NOT NULL,
    statement VARCHAR,
    falsified_if VARCHAR,
    approach VARCHAR,
    shaping_actions VARCHAR,
    created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS workgroup_hypotheses (
    id BIGINT PRIMARY KEY,
    workgroup_id BIGINT NOT NULL,
    library_id BIGINT,
    title VARCHAR,
    statement VARCHAR NOT NULL,
    falsified_if VARCHAR,
    approach VARCHAR,
    verdict VARCHAR NOT NULL,
    verdict_on DATE,
    notes VARCHAR,
    created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS hypothesis_evidence (
    id BIGINT PRIMARY KEY,
    hypothesis_id BIGINT NOT NULL,
    link VARCHAR,
    note VARCHAR,
    created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS workgroup_actions (
    id BIGINT PRIMARY KEY,
    workgroup_id BIGINT NOT NULL,
    hypothesis_id BIGINT,
    change VARCHAR NOT NULL,
    kind VARCHAR,
    owner VARCHAR,
    due_on DATE,
    status VARCHAR,
    shipped_on DATE,
    created_at TIMESTAMP, updated_at TIMESTAMP, deleted_at TIMESTAMP
);
INSERT INTO hypothesis_library (id, title, statement, falsified_if, approach, shaping_actions, created_at, updated_at)
VALUES
 (1, 'Ticket volume is too high',
  '{kpi} fell because more tickets arrived than the team can answer in time.',
  'Tickets created per week in the breach weeks were within the range of the previous quarter.',
  'Count tickets created per week (Explore, by ticket form) for the breach weeks and the 12 weeks before; '
  || 'compare with the number of engineers working the queue.',
  'If volume is the cause, then ask for temporary help from other regions and review the hiring plan.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (2, 'A time-consuming workflow',
  '{kpi} fell because one workflow (a manual process, a new ticket type) takes engineers much longer than before.',
  'The share of tickets in that workflow and the time spent on them stayed as before the breach.',
  'Tag or sample tickets by workflow; compare handle time and ticket counts before and during the breach.',
  'If a workflow is the cause, then automate or simplify it, or route it to a dedicated group.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (3, 'Resources dedicated to a subset of tickets',
  '{kpi} fell because people were dedicated to a subset of tickets (a project, a customer, an incident) '
  || 'and fewer were left for the queue.',
  'The number of engineers working the general queue was the same in the breach weeks as before.',
  'List assignments and special projects for the breach weeks; count engineers answering the general queue per week.',
  'If dedicated work is the cause, then time-box it or rotate people back into the queue.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (4, 'Tickets got harder',
  '{kpi} fell because tickets became more complex and take longer to answer.',
  'Replies per ticket, time to solve and escalations per ticket were steady through the breach.',
  'Compare replies per ticket, time to solve and escalation rates for the breach weeks with the quarter before.',
  'If harder tickets are the cause, then pair engineers, add training, or update the documentation behind them.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (5, 'Time off',
  '{kpi} fell because many people took time off.',
  'PTO coverage was steady (for example about 90 %), like other times of the year.',
  'Compare PTO coverage per region and week in the breach with the same weeks of past years.',
  'If time off is the cause, then plan coverage ahead of holidays and stagger PTO within each region.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (6, 'A single portion of tickets',
  '{kpi} fell because of one portion of tickets (one form, priority, group or region) while the rest held up.',
  'Every form, priority and region fell about as much as the combined figure.',
  'Break the breach weeks down by segment, priority, group and region; '
  || 'the workgroup issue body has the segment counts of the trigger weeks.',
  'If one portion is the cause, then focus the workgroup and its actions on that portion.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (7, 'Staffing is not matched to when breaches happen',
  '{kpi} fell because staffing across AMER, APAC and EMEA does not match the hours in which SLAs breach.',
  'Breaches are spread over the hours and regions in proportion to the tickets that arrive.',
  'Chart breached SLAs by hour of day and region against the people on shift in each hour.',
  'If hours are the cause, then shift schedules or hand-overs so that coverage follows the arrivals.',
  now()::TIMESTAMP, now()::TIMESTAMP),
 (8, 'A single bad day',
  '{kpi} fell because of one bad day (an outage, an incident, a holiday) while the rest of the week held up.',
  'The breached targets of each breach week were spread over its days, no day holding most of them.',
  'Count the breached targets (or Bad ratings) per day in each breach week.',
  'If one day is the cause, then plan cover for such days (incident rota, holiday cover) rather than the whole week.',
  now()::TIMESTAMP, now()::TIMESTAMP)
ON CONFLICT DO NOTHING;
"""

OKR_SCHEMA = """
CREATE TABLE IF NOT EXISTS okr_managers (
    name VARCHAR PRIMARY KEY,
    region VARCHAR NOT NULL,
    segment VARCHAR,
    manager_since DATE NOT NULL,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS okr_objectives (
    id VARCHAR PRIMARY KEY,
    quarter VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    parent_id VARCHAR,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS okr_key_results (
    id VARCHAR PRIMARY KEY,
    objective_id VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    owner VARCHAR NOT NULL,
    score DOUBLE,
    kpi_link VARCHAR,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS okr_check_ins (
    key_result_id VARCHAR NOT NULL,
    check_in_date DATE NOT NULL,
    score DOUBLE NOT NULL,
    note VARCHAR,
    is_demo BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (key_result_id, check_in_date)
);
"""

EPIC_SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS epic_snapshot_ids START 1;
CREATE TABLE IF NOT EXISTS epic_snapshots (
    id BIGINT PRIMARY KEY,
    source VARCHAR NOT NULL,      -- the file name, or the GitLab URL and group fetched
    shape VARCHAR NOT NULL,       -- which JSON shape it was
    sha256 VARCHAR,
    archive_path VARCHAR,
    epic_count BIGINT NOT NULL,
    ignored VARCHAR,              -- JSON: what was left out and why
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR NOT NULL,
    status VARCHAR NOT NULL,      -- active (the one shown) or replaced
    is_demo BOOLEAN NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS epics (
    snapshot_id BIGINT NOT NULL,
    group_path VARCHAR NOT NULL,  -- '' when the file says no group
    iid BIGINT NOT NULL,
    title VARCHAR NOT NULL,
    state VARCHAR NOT NULL,       -- open or closed
    web_url VARCHAR,
    labels VARCHAR,               -- JSON list
    parent_group_path VARCHAR,
    parent_iid BIGINT,
    author VARCHAR,
    start_date DATE,
    due_date DATE,
    created_at TIMESTAMP,
    updated_at TIMESTAMP,
    closed_at TIMESTAMP,
    PRIMARY KEY (snapshot_id, group_path, iid)
);
"""

# The GitLab issue opened from a workgroup (one per workgroup: the stored iid is what makes a second press
# find it instead of opening another), and what GitLab last said about it.
WORKGROUP_ISSUE_SCHEMA = """
CREATE TABLE IF NOT EXISTS workgroup_issues (
    workgroup_id BIGINT PRIMARY KEY,
    gitlab_url VARCHAR NOT NULL,
    project VARCHAR NOT NULL,
    iid BIGINT NOT NULL,
    web_url VARCHAR NOT NULL,
    title VARCHAR NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    opened_by VARCHAR NOT NULL,
    state VARCHAR,                -- opened or closed, as GitLab last said
    assignees VARCHAR,            -- JSON list of names
    labels VARCHAR,               -- JSON list
    gitlab_updated_at TIMESTAMP,
    checked_at TIMESTAMP
);
"""

# Each transition told to the team (a breach begins, a workgroup recovers, this week is at risk), keyed so
# that the same transition found again after a re-upload, rollback or restore is never sent twice, and
# one row per channel it went to.
NOTIFICATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS notification_deliveries (
    event_key VARCHAR NOT NULL,
    channel VARCHAR NOT NULL,     -- the channel's name in [notify], never its URL
    subject VARCHAR NOT NULL,
    delivered BOOLEAN NOT NULL,
    error VARCHAR,
    attempted_at TIMESTAMP NOT NULL,
    PRIMARY KEY (event_key, channel)
);
"""

EVERY_SCHEMA = (UPLOAD_SCHEMA, WORKGROUP_SCHEMA, OKR_SCHEMA, EPIC_SCHEMA, WORKGROUP_ISSUE_SCHEMA, NOTIFICATION_SCHEMA)
