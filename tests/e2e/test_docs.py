"""Documentation that cannot drift: every curl example of docs/api.md runs against a demo server
set up as `make run` sets one up and must get the documented answer (the status, every JSON
member shown with its value unless it differs per server, text lines); every route of the route table (src/http/routes.c) is in docs/openapi.yaml or,
for a page, in docs/pages.md; every `oorkonde` command named in README.md and docs/*.md exists
(its --help works and names it); `trust --help` lists every trust subcommand.

The examples run in their order in docs/api.md, in one working folder (files they write, such as
credential.json, are there for the next ones). The documented identifiers (achievement, learner
and share ids, link tokens) are those of the server the examples were made on: each documented
value is replaced by the real one once an earlier answer has shown it in the same place. A
console block after `<!-- doc-test: setup NAME -->` runs after the named set-up (SETUPS below);
after `<!-- doc-test: skip REASON -->` it is listed as skipped with that reason."""
import json
import os
import pathlib
import re
import shutil
import subprocess
import time

import pytest
import yaml

from helpers.base import ROOT, SANITIZER_RE, Oorkonde

DOCS = ROOT / "docs"
MAKE_RUN_HOST = "127.0.0.1:8080"  # `make run`: init --host 127.0.0.1:8080
LEARNERS = 30  # make run seeds 300; fewer suffice for the examples and keep the test quick

ID_RE = re.compile(r"\b[0-9a-f]{24}\b")
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
DIRECTIVE_RE = re.compile(r"<!--\s*doc-test:\s*(setup|skip)\s+(.*?)\s*-->")


# ---------------------------------------------------------------------------------------------
# docs/api.md: the examples

class Example:
    def __init__(self, line, command, answer, directive):
        self.line = line
        self.command = command
        self.answer = answer  # the documented output lines
        self.directive = directive  # None, ("setup", NAME) or ("skip", REASON)

    def __repr__(self):
        return f"api.md:{self.line}"


def api_examples():
    """The `$ ` commands of the console blocks of docs/api.md that use curl, each with the
    output documented under it; and the files the text defines (`name`: then a code block)."""
    lines = (DOCS / "api.md").read_text(encoding="utf-8").splitlines()
    examples, files = [], {}
    i, directive = 0, None
    while i < len(lines):
        m = DIRECTIVE_RE.search(lines[i])
        if m:
            directive = (m.group(1), m.group(2))
        fence = re.match(r"^```(\w*)$", lines[i])
        if not fence:
            i += 1
            continue
        name = None
        for back in range(i - 1, max(i - 3, -1), -1):
            f = re.match(r"^`([\w.-]+\.(json|csv|jwt))`:$", lines[back])
            if f:
                name = f.group(1)
                break
            if lines[back].strip():
                break
        end = i + 1
        while end < len(lines) and lines[end] != "```":
            end += 1
        body = lines[i + 1:end]
        if fence.group(1) == "console":
            k = 0
            while k < len(body):
                if body[k].startswith("$ "):
                    start = k
                    k += 1
                    out = []
                    while k < len(body) and not body[k].startswith("$ "):
                        out.append(body[k])
                        k += 1
                    command = body[start][2:]
                    if "curl " in command:
                        examples.append(Example(i + 2 + start, command, out, directive))
                else:
                    k += 1
            directive = None
        elif name:
            files[name] = "\n".join(body) + "\n"
        i = end + 1
    return examples, files


EXAMPLES, FILES = api_examples()


def unelided(text):
    """JSON with the documentation's "…" (a line of its own, or a last member or item) left
    out; a "…" inside a string stays."""
    text = re.sub(r"^\s*…,?\s*$\n?", "", text, flags=re.M)
    text = re.sub(r',\s*…\s*(?=[}\]])', "", text)
    return re.sub(r",(\s*[}\]])", r"\1", text)


def split_answer(lines):
    """(status or None, headers {lower name: value}, JSON value or None, other text lines) of an
    answer as curl prints it (-i headers, -w "HTTP %{http_code}" or a bare code list, a JSON
    body, or text such as metrics)."""
    status, headers, body = None, {}, []
    for line in lines:
        line = line.rstrip("\r")
        w = re.match(r"^(.*[}\]])HTTP (\d{3})$", line)  # -w "HTTP %{http_code}" after a body
        if w:
            line, status = w.group(1), int(w.group(2))
        m = re.match(r"^HTTP/[\d.]+ (\d{3})", line) or re.match(r"^HTTP (\d{3})$", line)
        if m:
            status = int(m.group(1))
            continue
        h = re.match(r"^([A-Za-z][A-Za-z0-9-]*): (.*)$", line)
        if h and not body:
            headers[h.group(1).lower()] = h.group(2)
            continue
        if line.strip() in ("", "…") and not body:
            continue
        body.append(line)
    text = "\n".join(body).strip()
    value = None
    if text.startswith(("{", "[")):
        try:
            value = json.loads(text)
        except ValueError:
            # A documented answer may elide parts with "…": keep the members it does show.
            value = json.loads(unelided(text)) if "…" in text else None
    elif re.fullmatch(r"(\d{3}\s*)+", text):
        status = [int(c) for c in text.split()]
    if isinstance(value, dict) and status is None and isinstance(value.get("status"), int) \
            and "type" in value:
        status = value["status"]
    text_lines = [] if value is not None or isinstance(status, list) else \
        [b for b in body if b.strip() and b.strip() != "…"]
    return status, headers, value, text_lines


def line_shape(line):
    """A text line with its numbers made neutral (metrics values, bucket bounds)."""
    return re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "N", plain_text(line.rstrip()))


def learn(doc, real, mapping):
    """Pairs documented identifiers with the real ones found in the same place."""
    if isinstance(doc, dict) and isinstance(real, dict):
        for k, v in doc.items():
            if k in real:
                learn(v, real[k], mapping)
    elif isinstance(doc, list) and isinstance(real, list):
        for d, r in zip(doc, real):
            learn(d, r, mapping)
    elif isinstance(doc, str) and isinstance(real, str) and doc != real:
        if ID_RE.fullmatch(doc) or TOKEN_RE.match(doc):
            mapping.setdefault(doc, real)
        elif doc.startswith("http") and real.startswith("http"):
            d, r = doc.rsplit("/", 1)[-1], real.rsplit("/", 1)[-1]
            if TOKEN_RE.match(d) and TOKEN_RE.match(r):
                mapping.setdefault(d, r)


# Strings that differ on every server: tokens, keys, hashes and signatures (long runs of
# base64url), times, links, random status-list indexes.
VARYING_RE = re.compile(r"[A-Za-z0-9_-]{30,}|^\d{4}-\d\d-\d\dT|^https?:|^\d+$")


def plain_text(text):
    """A message with its ids, keys, times and DIDs made neutral, to compare wording."""
    text = re.sub(r"\b[0-9a-f]{24}\b|ok_[A-Za-z0-9_-]+|did:[a-z]+:[^ )\"']+", "<id>", text)
    text = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+Z|\b\d+ s\b", "<t>", text)
    # The day an event happened on this server (a revocation's date in a headline).
    return re.sub(r"\b(on|op|since|sinds) \d{1,2} [A-Za-z]+ \d{4}\b", r"\1 <date>", text)


def same_shape(doc, real, where="answer"):
    """Every member the documentation shows is in the real answer, with the same value unless
    it is one that differs on every server (ids, tokens, times, links; see plain_text)."""
    if isinstance(doc, dict):
        assert isinstance(real, dict), f"{where}: documented an object, got {real!r}"
        if "type" in doc and isinstance(doc.get("status"), int):
            for k in ("title", "detail"):
                if isinstance(doc.get(k), str) and isinstance(real.get(k), str):
                    assert plain_text(real[k]) == plain_text(doc[k]), \
                        f"{where}.{k}: documented {doc[k]!r}, got {real[k]!r}"
        for k, v in doc.items():
            assert k in real, f"{where}: documented member {k!r} missing from {real!r}"
            if k == "since":  # the day of an event on this server (a revocation, a suspension)
                continue
            if k in ("type", "status", "state", "verified", "stored", "dry_run", "check",
                     "duplicate", "format") or isinstance(v, (bool, int, float)) or v is None:
                if not isinstance(v, (dict, list)):
                    assert real[k] == v, f"{where}.{k}: documented {v!r}, got {real[k]!r}"
            if isinstance(v, str) and not VARYING_RE.search(v):
                shown, got = plain_text(v), plain_text(str(real[k]))
                if shown.endswith("…"):  # shortened: the start must be the same
                    got, shown = got[:len(shown) - 1], shown[:-1].rstrip()
                    got = got.rstrip()
                assert got == shown, f"{where}.{k}: documented {v!r}, got {real[k]!r}"
            same_shape(v, real[k], f"{where}.{k}")
    elif isinstance(doc, list) and doc and isinstance(doc[0], (dict, list)):
        assert isinstance(real, list) and real, f"{where}: documented a list, got {real!r}"
        same_shape(doc[0], real[0], f"{where}[0]")


# ---------------------------------------------------------------------------------------------
# The demo server, as `make run` makes it

def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def key_from(stdout):
    return re.search(r"\(shown once[^)]*\): (ok_\S+)", stdout).group(1)


class DocServer:
    def __init__(self, binary, base):
        self.base = base
        self.ok = Oorkonde(binary, base / "data")
        self.work = base / "work"
        self.work.mkdir()
        self.mapping = {}
        self.setups = {}  # name: (environment, port or None)
        self.extra = []  # servers the set-ups started
        ok = self.ok
        ok.run("init", "--host", MAKE_RUN_HOST, check=True)
        demo = ok.run("demo", "--learners", LEARNERS, "--login-link", check=True).stdout
        self.demo_output = demo
        self.env = {
            "KEY": key_from(ok.run("apikey", "add", "--institution", "21PB", check=True).stdout),
            "OTHER_KEY": key_from(ok.run("apikey", "add", "--institution", "25BE",
                                         check=True).stdout),
            # As the "Authentication" section of api.md makes them.
            "VC_KEY": key_from(ok.run("apikey", "add", "--permit", "vc-issue", check=True).stdout),
        }
        self.port = free_port()
        self.log = base / "serve.log"
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(ok.argv("serve", "--listen", f"127.0.0.1:{self.port}"),
                                         stdout=log, stderr=log, env=ok.env())
        deadline = time.monotonic() + 30
        while "listening on" not in self.log.read_text():
            assert self.proc.poll() is None and time.monotonic() < deadline, \
                self.log.read_text()
            time.sleep(0.05)
        # No example may hang the test: curl reads its defaults from $CURL_HOME/.curlrc.
        (self.work / ".curlrc").write_text("max-time = 30\n")
        self.env["CURL_HOME"] = str(self.work)
        for name, text in FILES.items():
            (self.work / name).write_text(text, encoding="utf-8")

    def stop(self):
        """Stops the servers; each must exit 0 without a sanitizer report."""
        codes = []
        for proc in [*self.extra, self.proc]:
            proc.terminate()
            try:
                codes.append(proc.wait(timeout=20))
            finally:
                if proc.poll() is None:
                    proc.kill()
        logs = "".join(p.read_text() for p in self.base.glob("serve*.log"))
        assert codes == [0] * len(codes) and not SANITIZER_RE.search(logs), f"{codes}\n{logs}"

    def substitute(self, text, port=None):
        text = text.replace(MAKE_RUN_HOST, f"127.0.0.1:{port or self.port}")
        for doc, real in sorted(self.mapping.items(), key=lambda kv: -len(kv[0])):
            text = text.replace(doc, real)
        return text

    def run(self, command, env=None):
        full = {**os.environ, **self.env, **(env or {})}
        full["PATH"] = f"{pathlib.Path(self.ok.binary).parent}:{full.get('PATH', '')}"
        proc = subprocess.run(["bash", "-c", command], cwd=self.work,
                              capture_output=True, text=True, env=full, timeout=60)
        return proc


@pytest.fixture(scope="module")
def docserver(binary, tmp_path_factory):
    base = tmp_path_factory.mktemp("docs")
    # `oorkonde` in a documented pipeline is the binary under test.
    shutil.copy2(binary, base / "oorkonde")
    srv = DocServer(str(base / "oorkonde"), base)
    try:
        yield srv
    finally:
        srv.stop()


# Set-ups a console block asks for with <!-- doc-test: setup NAME -->: each returns the
# environment (variables) its examples run with, and real ids for the documented ids of the block
# that no earlier answer showed (in their order of appearance).
def setup_read_limit(srv):
    """A fresh key of a fresh institution whose read limit is 2, having read 2 of its 3 learners;
    the third learner's achievement is the block's documented id."""
    ok = srv.ok
    ok.run("institution", "add", "--code", "29DT", "--name", "Doc Test Hogeschool",
           "--country", "NL", check=True)
    ok.run("institution", "set-read-limit", "29DT", "2", check=True)
    key = key_from(ok.run("apikey", "add", "--institution", "29DT", check=True).stdout)
    nids = ["111222333", "100000009", "999999990"]  # pass the eleven-test; not the demo's
    rows = [{"record_id": f"DT-{n}", "national_id": nid, "given_names": "Doc",
             "family_name": f"Test{n}", "birth_date": "2000-01-01", "kind": "course",
             "title": "Docs", "awarded_on": "2024-01-01"} for n, nid in enumerate(nids)]
    (srv.base / "dt.json").write_text(json.dumps(rows))
    auth = f"-H 'Authorization: Bearer {key}'"
    r = srv.run(f"curl -s -X POST http://127.0.0.1:{srv.port}/v1/results {auth} "
                f"-H 'Content-Type: application/json' --data-binary @{srv.base / 'dt.json'}")
    assert json.loads(r.stdout)["added"] == 3, r.stdout
    for nid in nids[:2]:
        r = srv.run(f"curl -s 'http://127.0.0.1:{srv.port}/v1/achievements?national_id={nid}' "
                    f"{auth} -H 'Oorkonde-Purpose: audit'")
        assert json.loads(r.stdout)["achievements"], r.stdout
    third = json.loads(ok.run("achievements", "--national-id", nids[2], "--json",
                              check=True).stdout)
    return {"KEY": key}, [third[0]["id"]], None


def setup_rate_limit_12(srv):
    """A second server on the same data folder with --rate-limit 12: a burst of 2, then one
    request every 5 s (time enough for the example's second command on a loaded machine)."""
    port = free_port()
    log = open(srv.base / "serve-12.log", "w")
    proc = subprocess.Popen(srv.ok.argv("serve", "--listen", f"127.0.0.1:{port}",
                                        "--rate-limit", "12"),
                            stdout=log, stderr=log, env=srv.ok.env())
    srv.extra.append(proc)
    deadline = time.monotonic() + 30
    while "listening on" not in (srv.base / "serve-12.log").read_text():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    return {}, [], port


DOC_LEARNER = "fb70720254b602df7971ffba"  # Anna de Vries, as the examples above show her
DOC_LOGIN_TOKEN = "6ccX9cdn0awQ_IHizH7ffnvh67WSeLmIhnw37ZsgmAs"


def setup_login_link(srv):
    """A one-time login link for Anna, made as the operator makes one (`oorkonde learner
    login-link`): no key can make one. The block's documented link token stands for it."""
    assert DOC_LEARNER in srv.mapping, "Anna's learner id is shown by an earlier example"
    out = srv.ok.run("learner", "login-link", srv.mapping[DOC_LEARNER], check=True).stdout
    srv.mapping[DOC_LOGIN_TOKEN] = re.search(r"/login/([A-Za-z0-9_-]{43})", out).group(1)
    return {}, [], None


def setup_correction(srv):
    """A learner of the demo university registered by the block's key, whose given names and
    birth date the block corrects (not Anna, whom later examples show as she is)."""
    row = {"record_id": "DOC-CORR-1", "national_id": "200000007", "given_names": "Jan",
           "family_name": "Jansen", "birth_date": "2001-02-03", "kind": "course",
           "title": "Docs", "awarded_on": "2024-01-01"}
    (srv.base / "corr.json").write_text(json.dumps([row]))
    r = srv.run(f"curl -s -X POST http://127.0.0.1:{srv.port}/v1/results "
                f"-H \"Authorization: Bearer $KEY\" -H 'Content-Type: application/json' "
                f"--data-binary @{srv.base / 'corr.json'}")
    assert json.loads(r.stdout)["added"] == 1, r.stdout
    found = json.loads(srv.ok.run("achievements", "--national-id", row["national_id"], "--json",
                                  check=True).stdout)
    return {}, [found[0]["learner_id"]], None


SETUPS = {"read-limit": setup_read_limit, "rate-limit-12": setup_rate_limit_12,
          "login-link": setup_login_link, "correction": setup_correction}


@pytest.mark.parametrize("example", EXAMPLES, ids=repr)
def test_api_example(docserver, example):
    env, port = None, None
    if example.directive and example.directive[0] == "skip":
        pytest.skip(example.directive[1])
    if example.directive and example.directive[0] == "setup":
        name = example.directive[1]
        assert name in SETUPS, f"{example}: unknown set-up {name!r}"
        done = docserver.setups
        if name not in done:
            env, real_ids, port = SETUPS[name](docserver)
            done[name] = (env, port)
            block = [e for e in EXAMPLES if e.directive == example.directive]
            doc_ids = []
            for e in block:
                doc_ids += [i for i in ID_RE.findall(e.command)
                            if i not in docserver.mapping and i not in doc_ids]
            docserver.mapping.update(zip(doc_ids, real_ids))
        env, port = done[name]
    want_status, want_headers, want, want_text = split_answer(example.answer)
    command = docserver.substitute(example.command, port)
    proc = docserver.run(command, env)
    got_status, got_headers, got, got_text = split_answer(proc.stdout.splitlines())
    where = f"{example} `{command[:160]}`"
    assert proc.returncode == 0 or want_status is not None, \
        f"{where}: exit {proc.returncode}\n{proc.stderr}"
    if want_status is not None:
        assert got_status == want_status, f"{where}: status {got_status}, documented " \
                                          f"{want_status}\n{proc.stdout[:2000]}"
    for name in want_headers:
        if name in ("content-type", "www-authenticate", "location", "retry-after"):
            assert name in got_headers, f"{where}: no {name} header\n{proc.stdout[:2000]}"
    if name_is_auth := want_headers.get("www-authenticate"):
        assert got_headers.get("www-authenticate") == name_is_auth, where
    got_shapes = {line_shape(g) for g in got_text}
    for line in want_text:
        if re.fullmatch(r"[A-Za-z0-9_.-]{30,}", line.strip()):  # a token, e.g. a JWT
            assert any(re.fullmatch(r"[A-Za-z0-9_.-]{30,}", g.strip()) for g in got_text), \
                f"{where}: documented a token line, got\n{proc.stdout[:2000]}"
        else:
            assert line_shape(line) in got_shapes, \
                f"{where}: documented line {line!r} not in\n{proc.stdout[:3000]}"
    etag = want_headers.get("etag")
    if etag and got_headers.get("etag"):
        docserver.mapping.setdefault(etag.strip('"'), got_headers["etag"].strip('"'))
    if want is not None:
        assert got is not None, f"{where}: documented JSON, got\n{proc.stdout[:2000]}"
        try:
            same_shape(want, got, str(example))
        except AssertionError as e:
            raise AssertionError(f"{e}\n{where}\n{proc.stdout[:2000]}\n{proc.stderr}") from None
        learn(want, got, docserver.mapping)
    session = re.search(r"oorkonde_session=([A-Za-z0-9_-]+)", proc.stdout)
    if session:
        docserver.env["SESSION"] = session.group(1)
    if isinstance(got, dict) and isinstance(got.get("csrf"), str):
        docserver.env["CSRF"] = got["csrf"]


def test_api_md_has_examples():
    # A parser that finds nothing would make every example pass.
    assert len(EXAMPLES) >= 40, EXAMPLES
    assert {"results.json", "results.csv", "issue.json"} <= set(FILES), FILES


# ---------------------------------------------------------------------------------------------
# docs/openapi.yaml against the route table

def route_table():
    text = (ROOT / "src" / "http" / "routes.c").read_text(encoding="utf-8")
    routes = re.findall(r'\{\{"([A-Z]+)", "(/[^"]*)"\}', text)
    assert len(routes) > 20, routes
    return routes


def placeholders(path):
    return re.sub(r"\{[^}]*\}|\b[A-Z][A-Z_]+\b", "*", path)


def test_every_route_is_in_openapi_or_pages():
    spec = yaml.safe_load((DOCS / "openapi.yaml").read_text(encoding="utf-8"))
    documented = {(m.upper(), placeholders(p)) for p, ops in spec["paths"].items()
                  for m in ops if m != "parameters"}
    # /s/{token}.json is the JSON answer of the /s/{token} route.
    documented |= {(m, p[:-len(".json")]) for m, p in documented if p.endswith(".json")}
    pages = {(m, placeholders(p)) for m, p in
             re.findall(r"^\| `(GET|POST) (/[^`]*)`", (DOCS / "pages.md").read_text(
                 encoding="utf-8"), re.M)}
    missing = [f"{m} {p}" for m, p in route_table()
               if (m, placeholders(p)) not in documented | pages]
    assert not missing, f"routes missing from docs/openapi.yaml (or docs/pages.md): {missing}"


def test_openapi_names_no_route_the_server_lacks():
    spec = yaml.safe_load((DOCS / "openapi.yaml").read_text(encoding="utf-8"))
    table = {(m, placeholders(p)) for m, p in route_table()}
    extra = []
    for path, ops in spec["paths"].items():
        for m in ops:
            p = placeholders(path)
            if m != "parameters" and (m.upper(), p) not in table \
                    and (m.upper(), p.removesuffix(".json")) not in table:
                extra.append(f"{m.upper()} {path}")
    assert not extra, f"docs/openapi.yaml documents routes the server does not have: {extra}"


# ---------------------------------------------------------------------------------------------
# Commands named in the documentation

CMD_RE = re.compile(r"(?<![=\w-])oorkonde(?: \[--data DIR\]| --data \S+)? ([a-z][a-z-]*)"
                    r"(?: ([a-z][a-z-]*))?(?=[\s`|;)]|$)")


def documented_commands():
    """(command, subcommand or None) for every `oorkonde ...` in code of README.md and docs/*.md
    (inline code and code blocks; the README's `$B --data mydata` is oorkonde)."""
    found = {}
    for path in [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]:
        text = path.read_text(encoding="utf-8").replace("$B --data mydata", "oorkonde")
        text = text.replace("sudo -u oorkonde ", "sudo ")  # the system user, not the command
        code = []
        for lang, block in re.findall(r"```([^\n]*)\n(.*?)```", text, re.S):
            if lang == "console":  # the commands, not what they print
                block = "\n".join(ln[2:] for ln in block.splitlines() if ln.startswith("$ "))
            code.append(block)
        code += re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
        for chunk in code:
            for line in chunk.splitlines():
                line = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
                for m in CMD_RE.finditer(line):
                    found.setdefault((m.group(1), m.group(2)), path.name)
    return sorted((c, s, doc) for (c, s), doc in found.items())


DOCUMENTED = documented_commands()


def test_documentation_names_commands():
    assert len({c for c, _, _ in DOCUMENTED}) >= 15, DOCUMENTED


@pytest.mark.parametrize("cmd,sub,doc", DOCUMENTED,
                         ids=[f"{c}-{s}" if s else c for c, s, _ in DOCUMENTED])
def test_documented_command_exists(binary, tmp_path, cmd, sub, doc):
    ok = Oorkonde(binary, tmp_path / "data")
    args = [cmd] + ([sub] if sub else []) + ["--help"]
    proc = ok.run(*args)
    if proc.returncode != 0 and sub:
        # `oorkonde learner report`: the second word may be an argument of a command without
        # subcommands; then the command alone must exist and its help show the word.
        whole = ok.run(cmd, "--help")
        assert whole.returncode == 0 and re.search(rf"\b{sub}\b", whole.stdout), \
            f"{doc}: `oorkonde {cmd} {sub}` does not exist:\n{proc.stderr}"
        return
    assert proc.returncode == 0, f"{doc}: `oorkonde {' '.join(args)}` failed:\n{proc.stderr}"
    assert re.search(rf"\b{cmd}\b", proc.stdout), proc.stdout
    if sub:
        assert re.search(rf"\b{sub}\b", proc.stdout), \
            f"{doc}: `oorkonde {cmd} {sub} --help` does not name {sub}:\n{proc.stdout}"


def test_an_unknown_subcommand_fails(ok):
    # Shows that the test above can fail: a made-up subcommand is refused.
    assert ok.run("trust", "befriend", "--help").returncode != 0
    assert ok.run("befriend", "--help").returncode != 0


def test_trust_help_lists_every_subcommand(ok):
    text = (ROOT / "src" / "cli" / "cmd_trust.c").read_text(encoding="utf-8")
    subs = set(re.findall(r'!?strcmp\(sub, "([a-z][a-z-]*)"\)', text))
    assert {"add", "list", "remove", "import", "publish"} <= subs, subs
    proc = ok.run("trust", "--help")
    assert proc.returncode == 0
    for sub in subs:
        assert re.search(rf"trust {sub}\b", proc.stdout), f"trust --help omits {sub}"
