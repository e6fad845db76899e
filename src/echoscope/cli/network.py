"""`echoscope network` (communities and roles as tables) and `echoscope export network` (Gephi files)."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from echoscope.cli._common import Db, app, err, export_app, open_store, out
from echoscope.errors import QueryError
from echoscope.network.gephi import FORMATS, write_csv_tables, write_gexf, write_graphml
from echoscope.network.graph import NetworkGraph, load_graph


@export_app.command("network")
def export_network(
    db: Db = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="gexf, graphml or csv (a folder with nodes.csv and edges.csv).")] = "gexf",
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="File to write (csv: a folder); default stdout.")] = None,
    all_edges: Annotated[bool, typer.Option("--all-edges", help="Also edges that did not pass the significance filter.")] = False,
) -> None:
    """The channel network for Gephi: nodes with label, username, affiliation, community and role; one
    edge per channel pair and kind (echo, forward, image, link) with weight, count and the time windows
    in which it is significant. Run [bold]echoscope analyze --only network[/] first.

    Example: [bold]echoscope export network --format gexf -o network.gexf[/]
    """
    if fmt not in FORMATS:
        raise QueryError(f"--format must be {', '.join(FORMATS)}, not {fmt!r}")
    if fmt == "csv" and output is None:
        raise QueryError("--format csv writes two tables (nodes.csv, edges.csv): give a folder with -o")
    with open_store(db) as store:
        graph = load_graph(store, all_edges=all_edges)
    if fmt == "csv":
        nodes_path, edges_path = write_csv_tables(graph, output)
        err.print(f"Wrote {len(graph.nodes)} channels to {nodes_path} and {len(graph.edges)} edges to {edges_path}")
        return
    writer = write_gexf if fmt == "gexf" else write_graphml
    if output is None:
        writer(graph, sys.stdout)
        return
    with output.open("w", encoding="utf-8") as handle:
        writer(graph, handle)
    err.print(f"Wrote {len(graph.nodes)} channels and {len(graph.edges)} edges to {output}")


@app.command()
def network(
    db: Db = None,
    limit: Annotated[int, typer.Option(help="At most this many channels in the roles table, most active first.")] = 40,
) -> None:
    """Communities of channels that act together, and each channel's role: origin (usually first) or
    amplifier (usually echoing), with the counts behind it. Run [bold]echoscope analyze --only network[/] first.

    Example: [bold]echoscope network --limit 20[/]
    """
    with open_store(db) as store:
        graph = load_graph(store)
    print_communities(out, graph)
    print_roles(out, graph, limit)


def print_communities(console: Console, graph: NetworkGraph) -> None:
    members: dict[int, list[dict]] = defaultdict(list)
    for node in graph.nodes:
        if node["community"] is not None:
            members[node["community"]].append(node)
    edges = Counter(edge["kind"] for edge in graph.edges)
    title = f"Communities (significant edges: {', '.join(f'{kind} {count}' for kind, count in sorted(edges.items())) or 'none'})"
    table = Table(title=title, header_style="bold")
    for column in ("#", "channels", "affiliations", "origins", "members"):
        table.add_column(column, justify="right" if column in ("#", "channels") else "left")
    for number in sorted(members):
        nodes = members[number]
        affiliations = Counter(node["affiliation"] or "unknown" for node in nodes)
        table.add_row(
            str(number),
            str(len(nodes)),
            escape(", ".join(f"{name} ×{count}" for name, count in affiliations.most_common())),
            escape(", ".join(node["label"] for node in nodes if node["role"] == "origin") or "–"),
            escape(", ".join(node["label"] for node in nodes)),
        )
    console.print(table)


def print_roles(console: Console, graph: NetworkGraph, limit: int) -> None:
    active = sorted((node for node in graph.nodes if node["origins"] or node["echoes"]),
                    key=lambda node: (-(node["origins"] + node["echoes"]), node["label"]))
    table = Table(title=f"Roles in multi-channel echo clusters ({min(limit, len(active))} of {len(active)} channels)", header_style="bold")
    for column in ("channel", "affiliation", "community", "role", "first", "echoed", "median lag"):
        table.add_column(column, justify="right" if column in ("community", "first", "echoed", "median lag") else "left")
    colours = {"origin": "green", "amplifier": "yellow", "mixed": "cyan", "none": "dim"}
    for node in active[:limit]:
        table.add_row(
            escape(node["label"]),
            escape(node["affiliation"] or "–"),
            str(node["community"] or "–"),
            f"[{colours[node['role']]}]{node['role']}[/]",
            f"{node['origins']:,}",
            f"{node['echoes']:,}",
            _duration(node["median_lag_seconds"]),
        )
    console.print(table)


def _duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}".replace(".0", "")
    return f"{seconds}s"
