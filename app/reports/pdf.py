"""The report pack as PDF: the printable page's own HTML, rendered by WeasyPrint (print media,
so the print stylesheet applies). Static files are read from disk and nothing else is fetched:
no request leaves the server while a report renders."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

STATIC_PREFIX = "/static/"
MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}


def html_to_pdf(html: str, static_folder: str, base_url: str = "http://localhost/") -> bytes:
    # Imported here: loading Pango takes a moment, and only this page needs it.
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
            raise ValueError(f"Not fetched while rendering a report: {url}")

    return HTML(string=html, base_url=base_url, url_fetcher=StaticFiles()).write_pdf()
