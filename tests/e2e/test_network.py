"""Two depositories that trust each other (issue 7), end to end: two real `oorkonde serve`
processes on loopback, NL and FI, each with its own data folder and did:web identity
(did:web:127.0.0.1%3APORT, each in the other's did_web_http_hosts), both members of a trust list
signed by a third, network key.

NL issues a diploma; FI verifies it (POST /credentials/verify and `oorkonde verify` on FI's
folder), imports it for the learner and shows it; NL revokes it and FI's next verification says
revoked once its caches have expired (every TTL is 1 s here); a depository removed from the trust
list fails the issuer check; a DID document served with the wrong key fails the proof; a trust
list with a bad signature is refused and the old one stays in force; NL being down makes FI's
verification fail with "issuer could not be resolved", never pass. Imports of revoked, untrusted
and altered credentials are refused with the failing check."""
import copy
import http.server
import json
import re
import shutil
import socket
import threading
import time

import pytest

import signing
from helpers import store
from helpers.base import Oorkonde, make_row, write_csv
from helpers.server import Server, problem

NID = "123456782"
TTL_S = 1  # status_ttl_s, did_cache_ttl_s and status_cache_ttl_s of both depositories


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api_key_from(stdout):
    m = re.search(r"\(shown once[^)]*\): (\S+)", stdout)
    assert m, stdout
    return m.group(1)


def wait_for_cache_expiry():
    """Lets every cached DID document and status list expire (their TTL is TTL_S)."""
    time.sleep(TTL_S + 0.5)


class Depository:
    """A data folder with did:web:127.0.0.1%3APORT, one institution, and its server."""

    def __init__(self, binary, tmp_path, name, port, institution, country):
        self.ok = Oorkonde(binary, tmp_path / name)
        self.name = name
        self.port = port
        self.host = f"127.0.0.1:{port}"
        self.ok.run("init", "--host", self.host, check=True)
        self.did = self.ok.run("identity", check=True).stdout.splitlines()[0]
        assert self.did == f"did:web:127.0.0.1%3A{port}"
        self.institution = institution
        self.key = api_key_from(self.ok.run("institution", "add", "--code", institution,
                                            "--name", f"University of {name}", "--country",
                                            country, check=True).stdout)
        self.srv = None

    def copy(self, binary, tmp_path):
        """The same depository (identity, port, institution and its key) in a copy of its folder
        under tmp_path: store.copy_folder, a database of its own on PostgreSQL."""
        other = Depository.__new__(Depository)
        other.__dict__.update(self.__dict__)
        other.ok = Oorkonde(binary, tmp_path / self.name)
        store.copy_folder(self.ok.data, other.ok.data)
        other.srv = None
        return other

    def configure(self, **settings):
        path = self.ok.data / "config.json"
        config = json.loads(path.read_text())
        config.update(settings)
        path.write_text(json.dumps(config))

    def register(self, tmp_path, rows):
        path = write_csv(tmp_path / f"{self.name}-{len(rows)}.csv", rows)
        proc = self.ok.import_csv(path, "--strict", institution=self.institution)
        assert proc.returncode == 0, proc.stderr
        return {r["title"]: r for r in self.ok.achievements_json(NID)}

    def start(self):
        self.srv = Server(self.ok, "--listen", self.host, "--rate-limit", "0",
                          name=self.name).start()
        assert self.srv.port == self.port
        return self

    def stop(self):
        if self.srv:
            self.srv.stop()


def publish(net, members, name):
    members_path = net["dir"] / f"{name}.members"
    members_path.write_text(json.dumps(members))
    out = net["dir"] / f"{name}.json"
    proc = net["fi"].ok.run("trust", "publish", "--key", net["dir"] / "network.key",
                            "--members", members_path, "-o", out)
    assert proc.returncode == 0, proc.stderr
    return out, json.loads(out.read_text())["issuer"]


def member(dep, country, status="active"):
    return {"id": dep.did, "name": f"{dep.name} depository", "country": country,
            "status": status}


def make_net(binary, tmp_path):
    """NL and FI, members of list-1 signed by the network key (in tmp_path), with Sanne's
    results; their servers not started."""
    ports = {"nl": free_port(), "fi": free_port(), "x": free_port()}
    hosts = [f"127.0.0.1:{p}" for p in ports.values()]
    nl = Depository(binary, tmp_path, "NL", ports["nl"], "21PB", "NL")
    fi = Depository(binary, tmp_path, "FI", ports["fi"], "01901", "FI")
    net = {"nl": nl, "fi": fi, "dir": tmp_path, "ports": ports}
    path, network_did = publish(net, [member(nl, "NL"), member(fi, "FI")], "list-1")
    net["network_did"] = network_did
    for dep in (nl, fi):
        dep.configure(did_web_http_hosts=hosts, status_ttl_s=TTL_S, did_cache_ttl_s=TTL_S,
                      status_cache_ttl_s=TTL_S, network_did=network_did)
        dep.ok.run("trust", "import", path, check=True)
    net["diplomas"] = nl.register(tmp_path, [
        make_row(record_id="NL-1", national_id=NID, given_names="Sanne", family_name="Bakker",
                 kind="diploma", title="Bachelor of Science in Biology", eqf_level="6",
                 credits="180", grade="", grading_scheme="", awarded_on="2024-07-05"),
        make_row(record_id="NL-2", national_id=NID, given_names="Sanne", family_name="Bakker",
                 title="Cell biology", credits="6"),
    ])
    fi.register(tmp_path, [make_row(record_id="FI-1", national_id=NID, given_names="Sanne",
                                    family_name="Bakker", title="Finnish for beginners")])
    net["learner"] = fi.ok.achievements_json(NID)[0]["learner_id"]
    return net


@pytest.fixture(scope="module")
def net_template(binary, tmp_path_factory):
    """make_net's, once per module (some ten processes), copied for each test: the ports are in
    the depositories' did:web identities, so every copy serves on the same ports, free again
    when the test before stopped its servers (a module's tests run one after another)."""
    mark = len(store.made)
    t = make_net(binary, tmp_path_factory.mktemp("net"))
    # Made during the first test that asks: kept from that test's end, dropped at the module's.
    databases = store.keep_since(mark)
    yield t
    store.drop(databases)


def started(net):
    try:
        net["nl"].start()
        net["fi"].start()
        return True
    except AssertionError:
        net["nl"].stop()
        return False


@pytest.fixture
def net(binary, tmp_path, net_template):
    """NL and FI serving: copies of net_template's, or, should another process hold one of its
    ports now, made anew on other ports."""
    t = net_template
    for f in t["dir"].iterdir():
        if f.is_file():
            shutil.copy2(f, tmp_path / f.name)
    net = dict(t, nl=t["nl"].copy(binary, tmp_path), fi=t["fi"].copy(binary, tmp_path),
               dir=tmp_path, ports=dict(t["ports"]), diplomas=copy.deepcopy(t["diplomas"]))
    if not started(net):
        (tmp_path / "anew").mkdir()
        net = make_net(binary, tmp_path / "anew")
        assert started(net), "NL and FI did not start on fresh ports either"
    yield net
    net["fi"].stop()
    net["nl"].stop()


def issue(net, title="Bachelor of Science in Biology", fmt="di", name=None):
    proc = net["nl"].ok.run("issue", net["diplomas"][title]["id"], "--format", fmt, check=True)
    path = net["dir"] / (name or f"nl-{net['diplomas'][title]['record_id']}.{fmt}")
    path.write_text(proc.stdout)
    return path


def verify_http(net, path):
    text = path.read_text()
    vc = text.strip() if text.lstrip()[0] != "{" else json.loads(text)
    r = net["fi"].srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status in (200, 400), r
    doc = r.json()
    return doc, {d["check"]: d for d in doc["details"]}


def verify_cli(net, path):
    proc = net["fi"].ok.run("verify", path, "--json")
    doc = json.loads(proc.stdout)
    return proc.returncode, doc, {d["check"]: d for d in doc["details"]}


def import_http(net, path):
    return net["fi"].srv.post(f"/v1/learners/{net['learner']}/imports", path.read_text(),
                              key=net["fi"].key, ctype="application/json")


def test_fi_verifies_nl_diploma(net):
    path = issue(net)
    doc, details = verify_http(net, path)
    assert doc["verified"] is True, doc
    assert sorted(doc["checks"]) == ["issuer", "proof", "status", "validity"]
    assert "NL depository" in details["issuer"]["message"]
    assert "neither revoked nor suspended" in details["status"]["message"]
    code, doc, _ = verify_cli(net, path)
    assert code == 0 and doc["verified"] is True
    proc = net["fi"].ok.run("verify", path)
    assert proc.returncode == 0 and "VALID" in proc.stdout
    # The JWT form too.
    doc, _ = verify_http(net, issue(net, fmt="jwt"))
    assert doc["verified"] is True, doc


def test_fi_imports_nl_diploma_and_shows_it(net):
    proc = net["fi"].ok.run("import-credential", issue(net), "--learner-id", net["learner"])
    assert proc.returncode == 0, proc.stderr
    assert "name and birth date match" in proc.stdout
    r = import_http(net, issue(net, "Cell biology"))
    assert r.status == 201, r
    f = r.json()["foreign"]
    assert f["issuer"] == {"did": net["nl"].did, "name": "NL depository", "country": "NL"}
    assert f["institution"] == {"name": "University of NL", "country": "NL"}
    text = net["fi"].ok.run("achievements", "--learner-id", net["learner"], check=True).stdout
    national, _, foreign = text.partition("From other depositories")
    assert "Finnish for beginners" in national and "Biology" not in national
    assert "Bachelor of Science in Biology" in foreign and "Cell biology" in foreign
    assert f"from NL depository (NL, {net['nl'].did})" in foreign
    # The learner sees them in FI's portal.
    link = net["fi"].ok.run("learner", "login-link", net["learner"], check=True).stdout
    r = net["fi"].srv.post("/login/" + re.search(r"/login/(\S+)", link).group(1), "",
                           ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    r = net["fi"].srv.get("/v1/me/foreign",
                          headers={"Cookie": r.headers["set-cookie"].split(";")[0]})
    assert r.status == 200, r
    listed = {f["title"]: f for f in r.json()["foreign"]}
    assert set(listed) == {"Bachelor of Science in Biology", "Cell biology"}
    assert listed["Bachelor of Science in Biology"]["issuer"]["did"] == net["nl"].did
    assert listed["Bachelor of Science in Biology"]["kind"] == "diploma"


def test_share_of_nl_opened_by_a_verifier_abroad(net):
    """A share link of NL's works for anyone: it says NL vouches and is a network member, and
    the credentials it hands out verify at FI too."""
    nl = net["nl"]
    learner = nl.ok.achievements_json(NID)[0]["learner_id"]
    proc = nl.ok.run("share", "create", "--learner-id", learner, "--achievements",
                     net["diplomas"]["Bachelor of Science in Biology"]["id"], "--to",
                     "Admissions, University of Helsinki", "--json", check=True)
    token = json.loads(proc.stdout)["url"].rsplit("/s/", 1)[1]
    r = nl.srv.get(f"/s/{token}.json")
    assert r.status == 200, r
    doc = r.json()
    assert doc["state"] == "valid"
    assert doc["depository"]["did"] == nl.did and doc["depository"]["name"]
    assert doc["depository"]["network_member"] is True
    [item] = doc["achievements"]
    assert item["verification"]["verified"] is True, item["verification"]
    r = nl.srv.get(f"/s/{token}/credentials")
    assert r.status == 200, r
    [vc] = r.json()["credentials"]
    r = net["fi"].srv.post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == 200 and r.json()["verified"] is True, r


def test_revocation_is_seen_after_cache_expiry(net):
    path = issue(net)
    doc, _ = verify_http(net, path)
    assert doc["verified"] is True, doc
    net["nl"].ok.run("revoke", net["diplomas"]["Bachelor of Science in Biology"]["id"],
                     "--reason", "fraud", check=True)
    wait_for_cache_expiry()
    doc, details = verify_http(net, path)
    assert doc["verified"] is False
    assert not details["status"]["passed"] and "revoked" in details["status"]["message"]
    assert details["proof"]["passed"] and details["issuer"]["passed"]
    doc = problem(import_http(net, path), 422, "credential-refused")
    assert doc["check"] == "status" and "revoked" in doc["detail"]
    code, _, details = verify_cli(net, path)
    assert code == 1 and "revoked" in details["status"]["message"]


def test_depository_removed_from_the_trust_list_fails_the_issuer_check(net):
    path = issue(net)
    assert verify_http(net, path)[0]["verified"] is True
    new_list, _ = publish(net, [member(net["fi"], "FI")], "list-2")
    net["fi"].ok.run("trust", "import", new_list, check=True)
    doc, details = verify_http(net, path)
    assert doc["verified"] is False
    assert not details["issuer"]["passed"]
    assert "not on the trust list" in details["issuer"]["message"]
    # An issuer off the list is not even resolved: its key is not looked up.
    assert not details["proof"]["passed"]
    assert "issuer is not trusted" in details["proof"]["message"]
    doc = problem(import_http(net, path), 422)
    assert doc["check"] in ("proof", "issuer") and "trust list" in doc["detail"]
    # A suspended member fails it too.
    new_list, _ = publish(net, [member(net["nl"], "NL", "suspended"), member(net["fi"], "FI")],
                          "list-3")
    net["fi"].ok.run("trust", "import", new_list, check=True)
    doc, details = verify_http(net, path)
    assert doc["verified"] is False and "suspended" in details["issuer"]["message"]


class DidServer:
    """A small HTTP server answering /.well-known/did.json with a given document; counts the
    requests it gets."""

    def __init__(self, port, document):
        body = json.dumps(document).encode()
        self.requests = []
        requests = self.requests

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                requests.append(self.path)
                if self.path != "/.well-known/did.json":
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/did+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_did_document_with_a_wrong_key_fails_the_proof(net, binary):
    x = Depository(binary, net["dir"], "X", net["ports"]["x"], "99XX", "SE")
    x.register(net["dir"], [make_row(record_id="X-1", national_id=NID, title="Swedish law")])
    path = net["dir"] / "x.json"
    path.write_text(x.ok.run("issue", x.ok.achievements_json(NID)[0]["id"], check=True).stdout)
    # X's DID document as it should be, but with NL's public key in place of X's.
    doc = json.loads(x.ok.run("identity", check=True).stdout.split("\n", 1)[1])
    nl_doc = json.loads(net["nl"].ok.run("identity", check=True).stdout.split("\n", 1)[1])
    right = doc["verificationMethod"][0]["publicKeyMultibase"]
    doc["verificationMethod"][0]["publicKeyMultibase"] = \
        nl_doc["verificationMethod"][0]["publicKeyMultibase"]
    assert doc["verificationMethod"][0]["publicKeyMultibase"] != right
    net["fi"].ok.run("trust", "add", x.did, "--name", "X depository", "--country", "SE",
                     check=True)
    server = DidServer(x.port, doc)
    try:
        result, details = verify_http(net, path)
        assert result["verified"] is False
        assert not details["proof"]["passed"]
        assert "not signed by this key" in details["proof"]["message"]
        code, _, details = verify_cli(net, path)
        assert code == 1 and not details["proof"]["passed"]
        doc = problem(import_http(net, path), 422)
        assert doc["check"] == "proof"
    finally:
        server.close()


def test_trust_list_with_a_bad_signature_is_refused_and_the_old_one_stays(net):
    path = issue(net)
    good, _ = publish(net, [member(net["nl"], "NL"), member(net["fi"], "FI")], "list-4")
    forged = json.loads(good.read_text())
    forged["credentialSubject"]["members"] = [member(net["fi"], "FI")]  # NL dropped
    forged_path = net["dir"] / "forged.json"
    forged_path.write_text(json.dumps(forged))
    before = net["fi"].ok.run("trust", "list", "--json", check=True).stdout
    proc = net["fi"].ok.run("trust", "import", forged_path)
    assert proc.returncode == 1
    assert "refused" in proc.stderr and "changed after it was signed" in proc.stderr
    assert net["fi"].ok.run("trust", "list", "--json", check=True).stdout == before
    doc, details = verify_http(net, path)
    assert doc["verified"] is True and details["issuer"]["passed"]


def test_nl_down_never_passes(net):
    path = issue(net)
    assert verify_http(net, path)[0]["verified"] is True
    net["nl"].stop()
    # Within their TTL, FI answers from the DID document and status list it holds (as any
    # verifier's cache would); once they expire, NL must be reached, and it cannot.
    wait_for_cache_expiry()
    doc, details = verify_http(net, path)
    assert doc["verified"] is False
    assert not details["proof"]["passed"]
    assert "issuer could not be resolved" in details["proof"]["message"]
    assert not details["status"]["passed"]
    code, doc, details = verify_cli(net, path)
    assert code == 1 and doc["verified"] is False
    assert "issuer could not be resolved" in details["proof"]["message"]
    proc = net["fi"].ok.run("import-credential", path, "--learner-id", net["learner"])
    assert proc.returncode == 1
    assert "refused (proof check)" in proc.stderr
    assert "issuer could not be resolved" in proc.stderr


def test_import_refuses_altered_credentials(net):
    path = issue(net)
    vc = json.loads(path.read_text())
    vc["credentialSubject"]["creditsEarned"] = 240
    path.write_text(json.dumps(vc))
    doc = problem(import_http(net, path), 422, "credential-refused")
    assert doc["check"] == "proof" and "changed after it was signed" in doc["detail"]
    proc = net["fi"].ok.run("import-credential", path, "--learner-id", net["learner"])
    assert proc.returncode == 1 and "refused (proof check)" in proc.stderr


def test_altered_status_urls_are_not_fetched(net):
    """A credential whose signature fails makes FI fetch none of the lists it names."""
    path = issue(net)
    vc = json.loads(path.read_text())
    elsewhere = f"http://127.0.0.1:{net['ports']['x']}/probe"
    for entry in vc["credentialStatus"]:
        entry["statusListCredential"] = elsewhere
    path.write_text(json.dumps(vc))
    server = DidServer(net["ports"]["x"], {})
    try:
        doc, details = verify_http(net, path)
        assert doc["verified"] is False and not details["proof"]["passed"]
        assert not details["status"]["passed"]
        assert "not fetched" in details["status"]["message"]
        problem(import_http(net, path), 422)
        assert server.requests == []
    finally:
        server.close()


def test_status_lists_only_from_the_issuers_host(net):
    """A credential NL really signed, whose status list is elsewhere (another test host, a
    link-local address): FI fetches nothing and the status check fails, with a short reason."""
    nl = net["nl"]
    server = DidServer(net["ports"]["x"], {})
    try:
        for url in (f"http://127.0.0.1:{net['ports']['x']}/status/revocation/1",
                    "http://169.254.169.254/latest/meta-data",
                    f"https://127.0.0.1:{net['ports']['nl']}@127.0.0.1:{net['ports']['x']}/x"):
            cred = {"@context": ["https://www.w3.org/ns/credentials/v2"],
                    "type": ["VerifiableCredential"], "issuer": nl.did,
                    "credentialSubject": {"id": "did:example:someone"},
                    "credentialStatus": [{"id": f"{url}#5", "type": "BitstringStatusListEntry",
                                          "statusPurpose": "revocation",
                                          "statusListIndex": "5",
                                          "statusListCredential": url}]}
            # Signed with NL's key itself: its VC-API endpoint refuses status entries.
            path = net["dir"] / "elsewhere.json"
            path.write_text(json.dumps(signing.sign(nl.ok, cred)))
            doc, details = verify_http(net, path)
            assert details["proof"]["passed"], details
            assert not details["status"]["passed"] and doc["verified"] is False
            assert "not on the issuer's host" in details["status"]["message"], details
        assert server.requests == []
    finally:
        server.close()

