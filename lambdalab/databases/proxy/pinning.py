"""When RDS Proxy pins a client session to one database connection (RDS for PostgreSQL).

RDS Proxy reuses a database connection at the end of each transaction unless the session changed state
that later transactions could rely on. For PostgreSQL, AWS lists: SET commands; temporary tables,
sequences or views; declaring cursors; discarding session state; listening on a notification channel;
loading a library (LOAD); sequence functions (nextval, setval); advisory-lock functions; prepared
statements (PREPARE, or a named statement in the extended protocol); set_config; and statements longer
than 16 KB (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/rds-proxy-pinning.html, checked
December 2026). The ``EXCLUDE_VARIABLE_SETS`` session pinning filter stops SET statements from pinning.

Where the sandbox differs: RDS Proxy inspects statements with its own parser; this reads the SQL text with
patterns, so a keyword inside a string literal or comment can pin here where it would not there. SET LOCAL
and SET TRANSACTION, which end with the transaction, do not pin.
"""

from __future__ import annotations

import re

MAX_UNPINNED_STATEMENT_BYTES = 16 * 1024
EXCLUDE_VARIABLE_SETS = "EXCLUDE_VARIABLE_SETS"

_STATEMENT_START = {
    "SET": re.compile(r"^\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS?\b)", re.IGNORECASE),
    "temporary object": re.compile(r"^\s*CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?(?:TEMP|TEMPORARY)\s+", re.IGNORECASE),
    "DECLARE CURSOR": re.compile(r"^\s*DECLARE\s+\S+.*\bCURSOR\b", re.IGNORECASE | re.DOTALL),
    "DISCARD": re.compile(r"^\s*DISCARD\b", re.IGNORECASE),
    "LISTEN": re.compile(r"^\s*LISTEN\b", re.IGNORECASE),
    "LOAD": re.compile(r"^\s*LOAD\b", re.IGNORECASE),
    "PREPARE": re.compile(r"^\s*PREPARE\s+", re.IGNORECASE),
}
_ANYWHERE = {
    "sequence function": re.compile(r"\b(?:nextval|setval)\s*\(", re.IGNORECASE),
    "advisory lock": re.compile(r"\bpg_(?:try_)?advisory_(?:lock|lock_shared)\s*\(", re.IGNORECASE),
    "set_config": re.compile(r"\bset_config\s*\(", re.IGNORECASE),
}


def pin_reason(sql: str, *, named_statement: bool = False, filters: tuple[str, ...] = ()) -> str | None:
    """Why this statement pins the session (a short name of the condition), or None if it does not."""
    if named_statement:
        return "prepared statement"
    if len(sql.encode()) > MAX_UNPINNED_STATEMENT_BYTES:
        return "statement over 16 KB"
    for statement in _statements(sql):
        for reason, pattern in _STATEMENT_START.items():
            if reason == "SET" and EXCLUDE_VARIABLE_SETS in filters:
                continue
            if pattern.search(statement):
                return reason
    for reason, pattern in _ANYWHERE.items():
        if pattern.search(sql):
            return reason
    return None


def _statements(sql: str) -> list[str]:
    without_comments = re.sub(r"--[^\n]*|/\*.*?\*/", " ", sql, flags=re.DOTALL)
    return [part for part in without_comments.split(";") if part.strip()]
