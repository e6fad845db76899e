"""What every benchmark shares: the machine it ran on, and its block in docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def write_block(name: str, heading: str, lines: list[str]) -> str:
    """Replace the block between `<!-- name:start -->` and `<!-- name:end -->` (or append it under
    `heading`), so each benchmark rewrites its own figures and nothing else."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    block = "\n".join([start, *lines, end])
    text = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if start in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + f"\n\n## {heading}\n\n" + block + "\n"
    DOC.write_text(text, encoding="utf-8")
    return block
