"""`echoscope export network` and `echoscope network`: files Gephi opens, read back with networkx and csv."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from test_network_stage import hyperactive_corpus, run_network

from echoscope.store import Store

ROOT = Path(__file__).resolve().parent.parent


def echoscope(*args: str, db: Path) -> subprocess.CompletedProcess:
    env = os.environ | {"COLUMNS": "200", "NO_COLOR": "1", "ECHOSCOPE_DB": str(db)}
    return subprocess.run([sys.executable, "-m", "echoscope", *args], capture_output=True, text=True, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def db(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("network") / "network.db"
    with Store(path) as store:
        corpus = hyperactive_corpus(store)
        corpus.forward("a", "b", minutes=5)
        corpus.save()
        # hostile registry text must not break the XML
        with store.transaction() as conn:
            conn.exec_driver_sql("UPDATE channels SET title = 'كتائب <حزب الله> & \"Co\"\x0b\x01' WHERE username = 'a'")
        run_network(store)
    return path


def check_graph(graph: nx.MultiDiGraph) -> None:
    nodes = {data["label"]: data for _, data in graph.nodes(data=True)}
    assert len(nodes) == 23
    assert nodes["a"]["affiliation"] == "Kataib Hezbollah" and nodes["a"]["community"] == nodes["b"]["community"] == 1
    assert nodes["a"]["title"] == 'كتائب <حزب الله> & "Co"'
    assert nodes["hyper"]["role"] == "amplifier" and nodes["hyper"]["echoes"] > 150 and "community" not in nodes["hyper"]
    edges = [(graph.nodes[u]["label"], graph.nodes[v]["label"], data) for u, v, data in graph.edges(data=True)]
    echo = [data for u, v, data in edges if (u, v) == ("a", "b") and data["kind"] == "echo"]
    assert len(echo) == 1 and echo[0]["windows"] == "10m,1h,24h" and echo[0]["count"] >= 20 and echo[0]["weight"] > 0
    assert echo[0]["significant"] is True
    assert not [1 for u, v, data in edges if "hyper" in (u, v)]


def test_gexf_opens_as_a_directed_multigraph_with_every_attribute(db, tmp_path):
    out = tmp_path / "network.gexf"
    result = echoscope("export", "network", "--format", "gexf", "-o", str(out), db=db)
    assert result.returncode == 0, result.stderr
    graph = nx.read_gexf(out)
    assert graph.is_directed()
    check_graph(graph)
    assert 'kind="echo"' in out.read_text(encoding="utf-8")  # Gephi keeps parallel edges of different kinds apart


def test_graphml_to_stdout_reads_back_the_same(db):
    result = echoscope("export", "network", "--format", "graphml", db=db)
    assert result.returncode == 0, result.stderr
    graph = nx.parse_graphml(result.stdout, force_multigraph=True)
    check_graph(graph)


def test_all_edges_adds_the_edges_that_did_not_pass_the_filter(db, tmp_path):
    out = tmp_path / "all.graphml"
    assert echoscope("export", "network", "-f", "graphml", "--all-edges", "-o", str(out), db=db).returncode == 0
    graph = nx.read_graphml(out, force_multigraph=True)
    edges = [(graph.nodes[u]["label"], graph.nodes[v]["label"], data) for u, v, data in graph.edges(data=True)]
    hyper = [data for u, v, data in edges if "hyper" in (u, v)]
    assert len(hyper) >= 22 and not any(data["significant"] for data in hyper)
    forward = [data for u, v, data in edges if (u, v, data["kind"]) == ("a", "b", "forward")]
    assert len(forward) == 1 and forward[0]["count"] == 1 and forward[0]["significant"] is False


def test_csv_writes_a_nodes_and_an_edges_table(db, tmp_path):
    folder = tmp_path / "gephi"
    result = echoscope("export", "network", "--format", "csv", "-o", str(folder), db=db)
    assert result.returncode == 0, result.stderr
    with (folder / "nodes.csv").open(encoding="utf-8") as handle:
        nodes = {row["id"]: row for row in csv.DictReader(handle)}
    with (folder / "edges.csv").open(encoding="utf-8") as handle:
        edges = list(csv.DictReader(handle))
    assert len(nodes) == 23 and all(row["id"].startswith("telegram:channel") for row in nodes.values())
    kinds = {(nodes[row["source"]]["username"], nodes[row["target"]]["username"], row["kind"]) for row in edges}
    assert ("a", "b", "echo") in kinds and all(row["type"] == "Directed" for row in edges)
    assert {row["role"] for row in nodes.values()} >= {"amplifier"}


def test_network_prints_communities_and_roles(db):
    result = echoscope("network", "--limit", "5", db=db)
    assert result.returncode == 0, result.stderr
    assert "Communities" in result.stdout and "Kataib Hezbollah ×2" in result.stdout
    assert "Roles" in result.stdout and "hyper" in result.stdout and "amplifier" in result.stdout


def test_without_a_network_the_commands_say_what_to_run(tmp_path):
    empty = tmp_path / "empty.db"
    Store(empty).close()
    result = echoscope("export", "network", db=empty)
    assert result.returncode == 2 and "echoscope analyze --only network" in result.stderr
    assert echoscope("export", "network", "--format", "csv", db=empty).returncode == 2
    assert "--format must be" in echoscope("export", "network", "--format", "dot", db=empty).stderr
