"""Leak detection and side doors (issue 6).

Each API key may read the personal data of a limited number of distinct learners in a sliding
window (default 1,000 an hour, `oorkonde institution set-read-limit` per institution). The read
past the limit answers 429 and blocks the key: every later request with it answers 403 until
`oorkonde institution unblock-key`; the block is an alert line on the server's standard error, a
metric and an audit event, and it holds across restarts and the server's threads. Another key,
of the same institution or another, keeps working.

Side doors: after a demo run with reads, bad requests, errors and a block, a search of the
server's output, its access log, the metrics, the audit listing, error answers and the database
files (with WAL and shared memory) for every demo learner's names, national ids and birth dates
finds nothing.
"""
import concurrent.futures
import pathlib
import re
import select
import subprocess
import time
from urllib.parse import quote

import pytest
import yaml

from helpers.base import ROOT, SANITIZER_RE, Oorkonde, db_bytes, db_readonly
from helpers.server import PROBLEM, PURPOSE_HEADER, Server, parse_keys, problem, row

ALERT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ALERT key-blocked key=([0-9a-f]+) "
                      r"institution=(\S+) learners=(\d+) window_s=(\d+): ", re.M)


class LoggedServer(Server):
    """`oorkonde serve` with its standard output and standard error each in a file, so that
    everything it printed can be searched afterwards."""

    def start(self, timeout=30):
        base = pathlib.Path(self.ok.data).parent
        self.out_path = base / f"{self.log_path.stem}.stdout"
        self.out = open(self.out_path, "w")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.ok.argv("serve", "--listen", "127.0.0.1:0", *self.args),
                                     stdout=self.out, stderr=self.log, env=self.ok.env())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.search(r"oorkonde listening on (https?)://127\.0\.0\.1:(\d+)\n",
                          self.out_path.read_text())
            if m:
                self.scheme, self.port = m.group(1), int(m.group(2))
                return self
            if self.proc.poll() is not None:
                break
            select.select([], [], [], 0.05)
        self.proc.kill()
        self.proc.wait()
        raise AssertionError(f"server did not start:\n{self.log_text()}")

    def stop(self, timeout=20):
        if self.stopped:
            return
        self.stopped = True
        self.proc.terminate()
        rc = self.proc.wait(timeout)
        self.out.close()
        self.log.close()
        text = self.log_text()
        assert not SANITIZER_RE.search(text), f"sanitizer report from the server:\n{text}"
        assert rc == 0, f"server exited {rc}:\n{text[-4000:]}"

    def stdout_text(self):
        return self.out_path.read_text(errors="replace")


@pytest.fixture
def servers():
    """Starts servers (LoggedServer(ok, args…)); stops and checks them at teardown."""
    started = []

    def start(ok, *args, **kw):
        s = LoggedServer(ok, "--rate-limit", 0, *args, **kw).start()
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


def one_row_csv(path, prefix, learners):
    """A CSV with one course for each of `learners` learners, national ids PREFIX0000000…"""
    lines = ["record_id,national_id,given_names,family_name,birth_date,kind,title,awarded_on\n"]
    for i in range(learners):
        lines.append(f"{prefix}-{i},{prefix}{i:07d},Given{i},Family{i},1990-01-01,course,"
                     f"Course {i % 7},2014-06-15\n")
    pathlib.Path(path).write_text("".join(lines), encoding="utf-8")
    return path


def nid(prefix, i):
    return f"{prefix}{i:07d}"


class Folder:
    """A data folder with institutions 21XX (keys a and a2) and 22YY (key b), learners XA… at
    21XX and YB… at 22YY."""

    def __init__(self, binary, base, xa, yb, limit=None):
        self.ok = Oorkonde(binary, base / "data")
        self.ok.run("init", check=True)
        self.a = self.ok.add_institution(code="21XX", name="School XX")
        self.b = self.ok.add_institution(code="22YY", name="School YY")
        out = self.ok.run("apikey", "add", "--institution", "21XX", check=True).stdout
        self.a2 = re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)
        for code, prefix, n in (("21XX", "XA", xa), ("22YY", "YB", yb)):
            proc = self.ok.import_csv(one_row_csv(base / f"{prefix}.csv", prefix, n),
                                      institution=code)
            assert proc.returncode == 0, proc.stderr
        if limit:
            self.ok.run("institution", "set-read-limit", "21XX", limit, check=True)

    def cli(self, *args):
        return self.ok.run(*args)

    def audit(self):
        out = self.ok.run("audit", "show", check=True).stdout
        return [l.split() for l in out.splitlines() if l.split() and l.split()[0].isdigit()]


def read(srv, key, national_id, purpose="registration"):
    return srv.get(f"/v1/achievements?national_id={national_id}", key=key, purpose=purpose)


def metrics(srv):
    text = srv.get("/metrics").body.decode()
    return {l.split()[0]: float(l.split()[1]) for l in text.splitlines()
            if l and not l.startswith("#")}, text


def test_past_the_limit_the_key_is_blocked_until_unblocked(binary, tmp_path, servers):
    f = Folder(binary, tmp_path, xa=10, yb=3, limit=5)
    srv = servers(f.ok)
    for i in range(5):
        assert read(srv, f.a, nid("XA", i)).status == 200, i
    # Reading a learner again costs nothing, whatever the route or purpose.
    assert read(srv, f.a, nid("XA", 0), purpose="support").status == 200
    aid = read(srv, f.a, nid("XA", 1)).json()["achievements"][0]["id"]
    assert srv.get(f"/v1/achievements/{aid}", key=f.a).status == 200
    assert srv.get(f"/v1/achievements/{aid}/credential", key=f.a).status == 200
    # The sixth learner: refused, and the key is blocked.
    doc = problem(read(srv, f.a, nid("XA", 5)), 429, "read-limit")
    assert "blocked" in doc["detail"]
    for r in (read(srv, f.a, nid("XA", 0)),
              srv.get(f"/v1/achievements/{aid}", key=f.a),
              srv.get(f"/v1/achievements/{aid}/credential?format=jwt", key=f.a),
              srv.post("/v1/results", [row("R-NEW", "XA0000000")], key=f.a),
              srv.post(f"/v1/achievements/{aid}/suspend", {"reason": "x"}, key=f.a)):
        problem(r, 403, "key-blocked")
    # Other keys: another institution's, and another of the same institution.
    assert read(srv, f.b, nid("YB", 0)).status == 200
    r = read(srv, f.a2, nid("XA", 5))
    assert r.status == 200, r
    xa5 = r.json()["learner"]["id"]

    # The alert: key id and institution, no key, no learner.
    log = srv.log_text()
    alerts = ALERT_RE.findall(log)
    assert len(alerts) == 1, log
    key_id, inst, learners, window = alerts[0]
    assert (inst, learners, window) == ("21XX", "5", "3600")
    for secret in (f.a, f.a[3:20], "Given", "Family", "XA000"):
        assert secret not in log, f"{secret!r} in the server's log"
    # The refused read read nothing: no audit event of key a about learner XA5.
    actor = f"institution:21XX/key:{key_id}"
    assert not [e for e in f.audit() if actor in e and xa5 in e]
    blocked = [e for e in f.audit() if "key.blocked" in e]
    assert len(blocked) == 1 and key_id in blocked[0] and "leak-detection" in blocked[0]
    assert "institution=21XX" in " ".join(blocked[0])
    listing = f.cli("institution", "blocked-keys")
    assert listing.returncode == 0 and re.search(rf"^{key_id}\s+21XX\s+blocked ", listing.stdout,
                                                 re.M), listing.stdout
    m, text = metrics(srv)
    assert m["oorkonde_keys_blocked_total"] == 1 and m["oorkonde_keys_blocked"] == 1, text
    assert "# TYPE oorkonde_keys_blocked gauge" in text
    assert "# TYPE oorkonde_keys_blocked_total counter" in text

    # The operator lifts the block: the key works again, with a fresh count.
    proc = f.cli("institution", "unblock-key", key_id)
    assert proc.returncode == 0 and "unblocked" in proc.stdout, proc
    m, _ = metrics(srv)
    assert m["oorkonde_keys_blocked_total"] == 1 and m["oorkonde_keys_blocked"] == 0
    for i in range(5, 10):
        assert read(srv, f.a, nid("XA", i)).status == 200, i
    problem(read(srv, f.a, nid("XA", 0)), 429, "read-limit")
    assert [e for e in f.audit() if "key.unblock" in e and key_id in e]
    assert f.cli("audit", "verify").returncode == 0
    # Unblocking twice, or a key id that is none: refused.
    f.cli("institution", "unblock-key", key_id)
    again = f.cli("institution", "unblock-key", key_id)
    assert again.returncode == 1 and "not blocked" in again.stderr, again
    bad = f.cli("institution", "unblock-key", "../x")
    assert bad.returncode == 1 and "key id" in bad.stderr, bad


def test_read_limit_commands(binary, tmp_path):
    f = Folder(binary, tmp_path, xa=1, yb=1)
    out = f.cli("institution", "read-limit", "21XX")
    assert out.returncode == 0 and "1000 learners in any 3600 s (the default)" in out.stdout
    out = f.cli("institution", "set-read-limit", "21XX", "250", "--window", "600")
    assert out.returncode == 0, out
    out = f.cli("institution", "read-limit", "21XX")
    assert "250 learners in any 600 s" in out.stdout and "default" not in out.stdout
    assert f.cli("institution", "read-limit", "22YY").stdout.count("(the default)") == 1
    for args, rc in ((("21XX", "0"), 2), (("21XX", "-5"), 2), (("21XX", "ten"), 2),
                     (("21XX", "5", "--window", "0"), 2),
                     (("21XX", "5", "--window", "604801"), 2), (("99ZZ", "5"), 1),
                     (("21XX",), 2)):
        proc = f.cli("institution", "set-read-limit", *args)
        assert proc.returncode == rc, (args, proc)
    assert "250 learners" in f.cli("institution", "read-limit", "21XX").stdout
    assert f.cli("institution", "blocked-keys").stdout.strip() == "(no blocked keys)"
    assert [e for e in f.audit() if "institution.read-limit" in e and "21XX" in e]


def test_counts_and_blocks_survive_a_restart(binary, tmp_path, servers):
    f = Folder(binary, tmp_path, xa=8, yb=1, limit=5)
    srv = servers(f.ok)
    for i in range(3):
        assert read(srv, f.a, nid("XA", i)).status == 200
    srv.stop()
    srv = servers(f.ok)
    for i in range(3, 5):
        assert read(srv, f.a, nid("XA", i)).status == 200
    problem(read(srv, f.a, nid("XA", 5)), 429, "read-limit")
    srv.stop()
    srv = servers(f.ok)
    problem(read(srv, f.a, nid("XA", 0)), 403, "key-blocked")
    m, _ = metrics(srv)
    assert m["oorkonde_keys_blocked"] == 1 and m["oorkonde_keys_blocked_total"] == 0


def test_default_limit_of_1000_across_server_threads(binary, tmp_path, servers):
    """1,001 distinct learners read by one key on four server threads at once: exactly 1,000
    answers 200 and one 429, whatever the order; then the key is blocked."""
    f = Folder(binary, tmp_path, xa=1001, yb=1)
    srv = servers(f.ok, "--threads", 4)

    def one(i):
        return read(srv, f.a, nid("XA", i)).status

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(one, range(1001)))
    assert statuses.count(200) == 1000 and statuses.count(429) == 1, \
        {s: statuses.count(s) for s in set(statuses)}
    problem(read(srv, f.a, nid("XA", statuses.index(200))), 403, "key-blocked")
    assert read(srv, f.b, nid("YB", 0)).status == 200
    assert read(srv, f.a2, nid("XA", 1000)).status == 200
    [(key_id, inst, learners, window)] = ALERT_RE.findall(srv.log_text())
    assert (inst, learners, window) == ("21XX", "1000", "3600")
    m, _ = metrics(srv)
    assert m["oorkonde_keys_blocked_total"] == 1 and m["oorkonde_keys_blocked"] == 1
    assert [e for e in f.audit() if "key.blocked" in e and key_id in e]
    with db_readonly(f.ok.data) as conn:
        assert conn.execute("SELECT count(*) FROM audit_event WHERE action = 'learner.read' "
                            "AND actor = ?", (f"institution:21XX/key:{key_id}",)
                            ).fetchone()[0] == 1000


def test_no_registrar_route_lists_learners(binary, tmp_path, servers):
    """Bulk reads need an export key, and no HTTP route offers one: every registrar read names
    one learner or one record."""
    spec = yaml.safe_load((ROOT / "docs/openapi.yaml").read_text())
    for path, item in spec["paths"].items():
        get = item.get("get")
        if not get or not any("apiKey" in s for s in get.get("security", [])):
            continue
        params = [p for p in get.get("parameters", []) + item.get("parameters", [])
                  if "name" in p]
        named = "{id}" in path or any(p["name"] == "national_id" and p.get("required")
                                      for p in params)
        assert named, f"GET {path} may read many learners at once"
    f = Folder(binary, tmp_path, xa=3, yb=1)
    srv = servers(f.ok)
    problem(srv.get("/v1/achievements", key=f.a), 400, "invalid-input")
    problem(srv.get("/v1/achievements?national_id=", key=f.a), 400, "invalid-input")
    assert problem(srv.get("/v1/achievements?national_id=XA*", key=f.a), 400)
    # A repeated parameter reads one learner, not two.
    r = srv.get(f"/v1/achievements?national_id={nid('XA', 0)}&national_id={nid('XA', 1)}",
                key=f.a)
    assert r.status == 200 and r.json()["learner"]["given_names"] in ("Given0", "Given1"), r
    assert len([e for e in f.audit() if "learner.read" in e]) == 1


# Side doors


M64 = (1 << 64) - 1


def demo_national_id(n):
    """registry_demo_national_id (src/registry/demo.c): the demo's national id of learner n."""
    state = (0xB5B * 1000003 + n) & M64

    def draw():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & M64
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        return z ^ (z >> 31)

    while True:
        digits = []
        for i in range(8):
            d = draw() % 10
            digits.append(1 if i == 0 and d == 0 else d)
        check = sum(d * (9 - i) for i, d in enumerate(digits)) % 11
        if check < 10:
            return "".join(map(str, digits + [check]))


DEMO_LEARNERS = 40


def needles(learners, public):
    """Every personal value as UTF-8 bytes: national ids, birth dates, full names, and each
    name (and word of a name) long enough not to turn up by chance in random bytes and not part
    of the demo's public text (titles, institution names)."""
    found = set()
    for l in learners:
        found |= {l["national_id"], l["birth_date"], f"{l['given_names']} {l['family_name']}"}
        for name in (l["given_names"], l["family_name"]):
            for part in [name] + name.split():
                if len(part.encode()) >= 5 and part not in public:
                    found.add(part)
    return sorted(n.encode() for n in found)


def test_no_personal_data_through_side_doors(binary, tmp_path, servers):
    ok = Oorkonde(binary, tmp_path / "data")
    ok.run("init", "--host", "localhost:8080", check=True)
    demo_out = ok.run("demo", "--learners", DEMO_LEARNERS, check=True).stdout
    keys = parse_keys(demo_out)
    seen_bodies = []  # every error answer and error report: no personal data in them
    answered = []  # the reads' answers: the names are there (the search can find them)

    def keep(r, always=False):
        if always or r.status >= 400 or r.ctype == PROBLEM:
            seen_bodies.append(r.body)
        return r

    # A reader keeps the WAL from being checkpointed away when the server stops.
    with db_readonly(ok.data) as reader:
        reader.execute("SELECT count(*) FROM learner").fetchone()
        srv = servers(ok)
        learners, public = [], "Rijksuniversiteit Groningen Hanzehogeschool Noorderpoort"
        purposes = ["registration", "admission-check", "support", "audit", "issuance"]
        for n in range(DEMO_LEARNERS):
            national_id = demo_national_id(n)
            found = []
            for code, key in keys.items():
                r = keep(read(srv, key, national_id, purposes[n % len(purposes)]))
                assert r.status in (200, 404), r
                if r.status == 200:
                    found.append((code, key, r.json()))
                    answered.append(r.body)
            assert len(found) == 1, (n, national_id, [c for c, _, _ in found])
            code, key, doc = found[0]
            learners.append(dict(doc["learner"], national_id=national_id, key=key))
            for a in doc["achievements"]:
                public += " " + " ".join(str(a.get(k, "")) for k in
                                         ("title", "programme_code", "grading_scheme"))
            aid = doc["achievements"][0]["id"]
            assert srv.get(f"/v1/achievements/{aid}", key=key, purpose="audit").status == 200
            if n % 4 == 0:
                for fmt in ("di", "jwt"):
                    r = srv.get(f"/v1/achievements/{aid}/credential?format={fmt}", key=key,
                                purpose="issuance")
                    assert r.status == 200, r
                    if fmt == "di":
                        vc = r.json()
                        assert srv.post("/credentials/verify",
                                        {"verifiableCredential": vc}).status == 200
                        vc["credentialSubject"]["name"] = "Tampered"
                        keep(srv.post("/credentials/verify", {"verifiableCredential": vc}))
        # Bad requests and errors that carry personal data in.
        for l in learners[:8]:
            nid_, given, family = l["national_id"], l["given_names"], l["family_name"]
            full = f"{given} {family}"
            keep(read(srv, l["key"], nid_, purpose=None))
            keep(srv.get(f"/v1/achievements?national_id={nid_}", key=l["key"],
                         headers={PURPOSE_HEADER: full.encode().decode("latin-1")}))
            keep(read(srv, "ok_wrong" + l["key"][-8:], nid_))
            keep(srv.get(f"/v1/achievements?national_id={nid_}"))
            keep(srv.get(f"/nope/{nid_}/{quote(family)}?national_id={nid_}"))
            keep(read(srv, l["key"], nid_ + "0"))
            aid = read(srv, l["key"], nid_).json()["achievements"][0]["id"]
            keep(srv.request("PATCH", f"/v1/achievements/{aid}",
                             {"eqf_level": 99, "reason": f"asked by {full}"}, key=l["key"]))
            keep(srv.request("PATCH", f"/v1/achievements/{aid}", {"grade": full}, key=l["key"]))
            bad = row("SIDE-" + nid_, nid_, given_names=given, family_name=family,
                      birth_date=l["birth_date"])
            bad["awarded_on"] = "1900-01-01"  # before birth: rejected
            r = srv.post("/v1/results?strict=true", [bad], key=l["key"])
            assert r.status == 422, r
            keep(r)
            r = srv.post("/v1/results", [dict(bad, birth_date=full)], key=l["key"])
            assert r.status == 200 and r.json()["rejected"] == 1, r
            keep(r, always=True)
            keep(srv.post("/credentials/verify", {"verifiableCredential": full}))
            keep(srv.request("DELETE", f"/v1/achievements/{aid}", key=l["key"]))
        # A key blocked (a learner new to it, past a limit of 1): the alert goes to the log.
        ok.run("institution", "set-read-limit", "25LJ", 1, check=True)
        mbo = [l for l in learners if l["key"] == keys["25LJ"]]
        assert mbo and read(srv, keys["25LJ"], mbo[0]["national_id"]).status == 200
        assert srv.post("/v1/results", [row("SIDE-MBO", "123456782")],
                        key=keys["25LJ"]).json()["added"] == 1
        problem(keep(read(srv, keys["25LJ"], "123456782")), 429, "read-limit")
        problem(keep(read(srv, keys["25LJ"], mbo[0]["national_id"])), 403, "key-blocked")
        _, metrics_text = metrics(srv)
        srv.stop()
        files = db_bytes(ok.data)
        # On PostgreSQL (OORKONDE_TEST_STORE=pg) what is searched is a dump of the database.
        assert len(files.get("oorkonde.db-wal", files.get("pg_dump", b""))) > 0, \
            "expected a WAL to search"

    assert ALERT_RE.search(srv.log_text()), "no alert in the log"
    assert len(learners) == DEMO_LEARNERS
    searched = dict(files)
    searched["server stdout"] = srv.stdout_text().encode()
    searched["server stderr (access log, alerts)"] = srv.log_text().encode()
    searched["/metrics"] = metrics_text.encode()
    searched["audit show"] = ok.run("audit", "show", check=True).stdout.encode()
    searched["blocked-keys"] = ok.run("institution", "blocked-keys", check=True).stdout.encode()
    searched["error answers"] = b"\n".join(seen_bodies)
    assert len(seen_bodies) > 100
    wanted = needles(learners, public)
    assert len(wanted) > 3 * DEMO_LEARNERS
    for where, content in searched.items():
        for n in wanted:
            assert n not in content, f"{n.decode()!r} found in {where}"
    # The search can find them: each name, name part and birth date is in the reads' answers
    # (national ids and "given family" are not: the answers hold neither).
    answers = b"".join(answered)
    absent = {l["national_id"].encode() for l in learners} | \
        {f"{l['given_names']} {l['family_name']}".encode() for l in learners}
    missing = [n for n in wanted if n not in absent and n not in answers]
    assert not missing, missing


def key_with(f, *args):
    out = f.cli("apikey", "add", *args).stdout
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", out).group(1)


def test_a_blocked_key_is_refused_on_every_registrar_route(binary, tmp_path, servers):
    """The block is checked with the key itself, not only where reads are counted: writes,
    corrections, the VC-API and identity corrections answer 403 too."""
    f = Folder(binary, tmp_path, xa=3, yb=1, limit=1)
    key = key_with(f, "--institution", "21XX", "--permit", "register,read,vc-issue")
    srv = servers(f.ok)
    doc = read(srv, key, nid("XA", 0)).json()
    aid, learner = doc["achievements"][0]["id"], doc["learner"]["id"]
    problem(read(srv, key, nid("XA", 1)), 429, "read-limit")
    cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
            "type": ["VerifiableCredential"], "issuer": "did:example:x",
            "credentialSubject": {"id": "did:example:someone"}}
    for r in (srv.post("/v1/results", [row("R-BLOCKED", "XA0000000")], key=key),
              srv.request("PATCH", f"/v1/achievements/{aid}", {"grade": "9", "reason": "x"},
                          key=key),
              srv.request("PATCH", f"/v1/achievements/{aid}", {}, key=key),
              srv.post("/credentials/issue", {"credential": cred}, key=key),
              srv.request("PATCH", f"/v1/learners/{learner}", {"given_names": "X"}, key=key,
                          purpose="correction"),
              srv.post(f"/v1/learners/{learner}/imports", {}, key=key),
              srv.post(f"/v1/achievements/{aid}/revoke", {"reason": "x"}, key=key)):
        problem(r, 403, "key-blocked")


def test_an_identity_correction_counts_its_learner(binary, tmp_path, servers):
    """A correction's answer says whether the values sent were the learner's already: it
    counts towards the key's limit like a read."""
    f = Folder(binary, tmp_path, xa=4, yb=1, limit=2)
    key = key_with(f, "--institution", "21XX", "--permit", "register,read")
    srv = servers(f.ok)
    learners = [f.ok.achievements_json(nid("XA", i))[0]["learner_id"] for i in range(3)]

    def correct(learner):
        return srv.request("PATCH", f"/v1/learners/{learner}", {"birth_date": "1999-01-01"},
                           key=key, purpose="correction")

    assert correct(learners[0]).status == 200
    assert read(srv, key, nid("XA", 1)).status == 200
    # The first learner again costs nothing; a third one is past the limit of 2.
    assert correct(learners[0]).status == 200
    problem(correct(learners[2]), 429, "read-limit")
    problem(read(srv, key, nid("XA", 0)), 403, "key-blocked")


CONFLICT_ALERT_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ALERT key-blocked "
                               r"key=([0-9a-f]+) institution=21XX conflicts=(\d+): ", re.M)


def probes(national_id, n, start=0):
    """n rows for national_id with the right names and a wrong birth date each."""
    return [row(f"P-{i}", national_id, given_names="Given0", family_name="Family0",
                birth_date=f"{1950 + i // 12:04d}-{1 + i % 12:02d}-01")
            for i in range(start, start + n)]


def test_import_identity_conflicts_are_counted_audited_and_block(binary, tmp_path, servers):
    """A dry run was an unlimited, unaudited oracle of whether a national id is registered and
    whether a guessed birth date is right (attack-insider F1). Each conflict now counts
    against the key and is audited, a dry run's too; past 50 in the window the key is
    blocked, and no answer lists the rows."""
    f = Folder(binary, tmp_path, xa=1, yb=1, limit=1000)
    srv = servers(f.ok)
    yb = nid("YB", 0)
    r = srv.post("/v1/results?dry_run=true", probes(yb, 3), key=f.a)
    assert r.status == 200, r
    doc = r.json()
    assert doc["rejected"] == 3 and doc["stored"] is False
    # Another institution's learner: the column is never named.
    assert {e["field"] for e in doc["errors"]} == {"national_id"}
    conflicts = [e for e in f.audit() if "learner.conflict" in e]
    assert len(conflicts) == 3, conflicts
    actors = {w for e in conflicts for w in e if w.startswith("institution:21XX/key:")}
    assert len(actors) == 1, conflicts
    key_id = actors.pop().split("key:")[1]
    # 47 more are a registrar's typos still; the 51st blocks, and the answer lists nothing.
    assert srv.post("/v1/results?dry_run=true", probes(yb, 47, 3), key=f.a).status == 200
    r = srv.post("/v1/results?dry_run=true", probes(yb, 1, 50), key=f.a)
    doc = problem(r, 429, "conflict-limit")
    assert "errors" not in doc and "blocked" in doc["detail"]
    problem(srv.post("/v1/results?dry_run=true", probes(yb, 1, 60), key=f.a), 403, "key-blocked")
    alerts = CONFLICT_ALERT_RE.findall(srv.log_text())
    assert alerts == [(key_id, "1")], srv.log_text()
    assert len([e for e in f.audit() if "learner.conflict" in e]) == 51
    m, _ = metrics(srv)
    assert m["oorkonde_keys_blocked_total"] == 1
    # One request of many probes is refused whole (and blocks the second key too).
    r = srv.post("/v1/results?dry_run=true", probes(yb, 500), key=f.a2)
    doc = problem(r, 429, "conflict-limit")
    assert "errors" not in doc
    assert len([e for e in f.audit() if "import.conflicts" in e]) == 1
    assert f.cli("audit", "verify").returncode == 0


def test_honest_rows_of_anothers_learner_are_not_counted(binary, tmp_path, servers):
    """A university registering first-years known from another institution's diploma, with
    their right identity, meets no conflict: nothing counted, nothing blocked."""
    f = Folder(binary, tmp_path, xa=1, yb=1, limit=1)
    srv = servers(f.ok)
    first_year = [row(f"U-{i}", nid("YB", 0), given_names="Given0", family_name="Family0",
                      birth_date="1990-01-01", title=f"Course {i}") for i in range(60)]
    for _ in range(3):
        r = srv.post("/v1/results?dry_run=true", first_year, key=f.a)
        assert r.status == 200 and r.json()["rejected"] == 0, r
    r = srv.post("/v1/results", first_year, key=f.a)
    assert r.status == 200 and r.json()["added"] == 60, r
    assert not [e for e in f.audit() if "learner.conflict" in e or "key.blocked" in e]


def test_conflicts_with_the_institutions_own_learners_are_not_counted(binary, tmp_path,
                                                                     servers):
    """Another institution with a record may correct a shared learner's identity; the first
    institution's next honest upload then conflicts with its own learner. That is no probe:
    not counted, not audited as one, never blocks (re-attack N2) — only conflicts with
    learners the institution has no record of are."""
    f = Folder(binary, tmp_path, xa=1, yb=1, limit=1000)
    srv = servers(f.ok)
    renamed = [row(f"R-{i}", nid("XA", 0), given_names="Renamed", family_name="Family0",
                   birth_date="1990-01-01", title=f"Course {i}") for i in range(60)]
    for _ in range(2):
        r = srv.post("/v1/results?dry_run=true", renamed, key=f.a)
        assert r.status == 200 and r.json()["rejected"] == 60, r
        assert {e["field"] for e in r.json()["errors"]} == {"given_names"}
    assert not [e for e in f.audit() if "learner.conflict" in e or "key.blocked" in e]
    assert srv.post("/v1/results?dry_run=true", probes(nid("YB", 0), 1), key=f.a).status == 200
    assert len([e for e in f.audit() if "learner.conflict" in e]) == 1


def test_a_register_only_key_learns_no_birth_date(binary, tmp_path, servers):
    """attack-insider F2: a key without `read` is not told which identity column differs; a
    correction is counted as a read of its learner, and an award date before the birth date
    is refused without naming the birth date and counted as an identity conflict."""
    f = Folder(binary, tmp_path, xa=3, yb=1, limit=2)
    reg = key_with(f, "--institution", "21XX", "--permit", "register")
    reg2 = key_with(f, "--institution", "21XX", "--permit", "register")
    full = key_with(f, "--institution", "21XX", "--permit", "register,read")
    srv = servers(f.ok)
    own = [row("P-own", nid("XA", 0), given_names="Given0", family_name="Family0",
               birth_date="1991-01-01")]
    doc = srv.post("/v1/results?dry_run=true", own, key=reg).json()
    assert [e["field"] for e in doc["errors"]] == ["national_id"], doc
    doc = srv.post("/v1/results?dry_run=true", own, key=full).json()
    assert [e["field"] for e in doc["errors"]] == ["birth_date"], doc
    aids = [f.ok.achievements_json(nid("XA", i))[0]["id"] for i in range(3)]

    def award(key, aid, date):
        return srv.request("PATCH", f"/v1/achievements/{aid}",
                           {"awarded_on": date, "reason": "probe"}, key=key)

    doc = problem(award(reg, aids[0], "1989-12-31"), 422, "invalid-correction")
    assert "birth" not in doc["detail"], doc
    assert award(reg, aids[1], "2015-01-01").status == 200
    # A third learner is past the read limit of 2.
    problem(award(reg, aids[2], "2015-01-01"), 429, "read-limit")
    # Guesses at one learner's birth date: two are typos, the third blocks (limit 2).
    problem(award(reg2, aids[0], "1989-12-31"), 422, "invalid-correction")
    problem(award(reg2, aids[0], "1990-01-01"), 422, "invalid-correction")
    problem(award(reg2, aids[0], "1990-01-01"), 429, "conflict-limit")
    problem(award(reg2, aids[0], "2015-01-01"), 403, "key-blocked")
    # the four refused award dates (the dry runs met the institution's own learner)
    assert len([e for e in f.audit() if "learner.conflict" in e]) == 4


def test_a_revoked_record_is_not_corrected(binary, tmp_path, servers):
    """attack-insider F4: PATCH of a revoked result answers 409 as the status routes do; the
    correction's reason is checked as a status change's is."""
    f = Folder(binary, tmp_path, xa=2, yb=1)
    srv = servers(f.ok)
    aids = [f.ok.achievements_json(nid("XA", i))[0]["id"] for i in range(2)]
    for reason in ("bell\x07", "line\nbreak", "right\u202eleft", "zero\u200bwidth", ""):
        r = srv.request("PATCH", f"/v1/achievements/{aids[1]}",
                        {"grade": "9", "grading_scheme": "NL 1-10", "reason": reason}, key=f.a)
        doc = problem(r, 422, "invalid-correction")
        assert "reason" in doc["detail"], (reason, doc)
    assert srv.post(f"/v1/achievements/{aids[0]}/revoke", {"reason": "fraud"},
                    key=f.a).status == 200
    r = srv.request("PATCH", f"/v1/achievements/{aids[0]}",
                    {"title": "Changed", "reason": "after the revocation"}, key=f.a)
    doc = problem(r, 409, "conflict")
    assert "revoked" in doc["detail"]
    got = srv.get(f"/v1/achievements/{aids[0]}", key=f.a).json()
    assert got["title"] != "Changed" and got["status"] == "revoked", got
