"""Retention end to end (issue 21): the schedule of config.json applied by `oorkonde retention
run`. Records past their period are destroyed and no byte of them (titles, record ids, the
learner's row) remains in the database files (the WAL included); diplomas stay; legal holds keep
what they cover; credentials issued for destroyed results read as revoked; the audit chain
verifies afterwards; a run killed halfway completes at the next run with the same totals; a bad
schedule names the file, line and key."""
import json
import pathlib
import shutil
import subprocess

import pytest

from helpers.base import INSTITUTION, db_bytes, db_scalar, make_row, write_csv
from helpers.store import ON_PG

KILL_ENV = "OORKONDE_TEST_KILL_AFTER_BATCHES"
NOW_ENV = "OORKONDE_TEST_NOW_MS"
DAY_MS = 86400 * 1000

ANNA = "123456782"  # keeps a diploma and a recent result; one old result of hers goes
BERT = "111222333"  # only old results: destroyed with all his records


def bsn(n):
    """The n-th eight-digit-prefixed number that passes the eleven-test (a valid BSN)."""
    base = 10000000 + n * 7
    while True:
        digits = [int(c) for c in f"{base:08d}"]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1)))
        last = total % 11
        if last < 10:
            return f"{base:08d}{last}"
        base += 1


def rows():
    return [
        make_row(record_id="ANNA-OLD", national_id=ANNA, title="Thermodynamica Vergeten",
                 awarded_on="2010-01-15"),
        make_row(record_id="ANNA-DIP", national_id=ANNA, kind="diploma", eqf_level="6",
                 title="Bachelor Werktuigbouwkunde", awarded_on="2012-06-30"),
        make_row(record_id="ANNA-NEW", national_id=ANNA, title="Recente Cursus",
                 awarded_on="2024-02-01"),
        make_row(record_id="BERT-OLD-1", national_id=BERT, given_names="Bertus",
                 family_name="Kwakernaak", title="Quantumchemie Verouderd", kind="exam",
                 awarded_on="2011-03-01"),
        make_row(record_id="BERT-OLD-2", national_id=BERT, given_names="Bertus",
                 family_name="Kwakernaak", title="Stromingsleer Oud", kind="module",
                 awarded_on="2012-03-01"),
    ]


def registered(inst, tmp_path):
    proc = inst.import_csv(write_csv(tmp_path / "r.csv", rows()), "--strict")
    assert proc.returncode == 0, proc.stderr
    return inst


def records(ok, nid):
    proc = ok.achievements(nid, "--json")
    if proc.returncode == 1:
        return None
    assert proc.returncode == 0, proc.stderr
    return {a["record_id"]: a for a in json.loads(proc.stdout)}


def plan(ok, env=None):
    proc = ok.run("retention", "plan", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return {r["class"]: r for r in json.loads(proc.stdout)}


def run(ok, *options, env=None):
    proc = ok.run("retention", "run", *options, env=env)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def set_config(ok, **values):
    path = pathlib.Path(ok.data) / "config.json"
    config = json.loads(path.read_text())
    config.update(values)
    path.write_text(json.dumps(config, indent=2))


def test_past_results_destroyed_and_no_byte_left(inst, tmp_path):
    ok = registered(inst, tmp_path)
    bert_old = records(ok, BERT)["BERT-OLD-1"]["id"]
    cred = tmp_path / "bert.json"
    ok.run("issue", bert_old, "-o", cred, check=True)
    assert ok.run("verify", cred).returncode == 0
    assert db_scalar(ok.data, "SELECT count(*) FROM issued_credential WHERE achievement_id = ?",
                     bert_old) == 1
    gone = [b"Thermodynamica Vergeten", b"Quantumchemie Verouderd", b"Stromingsleer Oud",
            b"ANNA-OLD", b"BERT-OLD-1", b"BERT-OLD-2"]
    before = b"".join(db_bytes(ok.data).values())
    assert all(g in before for g in gone)  # the control: they are there to be found
    # Bertus's name, national id and birth date are sealed, never in clear; their sealed bytes
    # and his blind-index entry are there to be found (raw in SQLite's files, in hex in a
    # pg_dump), and must go with him.
    bert_learner = records(ok, BERT)["BERT-OLD-1"]["learner_id"]
    sealed = [bytes(db_scalar(ok.data, f"SELECT {c} FROM learner WHERE id = ?", bert_learner))
              for c in ("national_id", "given_names", "family_name", "birth_date", "nid_index")]
    before = b"".join(db_bytes(ok.data).values())
    for clear in (b"Kwakernaak", b"Bertus", BERT.encode()):
        assert clear not in before, clear
    assert all(b in before or b.hex().encode() in before for b in sealed)

    p = plan(ok)
    assert p["result"]["due"] == 3 and p["result"]["held"] == 0
    assert p["diploma"]["rule"] == "permanent" and p["diploma"]["due"] == 0
    assert p["result"]["next_due"] == "2034-02-01"  # ANNA-NEW, ten years after its award
    dry = ok.run("retention", "run", "--dry-run", check=True).stdout
    assert "nothing was destroyed" in dry and plan(ok)["result"]["due"] == 3

    out = run(ok)
    assert "result         3 destroyed" in out
    assert "learners       1 destroyed" in out

    files = db_bytes(ok.data)
    for name, data in files.items():
        for g in gone:
            assert g not in data, f"{g!r} is still in {name}"
        for b in sealed:
            assert b not in data and b.hex().encode() not in data, f"sealed bytes in {name}"
    assert records(ok, BERT) is None  # Bertus is gone: no row, no blind index entry
    # The index of issued credentials went with the result (the credential reads revoked by its
    # status entries, below).
    assert db_scalar(ok.data, "SELECT count(*) FROM issued_credential WHERE achievement_id = ?",
                     bert_old) == 0
    anna = records(ok, ANNA)
    assert set(anna) == {"ANNA-DIP", "ANNA-NEW"}
    assert plan(ok)["result"]["due"] == 0

    # A credential issued for a destroyed result reads as revoked, and says why and when.
    proc = ok.run("verify", cred)
    assert proc.returncode == 1, proc.stdout
    assert "revoked" in proc.stdout
    today = __import__("time").strftime("%Y-%m-%d", __import__("time").gmtime())
    assert "Revoked: the record was destroyed under the retention schedule on" in proc.stdout
    summary = json.loads(ok.run("verify", cred, "--json").stdout)
    assert summary["headline"]["state"] == "revoked"
    assert summary["headline"]["reason"] == "destroyed"
    assert summary["headline"]["since"] == today
    # The audit chain still verifies, and names the run with counts only.
    assert ok.run("audit", "verify").returncode == 0
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    finish = [e for e in events if e["action"] == "retention.run.finish"]
    assert len(finish) == 1 and "records=3 learners=1" in finish[0]["detail"]
    assert "retention.destroy" in [e["action"] for e in events]
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1 and runs[0]["counts"]["result"] == 3
    assert runs[0]["counts"]["learner"] == 1
    assert runs[0]["audit_to"] == finish[0]["seq"]

    # The destruction certificate: signed by the depository, right counts, no personal data,
    # and verified by `oorkonde verify`; altered, it fails.
    listed = ok.run("retention", "certificates", check=True).stdout
    assert runs[0]["id"] in listed
    cert_file = tmp_path / "certificate.json"
    ok.run("retention", "certificates", runs[0]["id"], "-o", cert_file, check=True)
    cert = json.loads(cert_file.read_text())
    assert "DestructionCertificate" in cert["type"]
    subject = cert["credentialSubject"]
    counts = {c["recordClass"]: c["count"] for c in subject["destroyed"]}
    assert counts["result"] == 3 and counts["learner"] == 1 and counts["share"] == 0
    result_rule = next(c for c in subject["destroyed"] if c["recordClass"] == "result")
    assert result_rule["rule"] == "P10Y after award, destroy"
    assert subject["auditEvents"]["to"] == finish[0]["seq"]
    head = db_scalar(ok.data, "SELECT hash FROM audit_event WHERE seq = ?", finish[0]["seq"])
    assert subject["auditEvents"]["chainHead"] == bytes(head).hex()
    text = cert_file.read_text()
    for personal in ("Kwakernaak", "Bertus", BERT, "Quantumchemie", "BERT-OLD"):
        assert personal not in text
    proc = ok.run("verify", cert_file)
    assert proc.returncode == 0, proc.stdout
    counts_altered = text.replace('"count": 3', '"count": 2')
    assert counts_altered != text
    cert_file.write_text(counts_altered)
    assert ok.run("verify", cert_file).returncode == 1
    assert ok.run("retention", "certificates", "nosuchrun").returncode == 1


def test_held_records_survive_until_released(inst, tmp_path):
    ok = registered(inst, tmp_path)
    bert = records(ok, BERT)["BERT-OLD-1"]["learner_id"]
    anna_old = records(ok, ANNA)["ANNA-OLD"]["id"]
    hold = ok.run("hold", "add", "--learner-id", bert, "--reason", "case 2026-17", check=True)
    hold_id = hold.stdout.strip()
    ok.run("hold", "add", "--achievement", anna_old, "--reason", "appeal", check=True)
    # A hold on nothing known is refused, and so is one without a reason.
    proc = ok.run("hold", "add", "--learner-id", "nobody", "--reason", "x")
    assert proc.returncode == 1 and "no learner with that id" in proc.stderr
    assert ok.run("hold", "add", "--institution", INSTITUTION).returncode == 2

    p = plan(ok)
    assert p["result"]["due"] == 0 and p["result"]["held"] == 3
    out = run(ok)
    assert "0 records destroyed" in out
    assert set(records(ok, BERT)) == {"BERT-OLD-1", "BERT-OLD-2"}
    assert "ANNA-OLD" in records(ok, ANNA)

    holds = json.loads(ok.run("hold", "list", "--json", check=True).stdout)
    assert [h["scope"] for h in holds] == ["learner", "achievement"]
    assert all(h["released"] is None for h in holds)
    ok.run("hold", "release", hold_id, check=True)
    again = ok.run("hold", "release", hold_id)
    assert again.returncode == 1 and "released already" in again.stderr
    out = run(ok)
    assert "result         2 destroyed" in out
    assert records(ok, BERT) is None
    assert "ANNA-OLD" in records(ok, ANNA)  # still held

    # An institution's hold covers every record of it.
    ok.run("hold", "add", "--institution", INSTITUTION, "--reason", "inspection", check=True)
    for h in json.loads(ok.run("hold", "list", "--json", check=True).stdout):
        if h["scope"] == "achievement":
            ok.run("hold", "release", h["id"], check=True)
    assert plan(ok)["result"]["held"] == 1
    actions = [e["action"] for e in
               json.loads(ok.run("audit", "show", "--json", check=True).stdout)]
    assert actions.count("hold.add") == 3 and actions.count("hold.release") == 2
    assert ok.run("audit", "verify").returncode == 0


def test_killed_run_completes_with_the_same_totals(inst, tmp_path):
    learners = 24
    many = [make_row(record_id=f"K-{i}", national_id=bsn(i), given_names=f"Kees{i}",
                     family_name="Afgebroken", title=f"Oude Titel {i:03d}",
                     awarded_on="2009-05-05") for i in range(learners)]
    proc = inst.import_csv(write_csv(tmp_path / "k.csv", many), "--strict")
    assert proc.returncode == 0, proc.stderr
    assert plan(inst)["result"]["due"] == learners

    killed = inst.run("retention", "run", "--batch", "5", env={KILL_ENV: "2"})
    assert killed.returncode == -9
    runs = json.loads(inst.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1 and runs[0]["finished"] is None
    assert runs[0]["counts"]["result"] == 10  # two batches committed, no more, no less
    assert plan(inst)["result"]["due"] == learners - 10

    out = run(inst, "--batch", "5")
    assert "(resumed)" in out
    assert f"result         {learners} destroyed" in out
    assert f"learners       {learners} destroyed" in out
    runs = json.loads(inst.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1 and runs[0]["finished"] is not None
    assert runs[0]["counts"]["result"] == learners and runs[0]["counts"]["learner"] == learners
    data = b"".join(db_bytes(inst.data).values())
    assert b"Oude Titel" not in data and b"K-1" not in data
    assert inst.run("audit", "verify").returncode == 0


def test_shares_sessions_and_links_after_their_period(inst, tmp_path):
    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    learner = anna["ANNA-NEW"]["learner_id"]
    ok.run("share", "create", "--learner-id", learner, "--achievements", anna["ANNA-NEW"]["id"],
           "--to", "Werkgever Verlopen BV", "--days", "1", check=True)
    ok.run("learner", "login-link", learner, check=True)
    later = {NOW_ENV: str(int(__import__("time").time() * 1000) + 400 * DAY_MS)}
    p = plan(ok, env=later)
    assert p["share"]["due"] == 1 and p["login_link"]["due"] == 1
    assert plan(ok)["share"]["due"] == 0  # not yet, today
    out = run(ok, env=later)
    assert "share          1 destroyed" in out and "login_link     1 destroyed" in out
    shares = ok.run("share", "list", "--learner-id", learner, "--json", check=True)
    assert json.loads(shares.stdout) == []
    assert b"Werkgever Verlopen BV" not in b"".join(db_bytes(ok.data).values())
    assert set(records(ok, ANNA)) == {"ANNA-DIP", "ANNA-NEW"}


def test_bad_schedule_names_file_line_and_key(inst):
    path = pathlib.Path(inst.data) / "config.json"
    config = json.loads(path.read_text())
    config["retention"] = {"share": {"period": "P2Y"}, "result": {"period": "tien jaar"}}
    path.write_text(json.dumps(config, indent=2))
    proc = inst.run("retention", "plan")
    assert proc.returncode == 2
    line = next(i for i, l in enumerate(path.read_text().splitlines(), 1) if "tien jaar" in l)
    assert f"config.json:{line}: retention.result.period" in proc.stderr
    config["retention"] = {"diploma": {"period": "P50Y"}}
    path.write_text(json.dumps(config, indent=2))
    proc = inst.run("retention", "run")
    assert proc.returncode == 2 and "kept permanently" in proc.stderr
    # A transfer without the package's folder is refused before anything is destroyed, and so
    # is one of a class that cannot be transferred yet.
    config["retention"] = {"result": {"action": "transfer"}}
    path.write_text(json.dumps(config, indent=2))
    proc = inst.import_csv(write_csv(pathlib.Path(inst.data).parent / "t.csv", rows()))
    assert proc.returncode == 0, proc.stderr
    proc = inst.run("retention", "run")
    assert proc.returncode == 2 and "--transfer-to DIR" in proc.stderr
    assert len(records(inst, BERT)) == 2


def test_transfer_package_manifest_checks_out(inst, tmp_path):
    import hashlib

    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"action": "transfer"}})
    out = tmp_path / "to-archive"
    text = run(ok, "--transfer-to", out)
    assert "result         3 destroyed" in text
    packages = list(out.iterdir())
    assert len(packages) == 1
    pkg = packages[0]
    manifest_path = pkg / "manifest.json"
    proc = ok.run("verify", manifest_path)
    assert proc.returncode == 0, proc.stdout  # signed by the depository
    manifest = json.loads(manifest_path.read_text())
    assert "TransferManifest" in manifest["type"]
    files = manifest["credentialSubject"]["files"]
    assert manifest["credentialSubject"]["fileCount"] == len(files) == 6
    listed = {f["path"] for f in files}
    on_disk = {p.relative_to(pkg).as_posix() for p in pkg.rglob("*.json")} - {"manifest.json"}
    assert listed == on_disk
    for f in files:
        data = (pkg / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    titles = {json.loads((pkg / p).read_text())["title"] for p in listed if p.startswith("records/")}
    assert titles == {"Thermodynamica Vergeten", "Quantumchemie Verouderd", "Stromingsleer Oud"}
    # Each credential of the package was signed by the depository (and now reads revoked:
    # the depository no longer holds the record).
    cred = next(pkg / p for p in sorted(listed) if p.startswith("credentials/"))
    proc = ok.run("verify", cred)
    assert "The signature is valid" in proc.stdout and "revoked" in proc.stdout
    # The records are gone from the store, and the certificate says they were transferred.
    assert records(ok, BERT) is None and set(records(ok, ANNA)) == {"ANNA-DIP", "ANNA-NEW"}
    assert b"Quantumchemie" not in b"".join(db_bytes(ok.data).values())
    run_id = pkg.name
    cert = json.loads(ok.run("retention", "certificates", run_id, check=True).stdout)
    result = next(c for c in cert["credentialSubject"]["destroyed"]
                  if c["recordClass"] == "result")
    assert result["rule"] == "P10Y after award, transfer" and result["count"] == 3
    # Altered, the manifest no longer verifies.
    manifest_path.write_text(manifest_path.read_text().replace(files[0]["sha256"], "0" * 64))
    assert ok.run("verify", manifest_path).returncode == 1


def test_killed_transfer_completes_the_same_package(inst, tmp_path):
    """A transfer run killed after its first batch (one result written to the package and
    removed): run again with the same --transfer-to, it completes the same package, whose
    manifest lists every record and credential once, with the same totals."""
    import hashlib

    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"action": "transfer"}})
    out = tmp_path / "to-archive"
    killed = ok.run("retention", "run", "--batch", "1", "--transfer-to", out,
                    env={KILL_ENV: "1"})
    assert killed.returncode == -9
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1 and runs[0]["finished"] is None and runs[0]["counts"]["result"] == 1
    (pkg,) = list(out.iterdir())
    assert not (pkg / "manifest.json").exists()
    # Resumed without the package's folder: refused, naming it; nothing more is destroyed.
    proc = ok.run("retention", "run", "--batch", "1")
    assert proc.returncode == 2 and f"--transfer-to {out.resolve()}" in proc.stderr
    assert plan(ok)["result"]["due"] == 2
    text = run(ok, "--batch", "1", "--transfer-to", out)
    assert "(resumed)" in text and "result         3 destroyed" in text
    assert [p.name for p in out.iterdir()] == [pkg.name]
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert ok.run("verify", pkg / "manifest.json").returncode == 0
    files = manifest["credentialSubject"]["files"]
    on_disk = {p.relative_to(pkg).as_posix() for p in pkg.rglob("*") if p.is_file()}
    assert {f["path"] for f in files} == on_disk - {"manifest.json"} and len(files) == 6
    for f in files:
        data = (pkg / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    titles = {json.loads((pkg / f["path"]).read_text())["title"] for f in files
              if f["path"].startswith("records/")}
    assert titles == {"Thermodynamica Vergeten", "Quantumchemie Verouderd", "Stromingsleer Oud"}
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1 and runs[0]["finished"] and runs[0]["counts"]["result"] == 3
    assert records(ok, BERT) is None and set(records(ok, ANNA)) == {"ANNA-DIP", "ANNA-NEW"}


def test_transfer_of_shares_package_checks_out_and_shares_are_gone(inst, tmp_path):
    import hashlib
    import time

    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    learner = anna["ANNA-NEW"]["learner_id"]
    made = ok.run("share", "create", "--learner-id", learner, "--achievements",
                  anna["ANNA-NEW"]["id"], "--to", "Archiefwaardige Werkgever BV", "--days", "1",
                  "--json", check=True)
    share_id = json.loads(made.stdout)["id"]
    set_config(ok, retention={"share": {"period": "P1Y", "trigger": "expiry",
                                        "action": "transfer"}})
    later = {NOW_ENV: str(int(time.time() * 1000) + 400 * DAY_MS)}
    # Without the package's folder: refused, nothing destroyed.
    proc = ok.run("retention", "run", env=later)
    assert proc.returncode == 2 and "--transfer-to DIR" in proc.stderr
    assert len(records(ok, BERT)) == 2
    out = tmp_path / "to-archive"
    text = run(ok, "--transfer-to", out, env=later)
    assert "share          1 destroyed" in text
    (pkg,) = list(out.iterdir())
    manifest_path = pkg / "manifest.json"
    proc = ok.run("verify", manifest_path)
    assert proc.returncode == 0, proc.stdout
    files = json.loads(manifest_path.read_text())["credentialSubject"]["files"]
    assert {f["path"] for f in files} == {f"records/{share_id}.json"}
    for f in files:
        data = (pkg / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    record = json.loads((pkg / "records" / f"{share_id}.json").read_text())
    assert record["recipient"] == "Archiefwaardige Werkgever BV"
    assert record["achievements"] == [anna["ANNA-NEW"]["id"]]
    # Gone from the store, not a byte left, and the certificate counts it under its rule.
    shares = ok.run("share", "list", "--learner-id", learner, "--json", check=True)
    assert json.loads(shares.stdout) == []
    assert b"Archiefwaardige" not in b"".join(db_bytes(ok.data).values())
    cert = json.loads(ok.run("retention", "certificates", pkg.name, check=True).stdout)
    share = next(c for c in cert["credentialSubject"]["destroyed"] if c["recordClass"] == "share")
    assert share["rule"] == "P1Y after expiry, transfer" and share["count"] == 1


def test_end_of_relationship_keeps_results_while_the_learner_has_recent_ones(inst, tmp_path):
    # Anna's last award is of 2024: none of her results is due ten years after the end of the
    # relationship, not even the one of 2010 (due under "award"); Bert's last is of 2012.
    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"period": "P10Y", "trigger": "end_of_relationship"}})
    p = plan(ok)
    assert p["result"]["due"] == 2 and p["result"]["next_due"] == "2034-02-01"
    text = run(ok)
    assert "result         2 destroyed" in text
    assert records(ok, BERT) is None
    assert set(records(ok, ANNA)) == {"ANNA-OLD", "ANNA-DIP", "ANNA-NEW"}


def test_erasure_request(inst, tmp_path):
    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    learner = anna["ANNA-NEW"]["learner_id"]
    for to in ("Werkgever Een", "Werkgever Twee"):
        ok.run("share", "create", "--learner-id", learner, "--achievements",
               anna["ANNA-NEW"]["id"], "--to", to, check=True)
    ok.run("learner", "login-link", learner, check=True)

    # What the law requires to be kept is refused, with the reason, and nothing changes.
    proc = ok.run("learner", "erase", learner, "--scope", "shares,results")
    assert proc.returncode == 1
    assert "results cannot be erased on request" in proc.stderr
    assert "legal obligation" in proc.stderr
    assert len(json.loads(ok.run("share", "list", "--learner-id", learner, "--json",
                                 check=True).stdout)) == 2
    assert ok.run("learner", "erase", learner, "--scope", "everything").returncode == 2
    assert ok.run("learner", "erase", "nobody", "--scope", "shares").returncode == 1
    hold = ok.run("hold", "add", "--learner-id", learner, "--reason", "case 9",
                  check=True).stdout.strip()
    proc = ok.run("learner", "erase", learner, "--scope", "shares")
    assert proc.returncode == 1 and "legal hold" in proc.stderr
    ok.run("hold", "release", hold, check=True)

    proc = ok.run("learner", "erase", learner, "--scope", "shares,sessions,foreign", check=True)
    assert ("Erased: 2 shares, 0 sessions, 1 login links, 0 wallet offers, "
            "0 foreign achievements.") in proc.stdout
    assert json.loads(ok.run("share", "list", "--learner-id", learner, "--json",
                             check=True).stdout) == []
    assert b"Werkgever Een" not in b"".join(db_bytes(ok.data).values())
    assert set(records(ok, ANNA)) == {"ANNA-OLD", "ANNA-DIP", "ANNA-NEW"}  # kept by law
    run_id = proc.stdout.split()[-1]
    cert_file = tmp_path / "erasure.json"
    ok.run("retention", "certificates", run_id, "-o", cert_file, check=True)
    subject = json.loads(cert_file.read_text())["credentialSubject"]
    counts = {c["recordClass"]: c["count"] for c in subject["destroyed"]}
    tombs = counts.pop("audit_detail_with_records")
    assert counts == {"foreign": 0, "share": 2, "session": 0, "login_link": 1,
                      "wallet_offer": 0}
    # The events of what was erased lost their details; the chain still verifies.
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    erased = [e["action"] for e in events if e["detail"].startswith("tombstone v2 ")]
    assert sorted(erased) == sorted(["share.create", "share.create", "login.link"] +
                                    erased[3:]) and len(erased) == tombs, erased
    erase_seq = next(e["seq"] for e in events if e["action"] == "learner.erase")
    assert not any(e["action"] in ("share.create", "share.open", "login.link") and
                   e["subject"] == learner and e["seq"] < erase_seq for e in events)
    assert all("GDPR art. 17" in c["rule"] for c in subject["destroyed"])
    assert ok.run("verify", cert_file).returncode == 0
    assert ok.run("audit", "verify").returncode == 0


def test_server_runs_the_schedule_daily(inst, tmp_path, monkeypatch):
    import time
    from helpers.server import Server

    ok = registered(inst, tmp_path)
    set_config(ok, retention_daily_at="25:99")
    assert ok.run("retention", "plan").returncode == 2  # checked before a server would start
    set_config(ok, retention_daily_at="04:00")
    # Test builds only: the first run as the server starts, instead of at 04:00 UTC.
    monkeypatch.setenv("OORKONDE_TEST_RETENTION_AT_START", "1")
    server = Server(ok).start()
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
            if runs and runs[0]["finished"]:
                break
            time.sleep(0.2)
        assert runs and runs[0]["finished"], runs
        assert runs[0]["actor"] == "depository"
        assert runs[0]["counts"]["result"] == 3
    finally:
        server.stop()
    assert records(ok, BERT) is None


def test_audit_details_become_tombstones_and_the_chain_verifies(inst, tmp_path):
    """A destroyed learner's audit events, and every event past the audit_detail period, keep
    their place and hash but lose their details: no id of the learner or of their results is
    left in the database files, and `audit verify` still passes."""
    ok = registered(inst, tmp_path)
    bert = records(ok, BERT)  # an audited read: an event about Bertus
    bert_learner = bert["BERT-OLD-1"]["learner_id"]
    bert_results = [a["id"] for a in bert.values()]
    ok.run("issue", bert_results[0], "-o", tmp_path / "b.json", check=True)
    anna = records(ok, ANNA)
    anna_learner = anna["ANNA-NEW"]["learner_id"]
    before = b"".join(db_bytes(ok.data).values())
    gone = [bert_learner.encode()] + [i.encode() for i in bert_results]
    assert all(g in before for g in gone)  # the control

    out = run(ok)
    assert "learners       1 destroyed" in out
    for name, data in db_bytes(ok.data).items():
        for g in gone:
            assert g not in data, f"{g!r} is still in {name}"
    verified = ok.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout
    assert "kept as tombstones" in verified.stdout
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    tombs = [e for e in events if e["detail"].startswith("tombstone v2 ")]
    assert tombs and all(e["actor"] == "" and e["subject"] == "" for e in tombs)
    assert {"learner.read", "credential.issue"} & {e["action"] for e in tombs}
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert runs[0]["counts"]["tombstones"] == len(tombs)
    cert = json.loads(ok.run("retention", "certificates", runs[0]["id"], check=True).stdout)
    counts = {c["recordClass"]: c["count"] for c in cert["credentialSubject"]["destroyed"]}
    assert counts["audit_detail_with_records"] == len(tombs) and counts["audit_detail"] == 0

    # Eight years on, the class audit_detail (seven years after the event) takes the details
    # of every event before the run but those about a learner under a legal hold, and the
    # chain still verifies.
    later = {NOW_ENV: str(int(__import__("time").time() * 1000) + 8 * 366 * DAY_MS)}
    due = plan(ok, env=later)["audit_detail"]
    assert due["kept_here"] and due["due"] > 0
    ok.run("hold", "add", "--learner-id", anna_learner, "--reason", "case 12", check=True)
    due = plan(ok, env=later)["audit_detail"]
    held = due["held"]
    assert held > 0
    out = run(ok, "--batch", "7", env=later)
    assert "audit_detail" in out
    second = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)[-1]
    left = plan(ok, env=later)["audit_detail"]
    # Only the run's own events are left due, and the held learner's events stay.
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    assert left["due"] == len([e for e in events if e["seq"] >= second["audit_from"]])
    assert left["held"] == held
    older = [e for e in events if e["seq"] < second["audit_from"]]
    assert any(e["subject"] == anna_learner for e in older)
    assert all(e["detail"].startswith("tombstone v2 ") or e["subject"] == anna_learner
               for e in older)
    assert second["counts"]["audit_detail"] == due["due"]
    verified = ok.run("audit", "verify")
    assert verified.returncode == 0, verified.stdout


def test_share_of_a_destroyed_result_says_so(inst, tmp_path):
    from helpers.server import Server

    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    learner = anna["ANNA-NEW"]["learner_id"]
    share = json.loads(ok.run("share", "create", "--learner-id", learner, "--achievements",
                              f'{anna["ANNA-OLD"]["id"]},{anna["ANNA-NEW"]["id"]}', "--to",
                              "Werkgever", "--json", check=True).stdout)
    token = share["url"].rsplit("/", 1)[1]
    old_id = anna["ANNA-OLD"]["id"].encode()
    assert old_id in b"".join(db_bytes(ok.data).values())  # the control
    run(ok)
    # Anna stays (her diploma), and so does her share: it keeps no id of the destroyed result
    # (a fresh id of no record stands in for it), in no database file.
    for name, data in db_bytes(ok.data).items():
        assert old_id not in data, f"the destroyed result's id is still in {name}"
    server = Server(ok).start()
    try:
        doc = server.get(f"/s/{token}.json").json()
        states = [a.get("state") for a in doc["achievements"]]
        assert states.count("destroyed") == 1 and len(states) == 2, doc["achievements"]
        assert {a["id"] for a in doc["achievements"]} >= {anna["ANNA-NEW"]["id"]}
        page = server.get(f"/s/{token}", headers={"Accept-Language": "en"}).body.decode()
        assert "destroyed under the retention schedule" in page
        assert '<p class="verdict">This result was destroyed' in page
    finally:
        server.stop()


BERT_BORN = "1950-03-04"  # past seventy; Anna (2000-01-02) is not


def aged_rows():
    return [dict(r, birth_date=BERT_BORN) if r["national_id"] == BERT else r for r in rows()]


def test_learner_age_destroys_the_results_of_learners_past_the_age(inst, tmp_path):
    proc = inst.import_csv(write_csv(tmp_path / "r.csv", aged_rows()), "--strict")
    assert proc.returncode == 0, proc.stderr
    ok = inst
    set_config(ok, retention={"result": {"period": "P70Y", "trigger": "learner_age"}})
    p = plan(ok)
    # Bertus's two results; none of Anna's, whatever their award dates (2010 included).
    assert p["result"]["due"] == 2 and p["result"]["held"] == 0
    assert p["result"]["next_due"] == "2070-01-02"  # Anna turns seventy
    bert = records(ok, BERT)["BERT-OLD-1"]["learner_id"]
    hold = ok.run("hold", "add", "--learner-id", bert, "--reason", "case 70", check=True)
    p = plan(ok)
    assert p["result"]["due"] == 0 and p["result"]["held"] == 2
    ok.run("hold", "release", hold.stdout.strip(), check=True)

    out = run(ok, "--batch", "1")  # one result a batch: a learner's records span batches
    assert "result         2 destroyed" in out and "learners       1 destroyed" in out
    assert records(ok, BERT) is None
    assert set(records(ok, ANNA)) == {"ANNA-OLD", "ANNA-DIP", "ANNA-NEW"}
    data = b"".join(db_bytes(ok.data).values())
    for gone in (b"Quantumchemie Verouderd", b"Stromingsleer Oud", b"BERT-OLD", bert.encode()):
        assert gone not in data, gone

    # Each opening of the birth dates is one audited read, purpose retention, with counts and
    # no learner named: two by the plans, one by the run (about the run).
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    reads = [e for e in events if e["action"] == "retention.learner_age"]
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert [e["subject"] for e in reads] == ["plan", "plan", runs[0]["id"]]
    assert all(e["purpose"] == "retention" for e in reads)
    assert reads[-1]["detail"] == ("birth_date of 2 learners read for the learner_age rule of "
                                   "result; 1 at or past the age")
    cert = json.loads(ok.run("retention", "certificates", runs[0]["id"], check=True).stdout)
    result = next(c for c in cert["credentialSubject"]["destroyed"]
                  if c["recordClass"] == "result")
    assert result["rule"] == "P70Y after learner_age, destroy" and result["count"] == 2
    assert ok.run("audit", "verify").returncode == 0


def test_learner_age_only_for_records_of_a_learner(inst):
    set_config(inst, retention={"share": {"period": "P18Y", "trigger": "learner_age"}})
    proc = inst.run("retention", "plan")
    assert proc.returncode == 2 and "retention.share.trigger" in proc.stderr
    assert "share records have no learner_age date" in proc.stderr


def test_transfer_refused_for_classes_an_archive_cannot_keep(inst):
    for cls in ("session", "login_link", "wallet_offer", "audit_detail", "import_errors"):
        set_config(inst, retention={cls: {"action": "transfer"}})
        proc = inst.run("retention", "run", "--transfer-to", "archive")
        assert proc.returncode == 2, (cls, proc.stderr)
        assert f"retention.{cls}.action" in proc.stderr
        assert f"{cls} records cannot be transferred" in proc.stderr
    assert not (pathlib.Path(inst.data).parent / "archive").exists()


def test_wallet_offers_after_their_period_and_with_their_learner(inst, tmp_path):
    """Wallet offers (with their access tokens) are destroyed 30 days after they expire, and
    with the learner: after Bertus is destroyed no byte of his ids, results, shares, offers or
    links is left in the database files."""
    import time

    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    anna_learner = anna["ANNA-NEW"]["learner_id"]
    ok.run("wallet", "offer", "--learner-id", anna_learner, "--achievements",
           anna["ANNA-NEW"]["id"], check=True)
    bert = records(ok, BERT)
    bert_learner = bert["BERT-OLD-1"]["learner_id"]
    offer = ok.run("wallet", "offer", "--learner-id", bert_learner, "--achievements",
                   bert["BERT-OLD-1"]["id"], check=True).stderr  # "Offer ID: one use, …"
    offer_id = offer.split("Offer ")[1].split(":")[0]
    ok.run("share", "create", "--learner-id", bert_learner, "--achievements",
           bert["BERT-OLD-2"]["id"], "--to", "Werkgever Bertus BV", check=True)
    ok.run("learner", "login-link", bert_learner, check=True)
    ok.run("learner", "correct", bert_learner, "--family-name", "Kwakernaak-Oud", check=True)
    assert db_scalar(ok.data, "SELECT count(*) FROM vci_offer") == 2
    before = b"".join(db_bytes(ok.data).values())
    gone = [bert_learner.encode(), offer_id.encode(), b"Werkgever Bertus BV"] + \
        [a["id"].encode() for a in bert.values()]
    assert all(g in before for g in gone)  # the control

    out = run(ok)
    assert "learners       1 destroyed" in out
    for name, data in db_bytes(ok.data).items():
        for g in gone:
            assert g not in data, f"{g!r} is still in {name}"
    assert db_scalar(ok.data, "SELECT count(*) FROM vci_offer") == 1  # Anna's, not due yet

    p = plan(ok)
    assert p["wallet_offer"]["kept_here"] and p["wallet_offer"]["due"] == 0
    later = {NOW_ENV: str(int(time.time() * 1000) + 40 * DAY_MS)}
    assert plan(ok, env=later)["wallet_offer"]["due"] == 1
    out = run(ok, env=later)
    assert "wallet_offer   1 destroyed" in out
    assert db_scalar(ok.data, "SELECT count(*) FROM vci_offer") == 0
    assert ok.run("audit", "verify").returncode == 0


def test_erasure_of_sessions_takes_wallet_offers(inst, tmp_path):
    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    learner = anna["ANNA-NEW"]["learner_id"]
    offer = ok.run("wallet", "offer", "--learner-id", learner, "--achievements",
                   anna["ANNA-NEW"]["id"], check=True).stderr
    offer_id = offer.split("Offer ")[1].split(":")[0]
    proc = ok.run("learner", "erase", learner, "--scope", "sessions", check=True)
    assert "1 wallet offers" in proc.stdout
    assert offer_id.encode() not in b"".join(db_bytes(ok.data).values())
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    assert not any(e["action"] == "wallet.offer" and e["subject"] == learner for e in events)
    assert ok.run("audit", "verify").returncode == 0


def test_erasure_of_foreign_data_takes_its_refusals_too(inst, tmp_path):
    """A refused foreign credential's event names its issuer (text from the credential): after
    `learner erase --scope foreign` nothing of it is left in the learner's audit trail."""
    ok = registered(inst, tmp_path)
    learner = records(ok, ANNA)["ANNA-NEW"]["learner_id"]
    vc = tmp_path / "vc.json"
    vc.write_text(json.dumps({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "type": ["VerifiableCredential"], "issuer": "did:web:addiction-clinic.example",
        "credentialSubject": {"name": "x"}}))
    assert ok.run("import-credential", vc, "--learner-id", learner).returncode != 0
    shown = ok.run("audit", "show", "--learner-id", learner, check=True).stdout
    assert "addiction-clinic" in shown
    ok.run("learner", "erase", learner, "--scope", "foreign", check=True)
    shown = ok.run("audit", "show", "--learner-id", learner, check=True).stdout
    assert "addiction-clinic" not in shown
    assert ok.run("audit", "verify").returncode == 0


def test_foreign_achievements_transferred_as_they_came(world, tmp_path):
    """Foreign achievements due for transfer go into the package with their record and the
    credential exactly as the other depository signed it (JSON, or a compact JWS as .jwt),
    listed in the signed manifest, and are then gone from the store."""
    import hashlib
    import time

    from helpers.foreign import credential, foreign_rows, import_cli

    here = world["here"]
    di = credential(world)
    jwt = credential(world, title="Quantum optics", fmt="jwt")
    for path in (di, jwt):
        proc = import_cli(world, path)
        assert proc.returncode == 0, proc.stderr
    assert foreign_rows(world) == 2
    set_config(here, retention={"foreign": {"period": "P1D", "trigger": "created",
                                            "action": "transfer"}})
    later = {NOW_ENV: str(int(time.time() * 1000) + 2 * DAY_MS)}
    assert plan(here, env=later)["foreign"]["due"] == 2
    out = tmp_path / "to-archive"
    text = run(here, "--transfer-to", out, env=later)
    assert "foreign        2 destroyed" in text
    assert foreign_rows(world) == 0
    (pkg,) = list(out.iterdir())
    proc = here.run("verify", pkg / "manifest.json")
    assert proc.returncode == 0, proc.stdout
    files = json.loads((pkg / "manifest.json").read_text())["credentialSubject"]["files"]
    for f in files:
        data = (pkg / f["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["bytes"]
    paths = sorted(f["path"] for f in files)
    assert len(paths) == 4
    creds = [p for p in paths if p.startswith("credentials/")]
    assert sorted(p.rsplit(".", 1)[1] for p in creds) == ["json", "jwt"]
    sent = {(pkg / p).read_bytes() for p in creds}
    assert sent == {di.read_bytes().strip(), jwt.read_bytes().strip()} or \
        sent == {di.read_bytes(), jwt.read_bytes()}
    titles = {json.loads((pkg / p).read_text())["title"] for p in paths
              if p.startswith("records/")}
    assert titles == {"Master of Science (Physics)", "Quantum optics"}
    # The other depository's credential still verifies from the package.
    proc = here.run("verify", pkg / next(p for p in creds if p.endswith(".json")))
    assert "The signature is valid" in proc.stdout
    data = b"".join(db_bytes(here.data).values())
    assert b"Quantum optics" not in data and b"Master of Science (Physics)" not in data
    cert = json.loads(here.run("retention", "certificates", pkg.name, check=True).stdout)
    foreign = next(c for c in cert["credentialSubject"]["destroyed"]
                   if c["recordClass"] == "foreign")
    assert foreign["rule"] == "P1D after created, transfer" and foreign["count"] == 2
    # Opening the sealed credentials for the package was an audited read.
    events = json.loads(here.run("audit", "show", "--json", check=True).stdout)
    reads = [e for e in events if e["action"] == "foreign.read" and e["purpose"] == "retention"]
    assert len(reads) == 2
    assert here.run("audit", "verify").returncode == 0


def test_institution_hold_keeps_the_audit_details_of_its_records(inst, tmp_path):
    import time

    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    new_id = anna["ANNA-NEW"]["id"]
    ok.run("issue", new_id, "-o", tmp_path / "c.json", check=True)  # an event about it
    ok.run("hold", "add", "--institution", INSTITUTION, "--reason", "inspection", check=True)
    later = {NOW_ENV: str(int(time.time() * 1000) + 8 * 366 * DAY_MS)}
    due = plan(ok, env=later)["audit_detail"]
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    ours = [e for e in events if e["subject"] == new_id or e["subject"] == INSTITUTION]
    assert ours and due["held"] >= len(ours)
    run(ok, env=later)
    events = {e["seq"]: e for e in
              json.loads(ok.run("audit", "show", "--json", check=True).stdout)}
    for e in ours:
        assert events[e["seq"]]["subject"] == e["subject"], e  # not a tombstone
    assert any(e["detail"].startswith("tombstone v2 ") for e in events.values())
    assert ok.run("audit", "verify").returncode == 0


def test_plan_names_altered_events_a_run_would_stop_at(inst, tmp_path):
    """An event altered since it was appended is never made a tombstone (that would hide the
    alteration): the plan says so before a run, naming the first one, and the run stops there
    with the same event named, its details left as they are."""
    from helpers import store

    ok = registered(inst, tmp_path)
    later = {NOW_ENV: str(int(__import__("time").time() * 1000) + 8 * 366 * DAY_MS)}
    due = plan(ok, env=later)["audit_detail"]
    assert due["due"] > 2 and due["altered"] == 0 and due["first_altered"] == 0
    events = json.loads(ok.run("audit", "show", "--json", check=True).stdout)
    seq = events[1]["seq"]
    con = store.connect(ok.data)
    with con:
        con.execute(f"UPDATE audit_event SET purpose = 'curiosity' WHERE seq = {seq}")
    con.close()
    due = plan(ok, env=later)["audit_detail"]
    assert due["altered"] == 1 and due["first_altered"] == seq, due
    text = ok.run("retention", "plan", env=later, check=True).stdout
    assert f"1 of the events due do not fit the audit chain (the first: event {seq})" in text
    proc = ok.run("retention", "run", env=later)
    assert proc.returncode != 0 and f"audit event {seq} does not fit the chain" in proc.stderr
    assert db_scalar(ok.data, "SELECT purpose FROM audit_event WHERE seq = ?", seq) == "curiosity"


def test_resume_only_into_the_package_the_run_began(inst, tmp_path):
    """A transfer run killed after its first batch keeps its package's folder: resumed with
    another --transfer-to it is refused, naming the folder to use; with the right one whose
    RUN_ID folder is gone, refused too; nothing more is destroyed either time. Resumed as it
    began, it completes one package of six files."""
    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"action": "transfer"}})
    d1, d2 = tmp_path / "archive-1", tmp_path / "archive-2"
    killed = ok.run("retention", "run", "--batch", "1", "--transfer-to", d1, env={KILL_ENV: "1"})
    assert killed.returncode == -9
    (pkg,) = list(d1.iterdir())
    for other in (d2, tmp_path):
        d2.mkdir(exist_ok=True)
        proc = ok.run("retention", "run", "--batch", "1", "--transfer-to", other)
        assert proc.returncode == 2, proc.stderr
        assert f"--transfer-to {d1.resolve()}" in proc.stderr and "nothing more" in proc.stderr
        assert plan(ok)["result"]["due"] == 2
    assert list(d2.iterdir()) == []
    pkg.rename(tmp_path / "moved")
    proc = ok.run("retention", "run", "--batch", "1", "--transfer-to", d1)
    assert proc.returncode == 2, proc.stderr
    assert "missing" in proc.stderr and pkg.name in proc.stderr
    assert plan(ok)["result"]["due"] == 2 and list(d1.iterdir()) == []
    (tmp_path / "moved").rename(pkg)
    # Through a symlink to the same folder: the same package.
    (tmp_path / "link").symlink_to(d1)
    text = run(ok, "--batch", "1", "--transfer-to", tmp_path / "link")
    assert "(resumed)" in text and "result         3 destroyed" in text
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["credentialSubject"]["fileCount"] == 6
    assert ok.run("verify", pkg / "manifest.json").returncode == 0
    assert list(d2.iterdir()) == []


@pytest.mark.skipif(ON_PG or not shutil.which("gdb"), reason="SQLite's files, under gdb")
@pytest.mark.parametrize("hit", [1, 2, 3])
def test_no_finished_run_leaves_destroyed_bytes_in_the_database_file(inst, tmp_path, hit):
    """A run killed at its n-th compaction (gdb): while the destroyed titles are still in
    oorkonde.db, the run must still be open (the next run resumes and compacts), never finished
    (its certificate saying destroyed). The next run leaves none."""
    ok = registered(inst, tmp_path)
    gone = [b"Quantumchemie Verouderd", b"Stromingsleer Oud", b"Thermodynamica Vergeten"]
    cmd = ["gdb", "-batch", "-ex", "set breakpoint pending on", "-ex",
           "break store_sqlite_retention.c:compact", "-ex", f"ignore 1 {hit - 1}", "-ex", "run",
           "-ex", "kill", "--args", *ok.argv("retention", "run")]
    subprocess.run(cmd, capture_output=True, text=True, env=ok.env(), timeout=300)
    main = pathlib.Path(ok.data, "oorkonde.db").read_bytes()
    left = [g for g in gone if g in main]
    runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
    assert len(runs) == 1
    assert not (left and runs[0]["finished"]), f"finished run, yet {left} in oorkonde.db"
    run(ok)
    assert not [g for g in gone for d in db_bytes(ok.data).values() if g in d]


def test_moved_record_id_leaves_its_first_learners_share(inst, tmp_path):
    """A result shared by Anna, then re-registered on another learner (same record id, another
    national id), is destroyed: Anna's share gets the stand-in too, and no byte of the id is
    left in the store."""
    other = bsn(42)
    rows = [
        make_row(record_id="MOVED-OLD", national_id=ANNA, title="Verhuisd Vak",
                 awarded_on="2010-01-15"),
        make_row(record_id="ANNA-DIP", national_id=ANNA, kind="diploma", eqf_level="6",
                 title="Bachelor", awarded_on="2012-06-30"),
        make_row(record_id="OTHER-DIP", national_id=other, kind="diploma", eqf_level="6",
                 title="Master", awarded_on="2013-06-30"),
    ]
    proc = inst.import_csv(write_csv(tmp_path / "a.csv", rows), "--strict")
    assert proc.returncode == 0, proc.stderr
    anna = records(inst, ANNA)
    moved, dip = anna["MOVED-OLD"]["id"], anna["ANNA-DIP"]["id"]
    learner = anna["ANNA-DIP"]["learner_id"]
    inst.run("share", "create", "--learner-id", learner, "--achievements", f"{moved},{dip}",
             "--to", "Werkgever", "--json", check=True)
    rows[0] = make_row(record_id="MOVED-OLD", national_id=other, title="Verhuisd Vak",
                       awarded_on="2010-01-15")
    proc = inst.import_csv(write_csv(tmp_path / "b.csv", rows[:1]))
    assert proc.returncode == 0, proc.stderr
    assert records(inst, other)["MOVED-OLD"]["id"] == moved and "MOVED-OLD" not in records(
        inst, ANNA)
    assert plan(inst)["result"]["due"] == 1
    run(inst)
    assert "MOVED-OLD" not in records(inst, other)
    (share,) = json.loads(inst.run("share", "list", "--learner-id", learner, "--json",
                                   check=True).stdout)
    ids = share["achievements"] if isinstance(share["achievements"], list) else share[
        "achievements"].split(",")
    assert dip in ids and moved not in ids and len(ids) == 2
    leaks = [name for name, data in db_bytes(inst.data).items() if moved.encode() in data]
    assert not leaks, f"destroyed result id {moved} still in {leaks}"


def test_manifest_signs_only_what_the_run_wrote(inst, tmp_path):
    """Between a kill and the resume, a file planted in the package (any name, or one shaped
    like a record's), a symlink, or a folder: the manifest is refused, naming it, and nothing
    is signed; moved out, the run completes and lists only its six files."""
    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"action": "transfer"}})
    out = tmp_path / "archive"
    killed = ok.run("retention", "run", "--batch", "1", "--transfer-to", out, env={KILL_ENV: "1"})
    assert killed.returncode == -9
    (pkg,) = list(out.iterdir())
    (written,) = list((pkg / "records").iterdir())
    fake_id = written.name[:-5][:-1] + ("0" if written.name[-6] != "0" else "1")
    planted = [
        (pkg / "records" / "forged.json", lambda p: p.write_text('{"title": "Cum laude"}')),
        (pkg / "records" / "Forged.txt", lambda p: p.write_text("{}")),
        (pkg / "credentials" / "config.json",
         lambda p: p.symlink_to(pathlib.Path(ok.data) / "config.json")),
        (pkg / "credentials" / f"{fake_id}.json", lambda p: p.symlink_to(written)),
        (pkg / "records" / f"{fake_id}.json", lambda p: p.write_text("{}")),
        (pkg / "records" / "sub.json", lambda p: p.mkdir()),
    ]
    for path, make in planted:
        make(path)
        proc = ok.run("retention", "run", "--batch", "1", "--transfer-to", out)
        assert proc.returncode != 0, proc.stderr
        assert any(w in proc.stderr for w in ("nothing was signed", "link is refused",
                                              "not a regular file")), proc.stderr
        assert not (pkg / "manifest.json").exists()
        runs = json.loads(ok.run("retention", "runs", "--json", check=True).stdout)
        assert runs[0]["finished"] is None
        path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
    text = run(ok, "--batch", "1", "--transfer-to", out)
    assert "(resumed)" in text
    manifest = json.loads((pkg / "manifest.json").read_text())
    listed = {f["path"] for f in manifest["credentialSubject"]["files"]}
    assert len(listed) == 6 and not any("forged" in p or "config" in p for p in listed)
    assert ok.run("verify", pkg / "manifest.json").returncode == 0


def test_transfer_folder_that_is_a_link_is_refused(inst, tmp_path):
    """DIR/RUN_ID or its records/ replaced by a link to another folder: refused, nothing
    more destroyed."""
    ok = registered(inst, tmp_path)
    set_config(ok, retention={"result": {"action": "transfer"}})
    out = tmp_path / "archive"
    killed = ok.run("retention", "run", "--batch", "1", "--transfer-to", out, env={KILL_ENV: "1"})
    assert killed.returncode == -9
    (pkg,) = list(out.iterdir())
    (pkg / "records").rename(tmp_path / "elsewhere")
    (pkg / "records").symlink_to(tmp_path / "elsewhere")
    proc = ok.run("retention", "run", "--batch", "1", "--transfer-to", out)
    assert proc.returncode != 0 and "not a folder" in proc.stderr, proc.stderr
    assert plan(ok)["result"]["due"] == 2


def test_wallet_offers_lose_a_destroyed_results_id(inst, tmp_path):
    """A wallet offer of a destroyed result and a kept one keeps only the kept one's id; an
    offer of the destroyed result alone is withdrawn (with its row gone, it opens nothing). No
    byte of the destroyed id is left."""
    ok = registered(inst, tmp_path)
    anna = records(ok, ANNA)
    old, new = anna["ANNA-OLD"]["id"], anna["ANNA-NEW"]["id"]
    learner = anna["ANNA-OLD"]["learner_id"]
    for ids in (f"{old},{new}", old):
        ok.run("wallet", "offer", "--learner-id", learner, "--achievements", ids, "--no-pin",
               "--json", check=True)
    assert db_scalar(ok.data, "SELECT count(*) FROM vci_offer") == 2
    run(ok)
    assert "ANNA-OLD" not in records(ok, ANNA)
    assert db_scalar(ok.data, "SELECT count(*) FROM vci_offer") == 1
    assert db_scalar(ok.data, "SELECT achievements FROM vci_offer") == new
    leaks = [name for name, data in db_bytes(ok.data).items() if old.encode() in data]
    assert not leaks, f"destroyed result id {old} still in {leaks}"
