"""The wallet issuer key (SD-JWT VC, ES256) and its X.509 chain: made by `init` with a local CA
naming the host, made for an older folder by `keys add-wallet-key`, and replaced by a CA-issued
chain with `keys install-wallet-cert` only when the key, the chain and its dates agree."""
import datetime
import os
import stat

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def load_chain(path):
    end = b"-----END CERTIFICATE-----"
    parts = [p + end for p in path.read_bytes().split(end) if p.strip()]
    return [x509.load_pem_x509_certificate(p) for p in parts]


def make_ca_chain(tmp_path, host, days=30, start_days_ago=1):
    """A CA and an issuer certificate for a new P-256 key, as a CA would issue them."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=start_days_ago)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test wallet CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    chain = tmp_path / "chain.pem"
    chain.write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
    key_file = tmp_path / "key.pem"
    key_file.write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    ca_key_file = tmp_path / "ca-key.pem"
    ca_key_file.write_bytes(ca_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()))
    return chain, key_file, ca_key_file, leaf


def test_init_makes_a_wallet_key_and_local_chain(binary, tmp_path):
    from helpers.base import Oorkonde
    ok = Oorkonde(binary, tmp_path / "data")
    proc = ok.run("init", "--host", "diploma.example.nl", check=True)
    assert "wallet.key" in proc.stdout
    for name in ("wallet.key", "wallet-chain.pem"):
        mode = stat.S_IMODE(os.stat(ok.data / name).st_mode)
        assert mode == 0o600, (name, oct(mode))
    leaf, ca = load_chain(ok.data / "wallet-chain.pem")
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["diploma.example.nl"]
    assert isinstance(leaf.public_key(), ec.EllipticCurvePublicKey)
    assert leaf.public_key().curve.name == "secp256r1"
    assert leaf.issuer == ca.subject
    ca.public_key().verify(leaf.signature, leaf.tbs_certificate_bytes,
                           ec.ECDSA(leaf.signature_hash_algorithm))
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    # A second key is refused: the folder has one.
    proc = ok.run("keys", "add-wallet-key")
    assert proc.returncode != 0
    assert "already" in proc.stderr


def test_add_wallet_key_to_an_older_folder(ok):
    ok.init()
    os.unlink(ok.data / "wallet.key")
    os.unlink(ok.data / "wallet-chain.pem")
    proc = ok.run("keys", "add-wallet-key", check=True)
    assert "thumbprint" in proc.stdout
    leaf, _ = load_chain(ok.data / "wallet-chain.pem")
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]  # a did:key folder


def test_install_wallet_cert(ok, tmp_path):
    ok.init()
    before = (ok.data / "wallet.key").read_bytes()
    chain, key, ca_key, leaf = make_ca_chain(tmp_path, "diploma.example.nl")

    # The CA's key instead of the issuer's: refused, nothing changes.
    proc = ok.run("keys", "install-wallet-cert", chain, ca_key)
    assert proc.returncode != 0
    assert "does not match" in proc.stderr
    # The chain in the wrong order: refused.
    certs = chain.read_bytes().split(b"-----END CERTIFICATE-----\n")
    swapped = tmp_path / "swapped.pem"
    swapped.write_bytes(certs[1] + b"-----END CERTIFICATE-----\n" + certs[0] +
                        b"-----END CERTIFICATE-----\n")
    assert ok.run("keys", "install-wallet-cert", swapped, key).returncode != 0
    # Not PEM at all.
    junk = tmp_path / "junk.pem"
    junk.write_text("hello\n")
    proc = ok.run("keys", "install-wallet-cert", chain, junk)
    assert proc.returncode != 0 and "PEM private key" in proc.stderr
    assert (ok.data / "wallet.key").read_bytes() == before

    proc = ok.run("keys", "install-wallet-cert", chain, key, check=True)
    assert "installed" in proc.stdout
    assert (ok.data / "wallet.key").read_bytes() != before
    installed = load_chain(ok.data / "wallet-chain.pem")
    assert installed[0] == leaf
    assert stat.S_IMODE(os.stat(ok.data / "wallet.key").st_mode) == 0o600


def test_install_refuses_an_expired_chain(ok, tmp_path):
    ok.init()
    chain, key, _, _ = make_ca_chain(tmp_path, "diploma.example.nl", days=10, start_days_ago=20)
    proc = ok.run("keys", "install-wallet-cert", chain, key)
    assert proc.returncode != 0
    assert "expired" in proc.stderr
