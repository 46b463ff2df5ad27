"""demo seeds three institutions and learners, is idempotent, and the national id it suggests
can be looked up, as text and as JSON."""
import json
import re

import pytest

from helpers.base import api_key_from

DEMO_RE = re.compile(r"(\d+) achievements: (\d+) added, (\d+) updated, (\d+) unchanged; "
                     r"(\d+) new learners")


def demo_counts(stdout):
    m = DEMO_RE.search(stdout)
    assert m, stdout
    return dict(zip(("read", "added", "updated", "unchanged", "learners"),
                    map(int, m.groups())))


def suggested_nid(stdout):
    m = re.search(r"achievements --national-id (\S+)", stdout)
    assert m, stdout
    return m.group(1)


@pytest.fixture
def demo(ok):
    ok.init()
    proc = ok.run("demo", "--learners", "40", check=True)
    return ok, proc


def test_demo_seeds(demo):
    ok, proc = demo
    c = demo_counts(proc.stdout)
    assert c["read"] > 40 and c["added"] == c["read"]
    assert c["learners"] == 40
    assert proc.stdout.count("added") >= 3
    assert len(set(re.findall(r"API key \(shown once\): (\S+)", proc.stdout))) == 3
    api_key_from(proc.stdout)


def test_demo_twice_changes_nothing(demo):
    ok, first = demo
    n = demo_counts(first.stdout)["read"]
    proc = ok.run("demo", "--learners", "40")
    assert proc.returncode == 0, proc.stderr
    c = demo_counts(proc.stdout)
    assert c == {"read": n, "added": 0, "updated": 0, "unchanged": n, "learners": 0}
    assert "API key" not in proc.stdout, "keys are shown only when an institution is created"
    assert proc.stdout.count("present") == 3


def test_demo_default_size_and_lookup(ok):
    ok.init()
    proc = ok.run("demo", check=True)
    assert demo_counts(proc.stdout)["learners"] == 300
    nid = suggested_nid(proc.stdout)
    shown = ok.achievements(nid)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Learner ")


def test_suggested_national_id_shows_achievements(demo):
    ok, proc = demo
    nid = suggested_nid(proc.stdout)
    shown = ok.achievements(nid)
    assert shown.returncode == 0, shown.stderr
    first = shown.stdout.splitlines()[0]
    assert re.match(r"Learner \S+: .+, born \d{4}-\d\d-\d\d$", first), first
    assert "(nothing registered)" not in shown.stdout
    assert len(shown.stdout.splitlines()) >= 3


def test_achievements_json(demo):
    ok, proc = demo
    nid = suggested_nid(proc.stdout)
    shown = ok.achievements(nid, "--json")
    assert shown.returncode == 0, shown.stderr
    items = json.loads(shown.stdout)
    assert isinstance(items, list) and items
    for a in items:
        for key in ("id", "learner_id", "institution", "kind", "title"):
            assert isinstance(a.get(key), str) and a[key], (key, a)
        assert a["kind"] in {"diploma", "degree", "course", "module", "exam"}
    assert len({a["id"] for a in items}) == len(items)
    assert len({a["learner_id"] for a in items}) == 1
    # The text listing shows the same achievements.
    text = ok.achievements(nid).stdout
    for a in items:
        assert a["id"] in text
    # --learner-id finds the same learner.
    by_id = ok.run("achievements", "--learner-id", items[0]["learner_id"], "--json")
    assert by_id.returncode == 0, by_id.stderr
    assert json.loads(by_id.stdout) == items


def test_unknown_national_id(demo):
    ok, _ = demo
    proc = ok.achievements("999999990")
    assert proc.returncode == 1
    assert "no learner" in proc.stderr
    assert proc.stdout == ""
