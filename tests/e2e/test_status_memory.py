"""A revocation, suspension or reinstatement made by another process (the CLI) while the server
answers verifications is seen by the very next verification, on every thread. The server's
connections answer the status of its own credentials from memory while nothing was committed
(SQLite: store_sqlite_statusmem.c); these requests warm that memory on every thread first, so a
stale answer would show here. Both stores."""
import json

import pytest

from helpers.base import Oorkonde, demo_active_records
from helpers.server import HOST, Server

THREADS = 3
WARM = 4 * THREADS


@pytest.fixture(scope="module")
def dep(binary, tmp_path_factory):
    base = tmp_path_factory.mktemp("statusmem")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    items = demo_active_records(ok)
    srv = Server(ok, "--rate-limit", 0, "--threads", THREADS, name="statusmem").start()
    try:
        yield ok, srv, items
    finally:
        srv.stop()


def verify(srv, vc):
    r = srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == (200 if r.json()["verified"] else 400), r
    return r.json()


def state_of(doc):
    """None when verified, else the status the failed status check names."""
    if doc["verified"]:
        return None
    status = [e for e in doc["errors"] if e.get("check") == "status"]
    assert status, doc
    return doc["headline"]["state"]


def expect(srv, vcs, state, times=WARM):
    for _ in range(times):
        for vc in vcs:
            assert state_of(verify(srv, vc)) == state


def test_cli_changes_seen_by_the_next_verification(dep):
    ok, srv, items = dep
    a, b = items.pop(), items.pop()
    vc_a = json.loads(ok.run("issue", a["id"], check=True).stdout)
    vc_b = json.loads(ok.run("issue", b["id"], check=True).stdout)
    expect(srv, [vc_a, vc_b], None)
    # Suspended in another process: the very next request says so, then every one after.
    ok.run("suspend", b["id"], "--reason", "test", check=True)
    assert state_of(verify(srv, vc_b)) == "suspended"
    expect(srv, [vc_b], "suspended")
    expect(srv, [vc_a], None, times=2)
    ok.run("reinstate", b["id"], "--reason", "test", check=True)
    assert state_of(verify(srv, vc_b)) is None
    expect(srv, [vc_a, vc_b], None)
    ok.run("revoke", a["id"], "--reason", "test", check=True)
    assert state_of(verify(srv, vc_a)) == "revoked"
    expect(srv, [vc_a], "revoked")
    expect(srv, [vc_b], None, times=2)
    # A credential issued after the revocation, for the revoked record, is revoked at once.
    vc_a2 = json.loads(ok.run("issue", a["id"], check=True).stdout)
    assert state_of(verify(srv, vc_a2)) == "revoked"


def test_alternating_changes_never_stale(dep):
    ok, srv, items = dep
    a = items.pop()
    vc = json.loads(ok.run("issue", a["id"], check=True).stdout)
    for _ in range(6):
        expect(srv, [vc], None, times=THREADS)
        ok.run("suspend", a["id"], "--reason", "test", check=True)
        expect(srv, [vc], "suspended", times=THREADS)
        ok.run("reinstate", a["id"], "--reason", "test", check=True)
