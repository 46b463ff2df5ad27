"""Share views under load: every view answered is on record, the audit chain stays one valid chain.

A server commits the share views' audit events in groups from one writer thread
(src/audit/group.h); a view is answered only after its group committed. These tests open shares
from many clients at once and check what a learner and an auditor would: every opening answered
is one `share.open` event and one counted use, no more, and `oorkonde audit verify` accepts the
chain. Runs on PostgreSQL too (OORKONDE_TEST_STORE=pg)."""
import concurrent.futures
import json
import re
import threading

import pytest

from helpers.base import Oorkonde, csv_text, db_scalar, make_row
from helpers.server import HOST, Server

VIEWS = 240
CLIENTS = 16


def folder(binary, path, *init_args, **config):
    ok = Oorkonde(binary, path)
    ok.run("init", *init_args, check=True)
    cfg = json.loads((path / "config.json").read_text())
    # Thousands of openings of one link a minute: only a load test does that.
    cfg["http"] = {"share_opens_per_minute_per_link": 0}
    cfg.update(config)
    (path / "config.json").write_text(json.dumps(cfg))
    ok.add_institution(code="21XX", name="Zuiderhogeschool")
    rows = [make_row(record_id=f"GC-{i}", national_id="123456782", title=f"Course {i}")
            for i in range(2)]
    csv = path.parent / "rows.csv"
    csv.write_text(csv_text(rows))
    ok.run("import", csv, "--institution", "21XX", check=True)
    doc = json.loads(ok.run("achievements", "--national-id", "123456782", "--json",
                            check=True).stdout)
    return ok, doc[0]["learner_id"], [a["id"] for a in doc]


def share(ok, learner, ids):
    proc = ok.run("share", "create", "--learner-id", learner, "--achievements", ",".join(ids),
                  "--to", "Load test", "--days", "1", check=True)
    token = re.search(r"/s/([A-Za-z0-9_-]+)", proc.stdout).group(1)
    share_id = re.search(r"Share ([0-9a-f]{24})", proc.stderr).group(1)
    return token, share_id


def open_many(srv, path, n, clients):
    """n GETs of path from `clients` threads at once, each on its own connections."""
    local = threading.local()

    def one(_):
        if not hasattr(local, "conn"):
            local.conn = srv.connection()
        try:
            local.conn.request("GET", path)
            r = local.conn.getresponse()
            r.read()
            return r.status
        except OSError:
            local.conn.close()
            local.conn = srv.connection()
            local.conn.request("GET", path)
            r = local.conn.getresponse()
            r.read()
            return r.status

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(n)))


def metric(srv, name):
    text = srv.get("/metrics").body.decode()
    m = re.search(rf"^{name} (\d+)$", text, re.M)
    assert m, text
    return int(m.group(1))


def events(ok, share_id):
    return db_scalar(ok.data, "SELECT count(*) FROM audit_event WHERE actor = ? AND "
                     "action = 'share.open'", f"share:{share_id}")


def uses(ok, learner, share_id):
    listing = json.loads(ok.run("share", "list", "--learner-id", learner, "--json",
                                check=True).stdout)
    [mine] = [x for x in listing if x["id"] == share_id]
    return mine["uses"]


def test_concurrent_share_views_all_audited_and_chain_valid(binary, tmp_path):
    ok, learner, ids = folder(binary, tmp_path / "data")
    token, share_id = share(ok, learner, ids)
    srv = Server(ok, "--rate-limit", 0, "--threads", 4, name="group").start()
    try:
        statuses = open_many(srv, f"/s/{token}.json", VIEWS, CLIENTS)
        assert statuses == [200] * VIEWS
        # The writer appended every view's event, in fewer transactions than views when
        # openings came together (never more).
        grouped = metric(srv, "oorkonde_audit_group_events_total")
        commits = metric(srv, "oorkonde_audit_group_commits_total")
        assert grouped == VIEWS
        assert 1 <= commits <= VIEWS
    finally:
        srv.stop()
    assert events(ok, share_id) == VIEWS
    assert uses(ok, learner, share_id) == VIEWS
    proc = ok.run("audit", "verify", check=True)
    assert "chain intact" in proc.stdout, proc.stdout


def test_views_racing_a_revocation_only_answered_ones_are_on_record(binary, tmp_path):
    ok, learner, ids = folder(binary, tmp_path / "data")
    token, share_id = share(ok, learner, ids)
    srv = Server(ok, "--rate-limit", 0, "--threads", 4, name="race").start()
    try:
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            views = pool.submit(open_many, srv, f"/s/{token}.json", VIEWS, CLIENTS)
            ok.run("share", "revoke", share_id, check=True)
            statuses = views.result()
        # Before the revocation committed: 200; after it: 410, and nothing recorded for it.
        assert set(statuses) <= {200, 410}, statuses
        answered = statuses.count(200)
        assert srv.get(f"/s/{token}.json").status == 410
    finally:
        srv.stop()
    assert events(ok, share_id) == answered
    assert uses(ok, learner, share_id) == answered
    proc = ok.run("audit", "verify", check=True)
    assert "chain intact" in proc.stdout, proc.stdout


def test_checkpoints_of_share_views_signed_with_the_rotated_issuer_key(binary, tmp_path):
    """The writer's own depository follows a key rotation made by another process: the
    checkpoints falling on share views' events are signed with the current key."""
    ok, learner, ids = folder(binary, tmp_path / "data", "--host", HOST,
                              audit_checkpoint_every=20)
    token, share_id = share(ok, learner, ids)
    srv = Server(ok, "--rate-limit", 0, "--threads", 2, name="rotate").start()
    try:
        assert open_many(srv, f"/s/{token}.json", 30, 4) == [200] * 30
        ok.run("keys", "rotate-issuer-key", check=True)
        mark = db_scalar(ok.data, "SELECT max(seq) FROM audit_event")
        assert open_many(srv, f"/s/{token}.json", 50, 4) == [200] * 50
        newest = db_scalar(ok.data, "SELECT max(key_id) FROM audit_checkpoint")
        after = db_scalar(ok.data, "SELECT count(*) FROM audit_checkpoint WHERE seq > ?", mark)
        stale = db_scalar(ok.data, "SELECT count(*) FROM audit_checkpoint WHERE seq > ? AND "
                          "key_id <> ?", mark, newest)
        assert newest >= 2 and after >= 2 and stale == 0
    finally:
        srv.stop()
    proc = ok.run("audit", "verify", check=True)
    assert "chain intact" in proc.stdout, proc.stdout
