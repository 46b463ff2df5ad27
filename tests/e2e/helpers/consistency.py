"""A data folder checked after a crash or a full disk: the store's integrity and foreign keys, no
orphan learners, the audit chain recomputed, and what a user can see, without random ids."""
import hashlib

from helpers import store
from helpers.base import db_readonly


# The audit chain, recomputed (src/audit/chain.c).


def _texts(h, *values):
    for text in values:
        b = text.encode("utf-8")
        h.update(len(b).to_bytes(8, "big"))
        h.update(b)


def audit_hash(prev_hash, seq, at_ms, actor, action, subject, purpose, detail):
    """Chain form v2: the time and action, and a digest of the details (which a tombstone
    keeps when the retention schedule destroys them)."""
    details = hashlib.blake2b(digest_size=32)
    details.update(b"oorkonde audit details v2")
    _texts(details, actor, subject, purpose, detail)
    h = hashlib.blake2b(digest_size=32)
    h.update(b"oorkonde audit v2")
    h.update(prev_hash)
    h.update(seq.to_bytes(8, "big"))
    h.update(at_ms.to_bytes(8, "big", signed=False))
    _texts(h, action)
    h.update(details.digest())
    return h.digest()


def check_audit_chain(conn, where):
    prev = bytes(32)
    n = 0
    for seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash_ in conn.execute(
            "SELECT seq, at_ms, actor, action, subject, purpose, detail, prev_hash, hash "
            "FROM audit_event ORDER BY seq"):
        n += 1
        assert seq == n, f"{where}: audit seq {seq} where {n} was expected (a gap)"
        assert bytes(prev_hash) == prev, f"{where}: audit event {seq} does not link to {seq - 1}"
        want = audit_hash(prev, seq, at_ms, actor, action, subject, purpose, detail)
        assert bytes(hash_) == want, f"{where}: audit event {seq}'s hash does not match"
        prev = want
    return n


def check_consistent(data, where):
    with db_readonly(data) as conn:
        assert store.integrity_problems(conn) == [], where
        orphans = conn.execute("SELECT count(*) FROM learner l WHERE NOT EXISTS "
                               "(SELECT 1 FROM achievement a WHERE a.learner_id = l.id)").fetchone()[0]
        assert orphans == 0, f"{where}: learners without achievements"
        return check_audit_chain(conn, where)


def state(data, old_ids=()):
    """What a user can see, without random ids and times: achievements (content, status,
    version; not the digest, which covers the random learner id), their history, which records belong together (one learner), and the status-list
    slots of the achievements that existed before (old_ids)."""
    with db_readonly(data) as conn:
        rows = conn.execute(
            "SELECT institution, record_id, kind, title, programme_code, eqf_level, "
            "credits_centi, grade, grading_scheme, awarded_on, language, status, version "
            "FROM achievement ORDER BY institution, record_id").fetchall()
        history = conn.execute(
            "SELECT a.record_id, h.version, h.status, h.title, h.grade, h.reason "
            "FROM achievement_history h JOIN achievement a ON a.id = h.achievement_id "
            "ORDER BY a.record_id, h.version").fetchall()
        groups = conn.execute(
            "SELECT group_concat(record_id, ' ') FROM (SELECT learner_id, record_id FROM "
            "achievement ORDER BY learner_id, record_id) AS a GROUP BY learner_id").fetchall()
        learners = conn.execute("SELECT count(*) FROM learner").fetchone()[0]
        slots = {}
        for i in old_ids:
            slots[i] = conn.execute("SELECT status_list, status_index FROM achievement "
                                    "WHERE id = ?", (i,)).fetchone()
    return dict(rows=rows, history=history, groups=sorted(g[0] for g in groups),
                learners=learners, slots=slots)
