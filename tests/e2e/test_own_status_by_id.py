"""The depository's own credentials are found by their id (an index of the credentials issued,
both stores): a verification reads the achievement's status from its record, whatever the
credential's JSON says about status. A credential of ours whose status entries are gone (here
signed again with the depository's key, as a holder cannot, to get a JSON without them) still
verifies as revoked once its achievement is revoked, with the date, in the check and in the
summary's headline; before the revocation it verifies."""
import copy
import json

import pytest

from helpers.base import Oorkonde, demo_active_records
from helpers.server import HOST, Server
from signing import sign


@pytest.fixture(scope="module")
def dep(binary, tmp_path_factory):
    base = tmp_path_factory.mktemp("byid")
    ok = Oorkonde(binary, base / "data")
    ok.run("init", "--host", HOST, check=True)
    items = demo_active_records(ok)
    srv = Server(ok, "--rate-limit", 0, name="byid").start()
    try:
        yield ok, srv, items
    finally:
        srv.stop()


def without_status(ok, vc):
    """vc with its status entries taken out, signed again with the depository's key (JCS)."""
    bare = copy.deepcopy(vc)
    bare.pop("proof")
    bare.pop("credentialStatus")
    return sign(ok, bare)


def verify(srv, vc):
    r = srv.post("/credentials/verify", {"verifiableCredential": vc})
    # 200 when verified, 400 with the failed checks when not (the VC-API's answer).
    assert r.status == (200 if r.json()["verified"] else 400), r
    return r.json()


@pytest.mark.parametrize("action,state", [("revoke", "revoked"), ("suspend", "suspended")])
def test_status_found_by_credential_id(dep, action, state):
    ok, srv, items = dep
    a = items.pop()
    vc = json.loads(ok.run("issue", a["id"], check=True).stdout)
    assert vc["id"].startswith("urn:uuid:")
    bare = without_status(ok, vc)
    doc = verify(srv, bare)
    assert doc["verified"] is True, doc
    ok.run(action, a["id"], "--reason", "test", check=True)
    for cred in (vc, bare):
        doc = verify(srv, cred)
        assert doc["verified"] is False, doc
        status = [e for e in doc["errors"] if e.get("check") == "status"]
        assert status and state in status[0]["detail"], doc
        assert doc["headline"]["state"] == state, doc["headline"]
        assert doc["headline"]["since"], doc["headline"]


def test_unknown_id_falls_back_to_the_status_entries(dep):
    ok, srv, items = dep
    a = items.pop()
    vc = json.loads(ok.run("issue", a["id"], check=True).stdout)
    # Another id (not recorded): the JSON's status entries decide, as for any credential.
    other = copy.deepcopy(vc)
    other.pop("proof")
    other["id"] = "urn:uuid:00000000-0000-4000-8000-000000000000"
    other = sign(ok, other)
    assert verify(srv, other)["verified"] is True
    ok.run("revoke", a["id"], "--reason", "test", check=True)
    doc = verify(srv, other)
    assert doc["verified"] is False and doc["headline"]["state"] == "revoked", doc
