"""Message ids marked for extraction (``N_``) but translated later, where the user's language is known.

Pure modules raise errors with these ids and their parameters; the request's edge (``evaluation.web``), the
command line and templates translate them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Reason = tuple[str, dict[str, Any]]


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the marker
    return message


class UserError(ValueError):
    """A request refused for reasons its user should read.

    ``message`` is a message id (marked with ``N_``) and ``params`` fill its placeholders after translation
    (``evaluation.web.explain``); ``str()`` is the English sentence, for logs and the command line. An error
    may carry several reasons (``also``) and name the form ``field`` at fault. ``status`` is what
    the API answers with it (a page redirects back and shows the reasons)."""

    status = 422

    def __init__(
        self, message: str, *, field: str | None = None, also: Sequence[Reason] = (), **params: Any
    ) -> None:
        self.message, self.params, self.field = message, params, field
        self.reasons: list[Reason] = [(message, params), *also]
        super().__init__("; ".join(m % p if p else m for m, p in self.reasons))
