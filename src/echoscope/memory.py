"""Keeping Python's garbage collector off the objects a long job starts with.

A pass over millions of posts makes and drops objects all the time, so the collector runs often, and each
full collection walks every object alive: the modules, the compiled watchlist, the store's metadata. And in
a forked worker process, walking an object it inherited writes to it, which copies the memory page it sits
on. `gc.freeze()` moves every object alive now out of the collector's sight; what the job makes afterwards
is collected as usual. Measured: a tenth to a fifth of the text pass on 100,000 posts, a tenth of an ingest.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def existing_objects_frozen() -> Iterator[None]:
    """Freeze the objects alive now for the length of the block; give them back to the collector after."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
