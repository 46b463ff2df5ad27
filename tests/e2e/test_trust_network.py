"""A network trust list: signed by the network's key (trust publish), imported by each depository
(trust import), refused when forged or signed by another key, local additions kept."""
import json

import pytest

from helpers.base import Oorkonde


@pytest.fixture
def network(binary, tmp_path):
    """Two depositories (NL issues, FI verifies) and a network operator's key file."""
    nl = Oorkonde(binary, tmp_path / "nl")
    fi = Oorkonde(binary, tmp_path / "fi")
    for dep in (nl, fi):
        dep.run("init", check=True)
    nl.run("demo", "--learners", "5", check=True)
    nl_did = nl.run("identity", check=True).stdout.splitlines()[0]
    return {"nl": nl, "fi": fi, "nl_did": nl_did, "dir": tmp_path, "key": tmp_path / "net.key"}


def publish(net, members, name="list.json"):
    members_path = net["dir"] / (name + ".members")
    members_path.write_text(json.dumps(members))
    out = net["dir"] / name
    proc = net["fi"].run("trust", "publish", "--key", net["key"], "--members", members_path,
                         "-o", out)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    return out, doc["issuer"]


def trusted(dep):
    return {t["id"]: t for t in json.loads(dep.run("trust", "list", "--json", check=True).stdout)}


def nl_credential(net):
    nl = net["nl"]
    nid = nl.run("demo", "--learners", "5", check=True).stdout.split("--national-id ")[1].split()[0]
    ident = json.loads(nl.run("achievements", "--national-id", nid, "--json",
                              check=True).stdout)[0]["id"]
    path = net["dir"] / "nl.json"
    path.write_text(nl.run("issue", ident, check=True).stdout)
    return path


def issuer_check(dep, path):
    proc = dep.run("verify", path, "--json", "--checks", "proof,validity,issuer")
    result = json.loads(proc.stdout)
    return proc.returncode, next(d for d in result["details"] if d["check"] == "issuer")


def test_publish_then_import_trusts_the_members(network):
    path, network_did = publish(network, [
        {"id": network["nl_did"], "name": "DUO", "country": "NL", "status": "active"},
        {"id": "did:web:diplomas.example.no", "name": "HK-dir", "country": "NO",
         "status": "suspended"}])
    assert network_did.startswith("did:key:z6Mk")
    proc = network["fi"].run("trust", "import", path, "--network", network_did)
    assert proc.returncode == 0, proc.stderr
    listed = trusted(network["fi"])
    assert listed[network["nl_did"]]["source"] == "network"
    assert listed["did:web:diplomas.example.no"]["status"] == "suspended"
    code, issuer = issuer_check(network["fi"], nl_credential(network))
    assert code == 0 and issuer["passed"], issuer


def test_suspended_member_fails_the_issuer_check(network):
    path, network_did = publish(network, [
        {"id": network["nl_did"], "name": "DUO", "country": "NL", "status": "suspended"}])
    network["fi"].run("trust", "import", path, "--network", network_did, check=True)
    code, issuer = issuer_check(network["fi"], nl_credential(network))
    assert code == 1 and not issuer["passed"]
    assert "suspended" in issuer["message"]


def test_forged_list_is_refused_and_the_old_one_stays(network):
    path, network_did = publish(network, [
        {"id": network["nl_did"], "name": "DUO", "country": "NL", "status": "active"}])
    network["fi"].run("trust", "import", path, "--network", network_did, check=True)
    forged = json.loads(path.read_text())
    forged["credentialSubject"]["members"].append(
        {"id": "did:web:evil.example", "name": "Evil", "country": "NL", "status": "active"})
    forged_path = network["dir"] / "forged.json"
    forged_path.write_text(json.dumps(forged))
    proc = network["fi"].run("trust", "import", forged_path, "--network", network_did)
    assert proc.returncode == 1
    assert "refused" in proc.stderr and "changed after it was signed" in proc.stderr
    assert set(trusted(network["fi"])) == {network["nl_did"]}


def test_list_signed_by_another_key_is_refused(network):
    path, _ = publish(network, [
        {"id": network["nl_did"], "name": "DUO", "country": "NL", "status": "active"}])
    other = network["nl_did"]  # a real did:key, but not the network's
    proc = network["fi"].run("trust", "import", path, "--network", other)
    assert proc.returncode == 1
    assert "not by the network" in proc.stderr
    assert trusted(network["fi"]) == {}


def test_network_from_config_and_local_additions_kept(network):
    fi = network["fi"]
    fi.run("trust", "add", "did:web:local.example", "--name", "Local pick", "--country", "BE",
           check=True)
    path, network_did = publish(network, [
        {"id": network["nl_did"], "name": "DUO", "country": "NL", "status": "active"}])
    config = fi.data / "config.json"
    settings = json.loads(config.read_text())
    settings["network_did"] = network_did
    config.write_text(json.dumps(settings))
    fi.run("trust", "import", path, check=True)
    # A new list without NL: NL leaves the local list, the local addition stays.
    path2, _ = publish(network, [
        {"id": "did:web:other.example", "name": "Other", "country": "SE", "status": "active"}],
        name="list2.json")
    fi.run("trust", "import", path2, check=True)
    listed = trusted(fi)
    assert set(listed) == {"did:web:local.example", "did:web:other.example"}
    assert listed["did:web:local.example"]["source"] == "local"
    code, issuer = issuer_check(fi, nl_credential(network))
    assert code == 1 and not issuer["passed"]


def test_publish_refuses_bad_members(network):
    members_path = network["dir"] / "bad.members"
    members_path.write_text(json.dumps([{"id": "not-a-did", "name": "X", "country": "NL"}]))
    proc = network["fi"].run("trust", "publish", "--key", network["key"], "--members",
                             members_path)
    assert proc.returncode == 2
    assert "member 0" in proc.stderr and "DID" in proc.stderr
