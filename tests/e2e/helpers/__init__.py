"""Plain helpers of the end-to-end tests (no fixtures, no tests): the fixtures that use them are
in ../conftest.py, and test modules import what they need from here, never from each other."""
