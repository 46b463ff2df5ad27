/* Unit tests for the SQLite store's column tables: every record type goes through its put and its
 * get (or listing) and comes back field for field, each field filled to its size with its own
 * value, so that a column bound or read at the wrong offset, size or place shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/error.h"
#include "audit/chain.h"
#include "store/apikeys.h"
#include "store/audit.h"
#include "store/foreign.h"
#include "store/identity.h"
#include "store/keys.h"
#include "store/leak.h"
#include "store/portal.h"
#include "store/store.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
	struct ok_error err;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Fills a text field to its last byte with c, and a byte field with bytes from seed up. */
#define FILL_TEXT(field, c)     fill_text((field), sizeof(field), (c))
#define FILL_BYTES(field, seed) fill_bytes((field), sizeof(field), (seed))

static void fill_text(char *dst, size_t size, char c)
{
	memset(dst, c, size - 1);
	dst[size - 1] = '\0';
}

static void fill_bytes(unsigned char *dst, size_t size, unsigned seed)
{
	for (size_t i = 0; i < size; i++)
		dst[i] = (unsigned char)(seed + i * 7);
}

/* Bytes with a NUL and every value, as sealed data looks. */
static void fill_buf(struct buf *b, size_t n, unsigned seed)
{
	buf_reset(b);
	for (size_t i = 0; i < n; i++) {
		char c = (char)(unsigned char)(seed + i);
		assert_int_equal(buf_add(b, &c, 1), 0);
	}
}

static void assert_buf_equal(const struct buf *a, const struct buf *b)
{
	assert_int_equal(a->len, b->len);
	assert_memory_equal(a->data, b->data, a->len);
}

#define CHECK(f, call)                                                       \
	do {                                                                 \
		int rc_ = (call);                                            \
		if (rc_ != 0)                                                \
			fail_msg("%s: %d %s", #call, rc_, (f)->err.message); \
	} while (0)

#define INSTITUTION "INST"

static char learner_id[STORE_ID_MAX + 1];

static void make_learner(struct store_learner *l, unsigned seed)
{
	store_learner_init(l);
	FILL_TEXT(l->id, 'L');
	FILL_BYTES(l->nid_index, seed);
	FILL_BYTES(l->digest, seed + 1);
	fill_buf(&l->national_id, 80, seed + 2);
	fill_buf(&l->given_names, 90, seed + 3);
	fill_buf(&l->family_name, 100, seed + 4);
	fill_buf(&l->birth_date, 70, seed + 5);
	l->key_id = 4000000000u; /* above INT32_MAX: a key id is unsigned */
	l->created_ms = 1700000000001;
	l->updated_ms = 1700000000002;
}

static void make_achievement(struct store_achievement *a, int version)
{
	memset(a, 0, sizeof(*a));
	FILL_TEXT(a->id, 'A');
	snprintf(a->learner_id, sizeof(a->learner_id), "%s", learner_id);
	snprintf(a->institution, sizeof(a->institution), INSTITUTION);
	FILL_TEXT(a->record_id, 'r');
	snprintf(a->kind, sizeof(a->kind), "diploma");
	FILL_TEXT(a->title, version == 1 ? 't' : 'T');
	FILL_TEXT(a->programme_code, 'p');
	a->eqf_level = 7;
	a->credits_centi = 24000 + version;
	FILL_TEXT(a->grade, 'g');
	FILL_TEXT(a->grading_scheme, 's');
	snprintf(a->awarded_on, sizeof(a->awarded_on), "2024-07-01");
	snprintf(a->language, sizeof(a->language), "nl");
	snprintf(a->status, sizeof(a->status), "active");
	a->status_list = 3;
	a->status_index = 131071;
	FILL_BYTES(a->digest, (unsigned)version);
	a->version = version;
	a->created_ms = 1700000000011;
	a->updated_ms = 1700000000012 + version;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store_institution i;
	struct store_learner l;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/ok-rows-test-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	if (store_sqlite_open(&f->s, f->path, true, &f->err) != 0)
		return -1;
	/* What the other records refer to. */
	memset(&i, 0, sizeof(i));
	snprintf(i.code, sizeof(i.code), INSTITUTION);
	make_learner(&l, 1);
	snprintf(learner_id, sizeof(learner_id), "%s", l.id);
	if (store_institution_add(f->s, &i, &f->err) || store_learner_put(f->s, &l, false, &f->err))
		return -1;
	store_learner_release(&l);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->s);
	nftw(f->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void institution_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_institution in, out;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	FILL_TEXT(in.code, 'c');
	FILL_TEXT(in.name, 'n');
	FILL_TEXT(in.country, 'C');
	FILL_TEXT(in.erasmus, 'e');
	FILL_TEXT(in.schac, 's');
	CHECK(f, store_institution_add(f->s, &in, &f->err));
	CHECK(f, store_institution_get(f->s, in.code, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
}

static void api_key_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_api_key in, out;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	FILL_TEXT(in.id, 'k');
	snprintf(in.institution, sizeof(in.institution), INSTITUTION);
	FILL_BYTES(in.key_hash, 9);
	FILL_TEXT(in.permissions, 'p');
	in.created_ms = 1700000000021;
	CHECK(f, store_api_key_add(f->s, &in, &f->err));
	CHECK(f, store_api_key_find(f->s, in.key_hash, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));

	/* Revoked and last used are written by their own operations, read with the key. */
	CHECK(f, store_api_key_touch(f->s, in.id, 1700000000022, &f->err));
	CHECK(f, store_api_key_revoke(f->s, in.id, 1700000000023, &f->err));
	CHECK(f, store_api_key_find(f->s, in.key_hash, &out, &f->err));
	in.last_used_ms = 1700000000022;
	in.revoked_ms = 1700000000023;
	assert_memory_equal(&in, &out, sizeof(in));
}

static int one_key_info(void *ctx, const struct store_api_key_info *k)
{
	memcpy(ctx, k, sizeof(*k));
	return 0;
}

static void api_key_info_is_listed(void **state)
{
	struct fixture *f = *state;
	struct store_api_key in;
	struct store_api_key_info want, got;
	struct store_key_block b;

	memset(&in, 0, sizeof(in));
	FILL_TEXT(in.id, 'k');
	snprintf(in.institution, sizeof(in.institution), INSTITUTION);
	FILL_TEXT(in.permissions, 'p');
	in.created_ms = 1700000000031;
	CHECK(f, store_api_key_add(f->s, &in, &f->err));
	CHECK(f, store_api_key_touch(f->s, in.id, 1700000000032, &f->err));
	memset(&b, 0, sizeof(b));
	snprintf(b.key_id, sizeof(b.key_id), "%s", in.id);
	b.blocked_ms = 1700000000033;
	CHECK(f, store_block_put(f->s, &b, &f->err));

	memset(&want, 0, sizeof(want));
	memset(&got, 0, sizeof(got));
	memcpy(want.id, in.id, sizeof(want.id));
	memcpy(want.institution, in.institution, sizeof(want.institution));
	memcpy(want.permissions, in.permissions, sizeof(want.permissions));
	want.created_ms = in.created_ms;
	want.last_used_ms = 1700000000032;
	want.blocked_ms = 1700000000033;
	CHECK(f, store_api_key_list(f->s, NULL, one_key_info, &got, &f->err));
	/* Field by field: a listing's record holds whatever follows the end of its text. */
	assert_string_equal(got.id, want.id);
	assert_string_equal(got.institution, want.institution);
	assert_string_equal(got.permissions, want.permissions);
	assert_int_equal(got.created_ms, want.created_ms);
	assert_int_equal(got.last_used_ms, want.last_used_ms);
	assert_int_equal(got.revoked_ms, want.revoked_ms);
	assert_int_equal(got.blocked_ms, want.blocked_ms);
}

static void learner_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_learner in, out;

	make_learner(&in, 1);
	store_learner_init(&out);
	CHECK(f, store_learner_get(f->s, learner_id, &out, &f->err));
	assert_string_equal(out.id, in.id);
	assert_memory_equal(out.nid_index, in.nid_index, sizeof(in.nid_index));
	assert_memory_equal(out.digest, in.digest, sizeof(in.digest));
	assert_buf_equal(&out.national_id, &in.national_id);
	assert_buf_equal(&out.given_names, &in.given_names);
	assert_buf_equal(&out.family_name, &in.family_name);
	assert_buf_equal(&out.birth_date, &in.birth_date);
	assert_int_equal(out.key_id, in.key_id);
	assert_int_equal(out.created_ms, in.created_ms);
	assert_int_equal(out.updated_ms, in.updated_ms);

	/* An update writes every column but created_ms. */
	store_learner_release(&in);
	make_learner(&in, 50);
	in.key_id = 7;
	in.created_ms = 1;
	in.updated_ms = 1700000000099;
	CHECK(f, store_learner_put(f->s, &in, true, &f->err));
	CHECK(f, store_learner_find(f->s, in.nid_index, &out, &f->err));
	assert_buf_equal(&out.national_id, &in.national_id);
	assert_buf_equal(&out.birth_date, &in.birth_date);
	assert_memory_equal(out.digest, in.digest, sizeof(in.digest));
	assert_int_equal(out.key_id, 7);
	assert_int_equal(out.created_ms, 1700000000001);
	assert_int_equal(out.updated_ms, 1700000000099);
	store_learner_release(&in);
	store_learner_release(&out);
}

static int one_version(void *ctx, const struct store_achievement_version *v)
{
	memcpy(ctx, v, sizeof(*v));
	return 0;
}

static void achievement_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_achievement in, out, v2;
	struct store_achievement_version old;

	make_achievement(&in, 1);
	memset(&out, 0, sizeof(out));
	CHECK(f, store_begin(f->s, &f->err));
	CHECK(f, store_achievement_put(f->s, &in, false, NULL, NULL, &f->err));
	CHECK(f, store_commit(f->s, &f->err));
	CHECK(f, store_achievement_get(f->s, in.id, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
	memset(&out, 0, sizeof(out));
	CHECK(f, store_achievement_by_slot(f->s, in.status_list, in.status_index, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));

	/* An update keeps version 1 in the history, as the history's columns have it. */
	make_achievement(&v2, 2);
	CHECK(f, store_begin(f->s, &f->err));
	CHECK(f, store_achievement_put(f->s, &v2, true, "operator", "corrected", &f->err));
	CHECK(f, store_commit(f->s, &f->err));
	memset(&out, 0, sizeof(out));
	CHECK(f, store_achievement_find(f->s, INSTITUTION, v2.record_id, &out, &f->err));
	assert_memory_equal(&v2, &out, sizeof(v2));

	memset(&old, 0, sizeof(old));
	CHECK(f, store_achievement_history(f->s, in.id, one_version, &old, &f->err));
	assert_string_equal(old.a.id, in.id);
	assert_int_equal(old.a.version, 1);
	assert_string_equal(old.a.learner_id, in.learner_id);
	assert_string_equal(old.a.kind, in.kind);
	assert_string_equal(old.a.title, in.title);
	assert_string_equal(old.a.programme_code, in.programme_code);
	assert_int_equal(old.a.eqf_level, in.eqf_level);
	assert_int_equal(old.a.credits_centi, in.credits_centi);
	assert_string_equal(old.a.grade, in.grade);
	assert_string_equal(old.a.grading_scheme, in.grading_scheme);
	assert_string_equal(old.a.awarded_on, in.awarded_on);
	assert_string_equal(old.a.language, in.language);
	assert_string_equal(old.a.status, in.status);
	assert_int_equal(old.a.status_index, -1);
	assert_int_equal(old.changed_ms, v2.updated_ms);
	assert_string_equal(old.actor, "operator");
	assert_string_equal(old.reason, "corrected");
}

static int one_event(void *ctx, const struct audit_event *e)
{
	memcpy(ctx, e, sizeof(*e));
	return 0;
}

static void audit_event_round_trip(void **state)
{
	struct fixture *f = *state;
	struct audit_event in, out;
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.seq = 1;
	in.at_ms = 1700000000041;
	FILL_TEXT(in.actor, 'a');
	FILL_TEXT(in.action, 'x');
	FILL_TEXT(in.subject, 's');
	FILL_TEXT(in.purpose, 'p');
	FILL_TEXT(in.detail, 'd');
	FILL_BYTES(in.prev_hash, 3);
	FILL_BYTES(in.hash, 4);
	CHECK(f, store_audit_insert(f->s, &in, &f->err));
	CHECK(f, store_audit_list(f->s, 0, one_event, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
	memset(&out, 0, sizeof(out));
	CHECK(f, store_audit_by_subject(f->s, in.subject, one_event, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
	CHECK(f, store_audit_head(f->s, &seq, head, &f->err));
	assert_int_equal(seq, 1);
	assert_memory_equal(head, in.hash, sizeof(head));
}

static void checkpoint_round_trip(void **state)
{
	struct fixture *f = *state;
	struct audit_checkpoint in, out;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	in.seq = 10000;
	in.at_ms = 1700000000051;
	FILL_BYTES(in.head, 5);
	in.key_id = 4000000001u;
	in.every = -1;
	FILL_BYTES(in.public_key, 6);
	FILL_BYTES(in.signature, 7);
	CHECK(f, store_checkpoint_add(f->s, &in, &f->err));
	CHECK(f, store_checkpoint_last(f->s, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
}

static void status_list_and_signed_list_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_status_list l;
	struct buf body;
	char etag[STORE_ETAG_MAX];
	int64_t version = 0;

	CHECK(f, store_status_list_add(f->s, 5, 131072, &f->err));
	CHECK(f, store_status_list_bump(f->s, 5, 3, 4, 5, &f->err));
	CHECK(f, store_status_list_get(f->s, 5, &l, &f->err));
	assert_int_equal(l.n, 5);
	assert_int_equal(l.size, 131072);
	assert_int_equal(l.used, 3);
	assert_int_equal(l.revocation_version, 5);
	assert_int_equal(l.suspension_version, 6);

	buf_init(&body, 1 << 20);
	fill_buf(&body, 3000, 8);
	fill_text(etag, sizeof(etag), 'E');
	CHECK(f, store_status_cache_put(f->s, "revocation", 5, 77, etag, &body, &f->err));
	buf_reset(&body);
	memset(etag, 0, sizeof(etag));
	CHECK(f, store_status_cache_get(f->s, "revocation", 5, &version, etag, &body, &f->err));
	assert_int_equal(version, 77);
	assert_int_equal(strlen(etag), STORE_ETAG_MAX - 1);
	assert_int_equal(body.len, 3000);
	assert_int_equal((unsigned char)body.data[2999], (unsigned char)(8 + 2999));
	buf_release(&body);
}

static void trusted_issuer_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_trusted_issuer in, out;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	FILL_TEXT(in.did, 'd');
	FILL_TEXT(in.name, 'n');
	FILL_TEXT(in.country, 'N');
	FILL_TEXT(in.source, 's');
	FILL_TEXT(in.status, 'a');
	in.since_ms = 1700000000061;
	CHECK(f, store_trust_put(f->s, &in, &f->err));
	CHECK(f, store_trust_get(f->s, in.did, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));
}

static void leak_records_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_key_block in, out;
	int64_t learners = 0, window_s = 0, count = 0;
	bool seen = false;

	memset(&in, 0, sizeof(in));
	memset(&out, 0, sizeof(out));
	FILL_TEXT(in.key_id, 'k');
	FILL_TEXT(in.institution, 'i');
	in.blocked_ms = 1700000000071;
	in.learners = 501;
	in.window_s = 86400;
	CHECK(f, store_block_put(f->s, &in, &f->err));
	CHECK(f, store_block_get(f->s, in.key_id, &out, &f->err));
	assert_memory_equal(&in, &out, sizeof(in));

	CHECK(f, store_limit_put(f->s, INSTITUTION, 1234, 5678, &f->err));
	CHECK(f, store_limit_get(f->s, INSTITUTION, &learners, &window_s, &f->err));
	assert_int_equal(learners, 1234);
	assert_int_equal(window_s, 5678);

	CHECK(f, store_read_put(f->s, "K1", learner_id, 1000, &f->err));
	CHECK(f, store_read_window(f->s, "K1", learner_id, 999, &count, &seen, &f->err));
	assert_int_equal(count, 1);
	assert_true(seen);
	CHECK(f, store_read_window(f->s, "K1", "someone else", 999, &count, &seen, &f->err));
	assert_int_equal(count, 1);
	assert_false(seen);
}

static void foreign_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_foreign in, out;

	store_foreign_init(&in);
	store_foreign_init(&out);
	FILL_TEXT(in.id, 'f');
	snprintf(in.learner_id, sizeof(in.learner_id), "%s", learner_id);
	FILL_TEXT(in.issuer_did, 'd');
	FILL_TEXT(in.credential_key, 'c');
	FILL_TEXT(in.depository, 'D');
	FILL_TEXT(in.country, 'N');
	FILL_TEXT(in.institution, 'i');
	FILL_TEXT(in.institution_country, 'O');
	FILL_TEXT(in.kind, 'k');
	FILL_TEXT(in.title, 't');
	snprintf(in.awarded_on, sizeof(in.awarded_on), "2023-01-31");
	in.credits_centi = 6000;
	FILL_TEXT(in.grade, 'g');
	snprintf(in.format, sizeof(in.format), "jwt");
	FILL_TEXT(in.status, 's');
	FILL_TEXT(in.imported_by, 'b');
	in.imported_ms = 1700000000081;
	in.checked_ms = 1700000000082;
	in.key_id = 4000000002u;
	fill_buf(&in.credential, 5000, 11);
	CHECK(f, store_foreign_put(f->s, &in, &f->err));
	CHECK(f, store_foreign_get(f->s, in.id, &out, &f->err));
	assert_buf_equal(&in.credential, &out.credential);
	/* The rest, without the buffers' pointers. */
	buf_release(&out.credential);
	out.credential = in.credential;
	assert_memory_equal(&in, &out, sizeof(in));
	store_foreign_release(&in);
}

static void identity_change_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_identity_change in, out;

	store_identity_change_init(&in);
	store_identity_change_init(&out);
	FILL_TEXT(in.id, 'i');
	snprintf(in.learner_id, sizeof(in.learner_id), "%s", learner_id);
	FILL_TEXT(in.actor, 'a');
	FILL_TEXT(in.purpose, 'p');
	FILL_TEXT(in.fields, 'f');
	in.at_ms = 1700000000091;
	in.key_id = 4000000003u;
	fill_buf(&in.sealed, 700, 12);
	CHECK(f, store_identity_put(f->s, &in, &f->err));
	CHECK(f, store_identity_get(f->s, in.id, &out, &f->err));
	assert_buf_equal(&in.sealed, &out.sealed);
	buf_release(&out.sealed);
	out.sealed = in.sealed;
	assert_memory_equal(&in, &out, sizeof(in));
	store_identity_change_release(&in);
}

static void key_records_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_key_rotation rin, rout;
	struct store_issuer_key kin, kout;

	memset(&rin, 0, sizeof(rin));
	memset(&rout, 0, sizeof(rout));
	rin.to_key = 4000000004u;
	rin.from_key = 4000000003u;
	rin.phase = 2;
	FILL_TEXT(rin.cursor, 'c');
	rin.done = 11;
	rin.total = 12;
	rin.started_ms = 1700000000101;
	rin.finished_ms = 1700000000102;
	CHECK(f, store_rotation_put(f->s, &rin, &f->err));
	CHECK(f, store_rotation_last(f->s, &rout, &f->err));
	assert_memory_equal(&rin, &rout, sizeof(rin));

	memset(&kin, 0, sizeof(kin));
	memset(&kout, 0, sizeof(kout));
	kin.key_id = 4000000005u;
	FILL_BYTES(kin.public_key, 13);
	kin.added_ms = 1700000000111;
	kin.superseded_ms = 1700000000112;
	kin.retired_ms = 1700000000113;
	CHECK(f, store_issuer_key_put(f->s, &kin, &f->err));
	CHECK(f, store_issuer_key_get(f->s, kin.key_id, &kout, &f->err));
	assert_memory_equal(&kin, &kout, sizeof(kin));
}

static int one_view(void *ctx, const struct store_share_view *v)
{
	memcpy(ctx, v, sizeof(*v));
	return 0;
}

static void portal_records_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_login_link lin, lout;
	struct store_session sin, sout;
	struct store_share hin, hout;
	struct store_share_view v;

	memset(&lin, 0, sizeof(lin));
	memset(&lout, 0, sizeof(lout));
	FILL_BYTES(lin.token_hash, 14);
	snprintf(lin.learner_id, sizeof(lin.learner_id), "%s", learner_id);
	FILL_TEXT(lin.created_by, 'b');
	lin.created_ms = 1700000000121;
	lin.expires_ms = 1700000000122;
	lin.used_ms = 1700000000123;
	CHECK(f, store_login_link_put(f->s, &lin, &f->err));
	CHECK(f, store_login_link_find(f->s, lin.token_hash, &lout, &f->err));
	assert_memory_equal(&lin, &lout, sizeof(lin));

	memset(&sin, 0, sizeof(sin));
	memset(&sout, 0, sizeof(sout));
	FILL_TEXT(sin.id, 's');
	FILL_BYTES(sin.token_hash, 15);
	snprintf(sin.learner_id, sizeof(sin.learner_id), "%s", learner_id);
	sin.created_ms = 1700000000131;
	sin.last_seen_ms = 1700000000132;
	CHECK(f, store_session_put(f->s, &sin, &f->err));
	CHECK(f, store_session_find(f->s, sin.token_hash, &sout, &f->err));
	assert_memory_equal(&sin, &sout, sizeof(sin));

	memset(&hin, 0, sizeof(hin));
	memset(&hout, 0, sizeof(hout));
	FILL_TEXT(hin.id, 'h');
	FILL_BYTES(hin.token_hash, 16);
	snprintf(hin.learner_id, sizeof(hin.learner_id), "%s", learner_id);
	FILL_TEXT(hin.recipient, 'r');
	FILL_TEXT(hin.achievements, 'a');
	hin.created_ms = 1700000000141;
	hin.expires_ms = 1800000000000;
	hin.uses = 3;
	hin.last_used_ms = 1700000000143;
	CHECK(f, store_share_put(f->s, &hin, &f->err));
	CHECK(f, store_share_get(f->s, hin.id, &hout, &f->err));
	assert_memory_equal(&hin, &hout, sizeof(hin));
	memset(&hout, 0, sizeof(hout));
	CHECK(f, store_share_find(f->s, hin.token_hash, &hout, &f->err));
	assert_memory_equal(&hin, &hout, sizeof(hin));

	memset(&v, 0, sizeof(v));
	CHECK(f, store_share_use(f->s, hin.id, 1700000000150, &f->err));
	CHECK(f, store_view_list_by_learner(f->s, learner_id, 10, one_view, &v, &f->err));
	assert_int_equal(v.at_ms, 1700000000150);
	assert_string_equal(v.share_id, hin.id);
	assert_string_equal(v.recipient, hin.recipient);
}

/* Metadata goes into the caller's buffer whole; an unknown record is OK_ENOTFOUND. */
static void meta_round_trip_and_missing_is_not_found(void **state)
{
	struct fixture *f = *state;
	struct store_trusted_issuer t;
	char value[5000];
	struct buf out;

	fill_text(value, sizeof(value), 'v');
	CHECK(f, store_meta_set(f->s, "x", value, &f->err));
	buf_init(&out, 1 << 16);
	CHECK(f, store_meta_get(f->s, "x", &out, &f->err));
	assert_string_equal(out.data, value);
	buf_release(&out);
	assert_int_equal(store_trust_get(f->s, "did:web:none.example", &t, &f->err), OK_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(institution_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(api_key_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(api_key_info_is_listed, setup, teardown),
	        cmocka_unit_test_setup_teardown(learner_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(achievement_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(audit_event_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(checkpoint_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(status_list_and_signed_list_round_trip, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(trusted_issuer_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(leak_records_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(foreign_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(identity_change_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(key_records_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(portal_records_round_trip, setup, teardown),
	        cmocka_unit_test_setup_teardown(meta_round_trip_and_missing_is_not_found, setup,
	                                        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
