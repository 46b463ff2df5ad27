/* Unit tests of src/registry/status.c: the encodedList format (GZIP + multibase base64url, index 0
 * = most significant bit of byte 0, 16 KiB for 131,072 entries), corrupt lists refused, slots
 * unique and spread over 200,000 registrations, the ¾ rule that opens a new list, the rules of
 * revoke / suspend / reinstate with their history, and re-signing only when a bit changes. */
#include "registry_test.h"

#include <jansson.h>
#include <pthread.h>
#include <unistd.h>
#include <zlib.h>

#include "registry/achievement.h"
#include "registry/status.h"
#include "store/store.h"
#include "vc/multibase.h"

#define LIST_BYTES (STATUS_LIST_SIZE / 8)

/* One text value from an SQL query on our own connection ("" when there is no row). */
static void sql_text(const struct reg_fixture *f, const char *sql, char *out, size_t cap)
{
	sqlite3 *db;
	sqlite3_stmt *st;

	out[0] = '\0';
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/* An independent base64url decoder (no padding), so that the format is checked without the
 * product's multibase code. Returns the length or -1. */
static long b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	static const char alphabet[] =
	        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long acc = 0;
	int bits = 0;
	size_t len = 0, i;

	for (i = 0; i < n; i++) {
		const char *p = memchr(alphabet, in[i], 64);
		if (!p || !in[i])
			return -1;
		acc = (acc << 6) | (unsigned long)(p - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (len >= cap)
				return -1;
			out[len++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)len;
}

/* gunzip with zlib directly; returns the length or -1. */
static long gunzip(const unsigned char *in, size_t n, unsigned char *out, size_t cap)
{
	z_stream z;
	int rc;

	memset(&z, 0, sizeof(z));
	assert_int_equal(inflateInit2(&z, 16 + 15), Z_OK); /* GZIP only, not zlib */
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	rc = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return rc == Z_STREAM_END ? (long)z.total_out : -1;
}

/* Decodes an encodedList the way a foreign verifier would: 'u', base64url, GZIP. */
static long decode_independently(const char *encoded, unsigned char *bits, size_t cap)
{
	size_t n = strlen(encoded);
	unsigned char *gz = malloc(n);
	long len, out;

	assert_non_null(gz);
	assert_int_equal(encoded[0], 'u');
	len = b64url_decode(encoded + 1, n - 1, gz, n);
	assert_true(len > 18);
	/* GZIP magic, deflate */
	assert_int_equal(gz[0], 0x1f);
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(gz[2], 8);
	out = gunzip(gz, (size_t)len, bits, cap);
	free(gz);
	return out;
}

static bool bit(const unsigned char *bits, int64_t i)
{
	return (bits[i / 8] >> (7 - i % 8)) & 1;
}

static size_t popcount(const unsigned char *bits, size_t n)
{
	size_t c = 0, i;

	for (i = 0; i < n; i++)
		c += (size_t)__builtin_popcount(bits[i]);
	return c;
}

/* Encode / decode */

static void encode_decode_round_trip(void **state)
{
	unsigned char *bits = malloc(LIST_BYTES), *back = malloc(LIST_BYTES + 1),
	              *indep = malloc(LIST_BYTES + 1);
	struct ok_error err;
	struct buf enc;
	size_t nbytes = 0, i;

	(void)state;
	assert_non_null(bits);
	assert_non_null(back);
	assert_non_null(indep);
	/* Sparse and dense parts, and a few single bits at the edges. */
	memset(bits, 0, LIST_BYTES);
	for (i = 0; i < 2000; i++)
		bits[(i * 7919) % LIST_BYTES] = (unsigned char)(i * 37 + 1);
	randombytes_buf(bits + 8192, 512);
	bits[0] |= 0x80;
	bits[LIST_BYTES - 1] |= 0x01;
	buf_init(&enc, 0);
	assert_int_equal(status_encode_list(bits, LIST_BYTES, &enc, &err), 0);
	assert_int_equal(enc.data[0], 'u'); /* multibase base64url, no padding */
	assert_null(strchr(enc.data, '='));
	assert_null(strchr(enc.data, '+'));
	assert_null(strchr(enc.data, '/'));
	assert_int_equal(status_decode_list(enc.data, enc.len, back, LIST_BYTES + 1, &nbytes, &err),
	                 0);
	assert_int_equal(nbytes, LIST_BYTES);
	assert_memory_equal(bits, back, LIST_BYTES);
	/* Another decoder (zlib and base64url here) reads the same bits. */
	assert_int_equal(decode_independently(enc.data, indep, LIST_BYTES + 1), LIST_BYTES);
	assert_memory_equal(bits, indep, LIST_BYTES);
	/* An empty list compresses to far less than 16 KiB. */
	memset(bits, 0, LIST_BYTES);
	buf_reset(&enc);
	assert_int_equal(status_encode_list(bits, LIST_BYTES, &enc, &err), 0);
	assert_true(enc.len < 200);
	assert_int_equal(status_decode_list(enc.data, enc.len, back, LIST_BYTES, &nbytes, &err), 0);
	assert_int_equal(nbytes, LIST_BYTES);
	assert_int_equal(popcount(back, nbytes), 0);
	buf_release(&enc);
	free(bits);
	free(back);
	free(indep);
}

/* The W3C specification's example encodedList (Bitstring Status List v1.0, example 2): an
 * empty list of 131,072 entries, made by another implementation. */
static void decodes_the_specification_example(void **state)
{
	static const char example[] =
	        "uH4sIAAAAAAAAA-3BMQEAAADCoPVPbQwfoAAAAAAAAAAAAAAAAAAAAIC3AYbSVKsAQAAA";
	unsigned char *bits = malloc(LIST_BYTES);
	struct ok_error err;
	size_t nbytes = 0;

	(void)state;
	assert_int_equal(
	        status_decode_list(example, strlen(example), bits, LIST_BYTES, &nbytes, &err), 0);
	assert_int_equal(nbytes, LIST_BYTES);
	assert_int_equal(popcount(bits, nbytes), 0);
	free(bits);
}

/* GZIP of data as the product would make it, re-encoded in another multibase or mangled. */
static void gzip_of(const unsigned char *data, size_t n, int window_bits, struct buf *out)
{
	z_stream z;
	unsigned char tmp[65536];

	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, window_bits, 9, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)data;
	z.avail_in = (uInt)n;
	z.next_out = tmp;
	z.avail_out = sizeof(tmp);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	buf_reset(out);
	assert_int_equal(buf_add(out, tmp, z.total_out), 0);
	deflateEnd(&z);
}

static int decode_text(const char *text, size_t cap, size_t *nbytes)
{
	unsigned char *bits = malloc(cap ? cap : 1);
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	*nbytes = 0;
	rc = status_decode_list(text, strlen(text), bits, cap, nbytes, &err);
	if (rc)
		assert_true(err.message[0] != '\0'); /* a failure says why */
	free(bits);
	return rc;
}

static void corrupt_lists_fail(void **state)
{
	unsigned char *bits = calloc(LIST_BYTES, 1);
	struct ok_error err;
	struct buf gz, enc;
	size_t nbytes;
	char *text;

	(void)state;
	buf_init(&gz, 0);
	buf_init(&enc, 0);
	bits[100] = 0x42;
	assert_int_equal(status_encode_list(bits, LIST_BYTES, &enc, &err), 0);
	text = strdup(enc.data);
	assert_int_equal(decode_text(text, LIST_BYTES, &nbytes), 0);

	/* Not multibase base64url: no prefix, base58btc, base64 with padding, empty. */
	assert_int_not_equal(decode_text(text + 1, LIST_BYTES, &nbytes), 0);
	assert_int_not_equal(decode_text("", LIST_BYTES, &nbytes), 0);
	assert_int_not_equal(decode_text("u", LIST_BYTES, &nbytes), 0);
	gzip_of(bits, LIST_BYTES, 16 + 15, &gz);
	buf_reset(&enc);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE58BTC, (uint8_t *)gz.data, gz.len, &enc, &err),
	        0);
	assert_int_not_equal(decode_text(enc.data, LIST_BYTES, &nbytes), 0);
	/* Characters outside base64url. */
	{
		char *bad = strdup(text);
		bad[5] = '+';
		assert_int_not_equal(decode_text(bad, LIST_BYTES, &nbytes), 0);
		bad[5] = '!';
		assert_int_not_equal(decode_text(bad, LIST_BYTES, &nbytes), 0);
		free(bad);
	}
	/* Truncated GZIP. */
	{
		char *cut = strdup(text);
		cut[strlen(cut) / 2] = '\0';
		assert_int_not_equal(decode_text(cut, LIST_BYTES, &nbytes), 0);
		/* the trailer (CRC-32, length) missing */
		cut = strcpy(cut, text);
		cut[strlen(cut) - 8] = '\0';
		assert_int_not_equal(decode_text(cut, LIST_BYTES, &nbytes), 0);
		free(cut);
	}
	/* A flipped bit in the compressed data: the CRC-32 or the stream breaks. */
	{
		unsigned char raw[4096];
		long n;
		gzip_of(bits, LIST_BYTES, 16 + 15, &gz);
		assert_true(gz.len < sizeof(raw));
		memcpy(raw, gz.data, gz.len);
		n = (long)gz.len;
		raw[n - 6] ^= 0x01; /* the CRC-32 */
		buf_reset(&enc);
		assert_int_equal(
		        vc_multibase_encode(VC_MULTIBASE_BASE64URL, raw, (size_t)n, &enc, &err), 0);
		assert_int_not_equal(decode_text(enc.data, LIST_BYTES, &nbytes), 0);
	}
	/* zlib or raw deflate, not GZIP. */
	gzip_of(bits, LIST_BYTES, 15, &gz);
	buf_reset(&enc);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE64URL, (uint8_t *)gz.data, gz.len, &enc, &err),
	        0);
	assert_int_not_equal(decode_text(enc.data, LIST_BYTES, &nbytes), 0);
	gzip_of(bits, LIST_BYTES, -15, &gz);
	buf_reset(&enc);
	assert_int_equal(
	        vc_multibase_encode(VC_MULTIBASE_BASE64URL, (uint8_t *)gz.data, gz.len, &enc, &err),
	        0);
	assert_int_not_equal(decode_text(enc.data, LIST_BYTES, &nbytes), 0);
	/* Not compressed at all. */
	buf_reset(&enc);
	assert_int_equal(vc_multibase_encode(VC_MULTIBASE_BASE64URL, bits, 64, &enc, &err), 0);
	assert_int_not_equal(decode_text(enc.data, LIST_BYTES, &nbytes), 0);
	/* Larger than the room given: refused, never written past it (ASan would see it). */
	ok_error_clear(&err);
	assert_int_equal(decode_text(text, LIST_BYTES - 1, &nbytes), OK_ETOOBIG);
	/* A "gzip bomb": 16 MiB of zeros is refused with a cap of 16 KiB. */
	{
		size_t big = (size_t)16 << 20;
		unsigned char *zeros = calloc(big, 1);
		z_stream z;
		unsigned char *out = malloc(big / 100);
		memset(&z, 0, sizeof(z));
		assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
		z.next_in = zeros;
		z.avail_in = (uInt)big;
		z.next_out = out;
		z.avail_out = (uInt)(big / 100);
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		buf_reset(&enc);
		assert_int_equal(
		        vc_multibase_encode(VC_MULTIBASE_BASE64URL, out, z.total_out, &enc, &err),
		        0);
		deflateEnd(&z);
		assert_int_equal(decode_text(enc.data, LIST_BYTES, &nbytes), OK_ETOOBIG);
		free(zeros);
		free(out);
	}
	free(text);
	free(bits);
	buf_release(&gz);
	buf_release(&enc);
}

/* Registrations and their slots */

/* CSV of n rows for 21PB, ten per learner. */
static char *bulk_csv(size_t n)
{
	struct buf csv;
	size_t i;

	buf_init(&csv, 0);
	assert_int_equal(buf_addstr(&csv, REG_CSV_HEADER), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(
		        buf_addf(&csv,
		                 "S-%zu,NID%08zu,Anna,Jansen,1990-01-01,course,Course %zu,,,5,"
		                 "7,NL 1-10,2014-06-15,en\n",
		                 i, i / 10, i % 10),
		        0);
	return csv.data; /* owned by the caller */
}

static void slots_unique_and_spread_over_200000(void **state)
{
	struct reg_fixture *f = *state;
	enum { N = 200000, BUCKETS = 16 };
	const int64_t per_list = STATUS_LIST_SIZE / 4 * 3;
	char *csv = bulk_csv(N);
	long long list, used, bucket;
	sqlite3 *db;
	sqlite3_stmt *st;
	double chi2;

	reg_import_expect(f, csv, N, 0, 0, 0);
	free(csv);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement"), N);
	/* Every achievement has a slot, and no two share one. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement WHERE status_list < 1 "
	                                "OR status_index < 0"),
	                 0);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM (SELECT DISTINCT status_list, "
	                                "status_index FROM achievement)"),
	                 N);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement WHERE status_index >= "
	                                "131072"),
	                 0);
	/* Lists fill to three quarters, then the next opens: 98,304 + 98,304 + 3,392. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM status_list"), 3);
	for (list = 1; list <= 3; list++) {
		char sql[160];
		int64_t expect = list < 3 ? per_list : N - 2 * per_list;
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM achievement WHERE status_list = %lld", list);
		assert_int_equal(reg_sql_int(f, sql), expect);
		snprintf(sql, sizeof(sql), "SELECT used FROM status_list WHERE n = %lld", list);
		used = reg_sql_int(f, sql);
		assert_int_equal(used, expect);
		snprintf(sql, sizeof(sql), "SELECT size FROM status_list WHERE n = %lld", list);
		assert_int_equal(reg_sql_int(f, sql), STATUS_LIST_SIZE);
	}
	/* Spread over the whole list: each of 16 buckets within ±20% of its share, and a
	 * chi-square under the 0.1% critical value for 15 degrees of freedom (37.7). */
	assert_int_equal(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (list = 1; list <= 2; list++) {
		long long counts[BUCKETS] = {0};
		double expect = (double)per_list / BUCKETS;
		assert_int_equal(sqlite3_prepare_v2(db,
		                                    "SELECT status_index / 8192, count(*) FROM "
		                                    "achievement WHERE status_list = ? GROUP BY 1",
		                                    -1, &st, NULL),
		                 SQLITE_OK);
		sqlite3_bind_int64(st, 1, list);
		while (sqlite3_step(st) == SQLITE_ROW) {
			bucket = sqlite3_column_int64(st, 0);
			assert_in_range(bucket, 0, BUCKETS - 1);
			counts[bucket] = sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		chi2 = 0;
		for (bucket = 0; bucket < BUCKETS; bucket++) {
			double d = (double)counts[bucket] - expect;
			if (counts[bucket] < expect * 0.8 || counts[bucket] > expect * 1.2)
				fail_msg("list %lld bucket %lld: %lld slots, expected about %.0f",
				         list, bucket, counts[bucket], expect);
			chi2 += d * d / expect;
		}
		if (chi2 > 37.7)
			fail_msg("list %lld: chi-square %.1f over 16 buckets", list, chi2);
	}
	/* The order of registration says nothing about the index: consecutive registrations
	 * (by rowid) are not in index order. */
	assert_int_equal(sqlite3_prepare_v2(db,
	                                    "SELECT count(*) FROM achievement a JOIN achievement b "
	                                    "ON b.rowid = a.rowid + 1 WHERE a.status_list = 1 AND "
	                                    "b.status_list = 1 AND b.status_index > a.status_index",
	                                    -1, &st, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	used = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* About half the neighbours go up, half down (an ordered allocation would be all). */
	assert_in_range(used, per_list * 45 / 100, per_list * 55 / 100);
}

/* The ¾ rule, through the allocator's API on a fresh list whose "used" count is bumped. */
static void new_list_opens_at_three_quarters(void **state)
{
	struct reg_fixture *f = *state;
	struct status_allocator a;
	struct store_achievement x, y, z;
	struct store *s = f->d.store;
	struct ok_error err;
	const int64_t limit = STATUS_LIST_SIZE / 4 * 3;

	memset(&x, 0, sizeof(x));
	memset(&y, 0, sizeof(y));
	memset(&z, 0, sizeof(z));
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(status_alloc_begin(&f->d, &a, &err), 0);
	assert_int_equal(a.current.n, 1);
	assert_int_equal(a.current.size, STATUS_LIST_SIZE);
	assert_int_equal(store_status_list_bump(s, 1, limit - 1, 0, 0, &err), 0);
	assert_int_equal(status_alloc_end(&f->d, &a, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);

	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(status_alloc_begin(&f->d, &a, &err), 0);
	assert_int_equal(a.current.n, 1);
	assert_int_equal(a.current.used, limit - 1);
	/* One slot left below three quarters: still list 1. */
	assert_int_equal(status_alloc_take(&f->d, &a, &x, &err), 0);
	assert_int_equal(x.status_list, 1);
	assert_in_range(x.status_index, 0, STATUS_LIST_SIZE - 1);
	/* Three quarters reached: list 2 opens. */
	assert_int_equal(status_alloc_take(&f->d, &a, &y, &err), 0);
	assert_int_equal(y.status_list, 2);
	assert_in_range(y.status_index, 0, STATUS_LIST_SIZE - 1);
	assert_int_equal(status_alloc_take(&f->d, &a, &z, &err), 0);
	assert_int_equal(z.status_list, 2);
	assert_int_equal(status_alloc_end(&f->d, &a, &err), 0);
	assert_int_equal(store_commit(s, &err), 0);
	assert_int_equal(reg_sql_int(f, "SELECT used FROM status_list WHERE n = 1"), limit);
	assert_int_equal(reg_sql_int(f, "SELECT used FROM status_list WHERE n = 2"), 2);
	assert_int_equal(reg_sql_int(f, "SELECT size FROM status_list WHERE n = 2"),
	                 STATUS_LIST_SIZE);
	/* A new transaction continues in the newest list. */
	assert_int_equal(store_begin(s, &err), 0);
	assert_int_equal(status_alloc_begin(&f->d, &a, &err), 0);
	assert_int_equal(a.current.n, 2);
	store_rollback(s);
}

/* Status changes */

static void first_achievement(struct reg_fixture *f, char id[64])
{
	sql_text(f, "SELECT id FROM achievement ORDER BY record_id LIMIT 1", id, 64);
	assert_true(id[0] != '\0');
}

static void setup_rows(struct reg_fixture *f, size_t n)
{
	char *csv = bulk_csv(n);
	reg_import_expect(f, csv, n, 0, 0, 0);
	free(csv);
}

/* Grows by one for each list (revocation, suspension) whose bits a change touched. */
static long long list_version(struct reg_fixture *f)
{
	return reg_sql_int(f, "SELECT revocation_version + suspension_version FROM status_list "
	                      "WHERE n = 1");
}

static int change(struct reg_fixture *f, const char *id, enum status_action action,
                  const char *reason, struct store_achievement *out, struct ok_error *err)
{
	ok_error_clear(err);
	return registry_status_change(&f->d, id, NULL, action, reason, "tester", out, err);
}

static void revocation_is_final(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct ok_error err;
	char id[64], sql[256], text[256];
	long long v0;

	setup_rows(f, 3);
	first_achievement(f, id);
	v0 = list_version(f);
	assert_int_equal(change(f, id, STATUS_REVOKE, "obtained by fraud", &a, &err), 0);
	assert_string_equal(a.status, "revoked");
	assert_int_equal(a.version, 2);
	assert_int_equal(list_version(f), v0 + 1);
	/* Nothing lifts a revocation, nor changes it. */
	assert_int_equal(change(f, id, STATUS_REINSTATE, "mistake", &a, &err), OK_ECONFLICT);
	assert_non_null(strstr(err.message, "revo"));
	assert_int_equal(change(f, id, STATUS_SUSPEND, "x", &a, &err), OK_ECONFLICT);
	assert_int_equal(change(f, id, STATUS_REVOKE, "again", &a, &err), OK_ECONFLICT);
	/* Refused changes leave no trace: no version, no history, no list change. */
	assert_int_equal(list_version(f), v0 + 1);
	snprintf(sql, sizeof(sql),
	         "SELECT status || ' ' || version FROM achievement WHERE id = '%s'", id);
	sql_text(f, sql, text, sizeof(text));
	assert_string_equal(text, "revoked 2");
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM achievement_history WHERE achievement_id "
	         "= '%s'",
	         id);
	assert_int_equal(reg_sql_int(f, sql), 1);
	/* The history keeps the version before, with who and why. */
	snprintf(sql, sizeof(sql),
	         "SELECT status || '|' || version || '|' || actor || '|' || reason FROM "
	         "achievement_history WHERE achievement_id = '%s'",
	         id);
	sql_text(f, sql, text, sizeof(text));
	assert_string_equal(text, "active|1|tester|obtained by fraud");
	/* The change is audited. */
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM audit_event WHERE action = 'achievement.revoke' AND subject "
	         "= '%s' AND actor = 'tester'",
	         id);
	assert_int_equal(reg_sql_int(f, sql), 1);
	/* Survives a reopen. */
	reg_fixture_reopen(f);
	assert_int_equal(change(f, id, STATUS_REINSTATE, "mistake", &a, &err), OK_ECONFLICT);
}

/* A correction read before another handle's revocation committed, and written after it. */
struct correction {
	struct depository *d;
	const char *id;
	int rc;
	struct ok_error err;
};

static void *correct_title(void *arg)
{
	struct correction *c = arg;
	struct store_achievement out;
	json_t *patch = json_pack("{s:s, s:s}", "title", "Retitled", "reason", "typo");

	c->rc = registry_achievement_correct(c->d, c->id, NULL, patch, "tester", &out, &c->err);
	json_decref(patch);
	return NULL;
}

/* The attack of session 16: a correction reads the record, then writes it back whole; a
 * revocation committed in between was undone (the record active again), and two corrections
 * at once took one version (every later change then failed on the history's key). */
static void a_correction_never_undoes_a_revocation_made_meanwhile(void **state)
{
	struct reg_fixture *f = *state;
	struct correction c = {&f->d, NULL, -1, {0}};
	struct store_achievement a;
	struct depository other;
	struct ok_error err;
	char id[64], sql[256], text[256];
	pthread_t t;

	setup_rows(f, 3);
	first_achievement(f, id);
	c.id = id;
	assert_int_equal(depository_open(&other, f->dir, &err), 0);
	/* The other handle holds the write lock: the correction reads, then waits for it. */
	assert_int_equal(store_begin(other.store, &err), 0);
	assert_int_equal(pthread_create(&t, NULL, correct_title, &c), 0);
	usleep(300 * 1000);
	assert_int_equal(registry_status_change(&other, id, NULL, STATUS_REVOKE, "fraud", "tester",
	                                        &a, &err),
	                 0);
	assert_int_equal(store_commit(other.store, &err), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.rc, OK_ECONFLICT);
	assert_non_null(strstr(c.err.message, "changed while it was being corrected"));
	snprintf(sql, sizeof(sql),
	         "SELECT status || ' ' || version || ' ' || title FROM achievement WHERE id = '%s'",
	         id);
	sql_text(f, sql, text, sizeof(text));
	assert_non_null(strstr(text, "revoked 2 "));
	assert_null(strstr(text, "Retitled"));
	depository_close(&other);
}

static void suspend_reinstate_rules(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct ok_error err;
	char id[64], sql[256], text[512];
	long long v0;

	setup_rows(f, 3);
	first_achievement(f, id);
	v0 = list_version(f);
	/* Only a suspension can be lifted. */
	assert_int_equal(change(f, id, STATUS_REINSTATE, "nothing to lift", &a, &err),
	                 OK_ECONFLICT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "under investigation", &a, &err), 0);
	assert_string_equal(a.status, "suspended");
	assert_int_equal(change(f, id, STATUS_SUSPEND, "twice", &a, &err), OK_ECONFLICT);
	assert_int_equal(list_version(f), v0 + 1);
	assert_int_equal(change(f, id, STATUS_REINSTATE, "cleared", &a, &err), 0);
	assert_string_equal(a.status, "active");
	assert_int_equal(a.version, 3);
	assert_int_equal(list_version(f), v0 + 2);
	assert_int_equal(change(f, id, STATUS_REINSTATE, "again", &a, &err), OK_ECONFLICT);
	/* Suspended, then revoked: final. */
	assert_int_equal(change(f, id, STATUS_SUSPEND, "again", &a, &err), 0);
	assert_int_equal(change(f, id, STATUS_REVOKE, "confirmed", &a, &err), 0);
	assert_string_equal(a.status, "revoked");
	assert_int_equal(change(f, id, STATUS_REINSTATE, "no", &a, &err), OK_ECONFLICT);
	/* Revoking a suspended achievement changes both lists: its suspension bit clears. */
	assert_int_equal(list_version(f), v0 + 5);
	snprintf(sql, sizeof(sql),
	         "SELECT group_concat(status || ':' || reason, ',') FROM (SELECT * FROM "
	         "achievement_history WHERE achievement_id = '%s' ORDER BY version)",
	         id);
	sql_text(f, sql, text, sizeof(text));
	assert_string_equal(text, "active:under investigation,suspended:cleared,active:again,"
	                          "suspended:confirmed");
	/* The other achievements are untouched. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement WHERE status = 'active'"),
	                 2);
}

static void reasons_and_unknown_ids(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct ok_error err;
	char id[64], long_reason[202];
	long long v0;

	setup_rows(f, 1);
	first_achievement(f, id);
	v0 = list_version(f);
	assert_int_equal(change(f, id, STATUS_REVOKE, "", &a, &err), OK_EINPUT);
	assert_string_equal(err.field, "reason");
	assert_int_equal(change(f, id, STATUS_REVOKE, NULL, &a, &err), OK_EINPUT);
	memset(long_reason, 'x', 201);
	long_reason[201] = '\0';
	assert_int_equal(change(f, id, STATUS_REVOKE, long_reason, &a, &err), OK_EINPUT);
	long_reason[200] = '\0';
	assert_int_equal(change(f, id, STATUS_SUSPEND, long_reason, &a, &err), 0);
	/* The limit is in characters: 200 two-byte characters are fine, 201 are not. */
	{
		char wide[2 * 201 + 1];
		int k;
		for (k = 0; k < 201; k++)
			memcpy(wide + 2 * k, "\xC3\xA9", 2); /* é */
		wide[2 * 201] = '\0';
		assert_int_equal(change(f, id, STATUS_REINSTATE, wide, &a, &err), OK_EINPUT);
		wide[2 * 200] = '\0';
		assert_int_equal(change(f, id, STATUS_REINSTATE, wide, &a, &err), 0);
	}
	/* Text people read back: valid UTF-8, no control characters. */
	assert_int_equal(change(f, id, STATUS_SUSPEND, "bad \xFF\xFE utf-8", &a, &err), OK_EINPUT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "line\nbreak", &a, &err), OK_EINPUT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "\x1B[31mred", &a, &err), OK_EINPUT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "c1 \xC2\x85 control", &a, &err), OK_EINPUT);
	/* ... nor characters that reorder or hide what is shown (attack-insider F4). */
	assert_int_equal(change(f, id, STATUS_SUSPEND, "rtl \xE2\x80\xAE override", &a, &err),
	                 OK_EINPUT);
	assert_non_null(strstr(err.message, "U+202E"));
	assert_int_equal(change(f, id, STATUS_SUSPEND, "zero\xE2\x80\x8Bwidth", &a, &err),
	                 OK_EINPUT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "isolate \xE2\x81\xA6x", &a, &err),
	                 OK_EINPUT);
	assert_int_equal(change(f, id, STATUS_SUSPEND, "soft\xC2\xADhyphen", &a, &err), OK_EINPUT);
	assert_int_equal(list_version(f), v0 + 2);
	assert_int_equal(change(f, "0123456789abcdef01234567", STATUS_REVOKE, "x", &a, &err),
	                 OK_ENOTFOUND);
	/* Another institution's achievement is not found, as a missing one. */
	reg_add_institution(f, "25BE");
	ok_error_clear(&err);
	assert_int_equal(
	        registry_status_change(&f->d, id, "25BE", STATUS_REVOKE, "x", "t", &a, &err),
	        OK_ENOTFOUND);
	assert_int_equal(list_version(f), v0 + 2);
	assert_int_equal(status_action_parse("revoke", &(enum status_action){0}), 0);
	assert_int_not_equal(status_action_parse("Revoke", &(enum status_action){0}), 0);
	assert_int_not_equal(status_action_parse("delete", &(enum status_action){0}), 0);
}

/* `revoke --record-id R --institution C`: one call finds the record and changes it. */
static void changed_by_the_institutions_record_id(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct ok_error err;
	char id[64], record[64];

	setup_rows(f, 2);
	first_achievement(f, id);
	sql_text(f, "SELECT record_id FROM achievement ORDER BY record_id LIMIT 1", record,
	         sizeof(record));
	ok_error_clear(&err);
	assert_int_equal(registry_status_change_by_record(&f->d, "21PB", record, STATUS_SUSPEND,
	                                                  "checked", "tester", &a, &err),
	                 0);
	assert_string_equal(a.id, id);
	assert_string_equal(a.status, "suspended");
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement WHERE status = "
	                                "'suspended'"),
	                 1);
	/* The rules are the same as by id: a revocation is final. */
	assert_int_equal(registry_status_change_by_record(&f->d, "21PB", record, STATUS_REVOKE,
	                                                  "fraud", "tester", &a, &err),
	                 0);
	assert_int_equal(registry_status_change_by_record(&f->d, "21PB", record, STATUS_REINSTATE,
	                                                  "x", "tester", &a, &err),
	                 OK_ECONFLICT);
	/* Unknown institution, unknown record: not found, naming which. */
	assert_int_equal(registry_status_change_by_record(&f->d, "99XX", record, STATUS_SUSPEND,
	                                                  "x", "tester", &a, &err),
	                 OK_ENOTFOUND);
	assert_string_equal(err.field, "institution");
	assert_int_equal(registry_status_change_by_record(&f->d, "21PB", "no-such-record",
	                                                  STATUS_SUSPEND, "x", "tester", &a, &err),
	                 OK_ENOTFOUND);
	assert_string_equal(err.field, "record_id");
}

/* The signed list credential */

struct signed_list {
	struct buf body;
	char etag[STORE_ETAG_MAX];
	json_t *vc;
	unsigned char *bits;
	size_t nbytes;
};

static void get_list(struct reg_fixture *f, const char *purpose, int64_t n, struct signed_list *l)
{
	struct ok_error err;
	const char *encoded;
	json_t *subject;

	buf_init(&l->body, 0);
	ok_error_clear(&err);
	if (registry_status_list_credential(&f->d, purpose, n, &l->body, l->etag, &err) != 0)
		fail_msg("registry_status_list_credential %s/%lld: %s", purpose, (long long)n,
		         err.message);
	assert_int_equal(l->etag[0], '"');
	assert_int_equal(l->etag[strlen(l->etag) - 1], '"');
	l->vc = json_loadb(l->body.data, l->body.len, 0, NULL);
	assert_non_null(l->vc);
	subject = json_object_get(l->vc, "credentialSubject");
	assert_string_equal(json_string_value(json_object_get(subject, "statusPurpose")), purpose);
	assert_string_equal(json_string_value(json_object_get(subject, "type")),
	                    "BitstringStatusList");
	encoded = json_string_value(json_object_get(subject, "encodedList"));
	assert_non_null(encoded);
	l->bits = malloc(LIST_BYTES + 16);
	l->nbytes = (size_t)decode_independently(encoded, l->bits, LIST_BYTES + 16);
}

static void free_list(struct signed_list *l)
{
	buf_release(&l->body);
	json_decref(l->vc);
	free(l->bits);
}

static long long slot_of(struct reg_fixture *f, const char *id)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT status_index FROM achievement WHERE id = '%s'", id);
	return reg_sql_int(f, sql);
}

static void list_credential_has_the_right_bits(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct signed_list rev, sus;
	struct ok_error err;
	char id[64], id2[64], url[256];
	long long i, i2;
	json_t *types;

	setup_rows(f, 50);
	first_achievement(f, id);
	sql_text(f, "SELECT id FROM achievement ORDER BY record_id DESC LIMIT 1", id2, sizeof(id2));
	i = slot_of(f, id);
	i2 = slot_of(f, id2);
	assert_int_equal(change(f, id, STATUS_REVOKE, "fraud", &a, &err), 0);
	assert_int_equal(change(f, id2, STATUS_SUSPEND, "check", &a, &err), 0);
	get_list(f, "revocation", 1, &rev);
	get_list(f, "suspension", 1, &sus);
	/* 131,072 entries: 16 KiB. */
	assert_int_equal(rev.nbytes, 16384);
	assert_int_equal(sus.nbytes, 16384);
	/* Index i is bit 7 - i % 8 of byte i / 8 (the left-most bit first), and nothing else. */
	assert_true(bit(rev.bits, i));
	assert_int_equal(popcount(rev.bits, rev.nbytes), 1);
	assert_int_equal(rev.bits[i / 8], 0x80 >> (i % 8));
	assert_true(bit(sus.bits, i2));
	assert_int_equal(popcount(sus.bits, sus.nbytes), 1);
	assert_int_equal(sus.bits[i2 / 8], 0x80 >> (i2 % 8));
	/* The credential: id is its URL, types, issuer, a proof. */
	registry_status_list_url(&f->d, "revocation", 1, url, sizeof(url));
	assert_string_equal(json_string_value(json_object_get(rev.vc, "id")), url);
	types = json_object_get(rev.vc, "type");
	assert_int_equal(json_array_size(types), 2);
	assert_string_equal(json_string_value(json_array_get(types, 1)),
	                    "BitstringStatusListCredential");
	assert_non_null(json_object_get(rev.vc, "proof"));
	assert_string_equal(
	        json_string_value(json_object_get(json_object_get(rev.vc, "proof"), "cryptosuite")),
	        "eddsa-jcs-2022");
	/* A local status check reads the same bits. */
	{
		bool set = true;
		char surl[256];
		registry_status_list_url(&f->d, "suspension", 1, surl, sizeof(surl));
		assert_int_equal(registry_status_local(&f->d, url, i, NULL, &set, &err), 0);
		assert_true(set);
		assert_int_equal(registry_status_local(&f->d, url, i2, NULL, &set, &err), 0);
		assert_false(set);
		assert_int_equal(registry_status_local(&f->d, surl, i2, NULL, &set, &err), 0);
		assert_true(set);
		assert_int_equal(registry_status_local(&f->d,
		                                       "https://elsewhere.example/status/"
		                                       "revocation/1",
		                                       i, NULL, &set, &err),
		                 OK_ENOTFOUND);
		/* A record the caller read (its own credential's): an entry pointing at its slot
		 * is answered from it, one pointing at another slot from the store. */
		{
			struct store_credential_status known = {"suspended", 1, i};

			assert_int_equal(registry_status_local(&f->d, surl, i, &known, &set, &err),
			                 0);
			assert_true(set);
			assert_int_equal(registry_status_local(&f->d, url, i, &known, &set, &err),
			                 0);
			assert_false(set); /* what the caller read says: not revoked */
			assert_int_equal(registry_status_local(&f->d, surl, i2, &known, &set, &err),
			                 0);
			assert_true(set);        /* i2's, from the store */
			known.status_index = -1; /* no slot: never matched */
			assert_int_equal(registry_status_local(&f->d, url, i, &known, &set, &err),
			                 0);
			assert_true(set);
		}
	}
	/* Unknown lists and purposes. */
	{
		struct buf b;
		char etag[STORE_ETAG_MAX];
		buf_init(&b, 0);
		assert_int_equal(
		        registry_status_list_credential(&f->d, "revocation", 2, &b, etag, &err),
		        OK_ENOTFOUND);
		assert_int_equal(
		        registry_status_list_credential(&f->d, "message", 1, &b, etag, &err),
		        OK_ENOTFOUND);
		buf_release(&b);
	}
	free_list(&rev);
	free_list(&sus);
}

static void resigned_only_when_a_bit_changes(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct signed_list l1, l2, l3, l4;
	struct ok_error err;
	char id[64], id2[64];

	setup_rows(f, 5);
	first_achievement(f, id);
	sql_text(f, "SELECT id FROM achievement ORDER BY record_id DESC LIMIT 1", id2, sizeof(id2));
	get_list(f, "revocation", 1, &l1);
	sleep(1); /* a re-signed list would carry another validFrom and proof */
	get_list(f, "revocation", 1, &l2);
	assert_string_equal(l1.etag, l2.etag);
	assert_int_equal(l1.body.len, l2.body.len);
	assert_memory_equal(l1.body.data, l2.body.data, l1.body.len);
	/* A refused change changes nothing. */
	assert_int_equal(change(f, id, STATUS_REINSTATE, "nothing", &a, &err), OK_ECONFLICT);
	get_list(f, "revocation", 1, &l3);
	assert_string_equal(l1.etag, l3.etag);
	free_list(&l3);
	/* A bit changes: another ETag, another body, the bit set. */
	assert_int_equal(change(f, id, STATUS_REVOKE, "fraud", &a, &err), 0);
	get_list(f, "revocation", 1, &l3);
	assert_string_not_equal(l1.etag, l3.etag);
	assert_true(bit(l3.bits, slot_of(f, id)));
	get_list(f, "revocation", 1, &l4);
	assert_string_equal(l3.etag, l4.etag);
	free_list(&l4);
	/* Kept across a reopen (not signed again by the next process). */
	reg_fixture_reopen(f);
	get_list(f, "revocation", 1, &l4);
	assert_string_equal(l3.etag, l4.etag);
	free_list(&l4);
	free_list(&l1);
	free_list(&l2);
	free_list(&l3);
	(void)id2;
}

/* A change in the revocation list flips no bit of the suspension list: the suspension list
 * must keep its ETag (verifiers holding it need not fetch it again). */
static void other_purpose_not_resigned(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct signed_list s1, s2;
	struct ok_error err;
	char id[64];

	setup_rows(f, 5);
	first_achievement(f, id);
	get_list(f, "suspension", 1, &s1);
	sleep(1);
	assert_int_equal(change(f, id, STATUS_REVOKE, "fraud", &a, &err), 0);
	get_list(f, "suspension", 1, &s2);
	assert_int_equal(popcount(s2.bits, s2.nbytes), 0);
	if (strcmp(s1.etag, s2.etag) != 0)
		fail_msg(
		        "the suspension list was re-signed (ETag %s -> %s) though none of its bits "
		        "changed",
		        s1.etag, s2.etag);
	free_list(&s1);
	free_list(&s2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(encode_decode_round_trip),
	        cmocka_unit_test(decodes_the_specification_example),
	        cmocka_unit_test(corrupt_lists_fail),
	        cmocka_unit_test_setup_teardown(slots_unique_and_spread_over_200000, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(new_list_opens_at_three_quarters, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(revocation_is_final, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(
	                a_correction_never_undoes_a_revocation_made_meanwhile, reg_setup,
	                reg_teardown),
	        cmocka_unit_test_setup_teardown(suspend_reinstate_rules, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(reasons_and_unknown_ids, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(changed_by_the_institutions_record_id, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(list_credential_has_the_right_bits, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(resigned_only_when_a_bit_changes, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(other_purpose_not_resigned, reg_setup,
	                                        reg_teardown),
	};
	return cmocka_run_group_tests_name("registry/status", tests, NULL, NULL);
}
