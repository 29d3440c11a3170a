"""Scores in SQLite (WAL mode): one row per (rater, image), the latest score and its time."""

from __future__ import annotations

import datetime
import re
import sqlite3

RATER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")

SCHEMA = """
CREATE TABLE IF NOT EXISTS scores (
    rater     TEXT    NOT NULL,
    set_id    TEXT    NOT NULL,
    image_id  TEXT    NOT NULL,
    score     INTEGER NOT NULL CHECK (score BETWEEN 0 AND 3),
    scored_at TEXT    NOT NULL,  -- ISO 8601, UTC, microseconds
    PRIMARY KEY (rater, image_id)
);
CREATE INDEX IF NOT EXISTS scores_by_set ON scores (rater, set_id);
"""


def valid_rater(rater: str) -> bool:
    """Rater ids: 1-64 characters, letters, digits and _ . @ -, starting alphanumeric."""
    return bool(RATER_PATTERN.match(rater or ""))


def connect(path: str) -> sqlite3.Connection:
    """A connection with WAL journaling, a 10 s busy timeout and the schema in place."""
    conn = sqlite3.connect(path, timeout=10.0, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    conn.executescript(SCHEMA)
    return conn


def save_set(conn: sqlite3.Connection, rater: str, set_id: str, scores: dict[str, int]) -> None:
    """Stores (or replaces) one rater's scores for one set in a single transaction."""
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            "INSERT INTO scores (rater, set_id, image_id, score, scored_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (rater, image_id) DO UPDATE SET"
            " score = excluded.score, scored_at = excluded.scored_at, set_id = excluded.set_id",
            [(rater, set_id, image_id, int(s), now) for image_id, s in scores.items()],
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def scored_images(conn: sqlite3.Connection, rater: str) -> dict[str, int]:
    """{image_id: score} of one rater."""
    rows = conn.execute("SELECT image_id, score FROM scores WHERE rater = ?", (rater,))
    return dict(rows.fetchall())


def all_scores(conn: sqlite3.Connection) -> list[tuple[str, str, str, int, str]]:
    """Every row as (rater, set_id, image_id, score, scored_at), ordered by rater and time."""
    rows = conn.execute(
        "SELECT rater, set_id, image_id, score, scored_at FROM scores ORDER BY rater, scored_at"
    )
    return rows.fetchall()
