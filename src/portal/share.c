/* Shares: a learner's consent to show chosen achievements to a named recipient until a date;
 * listing and revoking them, the openings, and the verifier's opening of one, with every
 * credential issued and verified on the spot (see portal.h). */
#include "io/utf8.h"
#include "core/format.h"
#include "registry/achievement.h"
#include "portal/portal.h"
#include "portal/internal.h"
#include "audit/group.h"
#include "registry/verify.h"
#include "registry/verify_summary.h"
#include "core/clock.h"

#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DAY_MS (86400 * 1000LL)

/* JSON forms */

static json_t *ids_json(const char *list)
{
	json_t *a = json_array();
	const char *p = list, *comma;

	while (a && *p) {
		comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (json_array_append_new(a, json_stringn(p, n))) {
			json_decref(a);
			return NULL;
		}
		p += n + (comma ? 1 : 0);
	}
	return a;
}

static json_t *iso_json(int64_t ms)
{
	char when[32];

	portal_time_iso(ms, when);
	return json_string(when);
}

json_t *portal_share_json(const struct store_share *sh)
{
	json_t *ids = ids_json(sh->achievements);

	if (!ids)
		return NULL;
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:I, s:o, s:o}", "id", sh->id, "recipient",
	                 sh->recipient, "created", iso_json(sh->created_ms), "expires",
	                 iso_json(sh->expires_ms), "revoked", sh->revoked_ms != 0, "revoked_at",
	                 sh->revoked_ms ? iso_json(sh->revoked_ms) : json_null(), "uses",
	                 (json_int_t)sh->uses, "last_used",
	                 sh->last_used_ms ? iso_json(sh->last_used_ms) : json_null(),
	                 "achievements", ids);
}

/* Creating */

/* A recipient label: 1..200 characters of UTF-8, no control characters (C0, DEL, C1), no
 * bidirectional controls or zero-width characters, not only spaces. */
static int check_recipient(const char *r, struct ok_error *err)
{
	size_t i, len, n = r ? strlen(r) : 0, chars = 0;
	bool visible = false;
	uint32_t c;

	if (!r || !utf8_valid(r, n))
		return ok_fail_field(err, OK_EINPUT, "recipient",
		                     "recipient must be text (UTF-8) naming who may look");
	for (i = 0; i < n; i += len) {
		c = utf8_decode(r + i, &len);
		if (c < 0x20 || (c >= 0x7f && c <= 0x9f))
			return ok_fail_field(err, OK_EINPUT, "recipient",
			                     "recipient must not hold control characters");
		if (utf8_is_hidden(c))
			return ok_fail_field(err, OK_EINPUT, "recipient",
			                     "recipient must not hold bidirectional-control or "
			                     "zero-width characters (U+%04X)",
			                     (unsigned)c);
		chars++;
		if (c != ' ')
			visible = true;
	}
	if (!visible || chars > PORTAL_RECIPIENT_CHARS_MAX || n > STORE_SHARE_RECIPIENT_MAX)
		return ok_fail_field(err, OK_EINPUT, "recipient",
		                     "recipient must be 1-%d characters, e.g. \"Employer X\"",
		                     PORTAL_RECIPIENT_CHARS_MAX);
	return 0;
}

static int check_input(const struct portal_share_input *in, struct ok_error *err)
{
	size_t i, j;
	int rc;

	if (!depository_id_valid(in->learner_id))
		return ok_fail_field(err, OK_EINPUT, "learner_id",
		                     "learner_id is not a learner id");
	if (in->n < 1 || in->n > PORTAL_SHARE_ACHIEVEMENTS)
		return ok_fail_field(err, OK_EINPUT, "achievements",
		                     "achievements must list 1-%d of the learner's achievements",
		                     PORTAL_SHARE_ACHIEVEMENTS);
	for (i = 0; i < in->n; i++) {
		if (!depository_id_valid(in->achievements[i]))
			return ok_fail_field(err, OK_EINPUT, "achievements",
			                     "achievements[%zu] is not an achievement id", i);
		for (j = 0; j < i; j++)
			if (strcmp(in->achievements[i], in->achievements[j]) == 0)
				return ok_fail_field(err, OK_EINPUT, "achievements",
				                     "achievements[%zu] is listed twice", i);
	}
	if ((rc = check_recipient(in->recipient, err)))
		return rc;
	if (in->days < 1 || in->days > PORTAL_SHARE_DAYS_MAX)
		return ok_fail_field(err, OK_EINPUT, "days",
		                     "days must be a whole number from 1 to %d",
		                     PORTAL_SHARE_DAYS_MAX);
	return 0;
}

/* Checks that every achievement is the learner's own and joins their ids. */
static int own_achievements(struct depository *d, const struct portal_share_input *in,
                            char list[STORE_SHARE_IDS_MAX], struct ok_error *err)
{
	struct store_achievement a;
	size_t i, used = 0;
	int rc;

	for (i = 0; i < in->n; i++) {
		rc = store_achievement_get(d->store, in->achievements[i], &a, err);
		/* Another learner's achievement is refused exactly as a missing one is. */
		if (rc == OK_ENOTFOUND || (!rc && strcmp(a.learner_id, in->learner_id) != 0))
			return ok_fail_field(err, OK_EINPUT, "achievements",
			                     "achievements[%zu] is not one of the learner's "
			                     "achievements",
			                     i);
		if (rc)
			return rc;
		/* What the institution has withdrawn is not the learner's to show as valid. */
		if (strcmp(a.status, "revoked") == 0 || strcmp(a.status, "suspended") == 0)
			return ok_fail_field(
			        err, OK_ECONFLICT, "achievements",
			        "achievements[%zu] is %s by the institution and cannot "
			        "be shared",
			        i, a.status);
		if (ok_format(list + used, STORE_SHARE_IDS_MAX - used, "%s%s", i ? "," : "", a.id))
			return ok_fail_field(err, OK_EINPUT, "achievements",
			                     "too many achievements for one share");
		used += strlen(list + used);
	}
	return 0;
}

/* Creates the share of an input check_input() has accepted. */
static int create_checked(struct depository *d, const struct portal_share_input *in, json_t **out,
                          struct ok_error *err)
{
	struct store_share sh;
	struct audit_txn txn;
	char token[PORTAL_TOKEN_SIZE], url[PORTAL_URL_MAX], detail[96];
	int64_t now = ok_now_ms();
	json_t *doc = NULL;
	int rc;

	memset(&sh, 0, sizeof(sh));
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	if ((rc = own_achievements(d, in, sh.achievements, err)))
		return audit_txn_end(&txn, rc, err);
	depository_new_id(sh.id);
	portal_token_new(token);
	portal_token_hash("share", token, sh.token_hash);
	if (ok_format(sh.learner_id, sizeof(sh.learner_id), "%s", in->learner_id) ||
	    ok_format(sh.recipient, sizeof(sh.recipient), "%s", in->recipient))
		return audit_txn_end(&txn,
		                     ok_fail_field(err, OK_EINPUT, "to",
		                                   "the learner id or recipient is too long"),
		                     err);
	sh.created_ms = now;
	sh.expires_ms = now + in->days * DAY_MS;
	/* The recipient is the learner's free text: it stays out of the audit log. */
	if (ok_format(detail, sizeof(detail), "share=%s achievements=%zu days=%d", sh.id, in->n,
	              in->days))
		return audit_txn_end(&txn, ok_fail(err, OK_EINTERNAL, "audit detail too long"),
		                     err);
	rc = store_share_put(d->store, &sh, err);
	if (!rc)
		rc = audit_txn_event(&txn, in->actor, "share.create", sh.learner_id,
		                     PORTAL_PURPOSE_SHARE, detail, err);
	if (!rc && ok_format(url, sizeof(url), "%s/s/%s", d->base_url, token))
		rc = ok_fail(err, OK_EINTERNAL, "the share's URL does not fit");
	if (!rc) {
		doc = json_pack("{s:s, s:s, s:s, s:o, s:o}", "id", sh.id, "url", url, "recipient",
		                sh.recipient, "expires", iso_json(sh.expires_ms), "achievements",
		                ids_json(sh.achievements));
		if (!doc)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
	}
	sodium_memzero(token, sizeof(token));
	sodium_memzero(url, sizeof(url));
	if ((rc = audit_txn_end(&txn, rc, err))) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

int portal_share_create(struct depository *d, const struct portal_share_input *in, json_t **out,
                        struct ok_error *err)
{
	int rc;

	*out = NULL;
	if ((rc = check_input(in, err)))
		return rc;
	return create_checked(d, in, out, err);
}

int portal_share_request(const json_t *body, const char *learner_id, const char *actor,
                         const char *ids[PORTAL_SHARE_ACHIEVEMENTS], struct portal_share_input *out,
                         struct ok_error *err)
{
	struct portal_share_input in = {0};
	const json_t *list, *days, *v;
	const char *key;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(body))
		return ok_fail(err, OK_EINPUT,
		               "the body must be {\"achievements\": [ids], \"recipient\": "
		               "\"...\", \"days\": 30}");
	json_object_foreach((json_t *)body, key, v)
	{
		if (strcmp(key, "achievements") && strcmp(key, "recipient") && strcmp(key, "days"))
			return ok_fail_field(err, OK_EINPUT, "body",
			                     "unknown member; a share takes achievements, "
			                     "recipient and days");
	}
	list = json_object_get(body, "achievements");
	if (!json_is_array(list) || json_array_size(list) < 1 ||
	    json_array_size(list) > PORTAL_SHARE_ACHIEVEMENTS)
		return ok_fail_field(err, OK_EINPUT, "achievements",
		                     "achievements must be a list of 1-%d achievement ids",
		                     PORTAL_SHARE_ACHIEVEMENTS);
	json_array_foreach(list, i, v)
	{
		if (!json_is_string(v))
			return ok_fail_field(err, OK_EINPUT, "achievements",
			                     "achievements[%zu] must be an achievement id", i);
		ids[i] = json_string_value(v);
	}
	if (!json_is_string(json_object_get(body, "recipient")))
		return ok_fail_field(err, OK_EINPUT, "recipient",
		                     "recipient must be text naming who may look, e.g. "
		                     "\"Employer X\"");
	days = json_object_get(body, "days");
	if (days && !json_is_integer(days))
		return ok_fail_field(err, OK_EINPUT, "days",
		                     "days must be a whole number from 1 to %d",
		                     PORTAL_SHARE_DAYS_MAX);
	in.learner_id = learner_id;
	in.achievements = ids;
	in.n = json_array_size(list);
	in.recipient = json_string_value(json_object_get(body, "recipient"));
	in.days = PORTAL_SHARE_DAYS_DEFAULT;
	if (days) {
		json_int_t n = json_integer_value(days);
		in.days = n < 0 || n > PORTAL_SHARE_DAYS_MAX ? -1 : (int)n;
	}
	in.actor = actor;
	*out = in;
	return check_input(out, err);
}

int portal_share_create_json(struct depository *d, const char *learner_id, const json_t *body,
                             const char *actor, json_t **out, struct ok_error *err)
{
	const char *ids[PORTAL_SHARE_ACHIEVEMENTS];
	struct portal_share_input in;
	int rc;

	*out = NULL;
	/* portal_share_request has checked the input already. */
	if ((rc = portal_share_request(body, learner_id, actor, ids, &in, err)))
		return rc;
	return create_checked(d, &in, out, err);
}

/* Listing and revoking */

static int add_share(void *ctx, const struct store_share *sh)
{
	return json_array_append_new(ctx, portal_share_json(sh)) ? OK_ENOMEM : 0;
}

int portal_shares_json(struct depository *d, const char *learner_id, const char *actor,
                       json_t **out, struct ok_error *err)
{
	json_t *list = json_array();
	int rc;

	*out = NULL;
	if (!list)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = store_share_list_by_learner(d->store, learner_id, add_share, list, err);
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	if (!rc && actor)
		rc = audit_record(d, actor, "share.list", learner_id, PORTAL_PURPOSE_SHARE, "",
		                  err);
	if (rc) {
		json_decref(list);
		return rc;
	}
	*out = list;
	return 0;
}

int portal_share_revoke(struct depository *d, const char *learner_id, const char *share_id,
                        const char *actor, json_t **out, struct ok_error *err)
{
	struct store_share sh;
	struct audit_txn txn;
	char detail[64];
	int64_t now = ok_now_ms();
	int rc;

	if (out)
		*out = NULL;
	if (!depository_id_valid(share_id))
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = store_share_get(d->store, share_id, &sh, err);
	/* Another learner's share is, to this learner, no share at all. */
	if (rc == OK_ENOTFOUND || (!rc && learner_id && strcmp(sh.learner_id, learner_id) != 0))
		rc = ok_fail(err, OK_ENOTFOUND, "no such share");
	if (!rc)
		rc = store_share_revoke(d->store, sh.id, now, err);
	if (!rc && ok_format(detail, sizeof(detail), "share=%s", share_id))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if (!rc)
		rc = audit_txn_event(&txn, actor, "share.revoke", sh.learner_id,
		                     PORTAL_PURPOSE_SHARE, detail, err);
	if ((rc = audit_txn_end(&txn, rc, err)))
		return rc;
	sh.revoked_ms = now;
	if (out && !(*out = portal_share_json(&sh)))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	return 0;
}

struct view_list {
	json_t *list;
};

static int add_view(void *ctx, const struct store_share_view *v)
{
	struct view_list *l = ctx;
	json_t *o = json_pack("{s:o, s:s, s:s}", "at", iso_json(v->at_ms), "share_id", v->share_id,
	                      "recipient", v->recipient);

	return json_array_append_new(l->list, o) ? OK_ENOMEM : 0;
}

int portal_views_json(struct depository *d, const char *learner_id, json_t **out,
                      struct ok_error *err)
{
	struct view_list l = {json_array()};
	char actor[AUDIT_ACTOR_SIZE];
	int rc;

	*out = NULL;
	if (!l.list)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = store_view_list_by_learner(d->store, learner_id, PORTAL_VIEWS_MAX, add_view, &l, err);
	if (rc == OK_ENOMEM)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
	audit_actor_learner(learner_id, actor);
	if (!rc)
		rc = audit_record(d, actor, "share.views", learner_id, PORTAL_PURPOSE_SHARE, "",
		                  err);
	if (rc) {
		json_decref(l.list);
		return rc;
	}
	*out = l.list;
	return 0;
}

/* Opening */

/* Whether the depository's own DID is on the trust list as a member of a network. */
static bool network_member(struct depository *d)
{
	struct store_trusted_issuer t;

	return store_trust_get(d->store, d->issuer_did, &t, NULL) == 0 &&
	       strcmp(t.source, "local") != 0;
}

/* What one opening issued, recorded in its transaction once the opening is sure. */
struct opening {
	unsigned long key; /* the issuer key that signed the credentials */
	size_t issued, withdrawn;
};

/*
 * One shared achievement: what it is, its credential issued now (no audit event: the opening
 * records it) and verified in full. An achievement that is no longer the share's learner's
 * (re-registered to another learner, or gone) is never issued: *out gets {"id", "state":
 * "withdrawn"} ("destroyed" when the retention schedule destroyed it) and nothing about it. Issued
 * ones are noted in o.
 */
static int shared_item(struct depository *d, const char *id, const char *learner_id,
                       struct opening *o, json_t **out, struct ok_error *err)
{
	/* The report's holder and achievement are read from r.credential. */
	struct verify_options vo = {.want_credential = true};
	struct verify_result r;
	struct store_achievement a;
	struct store_institution inst;
	struct buf text;
	json_t *vc = NULL, *item;
	int rc;

	*out = NULL;
	rc = store_achievement_get(d->store, id, &a, err);
	if (rc == OK_ENOTFOUND || (!rc && strcmp(a.learner_id, learner_id) != 0)) {
		o->withdrawn++;
		/* An achievement is only ever deleted by the retention schedule. */
		*out = json_pack("{s:s, s:s}", "id", id, "state",
		                 rc == OK_ENOTFOUND ? "destroyed" : "withdrawn");
		return *out ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");
	}
	if (rc || (rc = store_institution_get(d->store, a.institution, &inst, err)))
		return rc == OK_ENOTFOUND ? ok_fail(err, OK_ESTORE, "a shared record is missing")
		                          : rc;
	buf_init(&text, (size_t)1 << 20);
	rc = registry_credential_issue_unaudited(d, a.id, CREDENTIAL_DI, &text, err);
	/* Shown exactly as issued; verified as a verifier would, from its bytes. */
	if (!rc && !(vc = json_loadb(text.data, text.len, JSON_REJECT_DUPLICATES, NULL)))
		rc = ok_fail(err, OK_EINTERNAL, "an issued credential does not parse");
	if (!rc)
		rc = registry_verify(d, text.data, text.len, &vo, &r, err);
	buf_release(&text);
	if (rc) {
		json_decref(vc);
		return rc;
	}
	o->key = (unsigned long)d->issuer_key_id;
	o->issued++;
	item = portal_achievement_json(&a);
	if (item) {
		json_object_set_new(item, "institution",
		                    json_pack("{s:s, s:s, s:s}", "code", inst.code, "name",
		                              inst.name, "country", inst.country));
		json_object_set_new(item, "credential", vc);
		json_object_set_new(item, "verification", verify_report_json(d, &r));
		vc = NULL;
	}
	json_decref(vc);
	verify_result_release(&r);
	*out = item;
	return item ? 0 : ok_fail(err, OK_ENOMEM, "out of memory");
}

/* The answer for a share that is revoked or expired (OK_EGONE, *out its state). */
static int gone(const struct store_share *sh, json_t **out, struct ok_error *err)
{
	*out = json_pack("{s:s, s:o}", "state", sh->revoked_ms ? "revoked" : "expired", "expires",
	                 iso_json(sh->expires_ms));
	return ok_fail(err, OK_EGONE,
	               sh->revoked_ms ? "the learner has revoked this share"
	                              : "this share has expired");
}

/* The share of token, live at now: 0, or OK_ENOTFOUND, or OK_EGONE with *out its state. */
static int find_live(struct depository *d, const char *token, int64_t now, struct store_share *sh,
                     json_t **out, struct ok_error *err)
{
	unsigned char hash[STORE_HASH_BYTES];
	int rc;

	*out = NULL;
	if (!portal_token_valid(token))
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	/* Found by the hash alone: the token itself is never compared with anything stored. */
	portal_token_hash("share", token, hash);
	rc = store_share_find(d->store, hash, sh, err);
	sodium_memzero(hash, sizeof(hash));
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such share");
	if (rc)
		return rc;
	if (sh->revoked_ms || sh->expires_ms <= now)
		return gone(sh, out, err);
	return 0;
}

int portal_share_state(struct depository *d, const char *token, json_t **out, struct ok_error *err)
{
	struct store_share sh;

	return find_live(d, token, ok_now_ms(), &sh, out, err);
}

/* The share's use, counted only while it is live (store_share_use: one conditional statement,
 * which changes nothing when it refuses). */
struct share_use {
	const char *id;
	int64_t now;
};

static int use_share(struct depository *d, const void *arg, struct ok_error *err)
{
	const struct share_use *u = arg;

	return store_share_use(d->store, u->id, u->now, err);
}

/*
 * Records the opening: the use (only of a share still live: a revocation committed since it was
 * found wins) and one "share.open" event for the read of the learner's data, committed together.
 * The event names the share, whose list of achievements never changes, how many credentials
 * were issued from it (those not withdrawn) and the issuer key that signed them: one event per
 * opening, however many achievements the share holds. In a server the openings of all threads
 * are committed in groups by one writer (audit/group.h), the most frequent public read then
 * costing a fraction of a transaction; the view is answered only once its group committed.
 */
static int record_opening(struct depository *d, const struct store_share *sh,
                          const struct opening *o, int64_t now, struct ok_error *err)
{
	struct share_use use = {.id = sh->id, .now = now};
	char actor[AUDIT_ACTOR_SIZE], detail[AUDIT_TEXT_MAX + 1];

	audit_actor_share(sh->id, actor);
	if (ok_format(detail, sizeof(detail), "share=%s issued=%zu withdrawn=%zu format=di key=%lu",
	              sh->id, o->issued, o->withdrawn, o->issued ? o->key : 0UL))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	return audit_group_append(d, use_share, &use, actor, "share.open", sh->learner_id,
	                          PORTAL_PURPOSE_SHARE, detail, err);
}

int portal_share_open(struct depository *d, const char *token, json_t **out, struct ok_error *err)
{
	struct store_share sh;
	struct opening *o = NULL;
	int64_t now = ok_now_ms();
	json_t *doc = NULL, *list, *item, *ids = NULL, *id;
	size_t i;
	int rc;

	if ((rc = find_live(d, token, now, &sh, out, err)))
		return rc;
	list = json_array();
	doc = json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:b}, s:o}", "state", "valid", "recipient",
	                sh.recipient, "expires", iso_json(sh.expires_ms), "depository", "did",
	                d->issuer_did, "name", d->name, "network_member", network_member(d),
	                "achievements", list);
	o = calloc(1, sizeof(*o));
	if (!doc || !o || !(ids = ids_json(sh.achievements))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* Issued and verified outside any transaction: the slow part holds no write lock. */
	json_array_foreach(ids, i, id)
	{
		if (i >= PORTAL_SHARE_ACHIEVEMENTS) {
			rc = ok_fail(err, OK_ESTORE, "a share lists too many achievements");
			break;
		}
		if ((rc = shared_item(d, json_string_value(id), sh.learner_id, o, &item, err)))
			break;
		if (json_array_append_new(list, item)) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			break;
		}
	}
	/* Nothing is served unless the opening, and the read it makes, is on record. */
	if (!rc && (rc = record_opening(d, &sh, o, now, err)) == OK_EGONE &&
	    store_share_get(d->store, sh.id, &sh, NULL) == 0 &&
	    (sh.revoked_ms || sh.expires_ms <= now))
		rc = gone(&sh, out, err);
	/* Whom the share is about, first: the holder named in the first credential. */
	if (!rc) {
		json_t *holder = NULL;
		json_array_foreach(list, i, item)
		{
			holder = json_object_get(json_object_get(item, "verification"), "holder");
			if (holder)
				break;
		}
		if (json_object_set(doc, "holder", holder ? holder : json_null()))
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
	}
out:
	free(o);
	json_decref(ids);
	if (rc) {
		json_decref(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
