"""Tables of the network stage: channel–channel edges per kind and window, and each channel's place in it.

Both tables are replaced whole by each run of the stage, in one transaction. The significance of an edge
depends on every channel's activity in the whole corpus (the null model compares a pair with what their
activity alone would produce), so a network is only meaningful as one consistent snapshot; patching the
edges of new posts into an old snapshot would mix two null models. Readers see the old network or the new
one, never half of each; `stage_runs` says when it was computed and with what counts.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, UniqueConstraint

from echoscope.store.schema import PrimaryKey, metadata

network_edges = Table(
    "network_edges",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    # Directed where the data has a direction: origin → echo, forwarded channel → forwarding channel,
    # first to share a link or image → later sharer.
    Column("source_pk", ForeignKey("channels.pk"), nullable=False),
    Column("target_pk", ForeignKey("channels.pk"), nullable=False),
    Column("kind", String(16), nullable=False),  # echo / forward / image / link
    Column("time_window", String(16), nullable=False),  # "10m", "1h", "24h" …; "any" for forwards
    Column("count", Integer, nullable=False),  # shared clusters / links, or forwarded posts
    Column("weight", Float, nullable=False),  # count, each shared item weighted 1/(channels in it − 1)
    Column("expected", Float, nullable=False),  # the count the null model expects for this pair
    Column("p_value", Float, nullable=False),  # of the pair's count under the null model
    Column("significant", Boolean, nullable=False),  # passed the false-discovery-rate filter
    UniqueConstraint("kind", "time_window", "source_pk", "target_pk"),
    Index(None, "target_pk"),
)

network_channels = Table(
    "network_channels",
    metadata,
    Column("pk", PrimaryKey, primary_key=True),
    Column("channel_pk", ForeignKey("channels.pk"), nullable=False),
    Column("community", Integer),  # 1 = largest; NULL when the channel has no significant edge
    Column("role", String(16), nullable=False),  # origin / amplifier / mixed / none
    Column("origins", Integer, nullable=False),  # multi-channel echo clusters this channel started
    Column("echoes", Integer, nullable=False),  # multi-channel echo clusters it joined after another channel
    Column("median_lag_seconds", Integer),  # of its echoes, from the origin
    UniqueConstraint("channel_pk"),
)
