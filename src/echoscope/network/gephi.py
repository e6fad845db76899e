"""Writing the network for Gephi: GEXF 1.3, GraphML, or a nodes table and an edges table (CSV).

Written by hand rather than through a graph library so that (a) an edge's kind goes into GEXF's own
`kind` attribute, which Gephi uses to keep parallel edges of different kinds apart, and (b) channel
titles — hostile input — can never break the XML: characters XML 1.0 cannot carry are dropped and the
rest is escaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape, quoteattr

import regex

from echoscope import __version__
from echoscope.exports import write_csv
from echoscope.network.graph import EDGE_FIELDS, NODE_FIELDS, NetworkGraph

FORMATS = ("gexf", "graphml", "csv")
_NOT_XML = regex.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Attributes that go on the element itself, not into the attribute table.
_GEXF_BUILTIN = {"node": {"id", "label"}, "edge": {"source", "target", "weight"}}
_TYPES = {"community": "integer", "origins": "integer", "echoes": "integer", "median_lag_seconds": "integer",
          "count": "integer", "weight": "double", "p_value": "double", "significant": "boolean"}


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _attr(value: object) -> str:
    return quoteattr(_text(value))


def write_gexf(graph: NetworkGraph, out: IO[str]) -> None:
    node_fields = [name for name in NODE_FIELDS if name not in _GEXF_BUILTIN["node"]]
    edge_fields = [name for name in EDGE_FIELDS if name not in _GEXF_BUILTIN["edge"]]
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<gexf xmlns="http://gexf.net/1.3" version="1.3">\n')
    out.write(f"  <meta><creator>echoscope {escape(__version__)}</creator>"
              "<description>Channel coordination network</description></meta>\n")
    out.write('  <graph defaultedgetype="directed" mode="static">\n')
    for cls, fields in (("node", node_fields), ("edge", edge_fields)):
        out.write(f'    <attributes class="{cls}" mode="static">\n')
        for index, name in enumerate(fields):
            out.write(f'      <attribute id="{index}" title="{name}" type="{_TYPES.get(name, "string")}"/>\n')
        out.write("    </attributes>\n")
    out.write("    <nodes>\n")
    for node in graph.nodes:
        out.write(f"      <node id={_attr(node['id'])} label={_attr(node['label'])}>{_attvalues(node, node_fields)}</node>\n")
    out.write("    </nodes>\n    <edges>\n")
    for index, edge in enumerate(graph.edges):
        out.write(
            f'      <edge id="{index}" source={_attr(edge["source"])} target={_attr(edge["target"])} '
            f'weight={_attr(edge["weight"])} kind={_attr(edge["kind"])}>{_attvalues(edge, edge_fields)}</edge>\n'
        )
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def _attvalues(record: dict, fields: list[str]) -> str:
    values = "".join(f'<attvalue for="{index}" value={_attr(record[name])}/>'
                     for index, name in enumerate(fields) if record[name] is not None)
    return f"<attvalues>{values}</attvalues>"


def write_graphml(graph: NetworkGraph, out: IO[str]) -> None:
    node_fields = [name for name in NODE_FIELDS if name != "id"]
    edge_fields = [name for name in EDGE_FIELDS if name not in ("source", "target")]
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n')
    for prefix, cls, fields in (("n", "node", node_fields), ("e", "edge", edge_fields)):
        for index, name in enumerate(fields):
            kind = {"integer": "long"}.get(_TYPES.get(name, "string"), _TYPES.get(name, "string"))
            out.write(f'  <key id="{prefix}{index}" for="{cls}" attr.name="{name}" attr.type="{kind}"/>\n')
    out.write('  <graph id="echoscope" edgedefault="directed">\n')
    for node in graph.nodes:
        out.write(f"    <node id={_attr(node['id'])}>{_data(node, node_fields, 'n')}</node>\n")
    for index, edge in enumerate(graph.edges):
        out.write(f'    <edge id="e{index}" source={_attr(edge["source"])} target={_attr(edge["target"])}>'
                  f"{_data(edge, edge_fields, 'e')}</edge>\n")
    out.write("  </graph>\n</graphml>\n")


def _data(record: dict, fields: list[str], prefix: str) -> str:
    return "".join(f'<data key="{prefix}{index}">{escape(_text(record[name]))}</data>'
                   for index, name in enumerate(fields) if record[name] is not None)


def write_csv_tables(graph: NetworkGraph, folder: Path) -> tuple[Path, Path]:
    """nodes.csv and edges.csv in `folder`, for Gephi's spreadsheet import (edges: a `type` column
    says Directed)."""
    folder.mkdir(parents=True, exist_ok=True)
    nodes_path, edges_path = folder / "nodes.csv", folder / "edges.csv"
    with nodes_path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(graph.nodes, handle, NODE_FIELDS)
    with edges_path.open("w", encoding="utf-8", newline="") as handle:
        write_csv(({**edge, "type": "Directed"} for edge in graph.edges), handle, (*EDGE_FIELDS, "type"))
    return nodes_path, edges_path
