"""The rate limits' shared counts never hold up a public request (review N3): on SQLite a count
is a write, and while another connection holds the database's write lock (an import's batch, a
`store migrate`, any process with the file open) the count is not waited for; the server counts
alone for a while and answers at once."""
import sqlite3
import time

import pytest

from helpers import store
from helpers.server import Server


@pytest.mark.skipif(store.ON_PG, reason="about SQLite's write lock")
def test_a_held_write_lock_does_not_hold_up_public_requests(inst):
    server = Server(inst, "--rate-limit", "1000")
    server.start()
    try:
        assert server.get("/healthz").status == 200
        writer = sqlite3.connect(inst.data / "oorkonde.db", isolation_level=None, timeout=1)
        writer.execute("BEGIN IMMEDIATE")
        try:
            # Several requests from one client: at least one falls due for a shared count.
            for _ in range(5):
                started = time.monotonic()
                r = server.get("/openapi.yaml", timeout=30)
                waited = time.monotonic() - started
                assert r.status == 200, r.body[:200]
                # The store waits up to about 10 s for a lock; a count must not.
                assert waited < 5, f"a public request waited {waited:.1f} s for the writer"
                time.sleep(1.1)
        finally:
            writer.execute("ROLLBACK")
            writer.close()
    finally:
        server.stop()
