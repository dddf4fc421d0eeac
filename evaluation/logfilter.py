"""Log lines carry no values from the database. SQLAlchemy leaves out the bound parameters (hide_parameters),
but PostgreSQL's own message repeats them in its DETAIL ("Key (code)=(…) already exists", "Failing row contains
(…)"): that part is cut from every record our loggers write, message and traceback alike."""

from __future__ import annotations

import logging
import re
import traceback

DETAIL = re.compile(r"DETAIL:[^\n]*")
HIDDEN = "DETAIL: [values hidden]"


def redact(text: str) -> str:
    return DETAIL.sub(HIDDEN, text)


class DatabaseDetailFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
            record.exc_info = None  # the formatter prints exc_text as it stands
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(str(a)) if isinstance(a, (str, BaseException)) else a for a in args)
        return True


def logger(name: str) -> logging.Logger:
    """A module's logger with the filter on it: a filter on a parent logger does not see a child's records."""
    found = logging.getLogger(name)
    install(found)
    return found


def install(*loggers: logging.Logger) -> None:
    """On the app's loggers (records logged on them) and on the root's handlers (records propagated to them)."""
    detail_filter = DatabaseDetailFilter()
    for logger in loggers:
        if not any(isinstance(f, DatabaseDetailFilter) for f in logger.filters):
            logger.addFilter(detail_filter)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, DatabaseDetailFilter) for f in handler.filters):
            handler.addFilter(detail_filter)
