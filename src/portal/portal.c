/* The learner portal's configuration, tokens, login links and sessions (see portal.h). Shares
 * live in share.c; the learner's own view in portal_view.c. */
#include "portal/portal.h"
#include "portal/internal.h"
#include "core/clock.h"
#include "core/format.h"
#include "registry/learner.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Tokens */

void portal_token_new(char out[PORTAL_TOKEN_SIZE])
{
	unsigned char raw[32];

	randombytes_buf(raw, sizeof(raw));
	sodium_bin2base64(out, PORTAL_TOKEN_SIZE, raw, sizeof(raw),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof(raw));
}

bool portal_token_valid(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < PORTAL_TOKEN_LEN; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return s[PORTAL_TOKEN_LEN] == '\0';
}

void portal_token_hash(const char *kind, const char *token, unsigned char out[STORE_HASH_BYTES])
{
	crypto_generichash_state st;

	/* The kind keeps the hashes of one token apart in each table it could be tried on. */
	crypto_generichash_init(&st, NULL, 0, STORE_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)"oorkonde portal ", 16);
	crypto_generichash_update(&st, (const unsigned char *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const unsigned char *)token, strlen(token));
	crypto_generichash_final(&st, out, STORE_HASH_BYTES);
}

void portal_csrf_token(const char *session_token, char out[PORTAL_TOKEN_SIZE])
{
	static const char label[] = "oorkonde csrf v1";
	unsigned char mac[32];

	crypto_generichash(mac, sizeof(mac), (const unsigned char *)label, sizeof(label) - 1,
	                   (const unsigned char *)session_token, strlen(session_token));
	sodium_bin2base64(out, PORTAL_TOKEN_SIZE, mac, sizeof(mac),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(mac, sizeof(mac));
}

bool portal_csrf_valid(const char *session_token, const char *csrf)
{
	char want[PORTAL_TOKEN_SIZE];
	bool ok;

	if (!portal_token_valid(session_token) || !portal_token_valid(csrf))
		return false;
	portal_csrf_token(session_token, want);
	ok = sodium_memcmp(want, csrf, PORTAL_TOKEN_LEN) == 0;
	sodium_memzero(want, sizeof(want));
	return ok;
}

void portal_time_iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "1970-01-01T00:00:00Z"); /* fixed text that fits */
}

/* Login links */

/* Links are an operator's and the tests' tool: learners sign in with an OpenID provider. */
static int links_allowed(const struct depository *d, struct ok_error *err)
{
	if (d->allow_login_links)
		return 0;
	return ok_fail(err, OK_EAUTH,
	               "sign-in links are off on this depository (set \"allow_login_links\": true "
	               "in config.json to use them)");
}

static int learner_exists(struct depository *d, const char *learner_id, struct ok_error *err)
{
	struct store_learner l;
	int rc;

	if (!depository_id_valid(learner_id))
		return ok_fail(err, OK_ENOTFOUND, "no such learner");
	store_learner_init(&l);
	rc = store_learner_get(d->store, learner_id, &l, err);
	store_learner_release(&l);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such learner");
	return rc;
}

int portal_login_link_create(struct depository *d, const char *learner_id, const char *actor,
                             char url[PORTAL_URL_MAX], int64_t *expires_ms, struct ok_error *err)
{
	return portal_login_link_create_for(d, learner_id, actor, "support", url, expires_ms, err);
}

int portal_login_link_for_national_id(struct depository *d, const char *national_id,
                                      const char *actor, char url[PORTAL_URL_MAX],
                                      int64_t *expires_ms, struct ok_error *err)
{
	char learner_id[STORE_ID_MAX + 1];
	int rc = registry_learner_find_id(d, national_id, learner_id, err);

	return rc ? rc : portal_login_link_create(d, learner_id, actor, url, expires_ms, err);
}

int portal_login_link_create_for(struct depository *d, const char *learner_id, const char *actor,
                                 const char *purpose, char url[PORTAL_URL_MAX], int64_t *expires_ms,
                                 struct ok_error *err)
{
	struct store_login_link l;
	struct audit_txn txn;
	char token[PORTAL_TOKEN_SIZE], detail[64], until[32];
	int64_t now = ok_now_ms();
	int rc;

	url[0] = '\0';
	if ((rc = links_allowed(d, err)))
		return rc;
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if ((rc = learner_exists(d, learner_id, err)))
		return audit_txn_end(&txn, rc, err);
	memset(&l, 0, sizeof(l));
	portal_token_new(token);
	portal_token_hash("login", token, l.token_hash);
	if (ok_format(l.learner_id, sizeof(l.learner_id), "%s", learner_id) ||
	    ok_format(l.created_by, sizeof(l.created_by), "%s", actor))
		return audit_txn_end(&txn, ok_fail(err, OK_EINPUT, "learner id or actor too long"),
		                     err);
	l.created_ms = now;
	l.expires_ms = now + (int64_t)d->login_link_ttl_s * 1000;
	portal_time_iso(l.expires_ms, until);
	if (ok_format(detail, sizeof(detail), "expires=%s", until))
		return audit_txn_end(&txn, ok_fail(err, OK_EINTERNAL, "audit detail too long"),
		                     err);
	/* Links that ended a day ago are forgotten: they answer "unknown" from then on. */
	rc = store_login_link_prune(d->store, now - 86400 * 1000LL, err);
	if (!rc)
		rc = store_login_link_put(d->store, &l, err);
	if (!rc)
		rc = audit_txn_event(&txn, actor, "login.link", learner_id, purpose, detail, err);
	if (!rc && ok_format(url, PORTAL_URL_MAX, "%s/login/%s", d->base_url, token))
		rc = ok_fail(err, OK_EINTERNAL, "the login link does not fit PORTAL_URL_MAX");
	if ((rc = audit_txn_end(&txn, rc, err)) == 0)
		*expires_ms = l.expires_ms;
	else
		url[0] = '\0';
	sodium_memzero(token, sizeof(token));
	return rc;
}

int portal_login_link_check(struct depository *d, const char *token, struct ok_error *err)
{
	struct store_login_link l;
	int rc;

	if ((rc = links_allowed(d, err)))
		return rc;
	if (!portal_token_valid(token))
		return ok_fail(err, OK_ENOTFOUND, "no such login link");
	portal_token_hash("login", token, l.token_hash);
	rc = store_login_link_find(d->store, l.token_hash, &l, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such login link");
	if (!rc && l.used_ms)
		return ok_fail(err, OK_EGONE,
		               "this login link was used already; ask for a new one");
	if (!rc && l.expires_ms <= ok_now_ms())
		return ok_fail(err, OK_EGONE, "this login link has expired; ask for a new one");
	return rc;
}

int portal_login(struct depository *d, const char *token, struct portal_session *out,
                 struct ok_error *err)
{
	struct store_login_link l;
	struct audit_txn txn;
	int64_t now = ok_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = links_allowed(d, err)))
		return rc;
	if (!portal_token_valid(token))
		return ok_fail(err, OK_ENOTFOUND, "no such login link");
	portal_token_hash("login", token, l.token_hash);
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_login_link_find(d->store, l.token_hash, &l, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND, "no such login link");
	else if (!rc && l.used_ms)
		rc = ok_fail(err, OK_EGONE, "this login link was used already; ask for a new one");
	else if (!rc && l.expires_ms <= now)
		rc = ok_fail(err, OK_EGONE, "this login link has expired; ask for a new one");
	if (!rc && (rc = store_login_link_use(d->store, l.token_hash, now, err)) == OK_ECONFLICT)
		rc = ok_fail(err, OK_EGONE, "this login link was used already; ask for a new one");
	if (rc)
		return audit_txn_end(&txn, rc, err);
	/* Who made the link: a session a registrar's key started is told apart from the
	 * learner's own in the audit log (and in the learner's access report). */
	rc = portal_session_open(d, &txn, l.learner_id, "", l.created_by, out, err);
	if ((rc = audit_txn_end(&txn, rc, err))) {
		sodium_memzero(out, sizeof(*out));
		return rc;
	}
	return 0;
}

int portal_session_open(struct depository *d, struct audit_txn *txn, const char *learner_id,
                        const char *provider, const char *via, struct portal_session *out,
                        struct ok_error *err)
{
	struct store_session se;
	char actor[AUDIT_ACTOR_SIZE], detail[STORE_ID_MAX + STORE_ACTOR_MAX + 96];
	int64_t now = ok_now_ms();
	int rc;

	memset(&se, 0, sizeof(se));
	depository_new_id(se.id);
	portal_token_new(out->token);
	portal_token_hash("session", out->token, se.token_hash);
	if (ok_format(se.learner_id, sizeof(se.learner_id), "%s", learner_id) ||
	    ok_format(se.provider, sizeof(se.provider), "%s", provider) ||
	    ok_format(detail, sizeof(detail), "session=%s via=%s", se.id, via))
		return ok_fail(err, OK_EINTERNAL, "learner id, provider or audit detail too long");
	se.created_ms = se.last_seen_ms = now;
	audit_actor_learner(se.learner_id, actor);
	rc = store_session_prune(d->store, now - (int64_t)d->session_idle_s * 1000,
	                         now - PORTAL_SESSION_MAX_S * 1000LL, err);
	if (!rc)
		rc = store_session_put(d->store, &se, err);
	if (!rc)
		rc = audit_txn_event(txn, actor, "learner.login", se.learner_id,
		                     PORTAL_PURPOSE_SELF, detail, err);
	if (rc)
		return rc;
	memcpy(out->id, se.id, sizeof(out->id));
	memcpy(out->learner_id, se.learner_id, sizeof(out->learner_id));
	return 0;
}

/* Sessions */

/* Activity is written at most once a second per session: enough for any idle timeout. */
#define TOUCH_EVERY_MS 1000

int portal_session_check(struct depository *d, const char *token, struct portal_session *out,
                         struct ok_error *err)
{
	unsigned char hash[STORE_HASH_BYTES];
	struct store_session se;
	struct audit_txn txn;
	int64_t now = ok_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!portal_token_valid(token))
		return ok_fail(err, OK_ENOTFOUND, "no such session");
	portal_token_hash("session", token, hash);
	rc = store_session_find(d->store, hash, &se, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such session");
	if (rc)
		return rc;
	if (now - se.last_seen_ms > (int64_t)d->session_idle_s * 1000 ||
	    now - se.created_ms > PORTAL_SESSION_MAX_S * 1000LL) {
		/* Not an event: the session ends for want of one. */
		if (!audit_txn_begin(d, &txn, NULL)) {
			store_session_delete(d->store, se.id, NULL);
			audit_txn_end(&txn, 0, NULL);
		}
		return ok_fail(err, OK_EGONE, "the session has ended; open a new login link");
	}
	if (now - se.last_seen_ms >= TOUCH_EVERY_MS) {
		if ((rc = audit_txn_begin(d, &txn, err)))
			return rc;
		rc = store_session_touch(d->store, se.id, now, err);
		if ((rc = audit_txn_end(&txn, rc, err)))
			return rc;
	}
	memcpy(out->id, se.id, sizeof(out->id));
	memcpy(out->learner_id, se.learner_id, sizeof(out->learner_id));
	return 0;
}

int portal_session_end(struct depository *d, const struct portal_session *s,
                       struct ok_error *err)
{
	struct audit_txn txn;
	char actor[AUDIT_ACTOR_SIZE], detail[STORE_ID_MAX + 16];
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_session_delete(d->store, s->id, err);
	/* The learner's own logout, in their access report as the sign-in is. */
	audit_actor_learner(s->learner_id, actor);
	if (!rc && !ok_format(detail, sizeof(detail), "session=%s", s->id))
		rc = audit_txn_event(&txn, actor, "learner.logout", s->learner_id,
		                     PORTAL_PURPOSE_SELF, detail, err);
	return audit_txn_end(&txn, rc, err);
}
