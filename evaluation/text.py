"""Message ids marked for extraction (``N_``) but translated later, where the user's language is known.

Pure modules raise errors with these ids and their parameters; views and templates translate them."""


def N_(message: str) -> str:  # noqa: N802 - the conventional name of the marker
    return message
