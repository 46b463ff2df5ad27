/* The SQLite schema as numbered migrations; migration N takes the schema from N-1 to N. */
#ifndef OK_STORE_SCHEMA_SQLITE_H
#define OK_STORE_SCHEMA_SQLITE_H

static const char *const sqlite_migrations[] = {
        /* 1: institutions, keys, learners (sealed), achievements, history, audit, metadata */
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE institution ("
        "  code TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,"
        "  erasmus TEXT NOT NULL DEFAULT '', schac TEXT NOT NULL DEFAULT '',"
        "  created_ms INTEGER NOT NULL);"
        "CREATE TABLE api_key ("
        "  id TEXT PRIMARY KEY, institution TEXT NOT NULL DEFAULT '',"
        "  key_hash BLOB NOT NULL UNIQUE, permissions TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL, revoked_ms INTEGER NOT NULL DEFAULT 0);"
        "CREATE TABLE learner ("
        "  id TEXT PRIMARY KEY, nid_index BLOB NOT NULL UNIQUE, digest BLOB NOT NULL,"
        "  national_id BLOB NOT NULL, given_names BLOB NOT NULL, family_name BLOB NOT NULL,"
        "  birth_date BLOB NOT NULL, key_id INTEGER NOT NULL,"
        "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL);"
        "CREATE TABLE achievement ("
        "  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"
        "  institution TEXT NOT NULL REFERENCES institution(code), record_id TEXT NOT NULL,"
        "  kind TEXT NOT NULL, title TEXT NOT NULL, programme_code TEXT NOT NULL,"
        "  eqf_level INTEGER NOT NULL, credits_centi INTEGER NOT NULL, grade TEXT NOT NULL,"
        "  grading_scheme TEXT NOT NULL, awarded_on TEXT NOT NULL, language TEXT NOT NULL,"
        "  status TEXT NOT NULL, status_index INTEGER NOT NULL, digest BLOB NOT NULL,"
        "  version INTEGER NOT NULL, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
        "  UNIQUE (institution, record_id));"
        "CREATE INDEX achievement_by_learner ON achievement (learner_id);"
        "CREATE TABLE achievement_history ("
        "  achievement_id TEXT NOT NULL, version INTEGER NOT NULL, learner_id TEXT NOT NULL,"
        "  kind TEXT NOT NULL, title TEXT NOT NULL, programme_code TEXT NOT NULL,"
        "  eqf_level INTEGER NOT NULL, credits_centi INTEGER NOT NULL, grade TEXT NOT NULL,"
        "  grading_scheme TEXT NOT NULL, awarded_on TEXT NOT NULL, language TEXT NOT NULL,"
        "  status TEXT NOT NULL, changed_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
        "  reason TEXT NOT NULL, PRIMARY KEY (achievement_id, version));"
        "CREATE TABLE audit_event ("
        "  seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, actor TEXT NOT NULL,"
        "  action TEXT NOT NULL, subject TEXT NOT NULL, purpose TEXT NOT NULL,"
        "  detail TEXT NOT NULL, prev_hash BLOB NOT NULL, hash BLOB NOT NULL);",
        /* 2: the trust list of issuers (depositories) whose credentials are accepted */
        "CREATE TABLE trusted_issuer ("
        "  did TEXT PRIMARY KEY, name TEXT NOT NULL, country TEXT NOT NULL,"
        "  source TEXT NOT NULL, status TEXT NOT NULL, since_ms INTEGER NOT NULL);",
        /* 3: Bitstring Status Lists: each achievement owns one slot (list, index) for life */
        "ALTER TABLE achievement ADD COLUMN status_list INTEGER NOT NULL DEFAULT 0;"
        "CREATE UNIQUE INDEX achievement_status_slot ON achievement (status_list, status_index)"
        "  WHERE status_index >= 0;"
        "CREATE INDEX achievement_status_changed ON achievement (status_list, status)"
        "  WHERE status <> 'active';"
        "CREATE TABLE status_list ("
        "  n INTEGER PRIMARY KEY, size INTEGER NOT NULL, used INTEGER NOT NULL,"
        "  revocation_version INTEGER NOT NULL, suspension_version INTEGER NOT NULL);"
        "CREATE TABLE status_list_credential ("
        "  purpose TEXT NOT NULL, n INTEGER NOT NULL, version INTEGER NOT NULL,"
        "  etag TEXT NOT NULL, body BLOB NOT NULL, signed_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (purpose, n));",
        /* privacy: leak detection (each key's reading window, blocked keys, read limits) */
        "CREATE TABLE key_read ("
        "  key_id TEXT NOT NULL, learner_id TEXT NOT NULL, at_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (key_id, learner_id)) WITHOUT ROWID;"
        "CREATE INDEX key_read_by_time ON key_read (key_id, at_ms);"
        "CREATE TABLE key_block ("
        "  key_id TEXT PRIMARY KEY, institution TEXT NOT NULL, blocked_ms INTEGER NOT NULL,"
        "  learners INTEGER NOT NULL, window_s INTEGER NOT NULL);"
        "CREATE TABLE read_limit ("
        "  institution TEXT PRIMARY KEY REFERENCES institution(code),"
        "  learners INTEGER NOT NULL, window_s INTEGER NOT NULL);",
        /* audit: signed checkpoints of the audit chain; events found by subject (for access
         * reports; the one index an append pays for) */
        "CREATE TABLE audit_checkpoint ("
        "  seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, head BLOB NOT NULL,"
        "  key_id INTEGER NOT NULL, public_key BLOB NOT NULL, signature BLOB NOT NULL);"
        "CREATE INDEX audit_event_by_subject ON audit_event (subject);",
        /* foreign: achievements from other depositories, the signed credential sealed */
        "CREATE TABLE foreign_achievement ("
        "  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"
        "  issuer_did TEXT NOT NULL, credential_key TEXT NOT NULL,"
        "  depository TEXT NOT NULL, country TEXT NOT NULL, institution TEXT NOT NULL,"
        "  institution_country TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL,"
        "  awarded_on TEXT NOT NULL, credits_centi INTEGER NOT NULL, grade TEXT NOT NULL,"
        "  format TEXT NOT NULL, status TEXT NOT NULL, imported_by TEXT NOT NULL,"
        "  imported_ms INTEGER NOT NULL, checked_ms INTEGER NOT NULL, key_id INTEGER NOT NULL,"
        "  credential BLOB NOT NULL, UNIQUE (issuer_did, credential_key));"
        "CREATE INDEX foreign_achievement_by_learner ON foreign_achievement (learner_id);",
        /* keys: data-key rotations (resumable) and the history of the issuer's signing keys */
        "CREATE TABLE key_rotation ("
        "  to_key INTEGER PRIMARY KEY, from_key INTEGER NOT NULL, phase INTEGER NOT NULL,"
        "  cursor TEXT NOT NULL, done INTEGER NOT NULL, total INTEGER NOT NULL,"
        "  started_ms INTEGER NOT NULL, finished_ms INTEGER NOT NULL);"
        "CREATE TABLE issuer_key ("
        "  key_id INTEGER PRIMARY KEY, public_key BLOB NOT NULL, added_ms INTEGER NOT NULL,"
        "  superseded_ms INTEGER NOT NULL, retired_ms INTEGER NOT NULL);",
        /* portal: login links, sessions, shares and their openings (tokens only hashed) */
        "CREATE TABLE login_link ("
        "  token_hash BLOB PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"
        "  created_by TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
        "  used_ms INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX login_link_by_expiry ON login_link (expires_ms);"
        "CREATE TABLE session ("
        "  id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE,"
        "  learner_id TEXT NOT NULL REFERENCES learner(id), created_ms INTEGER NOT NULL,"
        "  last_seen_ms INTEGER NOT NULL);"
        "CREATE INDEX session_by_last_seen ON session (last_seen_ms);"
        "CREATE TABLE share ("
        "  id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE,"
        "  learner_id TEXT NOT NULL REFERENCES learner(id), recipient TEXT NOT NULL,"
        "  achievements TEXT NOT NULL, created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL,"
        "  revoked_ms INTEGER NOT NULL, uses INTEGER NOT NULL, last_used_ms INTEGER NOT NULL);"
        "CREATE INDEX share_by_learner ON share (learner_id, created_ms);"
        "CREATE TABLE share_view ("
        "  share_id TEXT NOT NULL REFERENCES share(id), at_ms INTEGER NOT NULL);"
        "CREATE INDEX share_view_by_share ON share_view (share_id, at_ms);",
        /* audit checkpoints sign the checkpoint interval (-1: a v1 checkpoint, which did not) */
        "ALTER TABLE audit_checkpoint ADD COLUMN every INTEGER NOT NULL DEFAULT -1;",
        /* identity: explicit corrections of a learner's names and birth date, the values
         * before and after sealed */
        "CREATE TABLE identity_change ("
        "  id TEXT PRIMARY KEY, learner_id TEXT NOT NULL REFERENCES learner(id),"
        "  actor TEXT NOT NULL, purpose TEXT NOT NULL, fields TEXT NOT NULL,"
        "  at_ms INTEGER NOT NULL, key_id INTEGER NOT NULL, sealed BLOB NOT NULL);"
        "CREATE INDEX identity_change_by_learner ON identity_change (learner_id, at_ms);",
        /* API keys: when each was last used (for `oorkonde apikey list`) */
        "ALTER TABLE api_key ADD COLUMN last_used_ms INTEGER NOT NULL DEFAULT 0;",
        /* rate limits shared by servers: requests per limit, keyed client hash and minute */
        "CREATE TABLE ratelimit_count ("
        "  scope TEXT NOT NULL, client BLOB NOT NULL, minute INTEGER NOT NULL,"
        "  count INTEGER NOT NULL, PRIMARY KEY (scope, client, minute)) WITHOUT ROWID;"
        "CREATE INDEX ratelimit_count_by_minute ON ratelimit_count (minute);",
        /* VC-API credentials issued with status (store/vcstatus.h): a slot of the same lists
         * as achievements; the slot allocator (registry/status.c) skips slots held here */
        "CREATE TABLE vc_status ("
        "  id TEXT PRIMARY KEY, institution TEXT NOT NULL, key_id TEXT NOT NULL,"
        "  status_list INTEGER NOT NULL, status_index INTEGER NOT NULL, status TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
        "  UNIQUE (status_list, status_index));"
        "CREATE INDEX vc_status_changed ON vc_status (status_list, status)"
        "  WHERE status <> 'active';",
        /* VC-API credential ids per institution: the key (institution, id), so that one
         * institution neither learns nor takes the ids another used (the rows move over) */
        "CREATE TABLE vc_status_by_institution ("
        "  id TEXT NOT NULL, institution TEXT NOT NULL, key_id TEXT NOT NULL,"
        "  status_list INTEGER NOT NULL, status_index INTEGER NOT NULL, status TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL,"
        "  PRIMARY KEY (institution, id), UNIQUE (status_list, status_index));"
        "INSERT INTO vc_status_by_institution (id, institution, key_id, status_list,"
        "  status_index, status, created_ms, updated_ms)"
        "  SELECT id, institution, key_id, status_list, status_index, status, created_ms,"
        "  updated_ms FROM vc_status;"
        "DROP TABLE vc_status;"
        "ALTER TABLE vc_status_by_institution RENAME TO vc_status;"
        "CREATE INDEX vc_status_changed ON vc_status (status_list, status)"
        "  WHERE status <> 'active';"
        /* ... and an institution's issuances by time, for its hourly cap */
        "CREATE INDEX vc_status_by_created ON vc_status (institution, created_ms);",
        /* EMREX: the registry's contact points and the certificate each signs with
         * (store/emrex.h) */
        "CREATE TABLE emrex_ncp ("
        "  acronym TEXT PRIMARY KEY, url TEXT NOT NULL, country TEXT NOT NULL,"
        "  institutions TEXT NOT NULL, cert TEXT NOT NULL, accept_sha1 INTEGER NOT NULL,"
        "  imported_ms INTEGER NOT NULL);",
        /* retention (store/retention.h): legal holds, and the runs of the retention schedule
         * (resumable: each batch updates its run's row in the same transaction) with their
         * signed destruction certificates, kept for good */
        "CREATE TABLE legal_hold ("
        "  id TEXT PRIMARY KEY, scope TEXT NOT NULL, target TEXT NOT NULL,"
        "  reason TEXT NOT NULL, created_by TEXT NOT NULL, created_ms INTEGER NOT NULL,"
        "  released_by TEXT NOT NULL, released_ms INTEGER NOT NULL);"
        "CREATE INDEX legal_hold_in_force ON legal_hold (scope, target) WHERE released_ms = 0;"
        "CREATE TABLE retention_run ("
        "  id TEXT PRIMARY KEY, actor TEXT NOT NULL, started_ms INTEGER NOT NULL,"
        "  finished_ms INTEGER NOT NULL, now_ms INTEGER NOT NULL, schedule TEXT NOT NULL,"
        "  counts TEXT NOT NULL, audit_from INTEGER NOT NULL, audit_to INTEGER NOT NULL,"
        "  certificate TEXT NOT NULL);",
        /* EMREX sessions (store/emrex.h): one learner's exchange with a client or a contact
         * point, found by the hash of its token, used once */
        "CREATE TABLE emrex_session ("
        "  id TEXT PRIMARY KEY, token_hash BLOB NOT NULL UNIQUE, role TEXT NOT NULL,"
        "  learner_id TEXT NOT NULL, binding BLOB NOT NULL, peer_session TEXT NOT NULL,"
        "  url TEXT NOT NULL, ncp TEXT NOT NULL, created_ms INTEGER NOT NULL,"
        "  expires_ms INTEGER NOT NULL, used_ms INTEGER NOT NULL);"
        "CREATE INDEX emrex_session_expiry ON emrex_session (expires_ms);",
        /* wallet issuance, OpenID4VCI (store/vci.h): credential offers with their
         * pre-authorized codes, the access tokens they gave, single-use nonces and DPoP ids */
        "CREATE TABLE vci_offer ("
        "  id TEXT PRIMARY KEY, offer_hash BLOB NOT NULL UNIQUE, code_hash BLOB NOT NULL UNIQUE,"
        "  pin_hash BLOB NOT NULL, learner_id TEXT NOT NULL, achievements TEXT NOT NULL,"
        "  vct TEXT NOT NULL, created_by TEXT NOT NULL, pin_tries INTEGER NOT NULL,"
        "  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL, redeemed_ms INTEGER NOT NULL);"
        "CREATE INDEX vci_offer_expiry ON vci_offer (expires_ms);"
        "CREATE TABLE vci_token ("
        "  token_hash BLOB PRIMARY KEY, offer_id TEXT NOT NULL, jkt TEXT NOT NULL,"
        "  created_ms INTEGER NOT NULL, expires_ms INTEGER NOT NULL);"
        "CREATE INDEX vci_token_expiry ON vci_token (expires_ms);"
        "CREATE TABLE vci_once (hash BLOB PRIMARY KEY, expires_ms INTEGER NOT NULL);"
        "CREATE INDEX vci_once_expiry ON vci_once (expires_ms);",
        /* OpenID4VP verifier requests (store/verifier.h): each answered once, its sealed
         * result kept until keep_until_ms */
        "CREATE TABLE vp_request ("
        "  id TEXT PRIMARY KEY, view_hash BLOB NOT NULL UNIQUE, nonce TEXT NOT NULL,"
        "  state TEXT NOT NULL, spec TEXT NOT NULL, created_ms INTEGER NOT NULL,"
        "  expires_ms INTEGER NOT NULL, answered_ms INTEGER NOT NULL,"
        "  keep_until_ms INTEGER NOT NULL, verified INTEGER NOT NULL, key_id INTEGER NOT NULL,"
        "  enc_key BLOB NOT NULL, result BLOB NOT NULL);"
        "CREATE INDEX vp_request_keep ON vp_request (keep_until_ms);",
        /* The depository's own credentials by their id (store.h credential_issued_add): a
         * verification finds the achievement, and so its status, whatever the credential's
         * JSON says; gone with the achievement */
        "CREATE TABLE issued_credential ("
        "  credential_id TEXT PRIMARY KEY,"
        "  achievement_id TEXT NOT NULL REFERENCES achievement(id) ON DELETE CASCADE,"
        "  issued_ms INTEGER NOT NULL);"
        "CREATE INDEX issued_credential_by_achievement ON issued_credential (achievement_id);",
        /* OpenID sign-in (issue 20): each started flow, single use (hashes only: the state is
         * the key; nonce and PKCE verifier must match when it is taken), and which provider
         * signed a session in */
        "CREATE TABLE oidc_flow ("
        "  state_hash BLOB PRIMARY KEY, provider TEXT NOT NULL, nonce_hash BLOB NOT NULL,"
        "  verifier_hash BLOB NOT NULL, created_ms INTEGER NOT NULL,"
        "  expires_ms INTEGER NOT NULL) WITHOUT ROWID;"
        "CREATE INDEX oidc_flow_by_expiry ON oidc_flow (expires_ms);"
        "ALTER TABLE session ADD COLUMN provider TEXT NOT NULL DEFAULT '';",
        /* wallet sign-ins counted per address and per network (store/verifier.h count_client)
         * from indexed columns: the keyed hashes (64 hex digits) that a sign-in's spec held,
         * taken from the open ones; '' on every other request */
        "ALTER TABLE vp_request ADD COLUMN signin_from TEXT NOT NULL DEFAULT '';"
        "ALTER TABLE vp_request ADD COLUMN signin_net TEXT NOT NULL DEFAULT '';"
        "UPDATE vp_request SET signin_from ="
        "  substr(spec, instr(spec, '\"signin_from\":\"') + 15, 64)"
        "  WHERE instr(spec, '\"signin_from\":\"') > 0;"
        "UPDATE vp_request SET signin_net ="
        "  substr(spec, instr(spec, '\"signin_net\":\"') + 14, 64)"
        "  WHERE instr(spec, '\"signin_net\":\"') > 0;"
        "CREATE INDEX vp_request_signin_from ON vp_request (signin_from);"
        "CREATE INDEX vp_request_signin_net ON vp_request (signin_net);",
};

#endif
