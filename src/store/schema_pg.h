/* The PostgreSQL schema as numbered migrations; migration N takes the schema from N-1 to N.
 * Version 1 is the whole schema of the SQLite store at the time the PostgreSQL store was added
 * (SQLite's migrations 1-11 folded into one): the same tables and columns, times as BIGINT
 * milliseconds, hashes and sealed values as BYTEA. The areas' tables come from
 * schema_pg_areas.h (PG_SCHEMA_AREAS_V1). The version itself is the one row of
 * oorkonde_schema, which store_pg.c creates and reads (and locks while it migrates). */
#ifndef OK_STORE_SCHEMA_PG_H
#define OK_STORE_SCHEMA_PG_H

#include "store/schema_pg_areas.h"

static const char *const pg_migrations[] = {
        /* 1: institutions, keys, learners (sealed), achievements and their history, audit,
         * metadata, the trust list, status lists; then the areas' tables */
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE institution ("
        "  code TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,"
        "  erasmus TEXT NOT NULL DEFAULT '', schac TEXT NOT NULL DEFAULT '',"
        "  created_ms BIGINT NOT NULL);"
        "CREATE TABLE api_key ("
        "  id TEXT PRIMARY KEY, institution TEXT NOT NULL DEFAULT '',"
        "  key_hash BYTEA NOT NULL UNIQUE, permissions TEXT NOT NULL,"
        "  created_ms BIGINT NOT NULL, revoked_ms BIGINT NOT NULL DEFAULT 0,"
        "  last_used_ms BIGINT NOT NULL DEFAULT 0);"
        "CREATE TABLE learner ("
        "  id TEXT PRIMARY KEY, nid_index BYTEA NOT NULL UNIQUE, digest BYTEA NOT NULL,"
        "  national_id BYTEA NOT NULL, given_names BYTEA NOT NULL, family_name BYTEA NOT NULL,"
        "  birth_date BYTEA NOT NULL, key_id BIGINT NOT NULL,"
        "  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);"
        "CREATE TABLE achievement ("
        "  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"
        "  institution TEXT NOT NULL REFERENCES institution(code), record_id TEXT NOT NULL,"
        "  kind TEXT NOT NULL, title TEXT NOT NULL, programme_code TEXT NOT NULL,"
        "  eqf_level INTEGER NOT NULL, credits_centi BIGINT NOT NULL, grade TEXT NOT NULL,"
        "  grading_scheme TEXT NOT NULL, awarded_on TEXT NOT NULL, language TEXT NOT NULL,"
        "  status TEXT NOT NULL, status_index BIGINT NOT NULL, digest BYTEA NOT NULL,"
        "  version INTEGER NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,"
        "  status_list BIGINT NOT NULL DEFAULT 0,"
        "  UNIQUE (institution, record_id));"
        "CREATE INDEX achievement_by_learner ON achievement (learner_id);"
        "CREATE UNIQUE INDEX achievement_status_slot ON achievement (status_list, status_index)"
        "  WHERE status_index >= 0;"
        "CREATE INDEX achievement_status_changed ON achievement (status_list, status)"
        "  WHERE status <> 'active';"
        "CREATE TABLE achievement_history ("
        "  achievement_id TEXT NOT NULL, version INTEGER NOT NULL, learner_id TEXT NOT NULL,"
        "  kind TEXT NOT NULL, title TEXT NOT NULL, programme_code TEXT NOT NULL,"
        "  eqf_level INTEGER NOT NULL, credits_centi BIGINT NOT NULL, grade TEXT NOT NULL,"
        "  grading_scheme TEXT NOT NULL, awarded_on TEXT NOT NULL, language TEXT NOT NULL,"
        "  status TEXT NOT NULL, changed_ms BIGINT NOT NULL, actor TEXT NOT NULL,"
        "  reason TEXT NOT NULL, PRIMARY KEY (achievement_id, version));"
        "CREATE TABLE audit_event ("
        "  seq BIGINT PRIMARY KEY, at_ms BIGINT NOT NULL, actor TEXT NOT NULL,"
        "  action TEXT NOT NULL, subject TEXT NOT NULL, purpose TEXT NOT NULL,"
        "  detail TEXT NOT NULL, prev_hash BYTEA NOT NULL, hash BYTEA NOT NULL);"
        "CREATE TABLE trusted_issuer ("
        "  did TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,"
        "  source TEXT NOT NULL, status TEXT NOT NULL, since_ms BIGINT NOT NULL);"
        "CREATE TABLE status_list ("
        "  n BIGINT PRIMARY KEY, size BIGINT NOT NULL, used BIGINT NOT NULL,"
        "  revocation_version BIGINT NOT NULL, suspension_version BIGINT NOT NULL);"
        "CREATE TABLE status_list_credential ("
        "  purpose TEXT NOT NULL, n BIGINT NOT NULL, version BIGINT NOT NULL,"
        "  etag TEXT NOT NULL, body BYTEA NOT NULL, signed_ms BIGINT NOT NULL,"
        "  PRIMARY KEY (purpose, n));" PG_SCHEMA_AREAS_V1,
        /* 2: the writers' lock (store_pg.c locks it at begin): a table of the oorkonde role's,
         * in place of an advisory lock any role that can connect could take. Its one row is
         * there for SELECT ... FOR UPDATE, should a lock of a row ever be wanted. */
        "CREATE TABLE writer_lock (one BOOLEAN PRIMARY KEY DEFAULT true CHECK (one));"
        "INSERT INTO writer_lock DEFAULT VALUES;"
        /* ... and events by subject read in pages by sequence number */
        "CREATE INDEX audit_event_by_subject_seq ON audit_event (subject, seq);"
        "DROP INDEX audit_event_by_subject;",
        /* 3: rate limits shared by servers: requests per limit, keyed client hash and minute */
        "CREATE TABLE ratelimit_count ("
        "  scope TEXT NOT NULL, client BYTEA NOT NULL, minute BIGINT NOT NULL,"
        "  count BIGINT NOT NULL, PRIMARY KEY (scope, client, minute));"
        "CREATE INDEX ratelimit_count_by_minute ON ratelimit_count (minute);",
        /* 4: VC-API credentials issued with status (store/vcstatus.h): a slot of the same lists
         * as achievements; the slot allocator (registry/status.c) skips slots held here */
        "CREATE TABLE vc_status ("
        "  id TEXT PRIMARY KEY, institution TEXT NOT NULL, key_id TEXT NOT NULL,"
        "  status_list BIGINT NOT NULL, status_index BIGINT NOT NULL, status TEXT NOT NULL,"
        "  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,"
        "  UNIQUE (status_list, status_index));"
        "CREATE INDEX vc_status_changed ON vc_status (status_list, status)"
        "  WHERE status <> 'active';",
        /* 5: VC-API credential ids per institution: the key (institution, id), so that one
         * institution neither learns nor takes the ids another used */
        "ALTER TABLE vc_status DROP CONSTRAINT vc_status_pkey;"
        "ALTER TABLE vc_status ADD PRIMARY KEY (institution, id);"
        /* ... and an institution's issuances by time, for its hourly cap */
        "CREATE INDEX vc_status_by_created ON vc_status (institution, created_ms);",
        /* 6: EMREX: the registry's contact points and the certificate each signs with
         * (store/emrex.h) */
        "CREATE TABLE emrex_ncp ("
        "  acronym TEXT PRIMARY KEY, url TEXT NOT NULL, country TEXT NOT NULL,"
        "  institutions TEXT NOT NULL, cert TEXT NOT NULL, accept_sha1 INTEGER NOT NULL,"
        "  imported_ms BIGINT NOT NULL);",
        /* 7: retention (store/retention.h): legal holds, and the runs of the retention
         * schedule (resumable: each batch updates its run's row in the same transaction) */
        "CREATE TABLE legal_hold ("
        "  id TEXT PRIMARY KEY, scope TEXT NOT NULL, target TEXT NOT NULL,"
        "  reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms BIGINT NOT NULL,"
        "  released_by TEXT NOT NULL, released_ms BIGINT NOT NULL);"
        "CREATE INDEX legal_hold_in_force ON legal_hold (scope, target) WHERE released_ms = 0;"
        "CREATE TABLE retention_run ("
        "  id TEXT PRIMARY KEY, actor TEXT NOT NULL, started_ms BIGINT NOT NULL,"
        "  finished_ms BIGINT NOT NULL, now_ms BIGINT NOT NULL, schedule TEXT NOT NULL,"
        "  counts TEXT NOT NULL, audit_from BIGINT NOT NULL, audit_to BIGINT NOT NULL,"
        "  certificate TEXT NOT NULL);",
        /* 8: EMREX sessions (store/emrex.h): one learner's exchange with a client or a contact
         * point, found by the hash of its token, used once */
        "CREATE TABLE emrex_session ("
        "  id TEXT PRIMARY KEY, token_hash BYTEA NOT NULL UNIQUE, role TEXT NOT NULL,"
        "  learner_id TEXT NOT NULL, binding BYTEA NOT NULL, peer_session TEXT NOT NULL,"
        "  url TEXT NOT NULL, ncp TEXT NOT NULL, created_ms BIGINT NOT NULL,"
        "  expires_ms BIGINT NOT NULL, used_ms BIGINT NOT NULL);"
        "CREATE INDEX emrex_session_expiry ON emrex_session (expires_ms);",
        /* 9: wallet issuance, OpenID4VCI (store/vci.h): credential offers with their
         * pre-authorized codes, the access tokens they gave, single-use nonces and DPoP ids */
        "CREATE TABLE vci_offer ("
        "  id TEXT PRIMARY KEY, offer_hash BYTEA NOT NULL UNIQUE, code_hash BYTEA NOT NULL UNIQUE,"
        "  pin_hash BYTEA NOT NULL, learner_id TEXT NOT NULL, achievements TEXT NOT NULL,"
        "  vct TEXT NOT NULL, created_by TEXT NOT NULL, pin_tries BIGINT NOT NULL,"
        "  created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL, redeemed_ms BIGINT NOT NULL);"
        "CREATE INDEX vci_offer_expiry ON vci_offer (expires_ms);"
        "CREATE TABLE vci_token ("
        "  token_hash BYTEA PRIMARY KEY, offer_id TEXT NOT NULL, jkt TEXT NOT NULL,"
        "  created_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL);"
        "CREATE INDEX vci_token_expiry ON vci_token (expires_ms);"
        "CREATE TABLE vci_once (hash BYTEA PRIMARY KEY, expires_ms BIGINT NOT NULL);"
        "CREATE INDEX vci_once_expiry ON vci_once (expires_ms);",
        /* 10: OpenID4VP verifier requests (store/verifier.h): each answered once, its sealed
         * result kept until keep_until_ms */
        "CREATE TABLE vp_request ("
        "  id TEXT PRIMARY KEY, view_hash BYTEA NOT NULL UNIQUE, nonce TEXT NOT NULL,"
        "  state TEXT NOT NULL, spec TEXT NOT NULL, created_ms BIGINT NOT NULL,"
        "  expires_ms BIGINT NOT NULL, answered_ms BIGINT NOT NULL,"
        "  keep_until_ms BIGINT NOT NULL, verified BIGINT NOT NULL, key_id BIGINT NOT NULL,"
        "  enc_key BYTEA NOT NULL, result BYTEA NOT NULL);"
        "CREATE INDEX vp_request_keep ON vp_request (keep_until_ms);",
        /* 11: the depository's own credentials by their id (store.h credential_issued_add): a
         * verification finds the achievement, and so its status, whatever the credential's
         * JSON says; gone with the achievement */
        "CREATE TABLE issued_credential ("
        "  credential_id TEXT PRIMARY KEY,"
        "  achievement_id TEXT NOT NULL REFERENCES achievement(id) ON DELETE CASCADE,"
        "  issued_ms BIGINT NOT NULL);"
        "CREATE INDEX issued_credential_by_achievement ON issued_credential (achievement_id);",
        /* 12: OpenID sign-in (issue 20): each started flow, single use (hashes only), and which
         * provider signed a session in */
        "CREATE TABLE oidc_flow ("
        "  state_hash BYTEA PRIMARY KEY, provider TEXT NOT NULL, nonce_hash BYTEA NOT NULL,"
        "  verifier_hash BYTEA NOT NULL, created_ms BIGINT NOT NULL,"
        "  expires_ms BIGINT NOT NULL);"
        "CREATE INDEX oidc_flow_by_expiry ON oidc_flow (expires_ms);"
        "ALTER TABLE session ADD COLUMN provider TEXT NOT NULL DEFAULT '';",
        /* 13: wallet sign-ins counted per address and per network (store/verifier.h
         * count_client) from indexed columns: the keyed hashes (64 hex digits) that a sign-in's
         * spec held, taken from the open ones; '' on every other request */
        "ALTER TABLE vp_request ADD COLUMN signin_from TEXT NOT NULL DEFAULT '',"
        "  ADD COLUMN signin_net TEXT NOT NULL DEFAULT '';"
        "UPDATE vp_request SET signin_from ="
        "  substr(spec, strpos(spec, '\"signin_from\":\"') + 15, 64)"
        "  WHERE strpos(spec, '\"signin_from\":\"') > 0;"
        "UPDATE vp_request SET signin_net ="
        "  substr(spec, strpos(spec, '\"signin_net\":\"') + 14, 64)"
        "  WHERE strpos(spec, '\"signin_net\":\"') > 0;"
        "CREATE INDEX vp_request_signin_from ON vp_request (signin_from);"
        "CREATE INDEX vp_request_signin_net ON vp_request (signin_net);",
};

#endif
