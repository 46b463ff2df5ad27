/* SQL shared by the two back ends of the retention area (store_sqlite_retention.c,
 * store_pg_retention.c): column lists and the conditions of a legal hold in force, which both
 * dialects spell the same. Internal to src/store/. */
#ifndef OK_STORE_RETENTION_SQL_H
#define OK_STORE_RETENTION_SQL_H

#define HOLD_COLS "id, scope, target, reason, created_by, created_ms, released_by, released_ms"
#define RUN_COLS                                                                               \
	"id, actor, started_ms, finished_ms, now_ms, schedule, counts, audit_from, audit_to, " \
	"certificate"

/* A hold in force on the learner of the row aliased X. */
#define HELD_LEARNER(x)                                                                       \
	"EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms = 0 AND h.scope = 'learner' " \
	"AND h.target = " x ".learner_id)"
/* ... on an achievement (alias a), its learner or its institution. */
#define HELD_RESULT                                                        \
	"EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms = 0 AND (" \
	"(h.scope = 'learner' AND h.target = a.learner_id) OR "            \
	"(h.scope = 'institution' AND h.target = a.institution) OR "       \
	"(h.scope = 'achievement' AND h.target = a.id)))"
/* ... on a foreign achievement (alias f) or its learner. */
#define HELD_FOREIGN                                                       \
	"EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms = 0 AND (" \
	"(h.scope = 'learner' AND h.target = f.learner_id) OR "            \
	"(h.scope = 'achievement' AND h.target = f.id)))"
/* ... on the subject of an audit event (alias e): the target of one on a learner or an
 * achievement; for one on an institution, the institution itself or one of its achievements
 * (the events about its records: issuances, corrections, revocations). */
#define HELD_EVENT                                                                                 \
	"EXISTS (SELECT 1 FROM legal_hold h WHERE h.released_ms = 0 AND ((h.scope IN ('learner', " \
	"'achievement') AND h.target = e.subject) OR (h.scope = 'institution' AND (h.target = "    \
	"e.subject OR EXISTS (SELECT 1 FROM achievement ia WHERE ia.id = e.subject AND "           \
	"ia.institution = h.target)))))"
#define RESULT_KINDS "a.kind IN ('course', 'module', 'exam')"
/* The trigger date of a result (alias a) under the trigger named by parameter T: its award date,
 * or for end_of_relationship the learner's last award date of any kind (a diploma included),
 * so that every result of a learner falls due together, a period after their last one. */
#define RESULT_DATE(T)                                                                  \
	"(CASE WHEN " T " = 'end_of_relationship' THEN (SELECT max(b.awarded_on) FROM " \
	"achievement b WHERE b.learner_id = a.learner_id) ELSE a.awarded_on END)"

#endif
