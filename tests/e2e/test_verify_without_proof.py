"""End-to-end: `POST /credentials/verify` with `options.checks` that leave out "proof" shows no
holder and no achievement: nothing the credential states was verified, so a tampered
credential's forged name and title are never repeated next to `"verified": true` (the headline
stays `not_verified`). With the proof among the checks, a genuine credential's are shown. Runs
on SQLite and PostgreSQL."""
import copy

FORGED_NAME, FORGED_TITLE = "Forged Name", "Doctor of Forgery"


def verify(demo, vc, checks=None):
    body = {"verifiableCredential": vc}
    if checks is not None:
        body["options"] = {"checks": checks}
    return demo.srv.post("/credentials/verify", body)


def test_without_the_proof_check_no_holder_or_achievement_is_shown(demo):
    a = demo.one()
    vc = demo.srv.get(f"/v1/achievements/{a['id']}/credential", key=demo.a).json()
    forged = copy.deepcopy(vc)
    subject = forged["credentialSubject"]
    subject["identifier"][0]["identityHash"] = FORGED_NAME
    subject["achievement"]["name"] = FORGED_TITLE

    for checks in (["status"], ["validity", "status", "issuer"], ["validity"]):
        for what, doc_vc in (("forged", forged), ("genuine", vc)):
            r = verify(demo, doc_vc, checks)
            assert r.status == 200, (what, checks, r)
            doc = r.json()
            assert doc["verified"] is True, (what, checks, doc)
            assert doc["holder"] is None and doc["achievement"] is None, (what, checks, doc)
            assert doc["headline"]["state"] == "not_verified", (what, checks, doc)
            assert FORGED_NAME not in r.body.decode()
            assert FORGED_TITLE not in r.body.decode()

    # With the proof: the forged one fails and shows nothing; the genuine one its holder.
    for checks in (None, ["proof", "status"]):
        r = verify(demo, forged, checks)
        assert r.status == 400, (checks, r)
        doc = r.json()
        assert doc["holder"] is None and doc["achievement"] is None, doc
        assert doc["headline"]["state"] == "invalid", doc
        r = verify(demo, vc, checks)
        assert r.status == 200, (checks, r)
        doc = r.json()
        assert doc["holder"] is not None and doc["achievement"] is not None, doc
        assert doc["headline"]["state"] == "verified", doc
