/* Unit tests of the store's areas (portal, leak detection, audit, keys, foreign, identity, API
 * keys) through the store interface, run once over SQLite and once over PostgreSQL when
 * OORKONDE_TEST_PG names a cluster (pg_test.h): the answers the use cases rely on (not found,
 * conflict, gone, duplicates that leave the transaction usable, orderings) must be the same on
 * both, and a login link used at the same moment through two connections works once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "store/apikeys.h"
#include "store/audit.h"
#include "store/emrex.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "store/keys.h"
#include "store/leak.h"
#include "store/portal.h"
#include "store/store.h"

#include "store_fixture.h"

static struct store *open_store(struct store_fixture *f)
{
	struct store *s = NULL;
	struct ok_error err;

	if (store_open(&s, f->url, true, &err) != 0)
		fail_msg("store_open: %s", err.message);
	return s;
}

/* A learner and an institution for the rows that reference them. */
static void seed(struct store *s)
{
	struct store_institution i = {"21PB", "Hogeschool Test", "NL", "", ""};
	struct store_learner l;
	struct store_api_key k = {0};
	struct ok_error err;
	const char *ids[] = {"learner-1", "learner-2"};

	if (store_institution_add(s, &i, &err) != 0)
		fail_msg("institution_add: %s", err.message);
	for (int n = 0; n < 2; n++) {
		store_learner_init(&l);
		snprintf(l.id, sizeof(l.id), "%s", ids[n]);
		memset(l.nid_index, 0x10 + n, sizeof(l.nid_index));
		memset(l.digest, 0x20 + n, sizeof(l.digest));
		assert_int_equal(buf_add(&l.national_id, "sealed", 6), 0);
		assert_int_equal(buf_add(&l.given_names, "sealed", 6), 0);
		assert_int_equal(buf_add(&l.family_name, "sealed", 6), 0);
		assert_int_equal(buf_add(&l.birth_date, "sealed", 6), 0);
		l.key_id = 1;
		l.created_ms = l.updated_ms = 1000;
		if (store_learner_put(s, &l, false, &err) != 0)
			fail_msg("learner_put: %s", err.message);
		store_learner_release(&l);
	}
	snprintf(k.id, sizeof(k.id), "key-a");
	snprintf(k.institution, sizeof(k.institution), "21PB");
	memset(k.key_hash, 0xaa, sizeof(k.key_hash));
	snprintf(k.permissions, sizeof(k.permissions), "register,read");
	k.created_ms = 100;
	if (store_api_key_add(s, &k, &err) != 0)
		fail_msg("api_key_add: %s", err.message);
	snprintf(k.id, sizeof(k.id), "key-b");
	k.institution[0] = '\0';
	memset(k.key_hash, 0xbb, sizeof(k.key_hash));
	k.created_ms = 200;
	if (store_api_key_add(s, &k, &err) != 0)
		fail_msg("api_key_add: %s", err.message);
}

static int setup_on(void **state, bool pg)
{
	struct store_fixture *f = store_fixture_new(pg, "areas");

	if (!f)
		return -1;
	seed(f->s);
	*state = f;
	return 0;
}

static int setup_sqlite(void **state)
{
	return setup_on(state, false);
}

static int setup_pg(void **state)
{
	return setup_on(state, true);
}

static int teardown(void **state)
{
	return store_fixture_teardown(state);
}

/* Runs call (which names its error e_), failing with the message when it fails. */
#define OK(call)                                                       \
	do {                                                           \
		struct ok_error e_;                                    \
		int rc_ = (call);                                      \
		if (rc_ != 0)                                          \
			fail_msg("%s: %d %s", #call, rc_, e_.message); \
	} while (0)

/* Portal */

struct link_use {
	struct store *s;
	const unsigned char *hash;
	pthread_barrier_t *used; /* the first has used the link and not yet committed */
	int rc;
};

/* The second connection: once the first holds the link, begin, use it, commit. */
static void *use_link_second(void *arg)
{
	struct link_use *u = arg;
	struct ok_error err;

	pthread_barrier_wait(u->used);
	u->rc = store_begin(u->s, &err);
	if (!u->rc)
		u->rc = store_login_link_use(u->s, u->hash, 5000, &err);
	if (!u->rc)
		u->rc = store_commit(u->s, &err);
	if (u->rc)
		store_rollback(u->s);
	return NULL;
}

static void login_link_used_once_concurrently(void **state)
{
	struct store_fixture *f = *state;
	struct store *other = open_store(f);
	struct store_login_link l = {0}, got;
	struct link_use second = {0};
	pthread_barrier_t used;
	pthread_t t;
	struct ok_error err;
	int first;

	memset(l.token_hash, 0x42, sizeof(l.token_hash));
	snprintf(l.learner_id, sizeof(l.learner_id), "learner-1");
	snprintf(l.created_by, sizeof(l.created_by), "operator");
	l.created_ms = 1000;
	l.expires_ms = 900000;
	OK(store_login_link_put(f->s, &l, &e_));

	/* The first connection uses the link and holds its transaction open while the second
	 * tries: PostgreSQL makes the second's update wait for the row, SQLite its begin for
	 * the database; either way it finds the link used once the first commits. */
	pthread_barrier_init(&used, NULL, 2);
	second.s = other;
	second.hash = l.token_hash;
	second.used = &used;
	assert_int_equal(pthread_create(&t, NULL, use_link_second, &second), 0);
	first = store_begin(f->s, &err);
	if (!first)
		first = store_login_link_use(f->s, l.token_hash, 4000, &err);
	pthread_barrier_wait(&used);
	nanosleep(&(struct timespec){0, 300 * 1000 * 1000}, NULL);
	if (!first)
		first = store_commit(f->s, &err);
	if (first)
		store_rollback(f->s);
	pthread_join(t, NULL);
	pthread_barrier_destroy(&used);
	store_close(other);

	assert_int_equal(first, 0);
	assert_int_equal(second.rc, OK_ECONFLICT);
	assert_int_equal(store_login_link_find(f->s, l.token_hash, &got, &err), 0);
	assert_int_equal(got.used_ms, 4000);
	assert_int_equal(store_login_link_use(f->s, l.token_hash, 6000, &err), OK_ECONFLICT);
}

/* An EMREX session comes back whole, is used once only, and goes when it has expired. */
static void emrex_sessions(void **state)
{
	struct store_fixture *f = *state;
	struct store_emrex_session in, out;
	struct ok_error err;
	int64_t open = -1;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	snprintf(in.id, sizeof(in.id), "emrex-1");
	memset(in.token_hash, 0x43, sizeof(in.token_hash));
	snprintf(in.role, sizeof(in.role), "client");
	snprintf(in.learner_id, sizeof(in.learner_id), "learner-1");
	memset(in.binding, 0x44, sizeof(in.binding));
	snprintf(in.url, sizeof(in.url), "https://ncp.example.se/emrex");
	snprintf(in.ncp, sizeof(in.ncp), "SE-NCP");
	in.created_ms = 1000;
	in.expires_ms = 2000;
	OK(store_emrex_session_put(f->s, &in, &e_));
	OK(store_emrex_session_find(f->s, in.token_hash, &out, &e_));
	assert_memory_equal(&in, &out, sizeof(in));
	/* Open: of the role asked, not used, not expired. */
	OK(store_emrex_session_open_count(f->s, "client", 1500, &open, &e_));
	assert_int_equal(open, 1);
	OK(store_emrex_session_open_count(f->s, "ncp", 1500, &open, &e_));
	assert_int_equal(open, 0);
	OK(store_emrex_session_open_count(f->s, "client", 2000, &open, &e_));
	assert_int_equal(open, 0);
	OK(store_emrex_session_use(f->s, in.token_hash, 1500, &e_));
	OK(store_emrex_session_open_count(f->s, "client", 1600, &open, &e_));
	assert_int_equal(open, 0);
	assert_int_equal(store_emrex_session_use(f->s, in.token_hash, 1600, &err), OK_ECONFLICT);
	OK(store_emrex_session_find(f->s, in.token_hash, &out, &e_));
	assert_int_equal(out.used_ms, 1500);
	OK(store_emrex_session_prune(f->s, 1999, &e_));
	OK(store_emrex_session_find(f->s, in.token_hash, &out, &e_));
	OK(store_emrex_session_prune(f->s, 2001, &e_));
	assert_int_equal(store_emrex_session_find(f->s, in.token_hash, &out, &err), OK_ENOTFOUND);
}

static void sessions(void **state)
{
	struct store_fixture *f = *state;
	struct store_session se = {0}, got;
	struct ok_error err;

	snprintf(se.id, sizeof(se.id), "session-1");
	memset(se.token_hash, 0x51, sizeof(se.token_hash));
	snprintf(se.learner_id, sizeof(se.learner_id), "learner-1");
	se.created_ms = 1000;
	se.last_seen_ms = 2000;
	OK(store_session_put(f->s, &se, &e_));
	assert_int_equal(store_session_put(f->s, &se, &err), OK_EEXIST);
	/* Activity only moves forward (two servers may note it out of order). */
	OK(store_session_touch(f->s, "session-1", 3000, &e_));
	OK(store_session_touch(f->s, "session-1", 2500, &e_));
	OK(store_session_find(f->s, se.token_hash, &got, &e_));
	assert_string_equal(got.id, "session-1");
	assert_string_equal(got.learner_id, "learner-1");
	assert_int_equal(got.last_seen_ms, 3000);
	OK(store_session_prune(f->s, 2000, 500, &e_)); /* neither idle nor too old */
	OK(store_session_delete(f->s, "session-1", &e_));
	assert_int_equal(store_session_delete(f->s, "session-1", &err), OK_ENOTFOUND);
	memset(se.token_hash, 0x52, sizeof(se.token_hash));
	assert_int_equal(store_session_find(f->s, se.token_hash, &got, &err), OK_ENOTFOUND);
}

static int collect_share(void *ctx, const struct store_share *sh)
{
	char *ids = ctx;

	strcat(ids, sh->id);
	strcat(ids, " ");
	return 0;
}

static int collect_view(void *ctx, const struct store_share_view *v)
{
	char *ids = ctx;
	char one[96];

	snprintf(one, sizeof(one), "%s@%lld ", v->share_id, (long long)v->at_ms);
	strcat(ids, one);
	return 0;
}

static void shares(void **state)
{
	struct store_fixture *f = *state;
	struct store_share sh = {0}, got;
	struct ok_error err;
	char ids[256] = "";

	snprintf(sh.learner_id, sizeof(sh.learner_id), "learner-1");
	snprintf(sh.recipient, sizeof(sh.recipient), "Werkgever “X”");
	snprintf(sh.achievements, sizeof(sh.achievements), "a-2,a-1");
	sh.expires_ms = 100000;
	for (int n = 1; n <= 3; n++) {
		snprintf(sh.id, sizeof(sh.id), "share-%d", n);
		memset(sh.token_hash, 0x60 + n, sizeof(sh.token_hash));
		sh.created_ms = n == 3 ? 1000 : 2000; /* share-3 oldest; 1 and 2 tie */
		OK(store_share_put(f->s, &sh, &e_));
	}
	OK(store_share_list_by_learner(f->s, "learner-1", collect_share, ids, &e_));
	assert_string_equal(ids, "share-2 share-1 share-3 ");
	memset(sh.token_hash, 0x61, sizeof(sh.token_hash));
	OK(store_share_find(f->s, sh.token_hash, &got, &e_));
	assert_string_equal(got.id, "share-1");
	assert_string_equal(got.recipient, "Werkgever “X”");
	assert_string_equal(got.achievements, "a-2,a-1");

	OK(store_share_use(f->s, "share-1", 5000, &e_));
	OK(store_share_use(f->s, "share-2", 6000, &e_));
	OK(store_share_use(f->s, "share-1", 4000, &e_));
	OK(store_share_get(f->s, "share-1", &got, &e_));
	assert_int_equal(got.uses, 2);
	assert_int_equal(got.last_used_ms, 5000);
	ids[0] = '\0';
	OK(store_view_list_by_learner(f->s, "learner-1", 2, collect_view, ids, &e_));
	assert_string_equal(ids, "share-2@6000 share-1@5000 ");

	OK(store_share_revoke(f->s, "share-1", 7000, &e_));
	assert_int_equal(store_share_revoke(f->s, "share-1", 8000, &err), OK_ECONFLICT);
	assert_int_equal(store_share_revoke(f->s, "share-9", 8000, &err), OK_ENOTFOUND);
	assert_int_equal(store_share_use(f->s, "share-1", 9000, &err), OK_EGONE);
	assert_int_equal(store_share_use(f->s, "share-2", 100000, &err), OK_EGONE); /* expired */
	assert_int_equal(store_share_use(f->s, "share-9", 9000, &err), OK_ENOTFOUND);
	assert_int_equal(store_share_get(f->s, "share-9", &got, &err), OK_ENOTFOUND);
}

/* Leak detection */

static int collect_block(void *ctx, const struct store_key_block *b)
{
	strcat(ctx, b->key_id);
	strcat(ctx, " ");
	return 0;
}

static void leak(void **state)
{
	struct store_fixture *f = *state;
	struct store_key_block b = {0}, got;
	struct ok_error err;
	int64_t n, learners, window;
	bool seen;
	char ids[128] = "";

	OK(store_read_put(f->s, "key-a", "learner-1", 1000, &e_));
	OK(store_read_put(f->s, "key-a", "learner-2", 2000, &e_));
	OK(store_read_put(f->s, "key-a", "learner-1", 500, &e_)); /* keeps the later time */
	OK(store_read_window(f->s, "key-a", "learner-1", 900, &n, &seen, &e_));
	assert_int_equal(n, 2);
	assert_true(seen);
	OK(store_read_window(f->s, "key-a", "learner-3", 1500, &n, &seen, &e_));
	assert_int_equal(n, 1);
	assert_false(seen);
	OK(store_read_prune(f->s, "key-a", 1000, &e_));
	OK(store_read_window(f->s, "key-a", "learner-1", 0, &n, &seen, &e_));
	assert_int_equal(n, 1);
	assert_false(seen);
	OK(store_read_clear(f->s, "key-a", &e_));
	OK(store_read_window(f->s, "key-a", "learner-2", 0, &n, &seen, &e_));
	assert_int_equal(n, 0);

	/* A key blocked twice: OK_EEXIST, and the transaction goes on. */
	OK(store_begin(f->s, &e_));
	snprintf(b.institution, sizeof(b.institution), "21PB");
	b.learners = 3;
	b.window_s = 60;
	snprintf(b.key_id, sizeof(b.key_id), "key-b");
	b.blocked_ms = 2000;
	OK(store_block_put(f->s, &b, &e_));
	snprintf(b.key_id, sizeof(b.key_id), "key-a");
	b.blocked_ms = 1000;
	OK(store_block_put(f->s, &b, &e_));
	OK(store_block_get(f->s, "key-a", &got, &e_)); /* takes the key's lock on PostgreSQL */
	assert_int_equal(store_block_put(f->s, &b, &err), OK_EEXIST);
	OK(store_commit(f->s, &e_));
	OK(store_block_count(f->s, &n, &e_));
	assert_int_equal(n, 2);
	OK(store_block_list(f->s, collect_block, ids, &e_));
	assert_string_equal(ids, "key-a key-b ");
	OK(store_block_get(f->s, "key-a", &got, &e_));
	assert_int_equal(got.learners, 3);
	assert_string_equal(got.institution, "21PB");
	OK(store_block_remove(f->s, "key-a", &e_));
	assert_int_equal(store_block_remove(f->s, "key-a", &err), OK_ENOTFOUND);
	assert_int_equal(store_block_get(f->s, "key-a", &got, &err), OK_ENOTFOUND);

	assert_int_equal(store_limit_get(f->s, "21PB", &learners, &window, &err), OK_ENOTFOUND);
	OK(store_limit_put(f->s, "21PB", 10, 60, &e_));
	OK(store_limit_put(f->s, "21PB", 20, 120, &e_));
	OK(store_limit_get(f->s, "21PB", &learners, &window, &e_));
	assert_int_equal(learners, 20);
	assert_int_equal(window, 120);
}

/* Audit */

static int collect_checkpoint(void *ctx, const struct audit_checkpoint *c)
{
	char one[32];

	snprintf(one, sizeof(one), "%lld/%lld ", (long long)c->seq, (long long)c->every);
	strcat(ctx, one);
	return 0;
}

static int collect_event(void *ctx, const struct audit_event *e)
{
	char one[96];

	snprintf(one, sizeof(one), "%lld:%s ", (long long)e->seq, e->action);
	strcat(ctx, one);
	return 0;
}

static void audit(void **state)
{
	struct store_fixture *f = *state;
	struct audit_checkpoint c = {0}, got;
	struct audit_event e = {0};
	struct ok_error err;
	char text[256] = "";
	int64_t head;

	assert_int_equal(store_checkpoint_last(f->s, &got, &err), OK_ENOTFOUND);
	/* Another checkpoint for a signed sequence number: OK_EEXIST, the transaction goes on
	 * (audit/checkpoint.c commits after it). */
	OK(store_begin(f->s, &e_));
	for (int n = 1; n <= 3; n++) {
		memset(&e, 0, sizeof(e));
		e.seq = n;
		e.at_ms = 1000 * n;
		snprintf(e.actor, sizeof(e.actor), "operator");
		snprintf(e.action, sizeof(e.action), n == 2 ? "learner.write" : "learner.read");
		snprintf(e.subject, sizeof(e.subject), n == 3 ? "learner-2" : "learner-1");
		memset(e.hash, n, sizeof(e.hash));
		OK(store_audit_head(f->s, &head, e.prev_hash, &e_)); /* as an append does */
		OK(store_audit_insert(f->s, &e, &e_));
	}
	c.seq = 2;
	c.at_ms = 2000;
	c.key_id = 1;
	c.every = 2;
	memset(c.head, 2, sizeof(c.head));
	memset(c.signature, 0x5a, sizeof(c.signature));
	OK(store_checkpoint_add(f->s, &c, &e_));
	assert_int_equal(store_checkpoint_add(f->s, &c, &err), OK_EEXIST);
	c.seq = 3;
	c.every = -1;
	OK(store_checkpoint_add(f->s, &c, &e_));
	OK(store_commit(f->s, &e_));

	OK(store_checkpoint_last(f->s, &got, &e_));
	assert_int_equal(got.seq, 3);
	assert_int_equal(got.every, -1);
	assert_memory_equal(got.signature, c.signature, sizeof(c.signature));
	OK(store_checkpoint_list(f->s, 0, collect_checkpoint, text, &e_));
	assert_string_equal(text, "2/2 3/-1 ");
	text[0] = '\0';
	OK(store_audit_by_subject(f->s, "learner-1", collect_event, text, &e_));
	assert_string_equal(text, "1:learner.read 2:learner.write ");
}

/* Counts events (or checkpoints) and checks that they come in rising order, with no repeats. */
struct in_order {
	int64_t n, last;
	bool ok;
};

static int event_in_order(void *ctx, const struct audit_event *e)
{
	struct in_order *o = ctx;

	o->ok = o->ok && e->seq > o->last;
	o->last = e->seq;
	o->n++;
	return 0;
}

static int checkpoint_in_order(void *ctx, const struct audit_checkpoint *c)
{
	struct in_order *o = ctx;

	o->ok = o->ok && c->seq > o->last;
	o->last = c->seq;
	o->n++;
	return 0;
}

/* More events of one subject, and checkpoints, than fit in one page of the PostgreSQL store's
 * listings (2 500 > 2 pages of 1 000): every one is listed once, in order. */
static void audit_pages(void **state)
{
	struct store_fixture *f = *state;
	struct audit_checkpoint c = {0};
	struct audit_event e = {0};
	struct in_order o = {0, 0, true};
	int64_t head;

	OK(store_begin(f->s, &e_));
	for (int n = 1; n <= 2500; n++) {
		memset(&e, 0, sizeof(e));
		e.seq = n;
		e.at_ms = n;
		snprintf(e.actor, sizeof(e.actor), "public");
		snprintf(e.action, sizeof(e.action), "share.open");
		snprintf(e.subject, sizeof(e.subject), "learner-1");
		memset(e.hash, n & 0xff, sizeof(e.hash));
		OK(store_audit_head(f->s, &head, e.prev_hash, &e_));
		OK(store_audit_insert(f->s, &e, &e_));
		c.seq = n;
		c.at_ms = n;
		c.key_id = 1;
		c.every = 1;
		OK(store_checkpoint_add(f->s, &c, &e_));
	}
	OK(store_commit(f->s, &e_));
	OK(store_audit_by_subject(f->s, "learner-1", event_in_order, &o, &e_));
	assert_true(o.ok);
	assert_int_equal(o.n, 2500);
	o = (struct in_order){0, 0, true};
	OK(store_checkpoint_list(f->s, 0, checkpoint_in_order, &o, &e_));
	assert_true(o.ok);
	assert_int_equal(o.n, 2500);
	o = (struct in_order){0, 1200, true};
	OK(store_checkpoint_list(f->s, 1200, checkpoint_in_order, &o, &e_));
	assert_true(o.ok);
	assert_int_equal(o.n, 1300);
}

/* The core listings the PostgreSQL store reads in pages (audit events by 2 000, achievements,
 * shares and the trust list by 1 000), with more rows than two pages and keys that tie on their
 * first column: every row is listed once, in the listing's order, on both stores. */
struct listed {
	int64_t n;
	bool ok;
	char last[2][64];
};

static int after(struct listed *l, const char *a, const char *b, bool descending)
{
	int c = strcmp(a, l->last[0]);

	if (c == 0)
		c = strcmp(b, l->last[1]);
	if (l->n > 0 && (descending ? c >= 0 : c <= 0))
		l->ok = false;
	snprintf(l->last[0], sizeof(l->last[0]), "%s", a);
	snprintf(l->last[1], sizeof(l->last[1]), "%s", b);
	l->n++;
	return 0;
}

static int achievement_listed(void *ctx, const struct store_achievement *a)
{
	return after(ctx, a->awarded_on, a->id, false);
}

static int share_listed(void *ctx, const struct store_share *sh)
{
	char created[24];

	snprintf(created, sizeof(created), "%020lld", (long long)sh->created_ms);
	return after(ctx, created, sh->id, true);
}

static int trusted_listed(void *ctx, const struct store_trusted_issuer *t)
{
	return after(ctx, t->did, "", false);
}

static void core_pages(void **state)
{
	struct store_fixture *f = *state;
	struct in_order o = {0, 0, true};
	struct store_achievement a;
	struct store_trusted_issuer t;
	struct store_share sh;
	struct audit_event e;
	struct listed l;
	int64_t head;

	OK(store_begin(f->s, &e_));
	for (int n = 1; n <= 4100; n++) {
		memset(&e, 0, sizeof(e));
		e.seq = n;
		e.at_ms = n;
		snprintf(e.actor, sizeof(e.actor), "operator");
		snprintf(e.action, sizeof(e.action), "learner.read");
		snprintf(e.subject, sizeof(e.subject), "learner-%d", n % 3);
		OK(store_audit_head(f->s, &head, e.prev_hash, &e_));
		OK(store_audit_insert(f->s, &e, &e_));
	}
	for (int n = 0; n < 2100; n++) {
		memset(&a, 0, sizeof(a));
		snprintf(a.id, sizeof(a.id), "ach-%05d", (n * 7919) % 2100);
		snprintf(a.learner_id, sizeof(a.learner_id), "learner-1");
		snprintf(a.institution, sizeof(a.institution), "21PB");
		snprintf(a.record_id, sizeof(a.record_id), "rec-%05d", n);
		snprintf(a.kind, sizeof(a.kind), "diploma");
		snprintf(a.awarded_on, sizeof(a.awarded_on), "2020-01-%02d", 1 + n % 7);
		snprintf(a.status, sizeof(a.status), "active");
		a.status_list = 1;
		a.status_index = n;
		a.version = 1;
		OK(store_achievement_put(f->s, &a, false, NULL, NULL, &e_));

		memset(&sh, 0, sizeof(sh));
		snprintf(sh.id, sizeof(sh.id), "share-%05d", (n * 7919) % 2100);
		snprintf((char *)sh.token_hash, sizeof(sh.token_hash), "token-%05d", n);
		snprintf(sh.learner_id, sizeof(sh.learner_id), "learner-1");
		sh.created_ms = n % 5;
		sh.expires_ms = 100000;
		OK(store_share_put(f->s, &sh, &e_));

		memset(&t, 0, sizeof(t));
		snprintf(t.did, sizeof(t.did), "did:web:issuer-%05d.example", (n * 7919) % 2100);
		snprintf(t.source, sizeof(t.source), "local");
		snprintf(t.status, sizeof(t.status), "active");
		OK(store_trust_put(f->s, &t, &e_));
	}
	OK(store_commit(f->s, &e_));

	OK(store_audit_list(f->s, 0, event_in_order, &o, &e_));
	assert_true(o.ok);
	assert_int_equal(o.n, 4100);
	o = (struct in_order){0, 1500, true};
	OK(store_audit_list(f->s, 1500, event_in_order, &o, &e_));
	assert_true(o.ok);
	assert_int_equal(o.n, 2600);

	memset(&l, 0, sizeof(l));
	l.ok = true;
	OK(store_achievement_list_by_learner(f->s, "learner-1", achievement_listed, &l, &e_));
	assert_true(l.ok);
	assert_int_equal(l.n, 2100);

	memset(&l, 0, sizeof(l));
	l.ok = true;
	OK(store_share_list_by_learner(f->s, "learner-1", share_listed, &l, &e_));
	assert_true(l.ok);
	assert_int_equal(l.n, 2100);

	memset(&l, 0, sizeof(l));
	l.ok = true;
	OK(store_trust_list(f->s, trusted_listed, &l, &e_));
	assert_true(l.ok);
	assert_int_equal(l.n, 2100);
}

/* Keys */

static int collect_issuer_key(void *ctx, const struct store_issuer_key *k)
{
	char one[32];

	snprintf(one, sizeof(one), "%u:%lld ", (unsigned)k->key_id, (long long)k->retired_ms);
	strcat(ctx, one);
	return 0;
}

static int collect_id(void *ctx, const char *id)
{
	strcat(ctx, id);
	strcat(ctx, " ");
	return 0;
}

static void keys(void **state)
{
	struct store_fixture *f = *state;
	struct store_key_rotation r = {0}, got;
	struct store_issuer_key k = {0}, kg;
	struct ok_error err;
	char text[256] = "";
	int64_t n;

	assert_int_equal(store_rotation_last(f->s, &got, &err), OK_ENOTFOUND);
	r.to_key = 2;
	r.from_key = 1;
	r.total = 2;
	r.started_ms = 1000;
	OK(store_rotation_put(f->s, &r, &e_));
	r.phase = 1;
	r.done = 2;
	snprintf(r.cursor, sizeof(r.cursor), "learner-2");
	OK(store_rotation_put(f->s, &r, &e_));
	OK(store_rotation_last(f->s, &got, &e_));
	assert_int_equal(got.to_key, 2);
	assert_int_equal(got.phase, 1);
	assert_int_equal(got.done, 2);
	assert_string_equal(got.cursor, "learner-2");

	OK(store_learners_not_under(f->s, 2, &n, &e_));
	assert_int_equal(n, 2);
	OK(store_begin(f->s, &e_)); /* a batch's work list, under the rotation's lock */
	OK(store_learner_ids_not_under(f->s, 2, "learner-1", 10, collect_id, text, &e_));
	OK(store_commit(f->s, &e_));
	assert_string_equal(text, "learner-2 ");

	k.key_id = 1;
	memset(k.public_key, 0x33, sizeof(k.public_key));
	OK(store_issuer_key_put(f->s, &k, &e_));
	k.key_id = 2;
	k.added_ms = 5000;
	OK(store_issuer_key_put(f->s, &k, &e_));
	k.key_id = 1;
	k.superseded_ms = 5000;
	k.retired_ms = 9000;
	OK(store_issuer_key_put(f->s, &k, &e_));
	OK(store_issuer_key_get(f->s, 1, &kg, &e_));
	assert_int_equal(kg.superseded_ms, 5000);
	assert_memory_equal(kg.public_key, k.public_key, sizeof(k.public_key));
	assert_int_equal(store_issuer_key_get(f->s, 7, &kg, &err), OK_ENOTFOUND);
	text[0] = '\0';
	OK(store_issuer_key_list(f->s, collect_issuer_key, text, &e_));
	assert_string_equal(text, "1:9000 2:0 ");
	OK(store_credentials_issued(f->s, 0, 0, &n, &e_));
	assert_int_equal(n, 0);
}

/* Foreign achievements */

static int collect_foreign(void *ctx, const struct store_foreign *fa)
{
	strcat(ctx, fa->id);
	strcat(ctx, fa->credential.len ? "+ " : " ");
	return 0;
}

static void foreign(void **state)
{
	struct store_fixture *f = *state;
	struct store_foreign fa, got;
	struct ok_error err;
	char text[128] = "";

	store_foreign_init(&fa);
	store_foreign_init(&got);
	snprintf(fa.learner_id, sizeof(fa.learner_id), "learner-1");
	snprintf(fa.issuer_did, sizeof(fa.issuer_did), "did:web:example.no");
	snprintf(fa.format, sizeof(fa.format), "di");
	snprintf(fa.status, sizeof(fa.status), "active");
	fa.key_id = 1;
	assert_int_equal(buf_add(&fa.credential, "\0sealed\xff", 8), 0);
	for (int n = 1; n <= 2; n++) {
		snprintf(fa.id, sizeof(fa.id), "foreign-%d", n);
		snprintf(fa.credential_key, sizeof(fa.credential_key), "urn:uuid:%d", n);
		snprintf(fa.awarded_on, sizeof(fa.awarded_on), "2020-0%d-01", n);
		OK(store_foreign_put(f->s, &fa, &e_));
	}
	snprintf(fa.id, sizeof(fa.id), "foreign-3"); /* the same credential again */
	assert_int_equal(store_foreign_put(f->s, &fa, &err), OK_EEXIST);
	OK(store_foreign_find(f->s, "did:web:example.no", "urn:uuid:1", &got, &e_));
	assert_string_equal(got.id, "foreign-1");
	assert_int_equal(got.credits_centi, -1);
	assert_int_equal(got.credential.len, 8);
	assert_memory_equal(got.credential.data, "\0sealed\xff", 8);
	OK(store_foreign_list_by_learner(f->s, "learner-1", collect_foreign, text, &e_));
	assert_string_equal(text, "foreign-2 foreign-1 ");
	OK(store_foreign_set_status(f->s, "foreign-1", "revoked", 7000, &e_));
	assert_int_equal(store_foreign_set_status(f->s, "foreign-9", "revoked", 1, &err),
	                 OK_ENOTFOUND);
	OK(store_foreign_reseal(f->s, "foreign-1", &fa.credential, 2, &e_));
	text[0] = '\0';
	OK(store_foreign_list_sealed(f->s, "", 2, 10, collect_foreign, text, &e_));
	assert_string_equal(text, "foreign-2+ ");
	assert_int_equal(store_foreign_get(f->s, "foreign-9", &got, &err), OK_ENOTFOUND);
	store_foreign_release(&fa);
	store_foreign_release(&got);
}

/* Identity corrections */

static int collect_change(void *ctx, const struct store_identity_change *c)
{
	strcat(ctx, c->id);
	strcat(ctx, " ");
	return 0;
}

static void identity(void **state)
{
	struct store_fixture *f = *state;
	struct store_identity_change c, got;
	struct ok_error err;
	const char *order[] = {"change-b", "change-a", "change-c"};
	char text[128] = "";
	int64_t n;

	store_identity_change_init(&c);
	store_identity_change_init(&got);
	snprintf(c.learner_id, sizeof(c.learner_id), "learner-1");
	snprintf(c.actor, sizeof(c.actor), "operator");
	snprintf(c.purpose, sizeof(c.purpose), "correction");
	snprintf(c.fields, sizeof(c.fields), "family_name");
	c.at_ms = 1000; /* one moment: recorded order */
	c.key_id = 1;
	assert_int_equal(buf_add(&c.sealed, "sealed", 6), 0);
	for (int i = 0; i < 3; i++) {
		snprintf(c.id, sizeof(c.id), "%s", order[i]);
		OK(store_identity_put(f->s, &c, &e_));
	}
	OK(store_identity_list_by_learner(f->s, "learner-1", collect_change, text, &e_));
	assert_string_equal(text, "change-b change-a change-c ");
	OK(store_identity_reseal(f->s, "change-a", &c.sealed, 2, &e_));
	OK(store_identity_not_under(f->s, 2, &n, &e_));
	assert_int_equal(n, 2);
	text[0] = '\0';
	OK(store_identity_ids_not_under(f->s, 2, "", 10, collect_id, text, &e_));
	assert_string_equal(text, "change-b change-c ");
	OK(store_identity_get(f->s, "change-a", &got, &e_));
	assert_int_equal(got.key_id, 2);
	assert_int_equal(store_identity_get(f->s, "change-x", &got, &err), OK_ENOTFOUND);
	store_identity_change_release(&c);
	store_identity_change_release(&got);
}

/* API keys */

static int collect_key(void *ctx, const struct store_api_key_info *k)
{
	char one[128];

	snprintf(one, sizeof(one), "%s:%lld:%lld:%lld ", k->id, (long long)k->last_used_ms,
	         (long long)k->revoked_ms, (long long)k->blocked_ms);
	strcat(ctx, one);
	return 0;
}

static void apikeys(void **state)
{
	struct store_fixture *f = *state;
	struct ok_error err;
	char text[128] = "";

	OK(store_api_key_touch(f->s, "key-a", 3000, &e_));
	OK(store_api_key_touch(f->s, "key-a", 2000, &e_));
	OK(store_api_key_revoke(f->s, "key-b", 4000, &e_));
	assert_int_equal(store_api_key_revoke(f->s, "key-b", 5000, &err), OK_ECONFLICT);
	assert_string_equal(err.field, "key");
	assert_int_equal(store_api_key_revoke(f->s, "key-z", 5000, &err), OK_ENOTFOUND);
	OK(store_api_key_list(f->s, NULL, collect_key, text, &e_));
	assert_string_equal(text, "key-a:3000:0:0 key-b:0:4000:0 ");
	text[0] = '\0';
	OK(store_api_key_list(f->s, "21PB", collect_key, text, &e_));
	assert_string_equal(text, "key-a:3000:0:0 ");
}

/* The same tests for each back end (clang-format would indent the list as a statement). */
/* clang-format off */
#define AREA_TESTS(setup)                                                                        \
	{                                                                                        \
	        cmocka_unit_test_setup_teardown(login_link_used_once_concurrently, setup,        \
	                                        teardown),                                       \
	        cmocka_unit_test_setup_teardown(sessions, setup, teardown),                      \
	        cmocka_unit_test_setup_teardown(emrex_sessions, setup, teardown),                \
	        cmocka_unit_test_setup_teardown(shares, setup, teardown),                        \
	        cmocka_unit_test_setup_teardown(leak, setup, teardown),                          \
	        cmocka_unit_test_setup_teardown(audit, setup, teardown),                         \
	        cmocka_unit_test_setup_teardown(audit_pages, setup, teardown),                   \
	        cmocka_unit_test_setup_teardown(core_pages, setup, teardown),                    \
	        cmocka_unit_test_setup_teardown(keys, setup, teardown),                          \
	        cmocka_unit_test_setup_teardown(foreign, setup, teardown),                       \
	        cmocka_unit_test_setup_teardown(identity, setup, teardown),                      \
	        cmocka_unit_test_setup_teardown(apikeys, setup, teardown),                       \
	}
/* clang-format on */

int main(void)
{
	const struct CMUnitTest on_sqlite[] = AREA_TESTS(setup_sqlite);
	const struct CMUnitTest on_pg[] = AREA_TESTS(setup_pg);
	int failed = cmocka_run_group_tests_name("areas on SQLite", on_sqlite, NULL, NULL);

	if (pg_test_base())
		failed += cmocka_run_group_tests_name("areas on PostgreSQL", on_pg, NULL, NULL);
	else
		printf("areas on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
