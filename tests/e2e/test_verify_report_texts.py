"""End-to-end: `POST /credentials/verify` shows the texts its report cuts (an SD-JWT VC holder's
name past 1,023 bytes, an award date to its first ten bytes) cut at a character boundary, never
inside a 2-, 3- or 4-byte character: such a credential, signed by the depository, gets its 200
report (it got 500 "out of memory" when the cut made the text invalid UTF-8). Runs on SQLite and
PostgreSQL."""
from helpers.server import DID
from signing import sign

V2 = "https://www.w3.org/ns/credentials/v2"
OB = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
NAME_MAX = 1023  # registry/verify_summary.h's VERIFY_NAME_MAX


def open_badge(**extra):
    return {"@context": [V2, OB], "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": DID,
            "credentialSubject": {"type": ["AchievementSubject"],
                                  "achievement": {"type": ["Achievement"], "name": "Mechanics"}},
            **extra}


def issue(demo, credential):
    r = demo.srv.post("/credentials/issue", {"credential": credential, "options": {}},
                      key=demo.vc_key)
    assert r.status == 201, r
    return r.json()["verifiableCredential"]


def report(demo, vc, checks=None):
    body = {"verifiableCredential": vc}
    if checks:
        body["options"] = {"checks": checks}
    r = demo.srv.post("/credentials/verify", body)
    assert r.status == 200, r
    doc = r.json()
    assert doc["verified"] is True and doc["errors"] == [], doc
    return doc


def longest_prefix(text, limit):
    """The longest prefix of whole characters that fits in limit bytes of UTF-8."""
    out = b""
    for c in text:
        if len(out) + len(c.encode()) > limit:
            break
        out += c.encode()
    return out.decode()


NAMES = [
    ("a 2-byte character across the cut", {"given_name": "a" * 1022 + "\u00e9" * 4}),
    ("a 3-byte character across the cut", {"given_name": "a" * 1021 + "\u20ac" * 3}),
    ("a 4-byte character across the cut", {"given_name": "a" * 1020 + "\U0001F600" * 2}),
    ("a 4-byte character ending at the cut", {"given_name": "a" * 1019 + "\U0001F600" * 2}),
    ("the family name's character across the cut",
     {"given_name": "a" * 1000, "family_name": "b" * 21 + "\u00e9" * 2}),
    ("the family name alone", {"family_name": "\u20ac" * 400}),
    ("short", {"given_name": "Dani\u00ebl", "family_name": "de Vries"}),
]


def test_a_long_sd_jwt_vc_name_is_cut_between_characters(demo):
    """An SD-JWT VC's claims on a JSON credential ("vct" decides), which the depository does not
    issue: signed here with its key (eddsa-jcs-2022), as the report shows a credential's claims
    only when its proof and its issuer were checked and held."""
    for what, names in NAMES:
        vc = {"@context": [V2, {"@vocab": "https://example.org/claims#"}],
              "type": ["VerifiableCredential"], "issuer": DID,
              "credentialSubject": {"id": "did:example:ebfeb1f712ebc6f1c276e12ec21"},
              "vct": "https://example.org/vct/diploma", **names}
        doc = report(demo, sign(demo.ok, vc), checks=["proof", "validity", "issuer"])
        full = " ".join(n for n in (names.get("given_name"), names.get("family_name")) if n)
        name = doc["holder"]["name"]
        assert name == longest_prefix(full, NAME_MAX), (what, len(name.encode()))
        assert len(name.encode()) <= NAME_MAX, what


DATES = [
    ("2024-01-0\u00e91", "2024-01-0"),
    ("2024-08-3\u00e9", "2024-08-3"),
    ("2024-01-\u20ac", "2024-01-"),
    ("2024-01-0\U0001F600", "2024-01-0"),
    ("2024-08-30\u00e9", "2024-08-30"),
    ("\u00e9" * 6, "\u00e9" * 5),
    ("2024-08-30T00:00:00Z", "2024-08-30"),
]


def test_an_award_date_with_a_character_across_ten_bytes_is_cut_before_it(demo):
    """An Open Badges credential the depository signed, verified with every check."""
    for stated, shown in DATES:
        vc = issue(demo, open_badge(awardedDate=stated))
        doc = report(demo, vc)
        assert doc["headline"]["state"] == "verified", doc["headline"]
        assert doc["achievement"]["awarded_on"] == shown, (stated, doc["achievement"])
        assert doc["achievement"]["title"] == "Mechanics"
