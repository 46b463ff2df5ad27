"""API keys can be managed (issue 14): `oorkonde apikey add|list|revoke` and `institution list`;
a revoked key is refused by a running server at its next request; `make run` makes the demo
registrar key once and says where it is."""
import json
import os
import re
import select
import signal
import socket
import stat
import subprocess

from helpers.base import INSTITUTION, ROOT, make_row, write_csv
from helpers.server import Server, problem

KEY_ID = re.compile(r"^[0-9a-f]{24}$")


def api_key_from(stdout):
    """The key `apikey add` printed once."""
    m = re.search(r"\(shown once, store it safely\): (ok_[A-Za-z0-9_-]{43})$", stdout, re.M)
    assert m, stdout
    return m.group(1)


def keys(ok, *args):
    proc = ok.run("apikey", "list", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_add_list_and_revoke(inst):
    first = inst
    reader = api_key_from(first.run("apikey", "add", "--institution", INSTITUTION, "--permit",
                                    "read", check=True).stdout)
    issuer = api_key_from(first.run("apikey", "add", "--permit", "vc-issue", check=True).stdout)
    listed = keys(first)
    assert [k["institution"] for k in listed] == [INSTITUTION, INSTITUTION, None]
    assert [k["permissions"] for k in listed] == ["register,read", "read", "vc-issue"]
    assert all(KEY_ID.match(k["id"]) and k["state"] == "active" and k["last_used"] is None
               for k in listed), listed
    assert all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", k["created"]) for k in listed)
    # Never the secret, in either form.
    text = first.run("apikey", "list", check=True).stdout
    for secret in (reader, issuer, reader[3:], issuer[3:]):
        assert secret not in text and secret not in json.dumps(listed)
    assert text.splitlines()[0].split() == ["KEY", "INST", "PERMISSIONS", "CREATED", "LAST",
                                            "USED", "STATE"]
    assert len(text.splitlines()) == 4

    only = keys(first, "--institution", INSTITUTION)
    assert [k["id"] for k in only] == [listed[0]["id"], listed[1]["id"]]
    proc = first.run("apikey", "list", "--institution", "99ZZ")
    assert proc.returncode == 2 and "unknown institution 99ZZ" in proc.stderr

    proc = first.run("apikey", "revoke", listed[1]["id"])
    assert proc.returncode == 0 and f"API key {listed[1]['id']} revoked" in proc.stdout
    assert [k["state"] for k in keys(first)] == ["active", "revoked", "active"]
    again = first.run("apikey", "revoke", listed[1]["id"])
    assert again.returncode == 1 and "revoked already" in again.stderr
    unknown = first.run("apikey", "revoke", "0" * 24)
    assert unknown.returncode == 1 and f"no API key {'0' * 24}" in unknown.stderr
    # The revocation is an audit event of the operator's.
    events = json.loads(first.run("audit", "show", "--json", check=True).stdout)
    assert any(e["action"] == "key.revoke" and e["subject"] == listed[1]["id"] for e in events)


def test_old_key_command_is_gone_and_help_names_apikey(ok):
    ok.init()
    proc = ok.run("key", "add")
    assert proc.returncode == 2 and "unknown command 'key'" in proc.stderr
    top = ok.run("--help").stdout
    assert re.search(r"^  apikey +API keys: add, list, revoke$", top, re.M)
    assert "keys" in top  # the signing and data keys stay `keys`
    assert "apikey list" in ok.run("apikey", "--help").stdout


def test_institution_list(ok):
    ok.init()
    assert "(no institutions" in ok.run("institution", "list", check=True).stdout
    ok.add_institution(code="21PB", name="Rijksuniversiteit Groningen")
    ok.run("institution", "add", "--code", "25BE", "--name", "Hanzehogeschool Groningen",
           "--country", "NL", "--erasmus", "NL GRONING03", "--schac", "hanze.nl", check=True)
    lines = ok.run("institution", "list", check=True).stdout.splitlines()
    assert lines[0].split() == ["CODE", "COUNTRY", "NAME", "ERASMUS", "SCHAC"]
    assert re.match(r"^21PB +NL +Rijksuniversiteit Groningen +- +-$", lines[1]), lines
    assert re.match(r"^25BE +NL +Hanzehogeschool Groningen +NL GRONING03 +hanze.nl$", lines[2])
    doc = json.loads(ok.run("institution", "list", "--json", check=True).stdout)
    assert [i["code"] for i in doc] == ["21PB", "25BE"]
    assert doc[1] == {"code": "25BE", "name": "Hanzehogeschool Groningen", "country": "NL",
                      "erasmus": "NL GRONING03", "schac": "hanze.nl"}


def test_revoked_key_gets_401_at_once_from_a_running_server(inst, tmp_path):
    ok = inst
    write = api_key_from(ok.run("apikey", "add", "--institution", INSTITUTION, check=True).stdout)
    path = write_csv(tmp_path / "r.csv", [make_row()])
    ok.import_csv(path)
    srv = Server(ok, "--rate-limit", 0).start()
    try:
        r = srv.get("/v1/achievements?national_id=123456782", key=write)
        assert r.status == 200, r
        used = [k for k in keys(ok) if k["permissions"] == "register,read"][1]
        assert used["last_used"] is not None and used["state"] == "active"
        ok.run("apikey", "revoke", used["id"], check=True)
        # The very next request, on a server that has seen the key before, is refused.
        for _ in range(3):
            r = srv.get("/v1/achievements?national_id=123456782", key=write)
            problem(r, 401, "unauthorized")
            assert 'error="invalid_token"' in r.headers["www-authenticate"]
        # The institution's other key still works.
        first = [k for k in keys(ok) if k["state"] == "active"]
        assert len(first) == 1
    finally:
        srv.stop()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_run(binary, data, port):
    """`make run` on data (the build step left out: the binary under test serves) until it
    listens; returns what it printed before."""
    proc = subprocess.Popen(
        ["make", "-s", "-C", str(ROOT), "-o", "build", "-o", "deps", "run", f"DATA={data}",
         f"LISTEN=127.0.0.1:{port}", "LEARNERS=3", f"OORKONDE={binary} --data {data}"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    out = ""
    try:
        while "oorkonde listening on" not in out:
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            line = proc.stdout.readline().decode() if ready else ""
            assert line, f"make run stopped before serving:\n{out}"
            out += line
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(30)
        proc.stdout.close()
    return out


def test_make_run_makes_the_demo_key_once(binary, tmp_path):
    data = tmp_path / "demo-data"
    first = make_run(binary, data, free_port())
    key_file = data / "demo-registrar.key"
    assert f"kept in {key_file}" in first
    key = key_file.read_text().strip()
    assert re.fullmatch(r"ok_[A-Za-z0-9_-]{43}", key), key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key in first
    second = make_run(binary, data, free_port())
    assert key in second and f"kept in {key_file}" in second
    assert key_file.read_text().strip() == key
    from helpers.base import Oorkonde
    listed = keys(Oorkonde(binary, data), "--institution", "21PB")
    # The demo's first key of 21PB and the one registrar key, however often it ran.
    assert len(listed) == 2, listed
