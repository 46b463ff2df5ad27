"""Receiving results from another depository (issue 7), on one importing depository ("here"):
`oorkonde import-credential` and `POST /v1/learners/{id}/imports` verify a credential of a
trusted foreign depository with every check and keep it as a foreign achievement of the learner,
marked with its origin, shown apart by `oorkonde achievements`. Untrusted, altered, revoked,
suspended, expired, own and someone else's credentials are refused with the failing check;
importing the same credential twice is idempotent.

The foreign depository ("abroad") is a did:key depository whose status lists its own server
serves on loopback (its config names that server as base_url)."""
import json

import pytest

from helpers.base import INSTITUTION, db_bytes, db_readonly
from helpers.foreign import (NAME, NID, credential, foreign_rows, import_cli, post_import,
                             sign_abroad, sign_in)
from helpers.server import problem
from helpers import store


def import_json(w, path, learner=None):
    proc = import_cli(w, path, learner, "--json")
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else None, proc


def test_import_keeps_origin_and_achievements_shows_it_apart(world):
    proc = import_cli(world, credential(world))
    assert proc.returncode == 0, proc.stderr
    assert "Imported as foreign achievement" in proc.stdout
    assert "Opetushallitus (FI, " + world["did"] in proc.stdout
    assert "name and birth date match" in proc.stdout

    text = world["here"].run("achievements", "--learner-id", world["learner"], check=True).stdout
    national, _, foreign = text.partition("From other depositories")
    assert "Mechanics" in national and "Master of Science" not in national
    assert "Master of Science (Physics)" in foreign and "degree" in foreign
    assert "from Opetushallitus (FI, " + world["did"] in foreign
    assert "imported" in foreign and "by operator" in foreign

    records = json.loads(world["here"].run("achievements", "--learner-id", world["learner"],
                                           "--json", check=True).stdout)
    assert [r.get("foreign", False) for r in records] == [False, True]
    f = records[1]
    assert f["title"] == "Master of Science (Physics)" and f["kind"] == "degree"
    assert f["credits"] == 120 and f["awarded_on"] == "2023-06-01" and f["status"] == "active"
    assert f["institution"] == {"name": "Helsingin yliopisto", "country": "FI"}
    assert f["origin"]["issuer"] == world["did"]
    assert f["origin"]["depository"] == "Opetushallitus" and f["origin"]["country"] == "FI"
    assert f["origin"]["imported_by"] == "operator" and f["origin"]["format"] == "di"
    # The other learner holds nothing foreign.
    other = world["here"].run("achievements", "--learner-id", world["other"], check=True).stdout
    assert "From other depositories" not in other


def test_import_json_output_and_verification(world):
    code, doc, proc = import_json(world, credential(world, "Quantum optics"))
    assert code == 0, proc.stderr
    assert doc["imported"] and not doc["duplicate"] and doc["identity"] == "matched"
    assert doc["warnings"] == []
    assert doc["verification"]["verified"] is True
    assert sorted(doc["verification"]["checks"]) == ["issuer", "proof", "status", "validity"]
    f = doc["foreign"]
    assert f["kind"] == "course" and f["credits"] == 5 and f["grade"] == "4"
    assert f["issuer"] == {"did": world["did"], "name": "Opetushallitus", "country": "FI"}


def test_duplicate_import_is_idempotent(world):
    path = credential(world)
    code, first, _ = import_json(world, path)
    assert code == 0 and not first["duplicate"]
    code, again, proc = import_json(world, path)
    assert code == 0, proc.stderr
    assert again["duplicate"] is True
    assert again["foreign"]["id"] == first["foreign"]["id"]
    assert foreign_rows(world) == 1
    proc = import_cli(world, path)
    assert proc.returncode == 0 and "Already held as foreign achievement" in proc.stdout
    assert foreign_rows(world) == 1


def test_same_credential_for_another_learner_is_refused(world):
    path = credential(world, "Quantum optics")
    assert import_cli(world, path).returncode == 0
    # The other learner's national id differs: the hash check refuses first.
    proc = import_cli(world, path, world["other"])
    assert proc.returncode == 1
    assert "identity check" in proc.stderr and "names someone else" in proc.stderr
    assert foreign_rows(world) == 1


def test_jwt_credential_is_imported_and_kept_as_a_token(world):
    code, doc, proc = import_json(world, credential(world, "Thermodynamics", "jwt"))
    assert code == 0, proc.stderr
    assert doc["foreign"]["format"] == "jwt" and doc["identity"] == "matched"


def test_refused_altered(world):
    path = credential(world)
    vc = json.loads(path.read_text())
    vc["credentialSubject"]["achievement"]["name"] = "Doctor of Science (Physics)"
    path.write_text(json.dumps(vc))
    code, doc, proc = import_json(world, path)
    assert code == 1
    assert doc["imported"] is False and doc["check"] == "proof"
    assert "changed after it was signed" in doc["reason"]
    proc = import_cli(world, path)
    assert proc.returncode == 1
    assert "refused (proof check)" in proc.stderr and "changed after it was signed" in proc.stderr
    assert foreign_rows(world) == 0


@pytest.mark.parametrize("action,word", [("revoke", "revoked"), ("suspend", "suspended")])
def test_refused_revoked_or_suspended(world, action, word):
    path = credential(world)
    world["abroad"].run(action, world["records"]["Master of Science (Physics)"], "--reason",
                        "test", check=True)
    proc = import_cli(world, path)
    assert proc.returncode == 1
    assert "refused (status check)" in proc.stderr and word in proc.stderr
    assert foreign_rows(world) == 0


def test_refused_untrusted_without_fetching(world):
    path = credential(world)
    world["here"].run("trust", "remove", world["did"], check=True)
    # Even with the foreign server gone, the answer is the issuer check (nothing is fetched).
    world["srv"].stop()
    proc = import_cli(world, path)
    assert proc.returncode == 1
    assert "refused (issuer check)" in proc.stderr and "not on the trust list" in proc.stderr
    assert foreign_rows(world) == 0


def test_refused_suspended_network_member(world):
    world["here"].run("trust", "remove", world["did"], check=True)
    world["here"].run("trust", "add", world["did"], "--name", "X", "--country", "FI", check=True)
    with db_readonly(world["here"].data) as conn:
        assert conn.execute("SELECT count(*) FROM trusted_issuer").fetchone()[0] == 1
    # Suspend through a network list would be the usual way; the local list says the same.
    conn = store.connect(world["here"].data)
    conn.execute("UPDATE trusted_issuer SET status = 'suspended'")
    conn.commit()
    conn.close()
    proc = import_cli(world, credential(world))
    assert proc.returncode == 1
    assert "refused (issuer check)" in proc.stderr and "suspended" in proc.stderr


def test_refused_own_credential(world):
    here = world["here"]
    own = here.achievements_json(NID)[0]["id"]
    path = world["dir"] / "own.json"
    path.write_text(here.run("issue", own, check=True).stdout)
    proc = import_cli(world, path)
    assert proc.returncode == 1
    assert "already held here" in proc.stderr
    assert foreign_rows(world) == 0


def test_refused_someone_else(world):
    code, doc, _ = import_json(world, credential(world), world["other"])
    assert code == 1 and doc["check"] == "identity"
    assert "this credential names someone else" in doc["reason"]
    assert foreign_rows(world) == 0


def test_unknown_learner_and_not_a_credential(world):
    proc = import_cli(world, credential(world), "0123456789abcdef01234567")
    assert proc.returncode == 1 and "no learner with that id" in proc.stderr
    junk = world["dir"] / "junk.json"
    junk.write_text('{"hello": "world"}')
    proc = import_cli(world, junk)
    assert proc.returncode == 2 and "not a credential" in proc.stderr
    proc = world["here"].run("import-credential", junk)
    assert proc.returncode == 2 and "--learner-id" in proc.stderr
    assert foreign_rows(world) == 0


def test_refused_expired(world):
    path = sign_abroad(world, {"validFrom": "2019-01-01T00:00:00Z",
                               "validUntil": "2020-01-01T00:00:00Z"})
    code, doc, _ = import_json(world, path)
    assert code == 1 and doc["check"] == "validity" and "expired" in doc["reason"]


def test_without_holder_accepted_with_warning(world):
    code, doc, proc = import_json(world, sign_abroad(world, {}))
    assert code == 0, proc.stderr
    assert doc["identity"] == "not-checked"
    assert len(doc["warnings"]) == 1 and "could not be matched" in doc["warnings"][0]
    assert doc["foreign"]["kind"] == "course" and doc["foreign"]["title"] == "Sauna studies"
    proc = import_cli(world, sign_abroad(world, {"name": "x"}))
    assert proc.returncode == 0 and "warning: the credential does not name its holder" in proc.stdout


def test_credential_sealed_and_imports_audited(world):
    path = credential(world)
    assert import_cli(world, path).returncode == 0
    refused = world["dir"] / "altered.json"
    vc = json.loads(path.read_text())
    vc["name"] = "altered"
    refused.write_text(json.dumps(vc))
    assert import_cli(world, refused).returncode == 1
    raw = b"".join(db_bytes(world["here"].data).values())
    assert NAME[1].encode() not in raw and b"identityHash" not in raw
    with db_readonly(world["here"].data) as conn:
        actions = [r[0] for r in conn.execute(
            "SELECT action FROM audit_event WHERE subject = ? ORDER BY seq", (world["learner"],))]
    assert "foreign.import" in actions and "foreign.refuse" in actions
    assert "learner.read" in actions  # the holder's name and birth date were checked


# Over HTTP: POST /v1/learners/{id}/imports


def test_http_import_then_duplicate(served):
    body = credential(served).read_text()
    r = post_import(served, body)
    assert r.status == 201, r
    doc = r.json()
    assert doc["duplicate"] is False and doc["identity"] == "matched"
    f = doc["foreign"]
    for member in ("id", "title", "kind", "awarded_on", "credits", "issuer", "imported", "status"):
        assert member in f
    assert f["issuer"] == {"did": served["did"], "name": "Opetushallitus", "country": "FI"}
    assert f["imported_by"].startswith(f"institution:{INSTITUTION}/key:")
    r = post_import(served, body)
    assert r.status == 200 and r.json()["duplicate"] is True
    assert r.json()["foreign"]["id"] == f["id"]
    assert foreign_rows(served) == 1


def test_http_jwt_as_json_string(served):
    token = credential(served, "Thermodynamics", "jwt").read_text().strip()
    r = post_import(served, json.dumps(token))
    assert r.status == 201, r
    assert r.json()["foreign"]["format"] == "jwt"


def test_http_refusals_name_the_check(served):
    # Revoked first: the server keeps the status list it fetched for its max-age.
    path = credential(served)
    served["abroad"].run("revoke", served["records"]["Master of Science (Physics)"],
                         "--reason", "test", check=True)
    doc = problem(post_import(served, path.read_text()), 422, "credential-refused")
    assert doc["check"] == "status" and "revoked" in doc["detail"]
    assert any(e["check"] == "status" for e in doc["errors"])
    path = credential(served, "Quantum optics")
    vc = json.loads(path.read_text())
    vc["validFrom"] = "2000-01-01T00:00:00Z"
    doc = problem(post_import(served, json.dumps(vc)), 422, "credential-refused")
    assert doc["check"] == "proof" and "changed after it was signed" in doc["detail"]
    doc = problem(post_import(served, path.read_text(), served["other"]), 422)
    assert doc["check"] == "identity" and "names someone else" in doc["detail"]
    assert foreign_rows(served) == 0


def test_http_bad_requests(served):
    body = credential(served).read_text()
    problem(post_import(served, body, "0123456789abcdef01234567"), 404)
    problem(post_import(served, '{"not": "a credential"}'), 400)
    problem(post_import(served, '"not.a token"'), 400)
    problem(post_import(served, "   "), 400)
    problem(post_import(served, body, ctype="text/plain"), 415)
    problem(post_import(served, body, key=served["read_key"]), 403)
    r = served["http"].post(f"/v1/learners/{served['learner']}/imports", body,
                            ctype="application/json")
    problem(r, 401)
    assert foreign_rows(served) == 0


# The signed-in learner: POST /v1/me/imports and GET /v1/me/foreign


def test_learner_imports_and_lists_their_foreign_achievements(served):
    session = sign_in(served, served["learner"])
    body = credential(served).read_text()
    r = served["http"].post("/v1/me/imports", body, ctype="application/json", headers=session)
    assert r.status == 201, r
    assert r.json()["foreign"]["imported_by"] == f"learner:{served['learner']}"
    r = served["http"].get("/v1/me/foreign", headers={"Cookie": session["Cookie"]})
    assert r.status == 200, r
    [f] = r.json()["foreign"]
    for member in ("id", "title", "kind", "awarded_on", "credits", "issuer", "imported",
                   "status"):
        assert member in f, member
    assert f["title"] == "Master of Science (Physics)" and f["status"] == "active"
    assert f["issuer"] == {"did": served["did"], "name": "Opetushallitus", "country": "FI"}
    with db_readonly(served["here"].data) as conn:
        reads = conn.execute("SELECT count(*) FROM audit_event WHERE action = 'foreign.read' "
                             "AND actor = ?", (f"learner:{served['learner']}",)).fetchone()[0]
    assert reads == 1
    # Another learner sees none of it.
    other = sign_in(served, served["other"])
    r = served["http"].get("/v1/me/foreign", headers={"Cookie": other["Cookie"]})
    assert r.status == 200 and r.json() == {"foreign": []}


def test_learner_import_of_a_token_with_a_nul_byte_is_invalid_json(served):
    """A VC-JOSE token sent as a JSON string with a NUL byte after its closing quote: jansson
    alone would skip it; the route refuses it as invalid JSON, saying where."""
    session = sign_in(served, served["learner"])
    r = served["http"].post("/v1/me/imports", b'"eyJ.a.b"\x00', ctype="application/json",
                            headers=session)
    doc = problem(r, 400, "invalid-json")
    assert "NUL byte" in doc["detail"] and "byte 9" in doc["detail"], doc


def test_learner_import_needs_session_and_csrf_and_is_refused_for_someone_else(served):
    body = credential(served).read_text()
    problem(served["http"].post("/v1/me/imports", body, ctype="application/json"), 401)
    problem(served["http"].get("/v1/me/foreign"), 401)
    session = sign_in(served, served["other"])
    r = served["http"].post("/v1/me/imports", body, ctype="application/json",
                            headers={"Cookie": session["Cookie"]})
    problem(r, 403)
    r = served["http"].post("/v1/me/imports", body, ctype="application/json", headers=session)
    doc = problem(r, 422, "credential-refused")
    assert doc["check"] == "identity" and "names someone else" in doc["detail"]
    assert foreign_rows(served) == 0
