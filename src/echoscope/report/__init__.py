"""The analyst's report: findings and their evidence as HTML, Markdown and PDF.

    report = build_report(store, Scope(since=datetime(2023, 6, 1, tzinfo=UTC)))
    paths = write(report, Path("out"), ("html", "md", "pdf"))
"""

from echoscope.report.build import build_report
from echoscope.report.render import FORMATS, write
from echoscope.store.findings import Scope

__all__ = ["FORMATS", "Scope", "build_report", "write"]
