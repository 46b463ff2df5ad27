"""Review P0 of the plain form: an eddsa-rdfc-2022 signature fixes a credential's quads, not the
JSON shape of its values nor the order of a set. A holder of a foreign Open Badges credential
(3 credits earned of 30 available, results "C" and "A") reshapes it without breaking the
signature: creditsEarned as the string "3" (the same xsd:float literal), the results in the other
order, texts as value objects. The depository must record, and its verifier must show, the same
facts for every shape: 3 credits, no grade chosen by order, the same title and award date."""
import copy
import json

from helpers.foreign import import_cli, sign_abroad

SUBJECT = {
    "type": ["AchievementSubject"], "creditsEarned": 3,
    "result": [{"type": ["Result"], "value": "C"}, {"type": ["Result"], "value": "A"}],
    "achievement": {"type": ["Achievement"], "name": "Sauna studies", "achievementType": "Course",
                    "creditsAvailable": 30},
}


def signed(w):
    path = sign_abroad(w, {"credentialSubject": copy.deepcopy(SUBJECT),
                           "awardedDate": "2023-06-01T00:00:00Z"})
    vc = json.loads(path.read_text())
    assert vc["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    return vc


def reshaped(vc):
    """The same quads as vc, so the same signature: each a shape a holder can choose."""
    shapes = {}
    s = copy.deepcopy(vc)
    s["credentialSubject"]["creditsEarned"] = "3"
    shapes["credits as a string"] = s
    s = copy.deepcopy(vc)
    s["credentialSubject"]["result"].reverse()
    shapes["results reversed"] = s
    s = copy.deepcopy(vc)
    s["credentialSubject"]["creditsEarned"] = "3"
    s["credentialSubject"]["result"].reverse()
    s["credentialSubject"]["achievement"]["name"] = {"@value": "Sauna studies"}
    s["awardedDate"] = {"@value": "2023-06-01T00:00:00Z",
                        "type": "xsd:dateTime"}
    shapes["all at once, texts as value objects"] = s
    return shapes


def imported(w, vc, name):
    path = w["dir"] / f"{name.replace(' ', '-')}.json"
    path.write_text(json.dumps(vc))
    proc = import_cli(w, path, None, "--json")
    assert proc.returncode == 0, (name, proc.stderr)
    return json.loads(proc.stdout)["foreign"]


def test_import_records_the_same_facts_for_every_shape(served):
    vc = signed(served)
    first = imported(served, vc, "as signed")
    assert first["credits"] == 3 and first.get("grade") in (None, "")
    assert first["title"] == "Sauna studies" and first["awarded_on"] == "2023-06-01"
    for name, shape in reshaped(vc).items():
        # Without an id, each shape is kept as a credential of its own (by its digest).
        f = imported(served, shape, name)
        assert (f["credits"], f.get("grade"), f["title"], f["awarded_on"]) == \
            (first["credits"], first.get("grade"), first["title"], first["awarded_on"]), name


def test_verifier_summary_is_the_same_for_every_shape(served):
    vc = signed(served)
    r = served["http"].post("/credentials/verify", {"verifiableCredential": vc})
    assert r.status == 200 and r.json()["verified"] is True, r
    want = r.json()["achievement"]
    assert want["credits"] == 3 and want["grade"] is None and want["title"] == "Sauna studies"
    assert want["awarded_on"] == "2023-06-01"
    for name, shape in reshaped(vc).items():
        r = served["http"].post("/credentials/verify", {"verifiableCredential": shape})
        assert r.status == 200 and r.json()["verified"] is True, (name, r)
        assert r.json()["achievement"] == want, name


def test_several_subjects_or_achievements_are_refused(served):
    two = dict(SUBJECT, achievement=[SUBJECT["achievement"],
                                     dict(SUBJECT["achievement"], name="Other")])
    path = sign_abroad(served, {"credentialSubject": two})
    proc = import_cli(served, path, None, "--json")
    # Refused as bad input (exit 2), naming the field; nothing is recorded.
    assert proc.returncode == 2, proc.stdout
    assert "credentialSubject.achievement: the credential names several achievements" \
        in proc.stderr
    r = served["http"].post("/credentials/verify",
                            {"verifiableCredential": json.loads(path.read_text())})
    assert r.status == 200 and r.json()["verified"] is True, r
    assert r.json()["achievement"] is None
