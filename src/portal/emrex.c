/* EMREX over the learner's browser, on both sides (see emrex.h): the sessions, the answer a
 * contact point posts back (gzip, base64), and the answer a client takes in. */
#include "portal/emrex.h"
#include "portal/internal.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "audit/actor.h"
#include "core/clock.h"
#include "core/format.h"

#define EMREX_ACTOR_CLIENT  "emrex-client"  /* a client asking us, before anyone signed in */
#define EMREX_ACTOR_BROWSER "emrex-browser" /* a request cancelled before anyone signed in */

static bool printable_ascii(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7E)
			return false;
	return true;
}

/* The host[:port] of url (checked by emrex_url_ok), for audit details and pages. */
static void url_host(const char *url, char *out, size_t cap)
{
	const char *p = strstr(url, "://");
	size_t n;

	p = p ? p + 3 : url;
	n = strcspn(p, "/?#");
	snprintf(out, cap, "%.*s", (int)(n < 200 ? n : 200), p);
}

/* Adds a session row and its audit event (none when action is NULL) in one transaction. */
static int keep_session(struct depository *d, const struct store_emrex_session *e,
                        const char *actor, const char *action, const char *subject,
                        const char *detail, struct ok_error *err)
{
	struct audit_txn txn;
	int64_t open = 0;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	/* Expired sessions go as new ones come: the table holds only live ones and a few. */
	rc = store_emrex_session_prune(d->store, ok_now_ms() - 86400000LL, err);
	/* Anyone may open a contact point's request: their number is bounded. */
	if (!rc && !strcmp(e->role, "ncp") &&
	    !(rc = store_emrex_session_open_count(d->store, "ncp", e->created_ms, &open, err)) &&
	    open >= PORTAL_EMREX_OPEN_MAX)
		rc = ok_fail(err, OK_ELIMIT,
		             "too many EMREX requests are open here; try again in a few minutes");
	if (!rc)
		rc = store_emrex_session_put(d->store, e, err);
	if (!rc && action)
		rc = audit_txn_event(&txn, actor, action, subject, PORTAL_EMREX_PURPOSE, detail,
		                     err);
	return audit_txn_end(&txn, rc, err);
}

/* Uses the session of hash up, with its audit event, in one transaction. */
static int use_session(struct depository *d, const unsigned char hash[STORE_HASH_BYTES],
                       const char *actor, const char *action, const char *subject,
                       const char *detail, struct ok_error *err)
{
	struct audit_txn txn;
	int rc;

	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_emrex_session_use(d->store, hash, ok_now_ms(), err);
	if (rc == OK_ECONFLICT)
		rc = ok_fail(err, OK_EGONE, "this EMREX request was answered already");
	if (!rc)
		rc = audit_txn_event(&txn, actor, action, subject, PORTAL_EMREX_PURPOSE, detail,
		                     err);
	return audit_txn_end(&txn, rc, err);
}

/* The contact point's side */

int portal_emrex_open(struct depository *d, const char *session_id, const char *return_url,
                      char token[PORTAL_TOKEN_SIZE], struct ok_error *err)
{
	struct store_emrex_session e;
	int64_t now = ok_now_ms();
	int rc;

	if (!session_id || !printable_ascii(session_id, STORE_EMREX_PEER_MAX))
		return ok_fail_field(err, OK_EINPUT, "sessionId",
		                     "sessionId must be 1-%d printable ASCII characters",
		                     STORE_EMREX_PEER_MAX);
	if (!return_url || !emrex_url_ok(return_url, STORE_EMREX_URL_MAX, d->emrex_test_hosts))
		return ok_fail_field(err, OK_EINPUT, "returnUrl",
		                     "returnUrl must be an https:// URL of at most %d characters",
		                     STORE_EMREX_URL_MAX);
	memset(&e, 0, sizeof(e));
	depository_new_id(e.id);
	portal_token_new(token);
	portal_token_hash("emrex-ncp", token, e.token_hash);
	OK_COPY_ARRAY(e.role, "ncp");
	ok_copy_bounded(e.peer_session, session_id, sizeof(e.peer_session));
	ok_copy_bounded(e.url, return_url, sizeof(e.url));
	e.created_ms = now;
	e.expires_ms = now + PORTAL_EMREX_TTL_S * 1000LL;
	rc = keep_session(d, &e, EMREX_ACTOR_CLIENT, NULL, NULL, NULL, err);
	if (rc)
		sodium_memzero(token, PORTAL_TOKEN_SIZE);
	return rc;
}

static int find_session(struct depository *d, const char *kind, const char *token, const char *role,
                        unsigned char hash[STORE_HASH_BYTES], struct store_emrex_session *out,
                        struct ok_error *err)
{
	int rc;

	if (!portal_token_valid(token))
		return ok_fail(err, OK_ENOTFOUND, "no such EMREX request");
	portal_token_hash(kind, token, hash);
	rc = store_emrex_session_find(d->store, hash, out, err);
	if (rc == OK_ENOTFOUND || (!rc && strcmp(out->role, role) != 0))
		return ok_fail(err, OK_ENOTFOUND, "no such EMREX request");
	if (rc)
		return rc;
	if (out->used_ms)
		return ok_fail(err, OK_EGONE, "this EMREX request was answered already");
	if (ok_now_ms() > out->expires_ms)
		return ok_fail(err, OK_EGONE, "this EMREX request has expired (after %d minutes)",
		               PORTAL_EMREX_TTL_S / 60);
	return 0;
}

int portal_emrex_pending(struct depository *d, const char *token, struct store_emrex_session *out,
                         struct ok_error *err)
{
	unsigned char hash[STORE_HASH_BYTES];

	return find_session(d, "emrex-ncp", token, "ncp", hash, out, err);
}

void portal_emrex_answer_init(struct portal_emrex_answer *a)
{
	memset(a, 0, sizeof(*a));
	buf_init(&a->elmo, PORTAL_EMREX_B64_MAX);
}

void portal_emrex_answer_release(struct portal_emrex_answer *a)
{
	buf_release(&a->elmo);
}

/* gzip of in, in base64 (the standard alphabet, padded), appended to out. */
static int gzip_base64(const struct buf *in, struct buf *out, struct ok_error *err)
{
	z_stream z;
	unsigned char *packed;
	uLong cap = compressBound((uLong)in->len) + 64;
	size_t b64;
	int rc = 0;

	memset(&z, 0, sizeof(z));
	if (!(packed = malloc(cap)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		free(packed);
		return ok_fail(err, OK_ENOMEM, "gzip: out of memory");
	}
	z.next_in = (unsigned char *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = packed;
	z.avail_out = (uInt)cap;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		rc = ok_fail(err, OK_EINTERNAL, "gzip: the document did not fit");
	b64 = sodium_base64_encoded_len(z.total_out, sodium_base64_VARIANT_ORIGINAL);
	if (!rc && buf_grow(out, b64))
		rc = ok_fail(err, OK_ETOOBIG, "the document is too large to send");
	if (!rc) {
		sodium_bin2base64(out->data + out->len, b64, packed, z.total_out,
		                  sodium_base64_VARIANT_ORIGINAL);
		out->len += b64 - 1;
	}
	deflateEnd(&z);
	free(packed);
	return rc;
}

int portal_emrex_answer(struct depository *d, const char *token, const char *learner_id,
                        const char *const *ids, size_t n, bool cancel,
                        struct portal_emrex_answer *out, struct ok_error *err)
{
	unsigned char hash[STORE_HASH_BYTES];
	struct store_emrex_session e;
	struct elmo_export_options o = {0};
	char actor[AUDIT_ACTOR_SIZE], host[256], detail[400];
	struct buf doc;
	struct ok_error sub;
	int rc;

	if ((rc = find_session(d, "emrex-ncp", token, "ncp", hash, &e, err)))
		return rc;
	OK_COPY_ARRAY(out->return_url, e.url);
	OK_COPY_ARRAY(out->session_id, e.peer_session);
	/* A cancel needs no sign-in: then the browser is all we know of who answered. */
	if (learner_id && learner_id[0])
		audit_actor_learner(learner_id, actor);
	else if (cancel)
		ok_copy_bounded(actor, EMREX_ACTOR_BROWSER, sizeof(actor));
	else
		return ok_fail(err, OK_EAUTH, "only a signed-in learner sends results");
	url_host(e.url, host, sizeof(host));
	if (cancel || n == 0) {
		out->code = cancel ? "NCP_CANCEL" : "NCP_NO_RESULTS";
		ok_copy_bounded(out->message,
		                cancel ? "The learner cancelled the transfer."
		                       : "The learner chose no results to send.",
		                sizeof(out->message));
		snprintf(detail, sizeof(detail), "request %s: %s to %s", e.id, out->code, host);
		return use_session(d, hash, actor, "emrex.answer",
		                   learner_id && learner_id[0] ? learner_id : "emrex", detail, err);
	}
	/* Used up before the document is made: two answers to one request never leave. */
	snprintf(detail, sizeof(detail), "request %s: results to %s", e.id, host);
	if ((rc = use_session(d, hash, actor, "emrex.answer", learner_id, detail, err)))
		return rc;
	o.learner_id = learner_id;
	o.achievements = ids;
	o.achievement_count = n;
	o.actor = actor;
	o.purpose = PORTAL_EMREX_PURPOSE;
	buf_init(&doc, (size_t)32 << 20);
	ok_error_clear(&sub);
	rc = registry_elmo_export(d, &o, &doc, &out->results, &sub);
	if (!rc)
		rc = gzip_base64(&doc, &out->elmo, &sub);
	buf_release(&doc);
	if (rc == OK_EINPUT) {
		out->code = "NCP_NO_RESULTS";
		OK_COPY_ARRAY(out->message, "None of the chosen results can be sent.");
	} else if (rc) {
		out->code = "NCP_ERROR";
		/* The client learns that it failed, not our internals; the audit log has it. */
		OK_COPY_ARRAY(out->message, "The contact point could not make the document.");
		snprintf(detail, sizeof(detail), "request %s: NCP_ERROR (%.200s)", e.id,
		         sub.field[0] ? sub.field : "export");
		audit_record(d, actor, "emrex.error", learner_id, PORTAL_EMREX_PURPOSE, detail,
		             NULL);
	} else {
		out->code = "NCP_OK";
		snprintf(out->message, sizeof(out->message), "%zu results sent.", out->results);
	}
	if (rc)
		buf_reset(&out->elmo);
	return 0;
}

/* The client's side */

int portal_emrex_client_start(struct depository *d, const char *learner_id,
                              const char *session_token, const char *ncp,
                              struct portal_emrex_start *out, struct ok_error *err)
{
	struct store_emrex_ncp *n = calloc(1, sizeof(*n));
	struct store_emrex_session e;
	char actor[AUDIT_ACTOR_SIZE], detail[200];
	int64_t now = ok_now_ms();
	int rc;

	memset(out, 0, sizeof(*out));
	if (!n)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = ncp && strlen(ncp) < sizeof(n->acronym) ? store_emrex_get(d->store, ncp, n, err)
	                                             : OK_ENOTFOUND;
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, rc, "ncp", "no contact point of that name in the registry");
	if (rc)
		goto out;
	memset(&e, 0, sizeof(e));
	depository_new_id(e.id);
	portal_token_new(out->session_id);
	portal_token_hash("emrex-client", out->session_id, e.token_hash);
	portal_token_hash("session", session_token, e.binding);
	OK_COPY_ARRAY(e.role, "client");
	ok_copy_bounded(e.learner_id, learner_id, sizeof(e.learner_id));
	OK_COPY_ARRAY(e.url, n->url);
	OK_COPY_ARRAY(e.ncp, n->acronym);
	e.created_ms = now;
	e.expires_ms = now + PORTAL_EMREX_TTL_S * 1000LL;
	OK_COPY_ARRAY(out->url, n->url);
	OK_COPY_ARRAY(out->ncp, n->acronym);
	audit_actor_learner(learner_id, actor);
	snprintf(detail, sizeof(detail), "request %s to %s", e.id, n->acronym);
	rc = keep_session(d, &e, actor, "emrex.fetch", learner_id, detail, err);
	if (rc)
		memset(out, 0, sizeof(*out));
out:
	free(n);
	return rc;
}

/* message made printable ASCII or UTF-8 without control characters, cut to fit. */
static void keep_message(const char *in, char *out, size_t cap)
{
	size_t i, o = 0;

	for (i = 0; in && in[i] && o + 1 < cap; i++)
		out[o++] = (unsigned char)in[i] < 0x20 || in[i] == 0x7F ? ' ' : in[i];
	/* Not in the middle of a character. */
	while (o > 0 && o + 1 >= cap && ((unsigned char)out[o - 1] & 0xC0) == 0x80)
		o--;
	if (o > 0 && o + 1 >= cap && (unsigned char)out[o - 1] >= 0xC0)
		o--;
	out[o] = '\0';
}

static bool known_code(const char *c)
{
	return c && (strcmp(c, "NCP_OK") == 0 || strcmp(c, "NCP_NO_RESULTS") == 0 ||
	             strcmp(c, "NCP_CANCEL") == 0 || strcmp(c, "NCP_ERROR") == 0);
}

/* The base64 text (white space allowed) decoded into out. */
static int unbase64(const char *in, size_t len, struct buf *out, struct ok_error *err)
{
	size_t got = 0;

	if (len > PORTAL_EMREX_B64_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "elmo", "the document is larger than %zu MiB",
		                     PORTAL_EMREX_B64_MAX >> 20);
	if (buf_grow(out, len / 4 * 3 + 3))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if (sodium_base642bin((unsigned char *)out->data, len / 4 * 3 + 3, in, len, " \t\r\n", &got,
	                      NULL, sodium_base64_VARIANT_ORIGINAL) != 0)
		return ok_fail_field(err, OK_EINPUT, "elmo", "elmo is not base64");
	out->len = got;
	out->data[got] = '\0';
	return 0;
}

static int refuse(struct depository *d, const char *subject, const char *ncp, int rc,
                  struct ok_error *err)
{
	char detail[200];

	snprintf(detail, sizeof(detail), "answer of %.64s refused (%.64s)", ncp[0] ? ncp : "?",
	         err->field[0] ? err->field : "session");
	audit_record(d, EMREX_ACTOR_CLIENT, "emrex.refuse", subject[0] ? subject : "emrex",
	             PORTAL_EMREX_PURPOSE, detail, NULL);
	return rc;
}

/* Uses the client's session up once the answer's document checked out (registry_elmo_import's
 * gate): a refused or junk document leaves the learner's request open until it expires. */
struct use_later {
	struct depository *d;
	const unsigned char *hash;
	const char *actor, *learner_id, *detail;
	bool failed;
};

static int use_now(void *ctx, struct ok_error *err)
{
	struct use_later *u = ctx;
	int rc = use_session(u->d, u->hash, u->actor, "emrex.answered", u->learner_id, u->detail,
	                     err);

	u->failed = rc != 0;
	return rc;
}

int portal_emrex_client_return(struct depository *d, const struct portal_emrex_return *in,
                               struct portal_emrex_outcome *out, struct ok_error *err)
{
	unsigned char hash[STORE_HASH_BYTES];
	struct store_emrex_session e;
	struct store_session live;
	char actor[AUDIT_ACTOR_SIZE], detail[200];
	struct use_later later = {0};
	int64_t now = ok_now_ms();
	struct buf doc;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&e, 0, sizeof(e));
	buf_init(&doc, PORTAL_EMREX_B64_MAX);
	rc = find_session(d, "emrex-client", in->session_id, "client", hash, &e, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail_field(err, rc, "sessionId",
		                   "the answer names no request of this depository (sessionId)");
	else if (rc == OK_EGONE)
		OK_COPY_ARRAY(err->field, "sessionId");
	if (rc)
		goto refused;
	OK_COPY_ARRAY(out->ncp, e.ncp);
	keep_message(in->message, out->message, sizeof(out->message));
	if (!known_code(in->code)) {
		rc = ok_fail_field(err, OK_EINPUT, "returnCode",
		                   "returnCode must be NCP_OK, NCP_NO_RESULTS, NCP_CANCEL or "
		                   "NCP_ERROR");
		goto refused;
	}
	ok_copy_bounded(out->code, in->code, sizeof(out->code));
	/* Bound to the learner's sign-in: once they signed out, the answer is no one's. */
	rc = store_session_find(d->store, e.binding, &live, err);
	/* A session past its idle or absolute limit counts as ended even before anyone deleted
	 * it (the limits portal_session_check applies). */
	if (rc == OK_ENOTFOUND ||
	    (!rc && (strcmp(live.learner_id, e.learner_id) != 0 ||
	             now - live.last_seen_ms > (int64_t)d->session_idle_s * 1000 ||
	             now - live.created_ms > PORTAL_SESSION_MAX_S * 1000LL))) {
		rc = ok_fail_field(err, OK_EAUTH, "session",
		                   "the learner who asked has signed out since");
		goto refused;
	}
	if (rc)
		goto out;
	audit_actor_learner(e.learner_id, actor);
	snprintf(detail, sizeof(detail), "request %s: %s from %s", e.id, out->code, e.ncp);
	if (strcmp(in->code, "NCP_OK") != 0) {
		if ((rc = use_session(d, hash, actor, "emrex.answered", e.learner_id, detail, err)))
			goto refused;
		goto out;
	}
	if (!in->elmo || in->elmo_len == 0) {
		rc = ok_fail_field(err, OK_EINPUT, "elmo", "NCP_OK came without a document (elmo)");
		goto refused;
	}
	if ((rc = unbase64(in->elmo, in->elmo_len, &doc, err)))
		goto refused;
	/* registry_elmo_import audits its own refusals; the session is used up only once the
	 * document checked out (use_now), so a replay is refused but a junk answer burns nothing.
	 */
	later = (struct use_later){d, hash, actor, e.learner_id, detail, false};
	rc = registry_elmo_import(d, doc.data, doc.len, PORTAL_EMREX_XML_MAX, e.ncp, e.learner_id,
	                          actor, use_now, &later, &out->imported, err);
	if (rc && later.failed)
		goto refused;
	goto out;
refused:
	refuse(d, e.learner_id, e.ncp, rc, err);
out:
	buf_release(&doc);
	return rc;
}
