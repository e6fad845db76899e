"""A small writer of channels, posts, echo clusters and forwards for the network tests.

The echoes stage is not what these tests are about, so clusters are written straight into its tables,
as that stage would: the earliest member is the origin, every member has its lag from it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from echoscope.model import TELEGRAM
from echoscope.store import Store
from echoscope.store.schema import channels, posts
from echoscope.store.schema_echoes import echo_clusters, echo_members

START = datetime(2023, 6, 1, tzinfo=UTC)


class Corpus:
    """Rows collected in memory and written in one transaction by `save()` (which may be called again for
    rows added since); keys are given explicitly."""

    def __init__(self, store: Store):
        self.store = store
        self.channel_pk: dict[str, int] = {}
        self.rows: dict[str, list[dict]] = {"channels": [], "posts": [], "echo_clusters": [], "echo_members": []}
        self.saved = dict.fromkeys(self.rows, 0)

    def channel(self, username: str, affiliation: str | None = None, title: str | None = None) -> int:
        pk = len(self.channel_pk) + 1
        self.channel_pk[username] = pk
        self.rows["channels"].append({
            "pk": pk, "platform": TELEGRAM, "channel_id": f"channel{1000 + pk}", "username": username,
            "title": title or username.replace("_", " ").title(), "affiliation": affiliation, "type": "public_channel",
        })
        return pk

    def post(self, username: str, minutes: float, text: str = "", **columns) -> int:
        pk = len(self.rows["posts"]) + 1
        self.rows["posts"].append({
            "pk": pk, "channel_pk": self.channel_pk[username], "post_id": pk, "date": START + timedelta(minutes=minutes),
            "text": text, "text_norm": text.lower(), "version": 1, "content_sha256": f"{pk:064x}",
            "entities": None, "forwarded_from": None, "forwarded_from_id": None, "extra": None,
        } | columns)
        return pk

    def cluster(self, members: list[tuple[str, float]], kind: str = "near") -> int:
        """An echo cluster of (username, minutes) posts; the earliest is the origin."""
        members = sorted(members, key=lambda member: member[1])
        post_pks = [self.post(username, minutes, f"echo {len(self.rows['echo_clusters'])}") for username, minutes in members]
        pk = len(self.rows["echo_clusters"]) + 1
        origin_minutes = members[0][1]
        self.rows["echo_clusters"].append({
            "pk": pk, "kind": kind, "origin_post_pk": post_pks[0], "size": len(members),
            "channels": len({username for username, _ in members}), "first_date": START + timedelta(minutes=origin_minutes),
            "last_date": START + timedelta(minutes=members[-1][1]), "updated_at": START,
        })
        for index, (post_pk, (_, minutes)) in enumerate(zip(post_pks, members)):
            self.rows["echo_members"].append({
                "pk": len(self.rows["echo_members"]) + 1, "cluster_pk": pk, "post_pk": post_pk, "version": 1,
                "lag_seconds": round((minutes - origin_minutes) * 60), "similarity": 1.0,
                "kind": "origin" if index == 0 else kind, "changes": None,
            })
        return pk

    def forward(self, source: str, forwarder: str, minutes: float) -> int:
        source_id = f"channel{1000 + self.channel_pk[source]}"
        return self.post(forwarder, minutes, "forwarded", forwarded_from=source, forwarded_from_id=source_id)

    def save(self) -> None:
        tables = {"channels": channels, "posts": posts, "echo_clusters": echo_clusters, "echo_members": echo_members}
        with self.store.transaction() as conn:
            for name, table in tables.items():
                if self.rows[name][self.saved[name]:]:
                    conn.execute(insert(table), self.rows[name][self.saved[name]:])
                self.saved[name] = len(self.rows[name])
