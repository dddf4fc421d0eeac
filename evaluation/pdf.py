"""HTML to PDF with WeasyPrint and the Noto CJK fonts: nothing is fetched from any network, intranet or not."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def render_pdf(html: str, stylesheet: Path) -> bytes:
    from weasyprint import CSS, HTML  # imported here: only PDFs need it (and pango beneath it)

    def refuse(url: str, timeout: int = 10, ssl_context: Any = None) -> dict[str, Any]:
        raise ValueError(f"a printed document fetches nothing: {url}")

    document = HTML(string=html, url_fetcher=refuse)
    return bytes(document.write_pdf(stylesheets=[CSS(filename=str(stylesheet))]))
