"""An outsider's attacks on foreign-credential import (issue 13 item 1: the holder is matched by
name and birth date), found in the attack review after issue 13. Reuses the two depositories of
test_foreign (the `world` and `served` fixtures: abroad, trusted; here, with two learners)."""
import json

from helpers.foreign import foreign_rows, post_import, sign_abroad, sign_in
from helpers.server import problem


def test_learner_cannot_claim_a_credential_that_names_no_holder(served):
    """A credential of a trusted depository that names nobody in clear (no IdentityObject, or
    only a hashed one, as older credentials have) was kept for any signed-in learner "on the
    word of" that learner: anyone holding a copy of someone else's credential could attach it
    to their own record, and the rightful holder was then refused ("held already for another
    learner"). A learner's own word is no match; an institution or the operator may still hand
    such a credential in, with the warning."""
    path = sign_abroad(served, {})
    hashed = sign_abroad(served, {"credentialSubject": {
        "type": ["AchievementSubject"],
        "identifier": [{"type": "IdentityObject", "identityType": "name", "hashed": True,
                        "identityHash": "sha256$" + "ab" * 32, "salt": "x"}],
        "achievement": {"type": ["Achievement"], "name": "Sauna studies",
                        "achievementType": "Course"}}})
    thief = sign_in(served, served["other"])
    for p in (path, hashed):
        r = served["http"].post("/v1/me/imports", p.read_text(), ctype="application/json",
                                headers=thief)
        doc = problem(r, 422, "credential-refused")
        assert doc["check"] == "identity", doc
        assert "does not name its holder" in doc["detail"], doc
    assert foreign_rows(served) == 0
    # The learner's institution may hand it in for them, with the warning, and is not blocked.
    r = post_import(served, path.read_text())
    assert r.status == 201, r
    assert r.json()["identity"] == "not-checked" and r.json()["warnings"]
    assert foreign_rows(served) == 1


def test_refused_credential_cannot_break_the_learners_access_report(served):
    """A refused import is an audit event whose detail names the issuer, cut with "%.150s" and
    then to 200 bytes by the audit, in the middle of a UTF-8 character for an issuer of "é"s.
    The learner's access report could then not be written as JSON: one hostile credential
    handed in by a registrar with a record for the learner (or by the learner) made the report
    unavailable for good, as the audit log keeps every event."""
    vc = {"@context": ["https://www.w3.org/ns/credentials/v2",
                       "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
          "type": ["VerifiableCredential"],
          "issuer": "did:key:z" + "é" * 120,
          "credentialSubject": {"type": ["AchievementSubject"],
                                "achievement": {"type": ["Achievement"], "name": "x"}}}
    r = post_import(served, json.dumps(vc, ensure_ascii=False))
    problem(r, 422, "credential-refused")
    session = sign_in(served, served["learner"])
    r = served["http"].get("/v1/me/report", headers={"Cookie": session["Cookie"]})
    assert r.status == 200, r
    refusals = [e for e in r.json()["accesses"] if e["action"] == "foreign.refuse"]
    assert refusals and refusals[-1]["detail"].startswith("refused (issuer) from did:key:z"), \
        refusals
