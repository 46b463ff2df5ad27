"""Key rotation end to end (issue 6): `oorkonde keys rotate-data-key` re-seals every personal field
under a new data key (every learner still reads back, the old key opens nothing, a rotation
killed halfway resumes, a server on the same folder keeps answering meanwhile), and
`keys rotate-issuer-key` / `retire-issuer-key` (credentials signed before keep verifying through
the CLI, the HTTP API and another depository's did:web resolution, until the old key is retired;
then they fail saying why)."""
import base64
import fcntl
import json
import os
import pathlib
import re
import shutil
import socket
import stat
import threading

import pytest

from helpers.base import INSTITUTION, Oorkonde, db_readonly, db_scalar, make_row, write_csv
from helpers.foreign import credential, import_cli
from helpers.server import Server, row

KILL_ENV = "OORKONDE_TEST_KILL_AFTER_BATCHES"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def learner_ids(ok):
    with db_readonly(ok.data) as conn:
        return [r[0] for r in conn.execute("SELECT id FROM learner ORDER BY id")]


def key_counts(ok):
    """data key id -> learners sealed under it, from the database itself."""
    with db_readonly(ok.data) as conn:
        return dict(conn.execute("SELECT key_id, count(*) FROM learner GROUP BY key_id"))


def sealed_rows(ok):
    with db_readonly(ok.data) as conn:
        return {r[0]: r[1:] for r in conn.execute(
            "SELECT id, nid_index, digest, national_id, given_names, family_name, birth_date "
            "FROM learner")}


def key_file_ids(ok, name="data.key"):
    path = pathlib.Path(ok.data) / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return [int(line.split()[0]) for line in path.read_text().splitlines() if line.strip()]


def read_learner(ok, learner_id):
    """The learner as `achievements --learner-id` shows them (names, birth date, results)."""
    proc = ok.run("achievements", "--learner-id", learner_id)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"Learner {learner_id}: ")
    return proc.stdout


def status(ok):
    proc = ok.run("keys", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def rotate(ok, *options, env=None):
    return ok.run("keys", "rotate-data-key", *options, env=env)


def audit_actions(ok):
    proc = ok.run("audit", "show", "--json", check=True)
    return [e["action"] for e in json.loads(proc.stdout)]


def learners_csv(path, n, prefix="KR", given="Given", start=0):
    rows = [make_row(record_id=f"{prefix}-{i}", national_id=f"{prefix}{i:07d}",
                     given_names=f"{given}{i}", family_name=f"Family{i}", title=f"Course {i}")
            for i in range(start, start + n)]
    return write_csv(path, rows)


# Data key


# Enough learners for three batches of 7 (the last one short); each is read back through its own
# `achievements` process before and after the rotation.
DEMO_LEARNERS = 20


@pytest.fixture
def demo(ok):
    ok.init()
    proc = ok.run("demo", "--learners", DEMO_LEARNERS, check=True)
    nid = re.search(r"achievements --national-id (\S+)", proc.stdout).group(1)
    return ok, nid


def test_every_learner_reads_back_and_the_old_key_opens_nothing(demo, tmp_path):
    ok, nid = demo
    ids = learner_ids(ok)
    assert len(ids) == DEMO_LEARNERS
    before = {i: read_learner(ok, i) for i in ids}
    by_nid = ok.achievements(nid).stdout
    sealed_before = sealed_rows(ok)
    old_key = (ok.data / "data.key").read_bytes()
    assert key_file_ids(ok) == [1]

    proc = rotate(ok, "--batch", "7")
    assert proc.returncode == 0, proc.stderr
    assert f"Data key 2 is current: {DEMO_LEARNERS} of {DEMO_LEARNERS} records re-sealed" \
        in proc.stdout

    # Only the new key is left in data.key, and every learner is sealed under it.
    assert key_file_ids(ok) == [2]
    assert key_counts(ok) == {2: DEMO_LEARNERS}
    sealed_after = sealed_rows(ok)
    for i in ids:
        # Every sealed field, the blind index and the digest changed.
        assert all(a != b for a, b in zip(sealed_before[i], sealed_after[i])), i
        assert read_learner(ok, i) == before[i]
    assert ok.achievements(nid).stdout == by_nid
    st = status(ok)
    assert st["data_keys"] == [{"id": 2, "current": True, "in_file": True,
                                "learners": DEMO_LEARNERS, "foreign": 0}]
    assert st["rotation"] == {"to_key": 2, "done": DEMO_LEARNERS, "total": DEMO_LEARNERS,
                              "finished": True}

    # The rotation is on record, and the audit chain is intact.
    actions = audit_actions(ok)
    assert actions.count("key.data.rotate") == 1
    assert actions.count("key.data.reseal") == 3  # 20 records in batches of 7
    assert actions.count("key.data.rotate.finish") == 1
    assert ok.run("audit", "verify").returncode == 0

    # Registering the same results again changes nothing: digests survived the rotation.
    again = ok.run("demo", "--learners", DEMO_LEARNERS, check=True)
    assert re.search(r"0 added, 0 updated, \d+ unchanged; 0 new learners", again.stdout), \
        again.stdout

    # The old data.key, put back into a copy of the folder, opens nothing: a clear error, never
    # garbage, and no personal data on the terminal.
    copy = Oorkonde(ok.binary, tmp_path / "copy")
    shutil.copytree(ok.data, copy.data)
    (copy.data / "data.key").write_bytes(old_key)
    for args in (["--learner-id", ids[0]], ["--national-id", nid]):
        proc = copy.run("achievements", *args)
        assert proc.returncode == 2, proc
        assert "data key 2" in proc.stderr and "data.key does not hold" in proc.stderr
        assert proc.stdout == ""
        assert nid not in proc.stderr
    proc = copy.run("keys", "status")
    assert "NOT in data.key" in proc.stdout


def test_rotation_stopped_or_killed_halfway_resumes(inst, tmp_path):
    ok = inst
    # 16 learners in batches of 4: killed after its second batch, the rotation is halfway.
    proc = ok.import_csv(learners_csv(tmp_path / "a.csv", 16), "--strict")
    assert proc.returncode == 0, proc.stderr
    ids = learner_ids(ok)
    before = {i: read_learner(ok, i) for i in ids}

    # An operator may spread the work: one batch now, the rest later.
    proc = rotate(ok, "--batch", "4", "--max-batches", "1")
    assert proc.returncode == 0, proc.stderr
    assert "4 of 16 records re-sealed; run `oorkonde keys rotate-data-key` again" in proc.stdout
    assert key_counts(ok) == {1: 12, 2: 4}
    assert key_file_ids(ok) == [1, 2]

    # Killed (SIGKILL, no clean-up) after its first batch.
    proc = rotate(ok, "--batch", "4", env={KILL_ENV: "1"})
    assert proc.returncode == -9, proc
    assert key_counts(ok) == {1: 8, 2: 8}
    rot = status(ok)["rotation"]
    assert (rot["done"], rot["total"], rot["finished"]) == (8, 16, False)
    assert "8 of 16 records re-sealed" in ok.run("keys", "status").stdout

    # Half re-sealed: everyone reads back, under either key.
    for i in ids:
        assert read_learner(ok, i) == before[i]
    # An import meanwhile finds learners under either key (no one registered twice), moves
    # the ones it touches to the new key, and seals new ones under it.
    rows = [make_row(record_id="KR-0", national_id="KR0000000", given_names="Given0",
                     family_name="Family0", title="Course 0", grade="9.0"),
            make_row(record_id="KR-15", national_id="KR0000015", given_names="Given15",
                     family_name="Family15", title="Course 15"),
            make_row(record_id="NEW-1", national_id="KRNEW0001", given_names="Newcomer",
                     family_name="Late", title="Course new")]
    proc = ok.import_csv(write_csv(tmp_path / "b.csv", rows), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "3 rows read: 1 added, 1 updated, 1 unchanged, 0 rejected" in proc.stdout
    assert len(learner_ids(ok)) == 17
    assert ok.achievements_json("KRNEW0001")[0]["title"] == "Course new"

    # Running it again finishes the job.
    proc = rotate(ok, "--batch", "4")
    assert proc.returncode == 0, proc.stderr
    assert "(resumed)" in proc.stdout and "Data key 2 is current" in proc.stdout
    assert key_counts(ok) == {2: 17}
    assert key_file_ids(ok) == [2]
    for i in ids:
        got = read_learner(ok, i)
        assert got == before[i] or "9.0" in got  # KR-0's grade was corrected meanwhile
    rot = status(ok)["rotation"]
    assert rot["finished"] and rot["done"] == rot["total"]

    # A second rotation makes key 3 and removes key 2.
    proc = rotate(ok)
    assert proc.returncode == 0, proc.stderr
    assert key_file_ids(ok) == [3] and key_counts(ok) == {3: 17}
    for i in ids:
        got = read_learner(ok, i)
        assert got == before[i] or "9.0" in got


def test_one_rotation_at_a_time_and_bad_options(inst):
    ok = inst
    with open(ok.data / "keys.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = rotate(ok)
        assert proc.returncode == 2
        assert "another key rotation is running" in proc.stderr
    assert key_file_ids(ok) == [1]
    for bad in (["--batch", "0"], ["--batch", "x"], ["--max-batches", "-1"], ["--force"],
                ["extra"]):
        proc = rotate(ok, *bad)
        assert proc.returncode == 2, bad
    assert ok.run("keys", "shuffle").returncode == 2
    assert key_file_ids(ok) == [1]


def test_rotation_while_the_server_answers(inst, tmp_path):
    """A server started before the rotation answers every read during and after it: it reads
    records under either key and picks up the new data.key on its own. Registrations through
    it meanwhile neither duplicate learners nor leave anything under the old key."""
    ok = inst
    key = ok.add_institution(code="21YY", name="Hogeschool Rotatie")
    # 30 learners in batches of 3: ten steps, each followed by every learner read and a
    # registration through the server.
    n = 30
    proc = ok.import_csv(learners_csv(tmp_path / "a.csv", n), "--strict", institution="21YY")
    assert proc.returncode == 0, proc.stderr
    nids = [f"KR{i:07d}" for i in range(n)]
    srv = Server(ok, "--rate-limit", "0").start()
    failures, answered, stop = [], [0], threading.Event()

    def read(i):
        r = srv.get(f"/v1/achievements?national_id={nids[i]}", key=key,
                    purpose="admission-check")
        if r.status != 200 or r.json()["learner"]["given_names"] != f"Given{i}":
            failures.append((nids[i], r))
        answered[0] += 1

    def reader():
        i = 0
        while not stop.is_set():
            read(i % n)
            i += 1

    t = threading.Thread(target=reader)
    t.start()
    try:
        steps = 0
        while True:
            proc = rotate(ok, "--batch", "3", "--max-batches", "1")
            assert proc.returncode == 0, proc.stderr
            steps += 1
            # Between two batches, every learner through the server, and a registration.
            for i in range(n):
                read(i)
            r = srv.post("/v1/results", [row(f"ON-{steps}", f"KRON{steps:05d}"),
                                         row(f"UP-{steps}", nids[steps % n],
                                             given_names=f"Given{steps % n}",
                                             family_name=f"Family{steps % n}")],
                         key=key)
            assert r.status == 200, r
            assert r.json()["added"] == 2 and r.json()["rejected"] == 0, r.json()
            if "is current" in proc.stdout:
                break
            assert steps < 40, proc.stdout
        assert steps >= 10
        for i in range(n):
            read(i)
    finally:
        stop.set()
        t.join()
    # A credential issued by the server after the rotation reads the learner fine.
    ach = ok.achievements_json(nids[3])[0]
    r = srv.get(f"/v1/achievements/{ach['id']}/credential", key=key, purpose="issuance")
    assert r.status == 200, r
    srv.stop()
    assert failures == []
    assert answered[0] >= 11 * n
    total = n + steps  # one new learner per step; the updated ones were there already
    assert len(learner_ids(ok)) == total
    assert key_counts(ok) == {2: total}
    assert key_file_ids(ok) == [2]


def test_foreign_credentials_are_resealed_too(world):
    """A credential from another depository is kept sealed (it names the learner): the rotation
    re-seals it after the learners, and nothing is left under the old key."""
    here = world["here"]
    path = credential(world)
    proc = import_cli(world, path)
    assert proc.returncode == 0, proc.stderr
    with db_readonly(here.data) as conn:
        before = conn.execute("SELECT credential, key_id FROM foreign_achievement").fetchall()
    assert [k for _, k in before] == [1]
    # Learners first (2 of them: one batch), then the foreign credential.
    proc = rotate(here, "--batch", "2", "--max-batches", "1")
    assert "2 of 3 records re-sealed" in proc.stdout, proc.stdout
    assert status(here)["data_keys"] == [
        {"id": 1, "current": False, "in_file": True, "learners": 0, "foreign": 1},
        {"id": 2, "current": True, "in_file": True, "learners": 2, "foreign": 0}]
    proc = rotate(here)
    assert proc.returncode == 0, proc.stderr
    assert "3 of 3 records re-sealed" in proc.stdout
    with db_readonly(here.data) as conn:
        after = conn.execute("SELECT credential, key_id FROM foreign_achievement").fetchall()
    assert after[0][1] == 2 and after[0][0] != before[0][0]
    assert key_file_ids(here) == [2]
    text = here.run("achievements", "--learner-id", world["learner"], check=True).stdout
    assert "Master of Science (Physics)" in text
    # Handed in again: recognised as held (nothing stored twice).
    proc = import_cli(world, path)
    assert proc.returncode == 0, proc.stderr
    assert db_scalar(here.data, "SELECT count(*) FROM foreign_achievement") == 1


# Issuer keys


def verify_cli(ok, path):
    proc = ok.run("verify", path, "--json")
    return proc.returncode, json.loads(proc.stdout)


def proof_detail(result):
    return [d for d in result["details"] if d["check"] == "proof"][0]


def jwt_kid(token):
    head = token.split(".")[0]
    return json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]


@pytest.fixture
def web(binary, tmp_path):
    """A did:web depository on a loopback port with its server, and a second depository that
    trusts it and resolves its DID document over plain HTTP."""
    port = free_port()
    host = f"127.0.0.1:{port}"
    ok = Oorkonde(binary, tmp_path / "nl")
    ok.run("init", "--host", host, check=True)
    did = f"did:web:127.0.0.1%3A{port}"
    key = ok.add_institution()
    rows = [make_row(record_id="W-1", title="Mechanics"), make_row(record_id="W-2", title="Optics")]
    assert ok.import_csv(write_csv(tmp_path / "w.csv", rows), "--strict").returncode == 0
    other = Oorkonde(binary, tmp_path / "fi")
    other.run("init", check=True)
    config = json.loads((other.data / "config.json").read_text())
    config.update(did_web_http_hosts=[host], did_cache_ttl_s=1)
    (other.data / "config.json").write_text(json.dumps(config))
    other.run("trust", "add", did, "--name", "NL depository", "--country", "NL", check=True)
    srv = Server(ok, "--listen", host, "--rate-limit", "0").start()
    assert srv.port == port
    yield {"ok": ok, "other": other, "srv": srv, "key": key, "did": did,
           "ids": [a["id"] for a in ok.achievements_json("123456782")]}
    srv.stop()


def vm_ids(doc):
    return [m["id"] for m in doc["verificationMethod"]]


def test_issuer_rotation_old_credentials_keep_verifying_until_retired(web, tmp_path):
    ok, other, srv, key, did = web["ok"], web["other"], web["srv"], web["key"], web["did"]
    a1, a2 = web["ids"]

    def issue_http(aid, fmt="di"):
        r = srv.get(f"/v1/achievements/{aid}/credential?format={fmt}", key=key,
                    purpose="issuance")
        assert r.status == 200, r
        path = tmp_path / f"{aid}-{fmt}-{len(list(tmp_path.iterdir()))}"
        path.write_bytes(r.body)
        return path

    old_di, old_jwt = issue_http(a1), issue_http(a1, "jwt")
    old_cli = tmp_path / "old-cli.json"
    ok.run("issue", a2, "-o", old_cli, check=True)
    assert json.loads(old_di.read_text())["proof"]["verificationMethod"] == f"{did}#key-1"
    assert jwt_kid(old_jwt.read_text()) == f"{did}#key-1"

    # Rotated by the CLI while the server runs.
    proc = ok.run("keys", "rotate-issuer-key")
    assert proc.returncode == 0, proc.stderr
    assert f"{did}#key-2" in proc.stdout
    assert key_file_ids(ok, "issuer.key") == [1, 2]

    # New credentials, from the server and the CLI, are signed with the new key.
    new_di, new_jwt = issue_http(a1), issue_http(a1, "jwt")
    assert json.loads(new_di.read_text())["proof"]["verificationMethod"] == f"{did}#key-2"
    assert jwt_kid(new_jwt.read_text()) == f"{did}#key-2"
    new_cli = tmp_path / "new-cli.json"
    ok.run("issue", a2, "-o", new_cli, check=True)
    assert json.loads(new_cli.read_text())["proof"]["verificationMethod"] == f"{did}#key-2"
    # So are the status lists (signed again although no bit changed).
    r = srv.get("/status/revocation/1")
    assert r.status == 200 and r.json()["proof"]["verificationMethod"] == f"{did}#key-2"

    # The DID document lists both keys, for assertions (HTTP and `oorkonde identity`).
    doc = srv.get("/.well-known/did.json").json()
    assert set(vm_ids(doc)) == {f"{did}#key-1", f"{did}#key-2"}
    assert set(doc["assertionMethod"]) == {f"{did}#key-1", f"{did}#key-2"}
    assert doc["assertionMethod"][0] == f"{did}#key-2"
    ident = ok.run("identity", check=True).stdout
    assert ident.count("#key-1") >= 2 and ident.count("#key-2") >= 2

    every = [old_di, old_jwt, old_cli, new_di, new_jwt, new_cli]
    # Each verifies: locally, over HTTP, and at another depository resolving our did:web.
    for path in every:
        rc, result = verify_cli(ok, path)
        assert rc == 0, (path, result)
        body = path.read_text()
        vc = body if not body.startswith("{") else json.loads(body)
        r = srv.post("/credentials/verify", {"verifiableCredential": vc})
        assert r.status == 200 and r.json()["verified"], (path, r)
        rc, result = verify_cli(other, path)
        assert rc == 0, (path, result)

    # Retiring the old key is refused while credentials signed with it are active...
    proc = ok.run("keys", "retire-issuer-key", "key-1")
    assert proc.returncode == 2
    assert "--force" in proc.stderr and "credential" in proc.stderr
    # ... and the current key cannot be retired at all.
    proc = ok.run("keys", "retire-issuer-key", "2", "--force")
    assert proc.returncode == 2 and "current signing key" in proc.stderr
    assert key_file_ids(ok, "issuer.key") == [1, 2]
    proc = ok.run("keys", "retire-issuer-key", f"{did}#key-1", "--force")
    assert proc.returncode == 0, proc.stderr
    assert "warning" in proc.stderr and "no longer verif" in proc.stderr
    assert key_file_ids(ok, "issuer.key") == [2]

    doc = srv.get("/.well-known/did.json").json()
    assert vm_ids(doc) == [f"{did}#key-2"] and doc["assertionMethod"] == [f"{did}#key-2"]
    for path in (old_di, old_jwt, old_cli):
        rc, result = verify_cli(ok, path)
        assert rc == 1, result
        assert "retired" in json.dumps(proof_detail(result)), result
        body = path.read_text()
        vc = body if not body.startswith("{") else json.loads(body)
        r = srv.post("/credentials/verify", {"verifiableCredential": vc})
        # A credential that fails verification is answered 400 (docs/api.md).
        assert r.status == 400 and not r.json()["verified"], r
        assert "retired" in r.body.decode(), r
        rc, result = verify_cli(other, path)
        assert rc == 1, result
        assert "key-1" in json.dumps(proof_detail(result))
    for path in (new_di, new_jwt, new_cli):
        assert verify_cli(ok, path)[0] == 0
        assert verify_cli(other, path)[0] == 0

    actions = audit_actions(ok)
    assert actions.count("key.issuer.rotate") == 1 and actions.count("key.issuer.retire") == 1
    assert "status.sign" in actions
    st = status(ok)
    keys = {k["id"]: k for k in st["issuer_keys"]}
    assert keys[2]["current"] and keys[1]["retired"] and not keys[1]["current"]
    proc = ok.run("keys", "retire-issuer-key", "1", "--force")
    assert proc.returncode == 2 and "retired already" in proc.stderr


def test_retiring_a_key_that_signed_nothing_needs_no_force(web):
    ok = web["ok"]
    assert ok.run("keys", "rotate-issuer-key").returncode == 0
    assert ok.run("keys", "rotate-issuer-key").returncode == 0
    assert key_file_ids(ok, "issuer.key") == [1, 2, 3]
    # Key 2 signed nothing (no issuance between the two rotations).
    proc = ok.run("keys", "retire-issuer-key", "2")
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    assert key_file_ids(ok, "issuer.key") == [1, 3]
    ids = vm_ids(web["srv"].get("/.well-known/did.json").json())
    assert ids == [f"{web['did']}#key-3", f"{web['did']}#key-1"]


def test_did_key_depository_cannot_rotate_its_issuer_key(inst):
    ok = inst
    before = (ok.data / "issuer.key").read_bytes()
    proc = ok.run("keys", "rotate-issuer-key")
    assert proc.returncode == 2
    assert "did:key" in proc.stderr and "host" in proc.stderr
    proc = ok.run("keys", "retire-issuer-key", "1")
    assert proc.returncode == 2 and "current signing key" in proc.stderr
    proc = ok.run("keys", "retire-issuer-key", "7")
    assert proc.returncode == 2 and "no key 7" in proc.stderr
    proc = ok.run("keys", "retire-issuer-key", "key-x")
    assert proc.returncode == 2 and "key-N" in proc.stderr
    assert ok.run("keys", "retire-issuer-key").returncode == 2
    assert (ok.data / "issuer.key").read_bytes() == before


def test_retired_key_is_listed_beside_issuer_key_and_files_are_written_safely(web, tmp_path):
    """A retired key's public key goes to issuer.key.retired (0600), the one record trusted for
    its old signatures; a key file is rewritten with mode 0600 whatever temporary file was left
    over, and never through a symlink at the temporary name."""
    ok = web["ok"]
    tmp = ok.data / "issuer.key.tmp"
    # A leftover temporary file with a wider mode does not lend it to issuer.key.
    tmp.write_text("left over\n")
    tmp.chmod(0o644)
    assert ok.run("keys", "rotate-issuer-key").returncode == 0
    assert stat.S_IMODE((ok.data / "issuer.key").stat().st_mode) == 0o600
    assert not tmp.exists()
    assert key_file_ids(ok, "issuer.key") == [1, 2]
    # A symlink at the temporary name is not followed.
    target = tmp_path / "elsewhere"
    target.write_text("untouched\n")
    target.chmod(0o644)
    tmp.symlink_to(target)
    proc = ok.run("keys", "retire-issuer-key", "1", "--force")
    assert proc.returncode == 0, proc.stderr
    assert target.read_text() == "untouched\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert not (ok.data / "issuer.key").is_symlink()
    assert stat.S_IMODE((ok.data / "issuer.key").stat().st_mode) == 0o600
    assert key_file_ids(ok, "issuer.key") == [2]
    retired = ok.data / "issuer.key.retired"
    assert stat.S_IMODE(retired.stat().st_mode) == 0o600
    (line,) = retired.read_text().splitlines()
    kid, pk, retired_ms = line.split()
    assert kid == "1" and int(retired_ms) > 0
    assert pk == db_scalar(ok.data, "SELECT hex(public_key) FROM issuer_key WHERE key_id = 1") \
        .lower()
