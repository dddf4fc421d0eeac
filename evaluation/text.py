"""Message ids marked for extraction (``N_``) but translated later, where the user's language is known.

Pure modules raise errors with these ids and their parameters; views and templates translate them."""

from __future__ import annotations

from typing import Any


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the marker
    return message


class UserError(ValueError):
    """A request refused for a reason its user should read.

    ``message`` is a message id (marked with ``N_``) and ``params`` fill its placeholders after translation
    (``evaluation.web.explain``); ``str()`` is the English sentence, for logs and the command line."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params
