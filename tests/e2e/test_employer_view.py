"""The employer's and the learner's view (issue 14): what was verified comes first (holder,
result, headline verdict) in /s/TOKEN.json, POST /credentials/verify and `oorkonde verify`; a
revoked result says so with its date; after a failed signature the other checks do not apply;
revoked and suspended results cannot be shared; browsers get HTML error pages, API clients
problem+json; downloads are named after the result; Dutch pages write Dutch dates and numbers."""
import datetime
import json
import re

import pytest

from helpers.base import write_csv, make_row
from helpers.portal import Session, cookie_of, redeem
from helpers.server import Server

TOKEN_RE = re.compile(r"/s/([A-Za-z0-9_-]{43})")
NAME = "Daniël de Vries"
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
MONTHS_NL = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
             "september", "oktober", "november", "december"]


def words(day, months):
    return f"{day.day} {months[day.month - 1]} {day.year}"


def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date()


@pytest.fixture
def employer(ok, tmp_path):
    """A depository with one learner: a BSc (180 credits, grade 7.5) and a course (7.5 credits,
    grade 9.4), and a server."""
    ok.run("init", "--host", "localhost:8080", check=True)
    ok.run("institution", "add", "--code", "21PB", "--name", "Universiteit Utrecht",
           "--country", "NL", check=True)
    rows = [
        make_row(record_id="R1", national_id="123456782", given_names="Daniël",
                 family_name="de Vries", kind="degree", title="BSc Psychologie",
                 eqf_level="6", credits="180", grade="7.5", awarded_on="2024-08-30"),
        make_row(record_id="R2", national_id="123456782", given_names="Daniël",
                 family_name="de Vries", kind="course", title="Statistiek 1", eqf_level="",
                 credits="7.5", grade="9.4", awarded_on="2024-07-04"),
    ]
    write_csv(tmp_path / "r.csv", rows)
    ok.run("import", str(tmp_path / "r.csv"), "--institution", "21PB", check=True)
    items = json.loads(ok.run("achievements", "--national-id", "123456782", "--json",
                              check=True).stdout)
    by_title = {a["title"]: a for a in items}
    srv = Server(ok).start()
    yield ok, srv, by_title["BSc Psychologie"], by_title["Statistiek 1"]
    srv.stop()


def share(ok, learner_id, *ids):
    proc = ok.run("share", "create", "--learner-id", learner_id, "--achievements", ",".join(ids),
                  "--to", "Werkgever BV", "--json")
    return proc, ("/s/" + TOKEN_RE.search(json.loads(proc.stdout)["url"]).group(1)
                  if proc.returncode == 0 else None)


def issue(ok, tmp_path, achievement_id):
    path = tmp_path / f"{achievement_id}.json"
    ok.run("issue", achievement_id, "-o", str(path), check=True)
    return path


def test_share_json_names_the_holder_then_each_result(employer):
    ok, srv, bsc, course = employer
    _, path = share(ok, bsc["learner_id"], bsc["id"], course["id"])
    doc = srv.get(path + ".json").json()
    assert doc["holder"] == {"name": NAME, "birth_date": doc["holder"]["birth_date"]}
    shown = {a["title"]: a["verification"] for a in doc["achievements"]}
    v = shown["BSc Psychologie"]
    assert v["holder"]["name"] == NAME
    assert v["achievement"] == {
        "title": "BSc Psychologie", "kind": "degree", "achievement_type": "BachelorDegree",
        "institution": "Universiteit Utrecht", "country": "NL", "awarded_on": "2024-08-30",
        "credits": 180, "grade": "7.5"}
    assert v["headline"] == {"state": "verified", "since": None,
                             "text": "Verified: genuine and valid"}
    assert shown["Statistiek 1"]["achievement"]["credits"] == 7.5
    assert all(d["state"] == "passed" for d in v["details"])


def test_cli_verify_says_who_and_what_before_the_checks(employer, tmp_path):
    ok, _, bsc, _ = employer
    path = issue(ok, tmp_path, bsc["id"])
    proc = ok.run("verify", str(path))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == f"Holder:      {NAME}"
    assert lines[1:9] == ["Born:        2 January 2000", "Result:      BSc Psychologie", "Kind:        degree",
                          "Awarded by:  Universiteit Utrecht (NL)",
                          "Awarded on:  30 August 2024", "Credits:     180", "Grade:       7.5",
                          "Verdict:     Verified: genuine and valid"]
    assert proc.stdout.index("Verdict:") < proc.stdout.index("proof")
    doc = json.loads(ok.run("verify", str(path), "--json").stdout)
    assert doc["verified"] is True and doc["holder"]["name"] == NAME
    assert doc["achievement"]["title"] == "BSc Psychologie"
    assert doc["headline"]["state"] == "verified"


def test_revoked_result_says_so_with_its_date_everywhere(employer, tmp_path):
    ok, srv, bsc, course = employer
    _, path = share(ok, bsc["learner_id"], bsc["id"], course["id"])
    cred = issue(ok, tmp_path, bsc["id"])
    ok.run("revoke", bsc["id"], "--reason", "awarded in error", check=True)
    day = today_utc()

    proc = ok.run("verify", str(cred))
    assert proc.returncode == 1
    assert f"Verdict:     Revoked by the institution on {words(day, MONTHS_EN)}" in proc.stdout

    r = srv.post("/credentials/verify", {"verifiableCredential": json.loads(cred.read_text())})
    assert r.status == 400
    doc = r.json()
    assert doc["headline"] == {"state": "revoked", "since": day.isoformat(),
                               "text": f"Revoked by the institution on {words(day, MONTHS_EN)}"}
    status = [d for d in doc["details"] if d["check"] == "status"][0]
    assert status["state"] == "failed" and status["reason"] == "revoked"

    shared = {a["title"]: a for a in srv.get(path + ".json").json()["achievements"]}
    assert shared["BSc Psychologie"]["verification"]["headline"]["state"] == "revoked"
    assert shared["Statistiek 1"]["verification"]["headline"]["state"] == "verified"

    page = re.sub(r"<script.*?</script>", "", srv.get(path, headers={"Accept-Language": "nl"})
                  .body.decode(), flags=re.S)
    assert f"Ingetrokken door de instelling op {words(day, MONTHS_NL)}" in page
    assert "Niet bevestigd" not in page
    page = srv.get(path, headers={"Accept-Language": "en"}).body.decode()
    assert f"Revoked by the institution on {words(day, MONTHS_EN)}" in page


def test_suspended_result_headline(employer, tmp_path):
    ok, srv, bsc, _ = employer
    cred = issue(ok, tmp_path, bsc["id"])
    ok.run("suspend", bsc["id"], "--reason", "under investigation", check=True)
    proc = ok.run("verify", str(cred))
    assert proc.returncode == 1
    assert f"Suspended by the institution since {words(today_utc(), MONTHS_EN)}" in proc.stdout


def test_failed_signature_leaves_other_checks_not_applicable(employer, tmp_path):
    ok, srv, bsc, _ = employer
    cred = json.loads(issue(ok, tmp_path, bsc["id"]).read_text())
    cred["credentialSubject"]["result"][0]["value"] = "10"
    altered = tmp_path / "altered.json"
    altered.write_text(json.dumps(cred))

    proc = ok.run("verify", str(altered))
    assert proc.returncode == 1
    assert proc.stdout.startswith("Verdict:     Not genuine: the signature does not hold\n")
    # What a forged credential states is not shown as what was verified.
    assert NAME not in proc.stdout and "Holder:" not in proc.stdout
    assert re.search(r"FAIL\s+proof", proc.stdout)
    for check in ("validity", "status", "issuer"):
        assert re.search(rf"n/a\s+{check}\s+not applicable", proc.stdout), proc.stdout
    assert not re.search(r"^\s+ok\s", proc.stdout, re.M), proc.stdout
    # Nor when the signature is not among the checks: neither the altered one's nor the
    # genuine one's claims are printed as verified.
    for path in (altered, issue(ok, tmp_path, bsc["id"])):
        proc = ok.run("verify", str(path), "--checks", "status,validity")
        assert NAME not in proc.stdout and "Holder:" not in proc.stdout, proc.stdout

    for doc in (json.loads(ok.run("verify", str(altered), "--json").stdout),
                srv.post("/credentials/verify", {"verifiableCredential": cred}).json()):
        assert doc["verified"] is False
        assert doc["checks"] == []
        assert [e["check"] for e in doc["errors"]] == ["proof"]
        states = {d["check"]: (d["state"], d["passed"]) for d in doc["details"]}
        assert states == {"proof": ("failed", False), "validity": ("not_applicable", False),
                          "status": ("not_applicable", False),
                          "issuer": ("not_applicable", False)}
        assert doc["headline"]["state"] == "invalid"
        assert doc["holder"] is None and doc["achievement"] is None


@pytest.mark.parametrize("action", ["revoke", "suspend"])
def test_shares_refuse_revoked_and_suspended_results(employer, action):
    ok, srv, bsc, course = employer
    ok.run(action, bsc["id"], "--reason", "awarded in error", check=True)
    proc, _ = share(ok, bsc["learner_id"], course["id"], bsc["id"])
    assert proc.returncode != 0
    state = "revoked" if action == "revoke" else "suspended"
    assert f"achievements[1] is {state} by the institution and cannot be shared" in proc.stderr
    assert ok.run("share", "list", "--learner-id", bsc["learner_id"], "--json",
                  check=True).stdout.strip() in ("[]", "")

    # The portal's API refuses it too, with a problem document naming the field.
    url = ok.run("learner", "login-link", bsc["learner_id"], check=True).stdout.strip()
    r = redeem(srv, url[url.index("/login/"):])
    session = Session(srv, cookie_of(r))
    r = session.post("/v1/me/shares", {"achievements": [bsc["id"]], "recipient": "Werkgever BV"})
    assert r.status == 409, r
    assert r.headers["content-type"] == "application/problem+json"
    assert f"is {state} by the institution" in r.json()["detail"]
    # What is still valid can be shared.
    assert session.post("/v1/me/shares", {"achievements": [course["id"]],
                                          "recipient": "Werkgever BV"}).status == 201


BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_browsers_get_an_html_404_api_clients_problem_json(employer):
    _, srv, _, _ = employer
    for path in ("/no/such/page", "/v2/nothing", "/s/" + "A" * 43 + "/nope"):
        r = srv.get(path, headers={"Accept": BROWSER, "Accept-Language": "nl"})
        assert r.status == 404, path
        assert r.headers["content-type"] == "text/html; charset=utf-8"
        text = r.body.decode()
        assert "<h1>Niet gevonden</h1>" in text and 'href="/verify"' in text
        assert "content-security-policy" in r.headers
    for accept in (None, "application/json", "application/json, text/html", "*/*"):
        r = srv.get("/no/such/page", headers={"Accept": accept} if accept else {})
        assert r.status == 404
        assert r.headers["content-type"] == "application/problem+json", accept
        assert r.json()["status"] == 404
    # The machine form of a share stays JSON for a browser, and an API route's errors too.
    r = srv.get("/s/" + "A" * 43 + ".json", headers={"Accept": BROWSER})
    assert r.status == 404 and r.headers["content-type"] == "application/problem+json"
    r = srv.get("/v1/me", headers={"Accept": BROWSER})
    assert r.status == 401 and r.headers["content-type"] == "application/problem+json"


def test_downloads_are_named_after_the_result(employer):
    ok, srv, bsc, course = employer
    url = ok.run("learner", "login-link", bsc["learner_id"], check=True).stdout.strip()
    session = Session(srv, cookie_of(redeem(srv, url[url.index("/login/"):])))
    base = f"/v1/me/achievements/{bsc['id']}/credential?format="
    r = session.get(base + "di")
    assert r.status == 200
    assert r.headers["content-disposition"] == 'attachment; filename="bsc-psychologie-2024.json"'
    r = session.get(base + "jwt")
    assert r.headers["content-disposition"] == 'attachment; filename="bsc-psychologie-2024.jwt"'

    _, one = share(ok, bsc["learner_id"], course["id"])
    r = srv.get(one + "/credentials")
    assert r.headers["content-disposition"] == 'attachment; filename="statistiek-1-2024.json"'
    _, two = share(ok, bsc["learner_id"], bsc["id"], course["id"])
    r = srv.get(two + "/credentials")
    assert r.headers["content-disposition"] == 'attachment; filename="daniel-de-vries.json"'
    assert len(r.json()["credentials"]) == 2


def test_dutch_share_page_is_dutch_with_dutch_formats(employer):
    ok, srv, bsc, course = employer
    _, path = share(ok, bsc["learner_id"], bsc["id"], course["id"])
    text = srv.get(path, headers={"Accept-Language": "nl-NL,nl;q=0.9"}).body.decode()
    main = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert f'<h1 id="holder">{NAME}</h1>' in main
    assert main.index(NAME) < main.index("BSc Psychologie")
    assert "30 augustus 2024" in main and "4 juli 2024" in main
    assert "<dd>7,5</dd>" in main and "<dd>9,4</dd>" in main
    assert not re.search(r"\d{4}-\d{2}-\d{2}", re.sub(r'datetime="[^"]*"', "", main))
    # The checks are explained in Dutch: none of the server's English explanations.
    assert "The signature is valid" not in main and "The credential" not in main
    assert "Het bewijs is niet gewijzigd sinds het werd ondertekend." in main


def test_dutch_access_report_writes_dutch_dates_and_numbers(employer):
    ok, _, bsc, _ = employer
    page = ok.run("learner", "report", bsc["learner_id"], "--html", "--lang", "nl",
                  check=True).stdout
    body = re.sub(r'datetime="[^"]*"', "", page)
    assert "30 augustus 2024" in body and "4 juli 2024" in body
    assert ">7,5<" in body
    assert "depository" not in body.lower().replace("oorkonde depository", "")
