"""The coordination network between channels, in small parts the `network` stage puts together:

    urls.py          normalised links, so one page shared two ways is one link
    cooccurrence.py  channel pairs that shared an item (echo cluster, image cluster, link) within a window
    significance.py  the null model and false-discovery filter that keep hyperactive channels unlinked
    communities.py   Leiden communities on the significant edges
    roles.py         origin / amplifier roles from echo clusters
    graph.py         the stored network as nodes and edges for Gephi; gephi.py writes GEXF, GraphML, CSV
"""
