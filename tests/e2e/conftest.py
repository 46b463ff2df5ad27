"""Shared fixtures for the end-to-end tests: the real oorkonde binary and a fresh data folder."""
import os
import subprocess
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary():
    path = os.environ.get("OORKONDE_BIN", str(ROOT / "build" / "src" / "cli" / "oorkonde"))
    if not os.access(path, os.X_OK):
        pytest.fail(f"oorkonde binary not found at {path}; run `make build` or set OORKONDE_BIN")
    return path


class Oorkonde:
    """Runs the binary against one data folder and returns the completed process."""

    def __init__(self, binary, data):
        self.binary = binary
        self.data = data

    def run(self, *args, input=None, check=False, env=None, timeout=300):
        full_env = dict(os.environ)
        full_env.pop("OORKONDE_DATA", None)
        if env:
            full_env.update(env)
        proc = subprocess.run([self.binary, "--data", str(self.data), *map(str, args)],
                              input=input, capture_output=True, text=True, env=full_env,
                              timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"oorkonde {' '.join(map(str, args))} exited {proc.returncode}:\n"
                                 f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        return proc


@pytest.fixture
def ok(binary, tmp_path):
    return Oorkonde(binary, tmp_path / "data")
