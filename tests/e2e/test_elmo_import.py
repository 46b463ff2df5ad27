"""EMREX, the receiving side (issue 19): `oorkonde emrex registry import` loads the EMREX
registry (EMREG JSON) and `oorkonde import-elmo` keeps an ELMO document another country's
contact point signed as foreign achievements of a learner: only when its signature verifies
with that contact point's registered certificate (RSA-SHA1 only where the registry import
accepted it, and then marked), and the document names the learner (name and birth date).
Every bad input is refused with its reason and nothing is kept: a wrong, missing or altered
signature, an unknown contact point, someone else's name or birth date, DTDs (billion laughs,
external entities), deep nesting, gzip bombs, invalid UTF-8, and signed documents without a
learner, reports or results. Documents of other 1.x revisions (elements where 1.7.0 does not
put them) are read when signed and complete.

The sending contact point ("nl") is an oorkonde depository exporting with its own key; other
signers are made here with Debian's xmlsec1 from a template and a key of cryptography's."""
import base64
import datetime
import gzip
import json
import os
import re
import shutil
import subprocess

import pytest

from helpers import store
from helpers.base import INSTITUTION, Oorkonde, make_row, write_csv
from helpers.foreign import learner_id

pytestmark = pytest.mark.skipif(not shutil.which("xmlsec1"),
                                reason="xmlsec1 (scripts/install-deps test)")

NID = "123456782"
ANNA = dict(given_names="Anna", family_name="de Vries", birth_date="2000-01-02")
DSIG_TEMPLATE = (
    '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
    '<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="{method}"/><ds:Reference URI=""><ds:Transforms>'
    '<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '</ds:Transforms><ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference>'
    '</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo>'
    '</ds:Signature>')
SHA256 = ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
          "http://www.w3.org/2001/04/xmlenc#sha256")
SHA1 = ("http://www.w3.org/2000/09/xmldsig#rsa-sha1", "http://www.w3.org/2000/09/xmldsig#sha1")


@pytest.fixture(scope="module")
def nl(binary, tmp_path_factory):
    """The sending depository, with Anna's three results, and her exported document."""
    base = tmp_path_factory.mktemp("elmo-nl")
    ok = Oorkonde(binary, base / "data")
    ok.init()
    ok.add_institution()
    rows = [make_row(record_id="C-1", title="Mechanics", credits="5", grade="7.5"),
            make_row(record_id="C-2", title="Optica", kind="module", credits="7.5",
                     awarded_on="2021-06-30", language="nl"),
            make_row(record_id="D-1", title="Bachelor Physics", kind="degree", credits="180",
                     eqf_level="6", awarded_on="2022-07-01")]
    ok.import_csv(write_csv(base / "rows.csv", rows), "--strict").check_returncode()
    ok.learner = learner_id(ok, NID)
    ok.document = base / "anna.xml"
    ok.run("export", "elmo", "--learner-id", ok.learner, "-o", ok.document, check=True)
    ok.base = base
    return ok


@pytest.fixture(scope="module")
def rsa_signer(tmp_path_factory):
    """Another contact point's RSA key and certificate (PEM files), as xmlsec1 signs with."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    base = tmp_path_factory.mktemp("elmo-signer")
    key = rsa.generate_private_key(65537, 2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Old NCP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
            .sign(key, hashes.SHA256()))
    (base / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    (base / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    der = cert.public_bytes(serialization.Encoding.DER)
    # Registries often carry the certificate as bare base64, without the PEM armour.
    (base / "cert.b64").write_text(base64.b64encode(der).decode())
    return base


def xmlsec_sign(signer, unsigned_xml, path, alg=SHA256):
    """Signs unsigned_xml (an elmo document without a signature) with signer's key."""
    tmpl = path.with_suffix(".tmpl.xml")
    text = unsigned_xml.replace("</elmo>", DSIG_TEMPLATE.format(method=alg[0], digest=alg[1])
                                + "</elmo>")
    tmpl.write_text(text)
    subprocess.run(["xmlsec1", "--sign", "--insecure",
                    "--privkey-pem",
                    f"{signer / 'key.pem'},{signer / 'cert.pem'}", "--output", str(path),
                    str(tmpl)], check=True, capture_output=True)
    return path


def unsigned(nl):
    return re.sub(r"<Signature .*</Signature>", "", nl.document.read_text(), flags=re.S)


@pytest.fixture(scope="module")
def fi_template(binary, tmp_path_factory, nl, rsa_signer):
    """fi's data folder, made once per module and copied for each test."""
    tmp_path = tmp_path_factory.mktemp("fi")
    ok = Oorkonde(binary, tmp_path / "fi")
    mark = len(store.made)
    ok.init()
    ok.add_institution(code="99FI", name="Helsingin yliopisto", country="FI")
    rows = [make_row(record_id="H-1", national_id="111222333", title="Tilastotiede",
                     **ANNA),
            make_row(record_id="H-2", national_id="444555666", given_names="Bram",
                     family_name="Smit", birth_date="2000-01-02")]
    ok.import_csv(write_csv(tmp_path / "fi.csv", rows), "--strict",
                  institution="99FI").check_returncode()
    ok.anna = learner_id(ok, "111222333")
    ok.bram = learner_id(ok, "444555666")
    ok.tmp = tmp_path
    registry = {"emps": [
        {"url": "https://emp.example.nl/emrex", "acronym": "NL-OOR", "countryCode": "NL",
         "institutions": ["testdorp.nl"], "pubKey": (nl.data / "elmo.crt").read_text()},
        {"url": "https://ncp.example.se/emrex", "acronym": "OLD", "countryCode": "SE",
         "institutions": [], "pubKey": (rsa_signer / "cert.b64").read_text()},
    ]}
    ok.registry = tmp_path / "emreg.json"
    ok.registry.write_text(json.dumps(registry))
    proc = ok.run("emrex", "registry", "import", ok.registry)
    assert proc.returncode == 0, proc.stderr
    assert "Registered 2 EMREX contact points (0 accepted with SHA-1)" in proc.stdout
    # Made during the first test that asks: kept from that test's end, dropped at the module's.
    databases = store.keep_since(mark)
    yield ok
    store.drop(databases)


@pytest.fixture
def fi(binary, tmp_path, fi_template):
    """The receiving depository: Anna (same name and birth date) and Bram, and a registry with
    nl's certificate (NL-OOR) and the RSA signer's (OLD, given as bare base64). A copy of
    fi_template's, a depository of its own that no other test touched."""
    ok = Oorkonde(binary, tmp_path / "fi")
    store.copy_folder(fi_template.data, ok.data)
    ok.anna, ok.bram, ok.tmp = fi_template.anna, fi_template.bram, tmp_path
    ok.registry = tmp_path / "emreg.json"
    shutil.copyfile(fi_template.registry, ok.registry)
    return ok


def import_elmo(ok, path, ncp="NL-OOR", learner=None):
    proc = ok.run("import-elmo", path, "--ncp", ncp, "--learner-id", learner or ok.anna,
                  "--json")
    return proc.returncode, json.loads(proc.stdout), proc


def foreign(ok, learner=None):
    records = json.loads(ok.run("achievements", "--learner-id", learner or ok.anna, "--json",
                                check=True).stdout)
    return [r for r in records if r.get("origin", {}).get("format", "").startswith("elmo")]


def test_round_trip_keeps_each_result_with_its_origin_once(fi, nl):
    rc, out, proc = import_elmo(fi, nl.document)
    assert rc == 0, proc.stderr
    assert out["imported"] and out["signature"] == "ecdsa-sha256" and not out["sha1"]
    assert (out["results"], out["added"], out["duplicates"]) == (3, 3, 0)
    held = {r["title"]: r for r in foreign(fi)}
    assert set(held) == {"Mechanics", "Optica", "Bachelor Physics"}
    optica = held["Optica"]
    assert optica["origin"]["format"] == "elmo" and optica["origin"]["country"] == "NL"
    assert optica["origin"]["issuer"] == "emrex:NL-OOR"
    assert optica["origin"]["depository"] == "EMREX NL-OOR"
    assert optica["institution"] == {"name": "Universiteit Testdorp", "country": "NL"}
    assert optica["kind"] == "module" and optica["credits"] == 7.5
    assert optica["awarded_on"] == "2021-06-30" and optica["grade"] == "7.5"
    assert held["Bachelor Physics"]["kind"] == "degree"

    rc, out, _ = import_elmo(fi, nl.document)
    assert rc == 0 and (out["added"], out["duplicates"]) == (0, 3)
    assert len(foreign(fi)) == 3

    events = json.loads(fi.run("audit", "show", "--learner-id", fi.anna, "--json",
                               check=True).stdout)
    assert any(e["action"] == "emrex.import" for e in events)
    assert any(e["action"] == "learner.read" and e["purpose"] == "emrex import"
               for e in events)
    # The same results for another learner: refused, and Bram gets nothing.
    rc, out, _ = import_elmo(fi, nl.document, learner=fi.bram)
    assert rc == 1 and out["check"] == "identity"
    assert foreign(fi, fi.bram) == []


def test_classmates_with_the_same_result_each_keep_theirs(fi, nl, rsa_signer):
    """A contact point's result identifier is usually the course's code, the same for every
    student: two learners with the same course, date and grade had documents whose results
    were byte for byte the same, and the second learner's whole import was refused ("held
    already for another learner", which also told them someone here holds it). Each learner
    now keeps their own; a re-import still finds what the learner holds."""
    same = re.sub(r'<identifier type="local">[^<]*</identifier>', "", unsigned(nl))
    same = re.sub(r"<attachment>.*</attachment>", "", same, flags=re.S)
    assert "<givenNames>Anna</givenNames><familyName>de Vries</familyName>" in same
    anna = xmlsec_sign(rsa_signer, same, fi.tmp / "anna-same.xml")
    bram = xmlsec_sign(rsa_signer, same.replace(
        "<givenNames>Anna</givenNames><familyName>de Vries</familyName>",
        "<givenNames>Bram</givenNames><familyName>Smit</familyName>"), fi.tmp / "bram-same.xml")
    rc, out, proc = import_elmo(fi, anna, ncp="OLD")
    assert rc == 0 and out["added"] == 3, proc.stdout
    rc, out, proc = import_elmo(fi, bram, ncp="OLD", learner=fi.bram)
    assert rc == 0 and out["added"] == 3, proc.stdout
    assert "another learner" not in proc.stdout + proc.stderr
    assert len(foreign(fi)) == len(foreign(fi, fi.bram)) == 3
    rc, out, _ = import_elmo(fi, anna, ncp="OLD")
    assert rc == 0 and (out["added"], out["duplicates"]) == (0, 3)


def test_gzipped_document_imports(fi, nl):
    packed = fi.tmp / "anna.xml.gz"
    packed.write_bytes(gzip.compress(nl.document.read_bytes()))
    rc, out, proc = import_elmo(fi, packed)
    assert rc == 0 and out["added"] == 3, proc.stderr


def refused(fi, path, check, reason=None, ncp="NL-OOR", learner=None):
    rc, out, proc = import_elmo(fi, path, ncp=ncp, learner=learner)
    assert rc == 1, proc.stdout + proc.stderr
    assert out["imported"] is False and out["check"] == check, out
    if reason:
        assert reason in out["reason"], out
    assert foreign(fi) == [] and foreign(fi, fi.bram) == []
    return out


def test_signature_problems_are_refused(fi, nl, rsa_signer):
    text = nl.document.read_text()
    altered = fi.tmp / "altered.xml"
    altered.write_text(text.replace("<resultLabel>7.5</resultLabel>",
                                    "<resultLabel>9.5</resultLabel>", 1))
    refused(fi, altered, "signature", "does not verify")

    stripped = fi.tmp / "unsigned.xml"
    stripped.write_text(unsigned(nl))
    refused(fi, stripped, "signature", "not signed")

    # Signed well, by a key that is not the contact point's.
    other = xmlsec_sign(rsa_signer, unsigned(nl), fi.tmp / "other.xml")
    refused(fi, other, "signature", "does not verify")
    # The KeyInfo names the signer's certificate; only the registered one counts.
    assert "X509Certificate" in other.read_text() and "<Signature " not in unsigned(nl)

    refused(fi, nl.document, "ncp", "no contact point", ncp="XX-NONE")

    twice = fi.tmp / "twice.xml"
    sig = re.search(r"<Signature .*</Signature>", text, re.S).group(0)
    twice.write_text(text.replace("</elmo>", sig + "</elmo>"))
    refused(fi, twice, "signature", "more than one")


def test_sha1_only_where_accepted_and_then_marked(fi, nl, rsa_signer):
    doc = xmlsec_sign(rsa_signer, unsigned(nl), fi.tmp / "sha1.xml", alg=SHA1)
    refused(fi, doc, "signature", "SHA-1", ncp="OLD")
    proc = fi.run("emrex", "registry", "import", fi.registry, "--accept-sha1", "NOPE")
    assert proc.returncode == 1 and "accept-sha1" in proc.stderr
    proc = fi.run("emrex", "registry", "import", fi.registry, "--accept-sha1", "OLD")
    assert proc.returncode == 0 and "(1 accepted with SHA-1)" in proc.stdout
    assert "SHA-1 accepted" in fi.run("emrex", "registry", "list", check=True).stdout
    # Accepted for OLD only: NL-OOR still may not send SHA-1 (the certificate is not its key
    # anyway, but the algorithm is refused first).
    refused(fi, doc, "signature", "SHA-1", ncp="NL-OOR")
    proc = fi.run("import-elmo", doc, "--ncp", "OLD", "--learner-id", fi.anna)
    assert proc.returncode == 0, proc.stderr
    assert "SHA-1" in proc.stdout and "elmo-sha1" in proc.stdout
    assert {r["origin"]["format"] for r in foreign(fi)} == {"elmo-sha1"}
    text = fi.run("achievements", "--learner-id", fi.anna, check=True).stdout
    assert text.count("ELMO signed with SHA-1") == 3
    # The access report says so too, in its JSON and on its page.
    report = json.loads(fi.run("learner", "report", fi.anna, check=True).stdout)
    assert {f["format"] for f in report["foreign_achievements"]} == {"elmo-sha1"}
    page = fi.tmp / "report.html"
    fi.run("learner", "report", fi.anna, "--html", "-o", page, check=True)
    assert page.read_text().count("SHA-1") == 3


def test_someone_else_is_refused(fi, nl, rsa_signer):
    refused(fi, nl.document, "identity", "someone else", learner=fi.bram)
    other_day = xmlsec_sign(rsa_signer, unsigned(nl).replace("2000-01-02", "2000-01-03"),
                            fi.tmp / "day.xml")
    refused(fi, other_day, "identity", "someone else", ncp="OLD")
    no_day = xmlsec_sign(rsa_signer, re.sub(r"<bday>[^<]*</bday>", "", unsigned(nl)),
                         fi.tmp / "noday.xml")
    refused(fi, no_day, "identity", "no birth date", ncp="OLD")


def test_incomplete_signed_documents_are_refused(fi, nl, rsa_signer):
    base = unsigned(nl)
    cases = {
        "learner": re.sub(r"<learner>.*</learner>", "", base, flags=re.S),
        "report": re.sub(r"<report>.*</report>", "", base, flags=re.S),
        "result": re.sub(r"<learningOpportunitySpecification>.*"
                         r"</learningOpportunitySpecification>", "", base, flags=re.S),
    }
    for field, text in cases.items():
        doc = xmlsec_sign(rsa_signer, text, fi.tmp / f"no-{field}.xml")
        refused(fi, doc, field, ncp="OLD")


def test_other_revisions_are_read_liberally(fi, nl, rsa_signer):
    """Elements where 1.7.0 does not expect them (issueDate first, an unknown element, the
    learner after the report, a credit value with three decimals of zeros) still import."""
    text = unsigned(nl)
    learner = re.search(r"<learner>.*</learner>", text, re.S).group(0)
    text = text.replace(learner, "")
    text = text.replace("</report>", "</report>" + learner, 1)
    text = text.replace("<report>", "<report><issueDate>2023-01-01T00:00:00Z</issueDate>"
                        "<legacyNote>from ELMO 1.4</legacyNote>", 1)
    text = text.replace("<value>7.50</value>", "<value>7.500</value>")
    doc = xmlsec_sign(rsa_signer, text, fi.tmp / "old.xml")
    rc, out, proc = import_elmo(fi, doc, ncp="OLD")
    assert rc == 0, proc.stdout + proc.stderr
    assert out["added"] == 3
    assert {r["title"] for r in foreign(fi)} == {"Mechanics", "Optica", "Bachelor Physics"}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE elmo [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]>
<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1"><learner><givenNames>&h;</givenNames></learner></elmo>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE elmo [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1"><learner><givenNames>&x;</givenNames></learner></elmo>
"""


def test_hostile_documents_are_refused(fi):
    cases = {
        "laughs.xml": (BILLION_LAUGHS.encode(), "dtd"),
        "external.xml": (EXTERNAL.encode(), "dtd"),
        "deep.xml": (b"<elmo>" + b"<a>" * 5000 + b"</a>" * 5000 + b"</elmo>", None),
        "utf8.xml": (b'<?xml version="1.0" encoding="UTF-8"?><elmo><learner><givenNames>'
                     b"\xff\xfe</givenNames></learner></elmo>", "xml"),
        "notxml.xml": (b"\x00\x01 not xml", "xml"),
        "cut.gz": (gzip.compress(b"<elmo>" + base64.b64encode(os.urandom(60000)))[:2000],
                   "elmo"),
    }
    for name, (data, check) in cases.items():
        path = fi.tmp / name
        path.write_bytes(data)
        out = refused(fi, path, check or "elmo") if check else None
        if check is None:
            rc, out, _ = import_elmo(fi, path)
            assert rc == 1 and out["check"] in ("xml", "elmo"), out
    # A gzip bomb: 64 MiB of zeros in some 64 KiB, stopped at 64 times its size.
    bomb = fi.tmp / "bomb.gz"
    bomb.write_bytes(gzip.compress(b"\0" * (64 << 20), compresslevel=9))
    out = refused(fi, bomb, "elmo", "64 times its gzip size")
    # And a plain file past the cap.
    big = fi.tmp / "big.xml"
    big.write_bytes(b"<elmo>" + b" " * (17 << 20) + b"</elmo>")
    refused(fi, big, "elmo", "MiB")
    events = json.loads(fi.run("audit", "show", "--learner-id", fi.anna, "--json",
                               check=True).stdout)
    assert sum(e["action"] == "emrex.refuse" for e in events) >= 6


def expired_certificate():
    """A self-signed P-256 certificate whose validity ended yesterday."""
    import datetime
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "old NCP")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=30))
            .not_valid_after(now - datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_registry_refuses_bad_entries_whole(fi, tmp_path):
    good = json.loads(fi.registry.read_text())
    for change, field in [({"pubKey": expired_certificate()},
                           "emps[0].pubKey: the certificate has expired"),
                          ({"url": "http://plain.example/"}, "emps[0].url"),
                          ({"countryCode": "nl"}, "emps[0].countryCode"),
                          ({"pubKey": "not a certificate"}, "emps[0].pubKey"),
                          ({"acronym": "bad acronym!"}, "emps[0].acronym")]:
        bad = json.loads(json.dumps(good))
        bad["emps"][0].update(change)
        bad["emps"][1]["acronym"] = "NEW"
        path = tmp_path / "bad.json"
        path.write_text(json.dumps(bad))
        proc = fi.run("emrex", "registry", "import", path)
        assert proc.returncode == 1 and field in proc.stderr, proc.stderr
        assert "NEW" not in fi.run("emrex", "registry", "list", check=True).stdout
    path = tmp_path / "dup.json"
    path.write_text(json.dumps({"emps": [good["emps"][0], good["emps"][0]]}))
    assert fi.run("emrex", "registry", "import", path).returncode == 1
    path.write_text('{"emps": []}')
    assert fi.run("emrex", "registry", "import", path).returncode == 1
    listed = json.loads(fi.run("emrex", "registry", "list", "--json", check=True).stdout)
    assert [n["acronym"] for n in listed] == ["NL-OOR", "OLD"]
