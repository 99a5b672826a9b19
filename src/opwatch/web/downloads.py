"""Statistic rows as a CSV download that is safe to open.

The file name comes from the URL (a project and a metric), so it may hold any character: the
``Content-Disposition`` header carries an ASCII ``filename`` (anything else replaced) and the
exact name as RFC 5987 ``filename*`` (RFC 6266), so no quote, CR or LF reaches the header. A
cell that a spreadsheet would run as a formula (text starting with ``= + - @``, a tab or a
carriage return) is written with a leading apostrophe, as OWASP advises; numbers are written
as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._ -]")
DEFAULT_COLUMNS = ("xaxis_value", "metric", "statistic", "parameter")
"""The header of a download without rows."""


def csv_response(rows: Sequence[dict[str, Any]], name: str) -> Response:
    """``rows`` as a CSV attachment named ``name`` (a header line even without rows)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = list(rows[0]) if rows else list(DEFAULT_COLUMNS)
    writer.writerow(columns)
    writer.writerows([safe_cell(row[c]) for c in columns] for row in rows)
    headers = {"Content-Disposition": content_disposition(name)}
    return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)


def safe_cell(value: Any) -> Any:
    """``value``, with text a spreadsheet would take for a formula made plain text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def content_disposition(name: str) -> str:
    """An attachment header for ``name``: an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = UNSAFE_IN_NAME.sub("_", name).strip() or "download.csv"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
