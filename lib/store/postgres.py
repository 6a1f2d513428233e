"""The store on PostgreSQL, for several app replicas (``FLOORLINE_DATABASE_URL=postgresql://…``).

``PostgresConnection`` is used by the store's modules exactly as DuckDB's connection is (``execute``,
``executemany``, ``fetchone``/``fetchall`` on what ``execute`` returns, ``cursor()``, ``register`` of the
Arrow tables the reader hands over), so the repository modules keep one text per statement. ``translate``
rewrites the few DuckDB words those statements use that PostgreSQL spells otherwise; Arrow tables reach the
server with COPY. The schema is versioned (``schema_version``): a database from an older version is upgraded
in place, never recreated.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path

# The one advisory lock every replica's writer takes (any fixed 64-bit number; "floorline" in ASCII).
WRITE_LOCK_KEY = 0x666C6F6F726C696E
# The one every replica's notification sender takes ("fl-notif" in ASCII): senders take turns without
# holding the writers back while a message is on the network.
SENDING_LOCK_KEY = 0x666C2D6E6F746966

# Schema versions: the DuckDB schema texts (translated) make version 1; a later change appends its migration
# (statements taking a version-N database to N+1) here, so an older database is upgraded, never recreated.
MIGRATIONS: list[str] = []

# DuckDB word -> PostgreSQL word, for words PostgreSQL lacks outright.
TYPE_WORDS = re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE)
QUALIFY = re.compile(r"\bQUALIFY\b", re.IGNORECASE)
GROUP_BY_ALL = re.compile(r"\bGROUP\s+BY\s+ALL\b", re.IGNORECASE)
AGGREGATE_CALL = re.compile(
    r"\b(sum|count|avg|min|max|string_agg|array_agg|any_value|arg_max|bool_or|bool_and)\s*\(", re.IGNORECASE
)
INSERT_OR_REPLACE = re.compile(r"^\s*INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)", re.IGNORECASE)


def is_url(target) -> bool:
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


@functools.cache
def integral_numeric_loader():
    """A NUMERIC result (PostgreSQL's ``sum`` of BIGINT) as DuckDB gives it: an int when whole, else a float.
    Built on first use, so psycopg is imported only when the store is PostgreSQL (a DuckDB command starts
    without it)."""
    from psycopg.adapt import Loader

    class IntegralNumeric(Loader):
        def load(self, data):
            value = Decimal(bytes(data).decode())
            return int(value) if value == value.to_integral_value() else float(value)

    return IntegralNumeric


def _outside_strings(sql: str):
    """(is code, text) pieces of a statement: quoted strings and comments are never rewritten."""
    pieces = re.split(r"('(?:[^']|'')*'|--[^\n]*)", sql)
    for index, piece in enumerate(pieces):
        yield index % 2 == 0, piece


def _call_end(sql: str, open_paren: int) -> int:
    """Index just past the parenthesis closing the one at ``open_paren``."""
    depth = 0
    for index in range(open_paren, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        if depth == 0:
            return index + 1
    raise ValueError(f"unbalanced parentheses in {sql!r}")


def _split_top_level(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for index, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return [part.strip() for part in parts]


def _rewrite_calls(sql: str, name: str, rewrite) -> str:
    """Every call ``name(a, b, …)`` replaced by ``rewrite(args)``."""
    pattern = re.compile(rf"\b{name}\s*\(", re.IGNORECASE)
    while found := pattern.search(sql):
        end = _call_end(sql, found.end() - 1)
        args = _split_top_level(sql[found.end() : end - 1])
        sql = sql[: found.start()] + rewrite(args) + sql[end:]
    return sql


def _select_list(head: str) -> tuple[int, int, list[str]]:
    """For a clause at the end of ``head``: where its SELECT starts, where its FROM starts, and its columns."""
    depth, select_at = 0, None
    for index in range(len(head) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(head[index], 0)
        depth = max(depth, 0)  # leaving the subquery the clause closes: its SELECT is further left
        if depth == 0 and head[index : index + 6].upper() == "SELECT" and not head[index - 1 : index].isalnum():
            select_at = index
            break
    depth = 0
    for index in range(select_at, len(head)):
        depth += {"(": 1, ")": -1}.get(head[index], 0)
        if depth == 0 and re.match(r"\sFROM\s", head[index : index + 6], re.IGNORECASE):
            return select_at, index, _split_top_level(head[select_at + 6 : index])
    raise ValueError(f"no FROM after SELECT in {head!r}")


def _group_by_positions(sql: str) -> str:
    """``GROUP BY ALL`` as the positions of the select list's columns that are not aggregates."""
    while found := GROUP_BY_ALL.search(sql):
        head = sql[: found.start()]
        _, _, columns = _select_list(head)
        positions = [str(n) for n, column in enumerate(columns, 1) if not AGGREGATE_CALL.search(column)]
        sql = f"{head}GROUP BY {', '.join(positions)}{sql[found.end() :]}"
    return sql


def _qualify_as_subquery(sql: str) -> str:
    """``SELECT a, b FROM … QUALIFY condition`` as ``SELECT a, b FROM (SELECT a, b, condition AS kept FROM …)
    AS qualified WHERE kept``: the condition runs to the end of its parenthesis level."""
    while found := QUALIFY.search(sql):
        head = sql[: found.start()]
        select_at, from_at, columns = _select_list(head)
        depth, end = 0, len(sql)
        for index in range(found.end(), len(sql)):
            depth += {"(": 1, ")": -1}.get(sql[index], 0)
            if depth < 0:
                end = index
                break
        condition = sql[found.end() : end].strip()
        names = ", ".join(re.split(r"[\s.]", column)[-1] for column in columns)
        inner = f"SELECT {', '.join(columns)}, ({condition}) AS kept {head[from_at:]}"
        sql = f"{head[:select_at]}SELECT {names} FROM ({inner}) AS qualified WHERE kept{sql[end:]}"
    return sql


def _name_subqueries(sql: str) -> str:
    """PostgreSQL 15 needs a name for a subquery in FROM; DuckDB does not."""
    for found in reversed(list(re.finditer(r"\bFROM\s*\(", sql, re.IGNORECASE))):
        end = _call_end(sql, found.end() - 1)
        if re.match(r"\s*(WHERE|GROUP|ORDER|LIMIT|UNION|EXCEPT|JOIN|\)|$)", sql[end:], re.IGNORECASE):
            sql = f"{sql[:end]} AS derived{sql[end:]}"
    return sql


@functools.lru_cache(maxsize=1024)
def translate(sql: str, with_parameters: bool) -> str:
    """A store statement in PostgreSQL's words: parameters in psycopg's style (``?`` → ``%s``, ``$name`` →
    ``%(name)s``), ``list_contains``, ``any_value``, ``arg_max``, ``GROUP BY ALL``, ``QUALIFY``, unnamed subqueries and
    ``DOUBLE``."""
    pieces = []
    for is_code, piece in _outside_strings(sql):
        if with_parameters:  # psycopg reads % everywhere, quoted or not
            piece = piece.replace("%", "%%")
        if is_code:
            if with_parameters:
                piece = re.sub(r"\$([a-z_]+)", r"%(\1)s", piece)
                piece = piece.replace("?", "%s")
            piece = TYPE_WORDS.sub("DOUBLE PRECISION", piece)
        pieces.append(piece)
    sql = "".join(pieces)
    sql = _rewrite_calls(sql, "list_contains", lambda call: f"(({call[1]}) = ANY({call[0]}))")
    sql = _rewrite_calls(
        sql, "any_value", lambda call: f"(array_agg({call[0]}) FILTER (WHERE {call[0]} IS NOT NULL))[1]"
    )
    sql = _rewrite_calls(
        sql,
        "arg_max",
        lambda call: f"(array_agg({call[0]} ORDER BY {call[1]} DESC) FILTER (WHERE {call[1]} IS NOT NULL))[1]",
    )
    return _name_subqueries(_qualify_as_subquery(_group_by_positions(sql)))


def arrow_column_type(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION"
    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP"
    return "VARCHAR"


class PostgresConnection:
    """One PostgreSQL session, used as the store uses a DuckDB connection.

    Transactions are the store's own (``BEGIN``/``COMMIT`` statements), so the session runs in autocommit.
    Parameters are bound on the client, as DuckDB binds ``$region IS NULL`` with no type to infer.
    """

    def __init__(self, url: str, database_file: Path) -> None:
        import psycopg

        self.url = url
        self.database_file = database_file
        self.raw = psycopg.connect(url, autocommit=True, cursor_factory=psycopg.ClientCursor)
        self.raw.adapters.register_loader("numeric", integral_numeric_loader())
        self.lock_depths: dict[int, int] = {}
        self.pending: dict = {}
        self._last = None

    # The DuckDB connection's surface the store uses.
    def execute(self, sql: str, parameters=None):
        replace = INSERT_OR_REPLACE.match(sql)
        if replace:
            sql = self._upsert(sql, replace)
        self._materialise(sql)
        cursor = self.raw.cursor()
        cursor.execute(translate(sql, parameters is not None), parameters)
        self._last = cursor
        return cursor

    def executemany(self, sql: str, rows) -> None:
        replace = INSERT_OR_REPLACE.match(sql)
        if replace:
            sql = self._upsert(sql, replace)
        with self.raw.cursor() as cursor:
            cursor.executemany(translate(sql, True), rows)

    def fetchone(self):
        return self._last.fetchone()

    def fetchall(self):
        return self._last.fetchall()

    @property
    def description(self):
        return self._last.description

    def cursor(self) -> PostgresConnection:
        """Like DuckDB's: a session of its own, with its own transaction."""
        return PostgresConnection(self.url, self.database_file)

    def complete(self) -> None:
        """DuckDB finishes a pending result here; a PostgreSQL result is already complete."""

    def register(self, name: str, table) -> None:
        """An Arrow table (or data frame) visible to SQL under ``name``: a temporary table, filled with COPY when
        a statement first names it."""
        self.pending[name] = table

    def _materialise(self, sql: str) -> None:
        """The registered tables ``sql`` names, copied to the server. One read whole into a table
        (``INSERT INTO t SELECT * FROM name``) takes that table's column types, as DuckDB converts each value to
        its column; any other takes its Arrow types."""
        import pyarrow as pa

        for name in [n for n in self.pending if re.search(rf"\b{n}\b", sql)]:
            table = self.pending.pop(name)
            if not isinstance(table, pa.Table):
                table = pa.Table.from_pandas(table, preserve_index=False)
            self.raw.execute(f'DROP TABLE IF EXISTS "{name}"')
            whole = re.search(rf"INSERT\s+INTO\s+(\w+)\s+SELECT\s+\*\s+FROM\s+{name}\b", sql, re.IGNORECASE)
            if whole:
                self.raw.execute(f'CREATE TEMP TABLE "{name}" (LIKE "{whole[1]}")')
            else:
                columns = ", ".join(f'"{f.name}" {arrow_column_type(f.type)}' for f in table.schema)
                self.raw.execute(f'CREATE TEMP TABLE "{name}" ({columns})')
            names = ", ".join(f'"{field.name}"' for field in table.schema)
            with self.raw.cursor().copy(f'COPY "{name}" ({names}) FROM STDIN') as copy:
                for row in zip(*(column.to_pylist() for column in table.columns), strict=True):
                    copy.write_row(row)

    def unregister(self, name: str) -> None:
        self.pending.pop(name, None)
        self.raw.execute(f'DROP TABLE IF EXISTS "{name}"')

    def close(self) -> None:
        self.raw.close()

    def __del__(self) -> None:
        # A page run's cursor is dropped, not closed, as DuckDB's are: its session ends with it.
        if getattr(self, "raw", None) is not None:
            self.raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # What PostgreSQL needs besides.
    def _upsert(self, sql: str, found: re.Match) -> str:
        """``INSERT OR REPLACE INTO t VALUES …`` as PostgreSQL's ``INSERT … ON CONFLICT (key) DO UPDATE``."""
        key, columns = self._key_and_columns(found[1])
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key) or f"{key[0]} = excluded.{key[0]}"
        return f"INSERT INTO {found[1]}{sql[found.end() :]} ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"

    def _key_and_columns(self, table: str) -> tuple[list[str], list[str]]:
        with self.raw.cursor() as cursor:
            columns = [
                name
                for (name,) in cursor.execute(
                    """SELECT column_name FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position""",
                    [table],
                ).fetchall()
            ]
            key = [
                name
                for (name,) in cursor.execute(
                    """SELECT a.attname FROM pg_index i
                       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
                       WHERE i.indrelid = %s::regclass AND i.indisprimary""",
                    [table],
                ).fetchall()
            ]
        return key, columns

    def take_advisory_lock(self, key: int) -> None:
        """Replicas take turns: a session advisory lock, reentrant within the session."""
        if not self.lock_depths.get(key):
            self.raw.execute("SELECT pg_advisory_lock(%s)", [key])
        self.lock_depths[key] = self.lock_depths.get(key, 0) + 1

    def release_advisory_lock(self, key: int) -> None:
        self.lock_depths[key] -= 1
        if self.lock_depths[key] == 0 and not self.raw.closed:  # a closed session has released its locks
            self.raw.execute("SELECT pg_advisory_unlock(%s)", [key])


def create_or_upgrade_schema(con: PostgresConnection, every_schema) -> None:
    """The schema at its current version; called under the write lock, inside a transaction."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")
    found = con.execute("SELECT max(version) FROM schema_version").fetchone()[0]
    # Tables and sequences a version adds are created if missing (every text is CREATE … IF NOT EXISTS);
    # what changes an existing table is a migration, run once, in order, from the stored version on.
    for tables in every_schema:
        con.execute(tables)
    # A new database is created at the current shape; version N has had the first N - 1 migrations.
    for migration in MIGRATIONS[len(MIGRATIONS) if found is None else found - 1 :]:
        con.execute(migration)
    con.execute("DELETE FROM schema_version")
    con.execute(f"INSERT INTO schema_version VALUES ({1 + len(MIGRATIONS)})")
