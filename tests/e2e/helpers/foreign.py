"""Two depositories for receiving results from abroad (the `world` and `served` fixtures): abroad
(did:key, serving its status lists) issues and signs, here imports; credentials issued abroad
written to files, imports through the CLI and over HTTP, and a learner's portal session here."""
import json
import re
import socket

from helpers.base import INSTITUTION, db_scalar, write_csv

NID = "123456782"
OTHER_NID = "987654329"
NAME = ("Zoë", "Þórsdóttir")


def api_key_from(stdout):
    m = re.search(r"\(shown once[^)]*\): (\S+)", stdout)
    assert m, stdout
    return m.group(1)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def register(dep, tmp_path, rows, name, institution=INSTITUTION):
    proc = dep.import_csv(write_csv(tmp_path / f"{name}.csv", rows), "--strict",
                          institution=institution)
    assert proc.returncode == 0, proc.stderr


def learner_id(dep, nid):
    proc = dep.run("achievements", "--national-id", nid, "--json", check=True)
    records = json.loads(proc.stdout)
    return records[0]["learner_id"]


def credential(w, title="Master of Science (Physics)", fmt="di"):
    """A credential issued abroad, written to a file; returns the path."""
    proc = w["abroad"].run("issue", w["records"][title], "--format", fmt, check=True)
    path = w["dir"] / f"{title.split()[0].lower()}-{fmt}.{'json' if fmt == 'di' else 'jwt'}"
    path.write_text(proc.stdout)
    return path


def import_cli(w, path, learner=None, *options):
    return w["here"].run("import-credential", path, "--learner-id", learner or w["learner"],
                         *options)


def foreign_rows(w):
    return db_scalar(w["here"].data, "SELECT count(*) FROM foreign_achievement")


def vc_api_key(dep):
    return api_key_from(dep.run("apikey", "add", "--permit", "vc-issue", check=True).stdout)


def sign_abroad(w, extra):
    """A credential of abroad's, signed through its VC-API issue endpoint (no status entry)."""
    vc = {"@context": ["https://www.w3.org/ns/credentials/v2",
                       "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
          "type": ["VerifiableCredential", "OpenBadgeCredential"],
          "issuer": {"id": w["did"], "type": ["Profile"], "name": "abroad"},
          "credentialSubject": {"type": ["AchievementSubject"],
                                "achievement": {"type": ["Achievement"], "name": "Sauna studies",
                                                "achievementType": "Course"}}}
    vc.update(extra)
    r = w["srv"].post("/credentials/issue", {"credential": vc}, key=vc_api_key(w["abroad"]))
    assert r.status == 201, r
    path = w["dir"] / f"signed-{len(extra)}.json"
    path.write_text(json.dumps(r.json()["verifiableCredential"]))
    return path


def post_import(w, body, learner=None, key=None, ctype="application/json"):
    return w["http"].post(f"/v1/learners/{learner or w['learner']}/imports", body,
                          key=key or w["key"], ctype=ctype)


def sign_in(w, learner):
    """A portal session for learner: the headers a browser would send (cookie, CSRF token)."""
    proc = w["here"].run("learner", "login-link", learner, check=True)
    token = re.search(r"/login/(\S+)", proc.stdout).group(1)
    r = w["http"].post(f"/login/{token}", "", ctype="application/x-www-form-urlencoded")
    assert r.status == 303, r
    cookie = r.headers["set-cookie"].split(";")[0]
    me = w["http"].get("/v1/me", headers={"Cookie": cookie})
    assert me.status == 200, me
    return {"Cookie": cookie, "X-CSRF-Token": me.json()["csrf"]}
