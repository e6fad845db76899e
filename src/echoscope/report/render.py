"""Writing a report: HTML (one self-contained file, figures as data URIs), Markdown (figures alongside as
SVG files) and PDF (WeasyPrint, from the same HTML, with the Noto fonts for Arabic and Persian).

Post text is untrusted. HTML goes through Jinja2 with autoescape on; Markdown through an environment whose
`finalize` escapes every value, so nothing reaches either unescaped by omission. Links come only from
`safety.clickable` (http, https, tg).
"""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from echoscope.errors import ConfigError
from echoscope.findings import phrasing as say
from echoscope.report.model import Report
from echoscope.report.safety import isolate_rtl, md_escape, md_lines, md_link

FORMATS = ("html", "md", "pdf")


def _moment(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "–"


def _day(value: datetime | None) -> str:
    return say.day(value) if value else "–"


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _image_uri(uri: str) -> str:
    """Only the JPEG data: URIs report/thumbnails.py makes may become an image source."""
    if not uri.startswith("data:image/jpeg;base64,"):
        raise ValueError("a thumbnail must be a JPEG data: URI")
    return uri


def _environment(markdown: bool) -> Environment:
    environment = Environment(
        loader=PackageLoader("echoscope.report", "templates"),
        autoescape=False if markdown else select_autoescape(default=True, default_for_string=True),
        finalize=md_escape if markdown else None,
        undefined=StrictUndefined,
        trim_blocks=markdown,
        keep_trailing_newline=True,
    )
    environment.filters.update(moment=_moment, day=_day, data_uri=_data_uri, image_uri=_image_uri, isolate=isolate_rtl, md_link=md_link, md_lines=md_lines)
    return environment


def html(report: Report) -> str:
    return _environment(markdown=False).get_template("report.html.j2").render(report=report)


def markdown(report: Report) -> str:
    return _spaced(_environment(markdown=True).get_template("report.md.j2").render(report=report))


def _spaced(text: str) -> str:
    """A blank line before every heading, table and quote that follows other text: without one, Markdown
    renderers run a table into the quote above it or a heading into the list above it. Content lines never
    start with these marks (they are escaped), so only the template's own blocks are touched."""
    lines: list[str] = []
    for line in text.split("\n"):
        opens = line.startswith(("#", "| ", ">"))
        previous = lines[-1] if lines else ""
        if opens and previous.strip() and not previous.startswith(line[0]):
            lines.append("")
        lines.append(line)
    return "\n".join(lines)


def pdf_unavailable() -> str | None:
    """Why PDF cannot be written here, or None."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:  # OSError: the package is there but pango is not
        return f"PDF needs WeasyPrint and pango: pip install 'echoscope[report]' ({exc})"
    return None


def pdf(report: Report) -> bytes:
    reason = pdf_unavailable()
    if reason:
        raise ConfigError(reason)
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The report is self-contained: its figures are data: URIs and nothing else may be fetched while rendering.
    return HTML(string=html(report), url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()


def write(report: Report, out_dir: Path, formats: tuple[str, ...] = ("html",), stem: str = "report") -> list[Path]:
    """Write the report in each format into `out_dir`; returns the files written."""
    unknown = [name for name in formats if name not in FORMATS]
    if unknown:
        raise ConfigError(f"--format {','.join(unknown)}: formats are {', '.join(FORMATS)}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    if "html" in formats:
        written.append(out_dir / f"{stem}.html")
        written[-1].write_text(html(report), encoding="utf-8")
    if "md" in formats:
        charts = out_dir / "charts"
        charts.mkdir(exist_ok=True)
        for figure in (figure for figures in report.figures.values() for figure in figures):
            (charts / f"{figure.name}.svg").write_text(figure.svg, encoding="utf-8")
        written.append(out_dir / f"{stem}.md")
        written[-1].write_text(markdown(report), encoding="utf-8")
    if "pdf" in formats:
        written.append(out_dir / f"{stem}.pdf")
        written[-1].write_bytes(pdf(report))
    return written
