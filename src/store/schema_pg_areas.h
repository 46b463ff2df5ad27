/* The PostgreSQL tables of the store's areas (leak detection, audit checkpoints, foreign
 * achievements, keys, portal, identity history), the same columns as SQLite's with PostgreSQL's
 * types: times int64 milliseconds (BIGINT), hashes and sealed values BYTEA, text TEXT.
 * schema_pg.h puts PG_SCHEMA_AREAS_V1 into migration 1 after the core's tables, which it
 * references (learner, institution, audit_event). Where SQLite orders by rowid, a table has an
 * identity column instead. */
#ifndef OK_STORE_SCHEMA_PG_AREAS_H
#define OK_STORE_SCHEMA_PG_AREAS_H

/* Kept out of clang-format, which would move the comments between the tables. */
/* clang-format off */
#define PG_SCHEMA_AREAS_V1                                                                      \
	/* leak detection: each key's reading window, blocked keys, read limits */              \
	"CREATE TABLE key_read ("                                                               \
	"  key_id TEXT NOT NULL, learner_id TEXT NOT NULL, at_ms BIGINT NOT NULL,"              \
	"  PRIMARY KEY (key_id, learner_id));"                                                  \
	"CREATE INDEX key_read_by_time ON key_read (key_id, at_ms);"                            \
	"CREATE TABLE key_block ("                                                              \
	"  key_id TEXT PRIMARY KEY, institution TEXT NOT NULL, blocked_ms BIGINT NOT NULL,"     \
	"  learners BIGINT NOT NULL, window_s BIGINT NOT NULL);"                                \
	"CREATE TABLE read_limit ("                                                             \
	"  institution TEXT PRIMARY KEY REFERENCES institution(code),"                          \
	"  learners BIGINT NOT NULL, window_s BIGINT NOT NULL);"                                \
	/* audit: signed checkpoints (every -1: a v1 checkpoint); events found by subject */    \
	"CREATE TABLE audit_checkpoint ("                                                       \
	"  seq BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, head BYTEA NOT NULL,"                 \
	"  key_id BIGINT NOT NULL, public_key BYTEA NOT NULL, signature BYTEA NOT NULL,"        \
	"  every BIGINT NOT NULL DEFAULT -1);"                                                  \
	"CREATE INDEX audit_event_by_subject ON audit_event (subject);"                         \
	/* foreign achievements, the signed credential sealed */                                \
	"CREATE TABLE foreign_achievement ("                                                    \
	"  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"               \
	"  issuer_did TEXT NOT NULL, credential_key TEXT NOT NULL,"                             \
	"  depository TEXT NOT NULL, country TEXT NOT NULL, institution TEXT NOT NULL,"         \
	"  institution_country TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,"         \
	"  awarded_on TEXT NOT NULL, credits_centi BIGINT NOT NULL, grade TEXT NOT NULL,"       \
	"  format TEXT NOT NULL, status TEXT NOT NULL, imported_by TEXT NOT NULL,"              \
	"  imported_ms BIGINT NOT NULL, checked_ms BIGINT NOT NULL, key_id BIGINT NOT NULL,"    \
	"  credential BYTEA NOT NULL, UNIQUE (issuer_did, credential_key));"                    \
	"CREATE INDEX foreign_achievement_by_learner ON foreign_achievement (learner_id);"      \
	"CREATE INDEX foreign_achievement_by_key ON foreign_achievement (key_id);"              \
	/* keys: data-key rotations (resumable) and the issuer's signing keys */                \
	"CREATE TABLE key_rotation ("                                                           \
	"  to_key BIGINT PRIMARY KEY, from_key BIGINT NOT NULL, phase INTEGER NOT NULL,"        \
	"  cursor TEXT NOT NULL, done BIGINT NOT NULL, total BIGINT NOT NULL,"                  \
	"  started_ms BIGINT NOT NULL, finished_ms BIGINT NOT NULL);"                           \
	"CREATE TABLE issuer_key ("                                                             \
	"  key_id BIGINT PRIMARY KEY, public_key BYTEA NOT NULL, added_ms BIGINT NOT NULL,"     \
	"  superseded_ms BIGINT NOT NULL, retired_ms BIGINT NOT NULL);"                         \
	/* portal: login links, sessions, shares and their openings (tokens only hashed) */     \
	"CREATE TABLE login_link ("                                                             \
	"  token_hash BYTEA PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"      \
	"  created_by TEXT NOT NULL, created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL,"   \
	"  used_ms BIGINT NOT NULL);"                                                           \
	"CREATE INDEX login_link_by_expiry ON login_link (expires_ms);"                         \
	"CREATE TABLE session ("                                                                \
	"  id TEXT PRIMARY KEY, token_hash BYTEA NOT NULL UNIQUE,"                              \
	"  learner_id TEXT NOT NULL REFERENCES learner(id), created_ms BIGINT NOT NULL,"        \
	"  last_seen_ms BIGINT NOT NULL);"                                                      \
	"CREATE INDEX session_by_last_seen ON session (last_seen_ms);"                          \
	"CREATE TABLE share ("                                                                  \
	"  id TEXT PRIMARY KEY, token_hash BYTEA NOT NULL UNIQUE,"                              \
	"  learner_id TEXT NOT NULL REFERENCES learner(id), recipient TEXT NOT NULL,"           \
	"  achievements TEXT NOT NULL, created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL," \
	"  revoked_ms BIGINT NOT NULL, uses BIGINT NOT NULL, last_used_ms BIGINT NOT NULL);"    \
	"CREATE INDEX share_by_learner ON share (learner_id, created_ms);"                      \
	"CREATE TABLE share_view ("                                                             \
	"  n BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"                              \
	"  share_id TEXT NOT NULL REFERENCES share(id), at_ms BIGINT NOT NULL);"                \
	"CREATE INDEX share_view_by_share ON share_view (share_id, at_ms);"                     \
	/* identity: corrections of a learner's names and birth date, the values sealed */      \
	"CREATE TABLE identity_change ("                                                        \
	"  n BIGINT GENERATED BY DEFAULT AS IDENTITY UNIQUE,"                                   \
	"  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"               \
	"  actor TEXT NOT NULL, purpose TEXT NOT NULL, fields TEXT NOT NULL,"                   \
	"  at_ms BIGINT NOT NULL, key_id BIGINT NOT NULL, sealed BYTEA NOT NULL);"              \
	"CREATE INDEX identity_change_by_learner ON identity_change (learner_id, at_ms);"
/* clang-format on */

#endif
