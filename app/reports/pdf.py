"""The report pack as PDF: the printable page's own HTML, rendered by WeasyPrint through the one
PDF route every printable page uses (``app.printing``)."""

from __future__ import annotations

from ..printing import html_to_pdf, pdf_download

__all__ = ["html_to_pdf", "pdf_download"]
