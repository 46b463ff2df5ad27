"""EMREX, the sending side (issue 19): `oorkonde export elmo` writes a learner's results as an
ELMO document that is valid against the ELMO 1.7.0 schema (validated offline through an XML
catalog: tests/e2e/elmo-catalog.xml maps each imported schema to tests/fixtures/elmo), carries
a PDF of the same results, and is signed with an enveloped XML signature that Debian's
`xmlsec1 --verify` accepts with the depository's certificate and rejects once any element is
changed. The key is made at init (or by `keys add-elmo-key`), and a CA-issued one can be
installed (`keys install-elmo-cert`)."""
import base64
import datetime
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from helpers.base import INSTITUTION, ROOT, make_row, write_csv
from helpers.foreign import learner_id

NS = {"e": "https://github.com/emrex-eu/elmo-schemas/tree/v1",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}
SCHEMA = ROOT / "tests" / "fixtures" / "elmo" / "schema.xsd"
CATALOG = ROOT / "tests" / "e2e" / "elmo-catalog.xml"
NID = "123456782"
OTHER_NID = "111222333"

needs_tools = pytest.mark.skipif(not (shutil.which("xmllint") and shutil.which("xmlsec1")),
                                 reason="xmllint and xmlsec1 (scripts/install-deps test)")


def rows():
    return [
        make_row(record_id="C-1", title="Mechanics", credits="5", grade="7.5",
                 awarded_on="2021-01-15", language="en"),
        make_row(record_id="C-2", title="Wiskunde één", kind="module", credits="7.5",
                 grade="8", awarded_on="2021-06-30", language="nl"),
        make_row(record_id="D-1", title="Bachelor Physics", kind="degree", credits="180",
                 eqf_level="6", grade="", grading_scheme="", awarded_on="2022-07-01"),
        make_row(record_id="O-1", national_id=OTHER_NID, given_names="Bram",
                 family_name="Smit", title="Optics"),
    ]


@pytest.fixture
def dep(inst, tmp_path):
    path = tmp_path / "rows.csv"
    write_csv(path, rows())
    inst.import_csv(path).check_returncode()
    inst.learner = learner_id(inst, NID)
    records = json.loads(inst.run("achievements", "--national-id", NID, "--json",
                                  check=True).stdout)
    inst.ids = {r["record_id"]: r["id"] for r in records if "record_id" in r}
    return inst


def export(ok, out, *extra):
    return ok.run("export", "elmo", "--learner-id", ok.learner, "-o", out, *extra)


def validate(path):
    env = dict(os.environ, XML_CATALOG_FILES=str(CATALOG))
    return subprocess.run(["xmllint", "--nonet", "--noout", "--schema", str(SCHEMA), str(path)],
                          capture_output=True, text=True, env=env)


def xmlsec_verify(path, cert):
    return subprocess.run(["xmlsec1", "--verify", "--pubkey-cert-pem", str(cert), str(path)],
                          capture_output=True, text=True)


@needs_tools
def test_export_is_valid_elmo_signed_and_carries_the_results(dep, tmp_path):
    out = tmp_path / "elmo.xml"
    proc = export(dep, out)
    assert proc.returncode == 0, proc.stderr
    assert "wrote 3 results" in proc.stderr
    assert out.stat().st_mode & 0o077 == 0

    checked = validate(out)
    assert checked.returncode == 0 and "validates" in checked.stderr, checked.stderr
    verified = xmlsec_verify(out, dep.data / "elmo.crt")
    assert verified.returncode == 0 and "OK" in verified.stdout + verified.stderr

    root = ET.parse(out).getroot()
    learner = root.find("e:learner", NS)
    assert learner.findtext("e:givenNames", namespaces=NS) == "Anna"
    assert learner.findtext("e:familyName", namespaces=NS) == "de Vries"
    assert learner.findtext("e:bday", namespaces=NS) == "2000-01-02"
    assert learner.find("e:identifier", NS) is None  # no national id unless asked for
    assert NID not in out.read_text()

    (report,) = root.findall("e:report", NS)
    issuer = report.find("e:issuer", NS)
    assert issuer.findtext("e:country", namespaces=NS) == "NL"
    assert [t.get("{http://www.w3.org/XML/1998/namespace}lang")
            for t in issuer.findall("e:title", NS)] == ["nl", "en"]
    results = {los.findtext("e:title", namespaces=NS): los
               for los in report.findall("e:learningOpportunitySpecification", NS)}
    assert set(results) == {"Mechanics", "Wiskunde één", "Bachelor Physics"}  # not Bram's
    loi = results["Wiskunde één"].find("e:specifies/e:learningOpportunityInstance", NS)
    assert results["Wiskunde één"].findtext("e:type", namespaces=NS) == "Module"
    assert loi.findtext("e:credit/e:value", namespaces=NS) == "7.50"
    assert loi.findtext("e:resultLabel", namespaces=NS) == "8"
    assert loi.findtext("e:status", namespaces=NS) == "passed"
    assert loi.findtext("e:date", namespaces=NS) == "2021-06-30"
    degree = results["Bachelor Physics"]
    assert degree.findtext("e:type", namespaces=NS) == "Degree Programme"
    dloi = degree.find("e:specifies/e:learningOpportunityInstance", NS)
    assert dloi.findtext("e:level/e:value", namespaces=NS) == "6"
    assert dloi.findtext("e:credit/e:value", namespaces=NS) == "180"
    scheme_id = loi.findtext("e:gradingSchemeLocalId", namespaces=NS)
    scheme = report.find(f"e:gradingScheme[@localId='{scheme_id}']", NS)
    assert scheme.findtext("e:description", namespaces=NS) == "NL 1-10"

    generated = datetime.datetime.strptime(root.findtext("e:generatedDate", namespaces=NS),
                                           "%Y-%m-%dT%H:%M:%SZ")
    assert abs((datetime.datetime.utcnow() - generated).total_seconds()) < 600

    content = root.findtext("e:attachment/e:content", namespaces=NS)
    assert content.startswith("data:application/pdf;base64,")
    pdf = base64.b64decode(content.split(",", 1)[1])
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert b"(  2021-01-15  Mechanics) '" in pdf and b"Wiskunde \\351\\351n" in pdf
    # The cross-reference table points at each object.
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[xref:xref + 4] == b"xref"
    for n, offset in enumerate(re.findall(rb"(\d{10}) 00000 n", pdf), start=1):
        assert pdf[int(offset):].startswith(b"%d 0 obj" % n)

    sig = root.find("ds:Signature", NS)
    assert sig is not None and list(root)[-1] is sig
    assert sig.find("ds:SignedInfo/ds:SignatureMethod", NS).get("Algorithm").endswith(
        "ecdsa-sha256")
    ref = sig.find("ds:SignedInfo/ds:Reference", NS)
    assert ref.get("URI") == ""
    assert [t.get("Algorithm") for t in ref.findall("ds:Transforms/ds:Transform", NS)] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#"]
    assert sig.find("ds:KeyInfo/ds:X509Data/ds:X509Certificate", NS).text.strip()


@needs_tools
@pytest.mark.parametrize("old,new", [
    ("<givenNames>Anna</givenNames>", "<givenNames>Anne</givenNames>"),
    ("<resultLabel>7.5</resultLabel>", "<resultLabel>9.5</resultLabel>"),
    ("<value>180</value>", "<value>240</value>"),
    ("<status>passed</status>", "<status>failed</status>"),
    ("<country>NL</country>", "<country>BE</country>"),
    ("<bday>2000-01-02</bday>", "<bday>2000-01-03</bday>"),
    ("</learner>", "<citizenship>NL</citizenship></learner>"),
    ("data:application/pdf;base64,J", "data:application/pdf;base64,K"),
])
def test_changing_any_element_breaks_the_signature(dep, tmp_path, old, new):
    out = tmp_path / "elmo.xml"
    export(dep, out).check_returncode()
    text = out.read_text()
    assert old in text
    changed = tmp_path / "changed.xml"
    changed.write_text(text.replace(old, new, 1))
    assert xmlsec_verify(out, dep.data / "elmo.crt").returncode == 0
    assert xmlsec_verify(changed, dep.data / "elmo.crt").returncode != 0


def test_export_is_audited_and_limited_to_the_learners_active_results(dep, tmp_path):
    out = tmp_path / "one.xml"
    proc = export(dep, out, "--achievements", dep.ids["C-1"])
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert "Mechanics" in text and "Bachelor Physics" not in text

    events = json.loads(dep.run("audit", "show", "--learner-id", dep.learner, "--json",
                                check=True).stdout)
    assert any(e["action"] == "learner.read" and e["purpose"] == "emrex export" for e in events)

    other = json.loads(dep.run("achievements", "--national-id", OTHER_NID, "--json",
                               check=True).stdout)[0]["id"]
    proc = export(dep, tmp_path / "x.xml", "--achievements", other)
    assert proc.returncode == 1 and "not this learner's" in proc.stderr
    assert not (tmp_path / "x.xml").exists()

    dep.run("revoke", dep.ids["C-1"], "--reason", "fraud", check=True)
    export(dep, out).check_returncode()
    assert "Mechanics" not in out.read_text()

    proc = dep.run("export", "elmo", "--learner-id", "nosuchlearner", "-o", tmp_path / "n.xml")
    assert proc.returncode == 1 and "learner" in proc.stderr


def test_national_id_only_when_asked_for(dep, tmp_path):
    out = tmp_path / "nid.xml"
    export(dep, out, "--with-national-id").check_returncode()
    learner = ET.parse(out).getroot().find("e:learner", NS)
    assert learner.findtext("e:identifier[@type='nationalIdentifier']", namespaces=NS) == NID


def test_key_sealed_at_rest_and_shown(dep):
    sealed = (dep.data / "elmo.key").read_bytes()
    assert b"PRIVATE KEY" not in sealed
    assert (dep.data / "elmo.key").stat().st_mode & 0o077 == 0
    proc = dep.run("keys", "elmo-key", check=True)
    assert "ELMO signing certificate" in proc.stdout and "SHA-256 fingerprint" in proc.stdout
    proc = dep.run("keys", "add-elmo-key")
    assert proc.returncode == 2 and "already" in proc.stderr


@needs_tools
def test_installed_ca_certificate_signs_and_a_foreign_key_is_refused(dep, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID

    def pem_pair(key, cn):
        now = datetime.datetime.now(datetime.timezone.utc)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(ca)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=30))
                .sign(ca_key, hashes.SHA256()))
        return (cert.public_bytes(serialization.Encoding.PEM),
                key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))

    cert, key = pem_pair(rsa.generate_private_key(65537, 2048), "Test NCP")
    (tmp_path / "c.pem").write_bytes(cert)
    (tmp_path / "k.pem").write_bytes(key)
    _, other_key = pem_pair(rsa.generate_private_key(65537, 2048), "Other")
    (tmp_path / "other.pem").write_bytes(other_key)

    proc = dep.run("keys", "install-elmo-cert", tmp_path / "c.pem", tmp_path / "other.pem")
    assert proc.returncode == 2 and "not the certificate's key" in proc.stderr
    proc = dep.run("keys", "install-elmo-cert", tmp_path / "c.pem", tmp_path / "k.pem")
    assert proc.returncode == 0, proc.stderr
    assert "CN=Test NCP" in proc.stdout

    out = tmp_path / "rsa.xml"
    export(dep, out).check_returncode()
    assert "rsa-sha256" in out.read_text()
    assert validate(out).returncode == 0
    assert xmlsec_verify(out, tmp_path / "c.pem").returncode == 0


@needs_tools
def test_key_survives_a_data_key_rotation(dep, tmp_path):
    before = (dep.data / "elmo.key").read_bytes()
    proc = dep.run("keys", "rotate-data-key")
    assert proc.returncode == 0, proc.stderr
    after = (dep.data / "elmo.key").read_bytes()
    # Sealed again under the new data key (the id in the seal's header), the old one dropped.
    assert after[1:5] != before[1:5]
    assert len((dep.data / "data.key").read_text().split("\n")) == 2
    out = tmp_path / "after.xml"
    export(dep, out).check_returncode()
    assert xmlsec_verify(out, dep.data / "elmo.crt").returncode == 0
