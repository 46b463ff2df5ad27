"""The command line answers --version and rejects unknown commands."""
import subprocess


def test_version(binary):
    proc = subprocess.run([binary, "--version"], capture_output=True, text=True)
    assert proc.returncode == 0
    assert proc.stdout.startswith("oorkonde ")
