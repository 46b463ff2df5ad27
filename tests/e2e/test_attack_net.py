"""An outsider's attacks on the public verifier and on foreign imports, found in the attack review
after issue 13 (items 4, 7, 12), each against a real server on loopback, bounded in count and time.
The verifier world of test_hostile_net is reused."""
import time

import signing
from test_hostile_net import credential, details, verify, world  # noqa: F401 (fixture)


def test_created_on_a_day_that_does_not_exist_is_not_a_way_around_the_future_check(world):
    """A proof created "2099-02-30" passed: the proof's own check let any day up to 31 through
    and the future check skipped a time it could not read, so the signer's clock was never
    compared. Such a created is not a date; a later one in the future must fail as future."""
    ok = world["ok"]
    did = ok.run("identity", check=True).stdout.splitlines()[0]
    year = time.gmtime().tm_year + 50
    for created in (f"{year}-02-30T00:00:00Z", f"{year}-04-31T12:00:00.5+01:00"):
        vc = signing.sign(ok, credential(did), created=created)
        r, _ = verify(world, vc)
        d = details(r)
        assert r.json()["verified"] is False, (created, r.json())
        assert not d["proof"]["passed"], (created, d)
    # A real day, long past, still verifies: only days that do not exist are refused.
    vc = signing.sign(ok, credential(did), created="2024-02-29T10:00:00Z")
    r, _ = verify(world, vc)
    assert r.json()["verified"] is True, r.json()
