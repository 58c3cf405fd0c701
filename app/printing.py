"""Pages on paper: any printable page's own HTML rendered to PDF by WeasyPrint (print media, so
the print stylesheets apply), answered as a download. Reports, statements and plan summaries all
use it. Static files are read from disk and nothing else is fetched: no request leaves the
server while a PDF renders."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from flask import Response, current_app

STATIC_PREFIX = "/static/"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def html_to_pdf(html: str, static_folder: str, base_url: str = "http://localhost/") -> bytes:
    # Imported here: loading Pango takes a moment, and only the PDF routes need it.
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    static = Path(static_folder).resolve()

    class StaticFiles(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            path = urlsplit(url).path
            if path.startswith(STATIC_PREFIX):
                target = (static / path.removeprefix(STATIC_PREFIX)).resolve()
                if target.is_relative_to(static) and target.is_file():
                    content_type = MIME_TYPES.get(target.suffix, "application/octet-stream")
                    return URLFetcherResponse(
                        url, target.read_bytes(), {"Content-Type": content_type}
                    )
            raise ValueError(f"Not fetched while rendering a PDF: {url}")

    return HTML(string=html, base_url=base_url, url_fetcher=StaticFiles()).write_pdf()


def pdf_download(html: str, filename: str) -> Response:
    """The page as a PDF attachment named ``filename``."""
    return Response(
        html_to_pdf(html, current_app.static_folder),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
