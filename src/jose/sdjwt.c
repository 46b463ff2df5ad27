/* SD-JWT (RFC 9901): issuing from a disclosure frame, presenting, verifying. */
#include "jose/sdjwt.h"

#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "core/json_tree.h"
#include "jose/b64.h"
#include "jose/jsonw.h"
#include "jose/jws.h"

#define DIGEST_CHARS   43 /* base64url of a SHA-256 digest */
#define SALT_BYTES     16
#define DISCLOSURE_MAX ((size_t)256 << 10) /* characters of one disclosure */
#define ISSUE_ROOM     ((size_t)4 << 10)   /* a credential's payload or disclosures, usually */

static int fail(struct ok_error *err, int code, const char *field, const char *msg)
{
	return ok_fail_field(err, code, field, "%s", msg);
}

static int is_reserved(const char *name)
{
	return strcmp(name, "_sd") == 0 || strcmp(name, "...") == 0 || strcmp(name, "_sd_alg") == 0;
}

/* SHA-256 through libcrypto (its hardware paths), the algorithm fetched and the context made
 * once per call of the API, not once per digest: an SD-JWT needs one digest per disclosure. */
struct sha {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
};

static int sha_init(struct sha *h, struct ok_error *err)
{
	h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
	h->ctx = EVP_MD_CTX_new();
	if (!h->md || !h->ctx)
		return fail(err, OK_ECRYPTO, "sd-jwt", "SHA-256 is not available");
	return 0;
}

static void sha_release(struct sha *h)
{
	EVP_MD_CTX_free(h->ctx);
	EVP_MD_free(h->md);
	memset(h, 0, sizeof(*h));
}

/* Writes the base64url SHA-256 of n bytes at s into out (DIGEST_CHARS + NUL). */
static int digest_of(struct sha *h, const void *s, size_t n, char out[DIGEST_CHARS + 1],
                     struct ok_error *err)
{
	uint8_t d[32];
	unsigned len = 0;

	if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 || EVP_DigestUpdate(h->ctx, s, n) != 1 ||
	    EVP_DigestFinal_ex(h->ctx, d, &len) != 1 || len != sizeof(d))
		return fail(err, OK_ECRYPTO, "sd-jwt", "SHA-256 failed");
	jose_b64_encode_to(d, sizeof(d), out);
	return 0;
}

/* Issuing */

struct issue {
	struct buf disclosures; /* "~d1~d2…" */
	struct buf text;        /* one disclosure's JSON, reused for each */
	size_t count;
	struct sha sha;
	struct ok_error *err;
	uint8_t pool[512]; /* random bytes drawn in bulk for many salts */
	size_t pool_used;
};

/* Takes n (<= sizeof pool) fresh random bytes from libcrypto's DRBG (NIST SP 800-90A, seeded
 * from the kernel and reseeded by libcrypto): no system call per issuance, as the kernel's
 * generator would cost in a VM, and the same generator ES256 signing draws its nonces from. */
static int take_random(struct issue *is, uint8_t *out, size_t n)
{
	if (is->pool_used == 0 || is->pool_used + n > sizeof(is->pool)) {
		if (RAND_bytes(is->pool, (int)sizeof(is->pool)) != 1)
			return fail(is->err, OK_ECRYPTO, "sd-jwt", "no random bytes");
		is->pool_used = 0;
	}
	memcpy(out, is->pool + is->pool_used, n);
	sodium_memzero(is->pool + is->pool_used, n);
	is->pool_used += n;
	return 0;
}

/* Makes the disclosure of [salt, name, value] (name NULL: [salt, value]), appends it to the
 * issue's list and returns its digest in digest. The value is raw, JSON text already written
 * (a concealed object or array), or else value. The array is written straight into text (no
 * JSON objects are built), then its base64url straight into the list. */
static int disclose(struct issue *is, const char *name, const json_t *value, const struct buf *raw,
                    char digest[DIGEST_CHARS + 1])
{
	uint8_t salt[SALT_BYTES];
	char salt64[JOSE_B64_ENCODED_LEN(SALT_BYTES) + 1];
	struct buf *text = &is->text;
	size_t start;
	int rc;

	if (is->count >= JOSE_SDJWT_DISCLOSURES_MAX)
		return fail(is->err, OK_ETOOBIG, "frame",
		            "too many selectively disclosable claims");
	if ((rc = take_random(is, salt, sizeof(salt))))
		return rc;
	jose_b64_encode_to(salt, sizeof(salt), salt64);
	sodium_memzero(salt, sizeof(salt));
	buf_reset(text);
	rc = buf_addch(text, '[');
	if (!rc)
		rc = jose_jsonw_str(text, salt64, sizeof(salt64) - 1);
	sodium_memzero(salt64, sizeof(salt64));
	if (!rc && name)
		rc = buf_addch(text, ',') ? OK_ETOOBIG : jose_jsonw_str(text, name, strlen(name));
	if (!rc)
		rc = buf_addch(text, ',');
	if (!rc)
		rc = raw ? buf_add(text, raw->data, raw->len) : jose_jsonw_at(text, value, 1);
	if (!rc)
		rc = buf_addch(text, ']');
	start = is->disclosures.len;
	if (!rc)
		rc = buf_addch(&is->disclosures, '~');
	if (!rc)
		rc = jose_b64_encode(text->data, text->len, &is->disclosures, is->err);
	sodium_memzero(text->data, text->len);
	if (rc)
		return rc < 0 && is->err && !is->err->code ? fail(is->err, rc, "sd-jwt", "too long")
		                                           : rc;
	rc = digest_of(&is->sha, is->disclosures.data + start + 1, is->disclosures.len - start - 1,
	               digest, is->err);
	if (rc)
		return rc;
	is->count++;
	return 0;
}

/* A decoy digest: 32 random bytes in base64url. A SHA-256 digest of random bytes (RFC 9901
 * §4.2.5) is itself uniformly random, so hashing them again would add nothing a reader could
 * tell apart. */
static int decoy(struct issue *is, char digest[DIGEST_CHARS + 1])
{
	uint8_t r[32];
	int rc = take_random(is, r, sizeof(r));

	if (!rc)
		jose_b64_encode_to(r, sizeof(r), digest);
	sodium_memzero(r, sizeof(r));
	return rc;
}

/* The digests of one object, sorted (RFC 9901 §4.2.4.1 leaves the order open; sorted, the
 * order tells nothing of the claims'): an insertion sort, as an object holds a few. */
static void sort_digests(char (*d)[DIGEST_CHARS + 1], size_t n)
{
	char t[DIGEST_CHARS + 1];
	size_t i, j;

	for (i = 1; i < n; i++) {
		for (j = i; j > 0 && memcmp(d[j - 1], d[i], DIGEST_CHARS) > 0; j--)
			;
		if (j == i)
			continue;
		memcpy(t, d[i], sizeof(t));
		memmove(d[j + 1], d[j], (i - j) * sizeof(t));
		memcpy(d[j], t, sizeof(t));
	}
}

static int frame_decoys(const json_t *frame, size_t *n, struct ok_error *err)
{
	const json_t *d = json_object_get(frame, "_sd_decoy");

	*n = 0;
	if (!d)
		return 0;
	if (!json_is_integer(d) || json_integer_value(d) < 0 ||
	    json_integer_value(d) > JOSE_SDJWT_DECOYS_MAX)
		return fail(err, OK_EINPUT, "frame._sd_decoy",
		            "_sd_decoy is not a count from 0 to 64");
	*n = (size_t)json_integer_value(d);
	return 0;
}

/*
 * The payload is written straight from the caller's claims (not changed, not copied) with the
 * frame applied on the way: for an object or array the frame reaches, first its members that
 * have frames of their own are written apart (their disclosures made first, so that a
 * disclosed value may hold digests of its own), then its disclosures and decoys are made, and
 * then it is written with the digests in place of what they conceal.
 */
struct part {
	const char *key; /* the member's name, or NULL: an array's element */
	size_t index;
	struct buf text; /* its JSON with its frame applied; len 0: written as it is */
	bool disclosed;  /* replaced by a digest ("_sd" of an object) */
};

static int emit(struct issue *is, struct buf *b, const json_t *v, const json_t *frame, int depth,
                bool top);

static void parts_release(struct part *p, size_t n)
{
	size_t i;

	for (i = 0; p && i < n; i++) {
		sodium_memzero(p[i].text.data, p[i].text.len);
		buf_release(&p[i].text);
	}
	free(p);
}

/* The parts of v (an object or array) that frame names and goes into: written apart with
 * their frames applied. *parts gets a slot per frame member and per entry of the frame's "_sd"
 * (which must be an array), the caller's to release with parts_release(*parts, *np) also on
 * failure; *np the parts written. */
static int frame_parts(struct issue *is, const json_t *v, const json_t *frame, int depth,
                       struct part **parts, size_t *np)
{
	const json_t *sd = json_object_get(frame, "_sd");
	struct part *p;
	const char *key;
	json_t *sub;
	int rc;

	*np = 0;
	*parts = p = calloc(json_object_size(frame) + json_array_size(sd) + 1, sizeof(*p));
	if (!p)
		return fail(is->err, OK_ENOMEM, "frame", "out of memory");
	json_object_foreach((json_t *)frame, key, sub)
	{
		const json_t *child;
		size_t k = 0;

		if (strcmp(key, "_sd") == 0 || strcmp(key, "_sd_decoy") == 0)
			continue;
		if (json_is_array(v)) {
			char *end;
			unsigned long n = strtoul(key, &end, 10);

			if (*end || end == key || n >= json_array_size(v))
				continue;
			k = n;
			child = json_array_get(v, k);
		} else {
			child = json_object_get(v, key);
		}
		/* Only an object or array that a frame object goes into changes. */
		if (!json_is_object(sub) || !(json_is_object(child) || json_is_array(child)))
			continue;
		p[*np].key = json_is_array(v) ? NULL : key;
		p[*np].index = k;
		buf_init(&p[*np].text, JOSE_SDJWT_MAX);
		(*np)++;
		if ((rc = emit(is, &p[*np - 1].text, child, sub, depth + 1, false)))
			return rc;
	}
	if (sd && !json_is_array(sd))
		return fail(is->err, OK_EINPUT, "frame._sd", "_sd in a frame is not an array");
	return 0;
}

static struct part *part_of(struct part *p, size_t n, const char *key, size_t index)
{
	size_t i;

	/* The last of a name or index, as setting a member twice keeps the last value. */
	for (i = n; i-- > 0;)
		if (key ? p[i].key && strcmp(p[i].key, key) == 0 : !p[i].key && p[i].index == index)
			return &p[i];
	return NULL;
}

static int write_digest_object(struct buf *b, const char *digest)
{
	int rc = buf_add(b, "{\"...\":\"", 8);

	if (!rc)
		rc = buf_add(b, digest, DIGEST_CHARS);
	return rc ? rc : buf_add(b, "\"}", 2);
}

static int emit_object(struct issue *is, struct buf *b, const json_t *obj, const json_t *frame,
                       int depth, bool top)
{
	const json_t *sd = json_object_get(frame, "_sd"), *name, *m;
	char(*digests)[DIGEST_CHARS + 1] = NULL;
	struct part *parts, *pt;
	size_t np = 0, n = 0, decoys, i, written = 0;
	const char *key;
	bool alg;
	int rc;

	if (json_object_get(obj, "_sd") || json_object_get(obj, "_sd_alg"))
		return fail(is->err, OK_EINPUT, "claims", "the claims already hold _sd or _sd_alg");
	/* The parts' slots serve the names disclosed too (one per _sd entry). */
	if ((rc = frame_parts(is, obj, frame, depth, &parts, &np)))
		goto out;
	if ((rc = frame_decoys(frame, &decoys, is->err)))
		goto out;
	if (json_array_size(sd) + decoys) {
		digests = calloc(json_array_size(sd) + decoys, sizeof(*digests));
		if (!digests) {
			rc = fail(is->err, OK_ENOMEM, "frame", "out of memory");
			goto out;
		}
	}
	/* A disclosed name is marked in its part, or in a slot of its own. */
	json_array_foreach(sd, i, name)
	{
		const char *nm;

		if (!json_is_string(name)) {
			rc = fail(is->err, OK_EINPUT, "frame._sd",
			          "_sd of an object lists claim names");
			goto out;
		}
		nm = json_string_value(name);
		if (is_reserved(nm)) {
			rc = fail(is->err, OK_EINPUT, "frame._sd",
			          "a reserved name cannot be disclosed");
			goto out;
		}
		m = json_object_get(obj, nm);
		pt = part_of(parts, np, nm, 0);
		if (!m || (pt && pt->disclosed)) /* an optional claim it lacks; named twice */
			continue;
		rc = disclose(is, nm, m, pt && pt->text.len ? &pt->text : NULL, digests[n]);
		if (rc)
			goto out;
		n++;
		if (!pt) {
			pt = &parts[np++];
			pt->key = nm;
			buf_init(&pt->text, JOSE_SDJWT_MAX);
		}
		pt->disclosed = true;
	}
	for (i = 0; i < decoys; i++)
		if ((rc = decoy(is, digests[n++])))
			goto out;
	sort_digests(digests, n);
	/* The object: its members in their order but the disclosed, then "_sd". At the top,
	 * "_sd_alg" when anything was disclosed. */
	alg = top && (n || is->count);
	rc = buf_addch(b, '{');
	json_object_foreach((json_t *)obj, key, m)
	{
		pt = part_of(parts, np, key, 0);
		if (rc || (pt && pt->disclosed))
			continue;
		rc = jose_jsonw_name(b, written++ == 0, key, strlen(key));
		if (!rc)
			rc = pt && pt->text.len ? buf_add(b, pt->text.data, pt->text.len)
			                        : jose_jsonw_at(b, m, depth + 1);
	}
	if (!rc && n) {
		rc = written ? buf_add(b, ",\"_sd\":[", 8) : buf_add(b, "\"_sd\":[", 7);
		written++;
		for (i = 0; !rc && i < n; i++) {
			rc = buf_add(b, i ? ",\"" : "\"", i ? 2 : 1);
			if (!rc)
				rc = buf_add(b, digests[i], DIGEST_CHARS);
			if (!rc)
				rc = buf_addch(b, '"');
		}
		if (!rc)
			rc = buf_addch(b, ']');
	}
	if (!rc && alg)
		rc = buf_addstr(b,
		                written ? ",\"_sd_alg\":\"sha-256\"" : "\"_sd_alg\":\"sha-256\"");
	if (!rc)
		rc = buf_addch(b, '}');
	if (rc) /* from writing only: every step before went to out with err filled */
		rc = fail(is->err, rc, "claims",
		          rc == OK_ENOMEM ? "out of memory" : "the payload is too long");
out:
	free(digests);
	parts_release(parts, np);
	return rc;
}

static int emit_array(struct issue *is, struct buf *b, const json_t *arr, const json_t *frame,
                      int depth)
{
	const json_t *sd = json_object_get(frame, "_sd"), *idx, *m;
	char digest[DIGEST_CHARS + 1];
	struct part *parts, *pt;
	size_t np = 0, decoys, i;
	int rc;

	/* The parts' slots serve what each _sd entry replaces too. */
	if ((rc = frame_parts(is, arr, frame, depth, &parts, &np)))
		goto out;
	json_array_foreach(sd, i, idx)
	{
		json_int_t k = json_is_integer(idx) ? json_integer_value(idx) : -1;
		struct buf was;

		if (k < 0) {
			rc = fail(is->err, OK_EINPUT, "frame._sd", "_sd of an array lists indices");
			goto out;
		}
		if ((size_t)k >= json_array_size(arr))
			continue;
		pt = part_of(parts, np, NULL, (size_t)k);
		rc = disclose(is, NULL, json_array_get(arr, (size_t)k),
		              pt && pt->text.len ? &pt->text : NULL, digest);
		if (rc)
			goto out;
		/* The element is now {"...": digest}: named again, that object is disclosed. */
		if (!pt) {
			pt = &parts[np++];
			pt->index = (size_t)k;
			buf_init(&pt->text, JOSE_SDJWT_MAX);
		}
		was = pt->text;
		buf_init(&pt->text, JOSE_SDJWT_MAX);
		sodium_memzero(was.data, was.len);
		buf_release(&was);
		if (write_digest_object(&pt->text, digest)) {
			rc = fail(is->err, OK_ENOMEM, "frame", "out of memory");
			goto out;
		}
	}
	if ((rc = frame_decoys(frame, &decoys, is->err)))
		goto out;
	rc = buf_addch(b, '[');
	json_array_foreach(arr, i, m)
	{
		pt = part_of(parts, np, NULL, i);
		if (!rc && i)
			rc = buf_addch(b, ',');
		if (!rc)
			rc = pt && pt->text.len ? buf_add(b, pt->text.data, pt->text.len)
			                        : jose_jsonw_at(b, m, depth + 1);
		if (rc)
			break;
	}
	for (i = 0; !rc && i < decoys; i++) {
		if ((rc = decoy(is, digest)))
			goto out;
		if (json_array_size(arr) || i)
			rc = buf_addch(b, ',');
		if (!rc)
			rc = write_digest_object(b, digest);
	}
	if (!rc)
		rc = buf_addch(b, ']');
	if (rc) /* from writing only: a decoy's failure went to out with err filled */
		rc = fail(is->err, rc, "claims",
		          rc == OK_ENOMEM ? "out of memory" : "the payload is too long");
out:
	parts_release(parts, np);
	return rc;
}

/* Writes v to b with frame applied (see struct part); top: v is the payload. */
static int emit(struct issue *is, struct buf *b, const json_t *v, const json_t *frame, int depth,
                bool top)
{
	int rc;

	if (depth > JOSE_SDJWT_DEPTH_MAX)
		return fail(is->err, OK_ETOOBIG, "frame", "the frame is nested too deeply");
	if (json_is_object(frame) && json_is_object(v))
		return emit_object(is, b, v, frame, depth, top);
	if (json_is_object(frame) && json_is_array(v))
		return emit_array(is, b, v, frame, depth);
	rc = jose_jsonw_at(b, v, depth);
	return rc ? fail(is->err, rc == OK_ENOMEM ? rc : OK_ETOOBIG, "claims",
	                 "the payload cannot be written as JSON")
	          : 0;
}

/* The claims without a frame: as they are, but an "_sd" among them (digests the caller made)
 * gets "_sd_alg" beside it. */
static int plain_payload(struct issue *is, struct buf *b, const json_t *claims)
{
	int rc = json_object_get(claims, "_sd")
	                 ? jose_jsonw_object_with(b, claims, "_sd_alg", "\"sha-256\"")
	                 : jose_jsonw_at(b, claims, 0);

	return rc ? fail(is->err, rc, "claims",
	                 rc == OK_ENOMEM ? "out of memory" : "the payload is too long")
	          : 0;
}

int jose_sdjwt_issue(const json_t *claims, const json_t *frame, const json_t *header,
                     const struct jose_signer *signer, struct buf *out, struct ok_error *err)
{
	struct issue is = {.err = err};
	size_t start = out->len;
	struct buf text;
	struct ok_error none;
	int rc;

	if (!err) {
		ok_error_clear(&none);
		is.err = err = &none;
	}
	if (!json_is_object(claims))
		return fail(err, OK_EINPUT, "claims", "the claims are not a JSON object");
	if (frame && !json_is_object(frame))
		return fail(err, OK_EINPUT, "frame", "the disclosure frame is not a JSON object");
	/* Room for a credential's usual size at once, instead of growing by doubling. */
	buf_init(&is.disclosures, JOSE_SDJWT_MAX);
	buf_init(&is.text, DISCLOSURE_MAX);
	buf_init(&text, JOSE_JWS_MAX);
	rc = buf_grow(&is.disclosures, ISSUE_ROOM) || buf_grow(&is.text, ISSUE_ROOM / 4) ||
	                     buf_grow(&text, ISSUE_ROOM)
	             ? fail(err, OK_ENOMEM, "sd-jwt", "out of memory")
	             : 0;
	if (!rc)
		rc = sha_init(&is.sha, err);
	/* The payload: the claims with the frame applied, written into room of its own. */
	if (!rc && json_is_object(frame))
		rc = emit(&is, &text, claims, frame, 0, true);
	else if (!rc)
		rc = plain_payload(&is, &text, claims);
	sodium_memzero(is.pool, sizeof(is.pool));
	/* Signed, then the JWS and the disclosures into out, grown once. */
	if (!rc &&
	    buf_grow(out, JOSE_B64_ENCODED_LEN(text.len) + is.disclosures.len + 1 + ISSUE_ROOM / 2))
		rc = fail(err, OK_ETOOBIG, "sd-jwt", "the SD-JWT is too long");
	if (!rc)
		rc = jose_jws_sign(header, text.data, text.len, signer, out, err);
	if (!rc && buf_add(out, is.disclosures.data, is.disclosures.len))
		rc = fail(err, OK_ETOOBIG, "sd-jwt", "the SD-JWT is too long");
	if (!rc && buf_addch(out, '~'))
		rc = fail(err, OK_ETOOBIG, "sd-jwt", "the SD-JWT is too long");
	if (rc)
		buf_truncate(out, start);
	sodium_memzero(text.data, text.len);
	buf_release(&text);
	buf_release(&is.disclosures);
	buf_release(&is.text);
	sha_release(&is.sha);
	return rc;
}

/* Reading: the payload and the disclosures are read by the strict one-pass reader of
 * core/json_tree.h into one tree (one allocation, sized from the SD-JWT's length), with the
 * same acceptance as jansson's JSON_REJECT_DUPLICATES; only the claims handed back are built as
 * jansson values. */

struct disc {
	const char *text; /* the base64url disclosure inside the caller's input */
	size_t len;
	char digest[DIGEST_CHARS + 1];
	uint32_t arr; /* [salt, name, value] or [salt, value], in the tree */
	int used;
};

struct parsed {
	const char *jws;
	size_t jws_len;
	struct disc *d;
	size_t nd;
	const char *kb; /* the KB-JWT, or NULL */
	size_t kb_len;
	struct jose_jws kb_jws; /* the KB-JWT parsed: the tree's strings point into its payload */
	size_t presented_len;   /* bytes up to and including the '~' before the KB-JWT */
	struct sha sha;
	struct json_tree tree; /* the disclosures, the payload, then the KB-JWT's payload */
	uint8_t *raw;          /* the decoded disclosures, which the tree's strings point into */
	size_t raw_len, raw_cap;
	uint32_t payload; /* the payload's root in the tree (0: not read yet) */
};

/* The reader's bounds: jansson's depth (the walk below has its own, lower, bound with its own
 * message). */
static const struct json_tree_limits disclosure_limits = {.depth = JSON_TREE_DEPTH_MAX,
                                                          .field = "disclosure"};
static const struct json_tree_limits payload_limits = {.depth = JSON_TREE_DEPTH_MAX,
                                                       .field = "payload"};
static const struct json_tree_limits kb_limits = {.depth = JSON_TREE_DEPTH_MAX, .field = "kb-jwt"};

static void parsed_release(struct parsed *p)
{
	free(p->d);
	free(p->raw);
	json_tree_release(&p->tree);
	jose_jws_release(&p->kb_jws);
	sha_release(&p->sha);
	memset(p, 0, sizeof(*p));
}

static int cmp_disc(const void *a, const void *b)
{
	return strcmp(((const struct disc *)a)->digest, ((const struct disc *)b)->digest);
}

static int is_reserved_n(const char *name, size_t n)
{
	return (n == 3 && memcmp(name, "_sd", 3) == 0) || (n == 3 && memcmp(name, "...", 3) == 0) ||
	       (n == 7 && memcmp(name, "_sd_alg", 7) == 0);
}

static int parse_disclosure(struct parsed *p, struct disc *d, struct ok_error *err)
{
	const struct json_tree *t = &p->tree;
	size_t raw_n, name_n;
	const char *name;
	uint32_t a;
	int rc;

	if (d->len > DISCLOSURE_MAX)
		return fail(err, OK_ETOOBIG, "disclosure", "a disclosure is too long");
	rc = jose_b64_decode(d->text, d->len, p->raw + p->raw_len, p->raw_cap - p->raw_len, &raw_n,
	                     "disclosure", err);
	if (rc)
		return rc;
	rc = json_tree_parse(&p->tree, (const char *)p->raw + p->raw_len, raw_n, &disclosure_limits,
	                     &a, NULL);
	p->raw_len += raw_n;
	if (rc == OK_ENOMEM)
		return fail(err, OK_ENOMEM, "disclosure", "out of memory");
	d->arr = a;
	if (rc || !json_tree_is(t, a, JSON_TREE_ARRAY) ||
	    (json_tree_size(t, a) != 2 && json_tree_size(t, a) != 3) ||
	    !json_tree_is(t, json_tree_at(t, a, 0), JSON_TREE_STRING) ||
	    (json_tree_size(t, a) == 3 &&
	     !json_tree_is(t, json_tree_at(t, a, 1), JSON_TREE_STRING)))
		return fail(
		        err, OK_EINPUT, "disclosure",
		        "a disclosure is not a JSON array [salt, name, value] or [salt, value]");
	name = json_tree_str(t, json_tree_at(t, a, 1), &name_n);
	if (json_tree_size(t, a) == 3 && is_reserved_n(name, name_n))
		return fail(err, OK_EINVALID, "disclosure", "a disclosure names a reserved claim");
	return digest_of(&p->sha, d->text, d->len, d->digest, err);
}

/* Splits "<jws>~<d>~…~[<kb-jwt>]" and parses each disclosure; refuses the same one twice. */
static int split(const char *s, size_t n, struct parsed *p, struct ok_error *err)
{
	const char *end = s + n, *cur, *tilde, *dot;
	size_t i, count = 0, payload_chars = 0;
	int rc;

	memset(p, 0, sizeof(*p));
	json_tree_init(&p->tree);
	if (n > JOSE_SDJWT_MAX)
		return fail(err, OK_ETOOBIG, "sd-jwt", "the SD-JWT is too long");
	tilde = memchr(s, '~', n);
	if (!tilde || tilde == s)
		return fail(err, OK_EINPUT, "sd-jwt", "not an SD-JWT (a JWS followed by '~')");
	p->jws = s;
	p->jws_len = (size_t)(tilde - s);
	for (cur = tilde; cur < end; cur++)
		if (*cur == '~')
			count++;
	if (count - 1 > JOSE_SDJWT_DISCLOSURES_MAX)
		return fail(err, OK_ETOOBIG, "sd-jwt", "too many disclosures");
	if ((rc = sha_init(&p->sha, err)))
		return rc;
	p->d = calloc(count ? count : 1, sizeof(*p->d));
	/* Every disclosure decoded, one after the other, and the tree made once for them and the
	 * payload (the JWS's middle part). */
	p->raw_cap = JOSE_B64_DECODED_LEN(n) + 1;
	p->raw = malloc(p->raw_cap);
	dot = memchr(s, '.', p->jws_len);
	if (dot) {
		const char *dot2 = memchr(dot + 1, '.', (size_t)(tilde - dot - 1));

		payload_chars = (size_t)((dot2 ? dot2 : tilde) - dot - 1);
	}
	if (!p->d || !p->raw)
		return fail(err, OK_ENOMEM, "sd-jwt", "out of memory");
	rc = json_tree_reserve(&p->tree,
	                       JOSE_B64_DECODED_LEN(n - p->jws_len) +
	                               JOSE_B64_DECODED_LEN(payload_chars),
	                       count + 1, err);
	if (rc)
		return rc;
	cur = tilde + 1;
	while (cur < end) {
		const char *next = memchr(cur, '~', (size_t)(end - cur));

		if (!next) { /* the last part: a key-binding JWT */
			p->kb = cur;
			p->kb_len = (size_t)(end - cur);
			break;
		}
		if (next == cur)
			return fail(err, OK_EINPUT, "disclosure", "an empty disclosure ('~~')");
		p->d[p->nd].text = cur;
		p->d[p->nd].len = (size_t)(next - cur);
		rc = parse_disclosure(p, &p->d[p->nd], err);
		p->nd++;
		if (rc)
			return rc;
		cur = next + 1;
	}
	p->presented_len = p->kb ? (size_t)(p->kb - s) : n;
	qsort(p->d, p->nd, sizeof(*p->d), cmp_disc);
	for (i = 1; i < p->nd; i++)
		if (strcmp(p->d[i - 1].digest, p->d[i].digest) == 0)
			return fail(err, OK_EINVALID, "disclosure",
			            "the same disclosure is given twice");
	return 0;
}

struct walk {
	struct parsed *p;
	const struct json_tree *t;
	int presenting;                 /* apply only the disclosures the frame selects */
	char (*seen)[DIGEST_CHARS + 1]; /* grown as digests are met, up to the bound */
	size_t nseen, cap;
	const char *const *plain_only; /* top-level claims no disclosure may give (NULL: none) */
	struct ok_error *err;
};

static int named_in(const char *const *names, const char *name, size_t n)
{
	for (; names && *names; names++)
		if (strlen(*names) == n && memcmp(*names, name, n) == 0)
			return 1;
	return 0;
}

static struct disc *find(struct parsed *p, const char *digest, size_t n)
{
	struct disc key;

	if (n != DIGEST_CHARS)
		return NULL;
	memcpy(key.digest, digest, DIGEST_CHARS);
	key.digest[DIGEST_CHARS] = '\0';
	return bsearch(&key, p->d, p->nd, sizeof(key), cmp_disc);
}

/* Counts the digest dg (of "_sd" or an array element's "...") as seen; *d gets its disclosure,
 * or NULL for a decoy or a claim not presented. A disclosure must have the elements of its place:
 * 3 in an object (salt, name, value), 2 in an array (salt, value). */
static int lookup(struct walk *w, uint32_t dg, const char *field, size_t elements, struct disc **d)
{
	size_t n;
	const char *digest = json_tree_str(w->t, dg, &n);

	*d = NULL;
	if (!digest)
		return fail(w->err, OK_EINPUT, field, "a digest is not a string");
	if (w->nseen >= JOSE_SDJWT_DIGESTS_MAX)
		return fail(w->err, OK_ETOOBIG, field, "too many digests");
	if (w->nseen == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		void *np = realloc(w->seen, cap * sizeof(*w->seen));

		if (!np)
			return fail(w->err, OK_ENOMEM, field, "out of memory");
		w->seen = np;
		w->cap = cap;
	}
	if (n == DIGEST_CHARS) {
		memcpy(w->seen[w->nseen], digest, DIGEST_CHARS);
		w->seen[w->nseen++][DIGEST_CHARS] = '\0';
	}
	*d = find(w->p, digest, n);
	if (*d && json_tree_size(w->t, (*d)->arr) != elements)
		return fail(w->err, OK_EINVALID, "disclosure",
		            elements == 3
		                    ? "an array element's disclosure is referenced from an object"
		                    : "a claim's disclosure is referenced from an array");
	return 0;
}

static const json_t *sub_frame(const json_t *frame, const char *key, size_t n)
{
	return json_is_object(frame) ? json_object_getn(frame, key, n) : NULL;
}

static int selected(const json_t *f)
{
	return json_is_true(f) || json_is_object(f);
}

static int walk(struct walk *w, uint32_t in, const json_t *frame, int depth, json_t **out);

/* Uses the disclosure d, once only: its value, walked with the frame f, into *child. */
static int use(struct walk *w, struct disc *d, uint32_t value, const json_t *f, int depth,
               json_t **child)
{
	if (d->used)
		return fail(w->err, OK_EINVALID, "disclosure", "a disclosure is referenced twice");
	d->used = 1;
	return walk(w, value, json_is_object(f) ? f : NULL, depth + 1, child);
}

static int walk_object(struct walk *w, uint32_t in, const json_t *frame, int depth, json_t **out)
{
	const struct json_tree *t = w->t;
	uint32_t sd = json_tree_get(t, in, "_sd"), v, dg;
	json_t *o = json_object(), *child;
	int rc = 0;

	if (!o)
		return fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
	json_tree_foreach(t, in, v)
	{
		size_t kn;
		const char *key = json_tree_key(t, v, &kn);

		if (kn == 3 && memcmp(key, "_sd", 3) == 0)
			continue;
		rc = walk(w, v, sub_frame(frame, key, kn), depth + 1, &child);
		if (rc)
			goto out;
		if (json_object_setn_new_nocheck(o, key, kn, child)) {
			rc = fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
			goto out;
		}
	}
	if (sd && !json_tree_is(t, sd, JSON_TREE_ARRAY)) {
		rc = fail(w->err, OK_EINPUT, "_sd", "_sd is not an array");
		goto out;
	}
	json_tree_foreach(t, sd, dg)
	{
		struct disc *d;
		const char *name;
		size_t nn;
		const json_t *f;

		if ((rc = lookup(w, dg, "_sd", 3, &d)))
			goto out;
		if (!d)
			continue; /* a decoy or a claim not disclosed */
		name = json_tree_str(t, json_tree_at(t, d->arr, 1), &nn);
		if (depth == 0 && named_in(w->plain_only, name, nn)) {
			rc = fail(w->err, OK_EINVALID, "disclosure",
			          "a claim that must be in the clear came as a disclosure");
			goto out;
		}
		f = sub_frame(frame, name, nn);
		if (w->presenting && !selected(f))
			continue;
		if (!d->used && json_object_getn(o, name, nn)) {
			rc = fail(w->err, OK_EINVALID, "disclosure",
			          "a disclosed claim name exists already in its object");
			goto out;
		}
		if ((rc = use(w, d, json_tree_at(t, d->arr, 2), f, depth, &child)))
			goto out;
		if (json_object_setn_new_nocheck(o, name, nn, child)) {
			rc = fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
			goto out;
		}
	}
out:
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}

static int walk_array(struct walk *w, uint32_t in, const json_t *frame, int depth, json_t **out)
{
	const struct json_tree *t = w->t;
	json_t *a = json_array(), *child;
	uint32_t v, dg;
	char idx[24];
	size_t i = 0;
	int rc = 0;

	if (!a)
		return fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
	for (v = json_tree_first(t, in); v; v = json_tree_next(t, in, v), i++) {
		const json_t *f = NULL;
		struct disc *d;

		if (frame) {
			int k = snprintf(idx, sizeof(idx), "%zu", i);

			f = sub_frame(frame, idx, (size_t)k);
		}
		dg = json_tree_getn(t, v, "...", 3);
		if (!dg) {
			rc = walk(w, v, f, depth + 1, &child);
			if (rc)
				goto out;
			if (json_array_append_new(a, child)) {
				rc = fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
				goto out;
			}
			continue;
		}
		if (json_tree_size(t, v) != 1) {
			rc = fail(w->err, OK_EINPUT, "...",
			          "an array element digest has other members");
			goto out;
		}
		if ((rc = lookup(w, dg, "...", 2, &d)))
			goto out;
		if (!d)
			continue;
		if (w->presenting && !selected(f))
			continue;
		if ((rc = use(w, d, json_tree_at(t, d->arr, 1), f, depth, &child)))
			goto out;
		if (json_array_append_new(a, child)) {
			rc = fail(w->err, OK_ENOMEM, "sd-jwt", "out of memory");
			goto out;
		}
	}
out:
	if (rc)
		json_decref(a);
	else
		*out = a;
	return rc;
}

static int walk(struct walk *w, uint32_t in, const json_t *frame, int depth, json_t **out)
{
	*out = NULL;
	if (depth > JOSE_SDJWT_DEPTH_MAX)
		return fail(w->err, OK_ETOOBIG, "sd-jwt", "the SD-JWT is nested too deeply");
	if (json_tree_is(w->t, in, JSON_TREE_OBJECT))
		return walk_object(w, in, frame, depth, out);
	if (json_tree_is(w->t, in, JSON_TREE_ARRAY))
		return walk_array(w, in, frame, depth, out);
	return json_tree_to_jansson(w->t, in, out, w->err);
}

static int cmp_digest(const void *a, const void *b)
{
	return memcmp(a, b, DIGEST_CHARS);
}

/* Applies the disclosures to the payload; *out gets the claims. In verifying, every disclosure
 * must be used and no digest may appear twice. */
static int apply(struct parsed *p, const json_t *frame, int presenting,
                 const char *const *plain_only, json_t **out, struct ok_error *err)
{
	struct walk w = {.p = p,
	                 .t = &p->tree,
	                 .presenting = presenting,
	                 .plain_only = plain_only,
	                 .err = err};
	uint32_t alg = json_tree_get(&p->tree, p->payload, "_sd_alg");
	size_t i;
	int rc;

	*out = NULL;
	if (alg && !json_tree_str_is(&p->tree, alg, "sha-256"))
		return fail(err, OK_EINVALID, "_sd_alg",
		            "the SD-JWT's hash algorithm is not sha-256");
	rc = walk(&w, p->payload, frame, 0, out);
	if (!rc && w.nseen) {
		qsort(w.seen, w.nseen, sizeof(*w.seen), cmp_digest);
		for (i = 1; i < w.nseen && !rc; i++)
			if (memcmp(w.seen[i - 1], w.seen[i], DIGEST_CHARS) == 0)
				rc = fail(err, OK_EINVALID, "_sd", "the same digest appears twice");
	}
	for (i = 0; !rc && !presenting && i < p->nd; i++)
		if (!p->d[i].used)
			rc = fail(err, OK_EINVALID, "disclosure",
			          "a disclosure is not referenced by the SD-JWT");
	free(w.seen);
	if (!rc)
		json_object_del(*out, "_sd_alg");
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* Parses the issuer's JWS and reads its payload, a JSON object, into p's tree. */
static int read_payload(struct parsed *p, unsigned algs, struct jose_jws_header_memo *memo,
                        struct jose_jws *jws, struct ok_error *err)
{
	int rc = jose_jws_parse_memo(p->jws, p->jws_len, algs, NULL, memo, jws, err);

	if (rc)
		return rc;
	rc = json_tree_parse(&p->tree, jws->payload.data, jws->payload.len, &payload_limits,
	                     &p->payload, NULL);
	if (rc == OK_ENOMEM)
		return fail(err, OK_ENOMEM, "payload", "out of memory");
	if (rc || !json_tree_is(&p->tree, p->payload, JSON_TREE_OBJECT))
		return fail(err, OK_EINPUT, "payload", "the JWS payload is not a JSON object");
	return 0;
}

/* Presenting */

int jose_sdjwt_present(const char *sdjwt, size_t n, const json_t *frame,
                       const struct jose_sdjwt_kb *kb, struct buf *out, struct ok_error *err)
{
	const unsigned any = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;
	size_t start = out->len;
	json_t *claims = NULL, *kbp = NULL, *kbh = NULL;
	struct jose_jws jws;
	struct parsed p;
	int rc;

	memset(&jws, 0, sizeof(jws));
	rc = split(sdjwt, n, &p, err);
	if (!rc && p.kb)
		rc = fail(err, OK_EINPUT, "sd-jwt", "the SD-JWT is already a presentation");
	if (!rc)
		rc = read_payload(&p, any, NULL, &jws, err);
	if (!rc)
		rc = apply(&p, frame, 1, NULL, &claims, err);
	if (rc)
		goto out;
	if (buf_add(out, p.jws, p.jws_len) || buf_addch(out, '~')) {
		rc = fail(err, OK_ETOOBIG, "sd-jwt", "the presentation is too long");
		goto out;
	}
	/* In the order of the issued SD-JWT. */
	{
		const char *cur = sdjwt + p.jws_len + 1;

		while (cur < sdjwt + n) {
			const char *next = memchr(cur, '~', (size_t)(sdjwt + n - cur));
			char dg[DIGEST_CHARS + 1];
			struct disc *d;

			if (!next)
				break;
			if ((rc = digest_of(&p.sha, cur, (size_t)(next - cur), dg, err)))
				goto out;
			d = find(&p, dg, DIGEST_CHARS);
			if (d && d->used &&
			    (buf_add(out, cur, (size_t)(next - cur)) || buf_addch(out, '~'))) {
				rc = fail(err, OK_ETOOBIG, "sd-jwt",
				          "the presentation is too long");
				goto out;
			}
			cur = next + 1;
		}
	}
	if (kb) {
		char sd_hash[DIGEST_CHARS + 1];

		if ((rc = digest_of(&p.sha, out->data + start, out->len - start, sd_hash, err)))
			goto out;
		kbh = json_pack("{s:s}", "typ", JOSE_SDJWT_KB_TYP);
		kbp = json_pack("{s:I,s:s,s:s,s:s}", "iat", (json_int_t)kb->iat, "aud",
		                kb->aud ? kb->aud : "", "nonce", kb->nonce ? kb->nonce : "",
		                "sd_hash", sd_hash);
		if (!kbh || !kbp) {
			rc = fail(err, OK_EINPUT, "kb-jwt", "aud or nonce is not valid UTF-8");
			goto out;
		}
		rc = jose_jws_sign_json(kbh, kbp, kb->holder, out, err);
	}
out:
	if (rc)
		buf_truncate(out, start);
	json_decref(kbh);
	json_decref(kbp);
	json_decref(claims);
	jose_jws_release(&jws);
	parsed_release(&p);
	return rc;
}

/* Verifying */

/* The holder's key: the payload's cnf.jwk as it is signed (never from a disclosure). */
static int holder_key(struct parsed *p, struct jose_jwk *holder, struct ok_error *err)
{
	uint32_t jwk = json_tree_get(&p->tree, json_tree_get(&p->tree, p->payload, "cnf"), "jwk");
	json_t *j = NULL;
	int rc;

	if (!json_tree_is(&p->tree, jwk, JSON_TREE_OBJECT))
		return fail(err, OK_EINVALID, "cnf", "the SD-JWT names no holder key (cnf.jwk)");
	if ((rc = json_tree_to_jansson(&p->tree, jwk, &j, err)))
		return rc;
	rc = jose_jwk_parse(j, holder, err);
	json_decref(j);
	if (rc) {
		char why[OK_ERROR_MESSAGE_MAX];

		snprintf(why, sizeof(why), "%s", err ? err->message : "");
		return ok_fail_field(err, OK_EINVALID, "cnf",
		                     "the holder key (cnf.jwk) is not usable: %s", why);
	}
	return 0;
}

/* The KB-JWT: its payload is read by the strict reader into p's tree, after the issuer's
 * payload and the disclosures (split reserved room for it), as they are. */
static int check_kb(struct parsed *p, const char *s, const struct jose_sdjwt_expect *x,
                    struct ok_error *err)
{
	int64_t max_age = x->kb_max_age_s > 0 ? x->kb_max_age_s : 300, iat = 0;
	const struct json_tree *t = &p->tree;
	struct jose_jws *jws = &p->kb_jws;
	char sd_hash[DIGEST_CHARS + 1];
	struct jose_jwk holder = {0};
	const json_t *typ;
	uint32_t kp, v;
	int rc;

	if ((rc = holder_key(p, &holder, err)))
		return rc;
	rc = jose_jws_parse(p->kb, p->kb_len, JOSE_ALG_ES256 | JOSE_ALG_EDDSA, NULL, jws, err);
	if (rc) {
		if (err)
			snprintf(err->field, sizeof(err->field), "kb-jwt");
		goto out;
	}
	typ = json_object_get(jws->header, "typ");
	if (!json_is_string(typ) || strcmp(json_string_value(typ), JOSE_SDJWT_KB_TYP) != 0) {
		rc = fail(err, OK_EINVALID, "kb-jwt", "the key-binding JWT's typ is not kb+jwt");
		goto out;
	}
	rc = jose_jws_verify(jws, &holder, err);
	if (rc) {
		rc = fail(err, OK_EINVALID, "kb-jwt",
		          "the key-binding JWT is not signed by the holder's key (cnf.jwk)");
		goto out;
	}
	rc = json_tree_parse(&p->tree, jws->payload.data, jws->payload.len, &kb_limits, &kp, err);
	if (rc == OK_EINPUT && err) {
		char why[OK_ERROR_MESSAGE_MAX];

		snprintf(why, sizeof(why), "%s", err->message);
		rc = ok_fail_field(err, OK_EINPUT, "kb-jwt",
		                   "the key-binding JWT's payload is not valid JSON: %s", why);
	}
	if (!rc && !json_tree_is(t, kp, JSON_TREE_OBJECT))
		rc = fail(err, OK_EINPUT, "kb-jwt",
		          "the key-binding JWT's payload is not a JSON object");
	if (rc)
		goto out;
	if ((rc = digest_of(&p->sha, s, p->presented_len, sd_hash, err)))
		goto out;
	if (!json_tree_str_is(t, json_tree_get(t, kp, "sd_hash"), sd_hash)) {
		rc = fail(err, OK_EINVALID, "kb-jwt.sd_hash",
		          "the key-binding JWT's sd_hash does not match the presentation");
		goto out;
	}
	v = json_tree_get(t, kp, "iat");
	if (!json_tree_is_integer(t, v) || json_tree_int64(t, v, &iat)) {
		rc = fail(err, OK_EINVALID, "kb-jwt.iat", "the key-binding JWT has no iat");
		goto out;
	}
	if (iat > x->now + JOSE_SDJWT_KB_SKEW_S || iat < x->now - max_age) {
		rc = fail(err, OK_EINVALID, "kb-jwt.iat",
		          "the key-binding JWT was not made recently (iat)");
		goto out;
	}
	v = json_tree_get(t, kp, "aud");
	if (!json_tree_is(t, v, JSON_TREE_STRING) || (x->aud && !json_tree_str_is(t, v, x->aud))) {
		rc = fail(err, OK_EINVALID, "kb-jwt.aud",
		          "the key-binding JWT is meant for another verifier (aud)");
		goto out;
	}
	v = json_tree_get(t, kp, "nonce");
	if (!json_tree_is(t, v, JSON_TREE_STRING) ||
	    (x->nonce && !json_tree_str_is(t, v, x->nonce))) {
		rc = fail(err, OK_EINVALID, "kb-jwt.nonce",
		          "the key-binding JWT's nonce is not the one asked for");
		goto out;
	}
out:
	jose_jwk_release(&holder);
	return rc;
}

int jose_sdjwt_verify(const char *s, size_t n, const struct jose_sdjwt_expect *x,
                      struct jose_sdjwt_result *r, struct ok_error *err)
{
	struct jose_jwk key = {0};
	struct ok_error applied;
	struct jose_jws jws;
	const json_t *typ;
	struct parsed p;
	int rc, arc;

	memset(r, 0, sizeof(*r));
	memset(&jws, 0, sizeof(jws));
	rc = split(s, n, &p, err);
	if (!rc)
		rc = read_payload(&p, x->algs, x->headers, &jws, err);
	if (rc)
		goto out;
	typ = json_object_get(jws.header, "typ");
	if (x->typ && (!json_is_string(typ) || strcmp(json_string_value(typ), x->typ) != 0)) {
		rc = ok_fail_field(err, OK_EINVALID, "header.typ", "the SD-JWT's typ is not %s",
		                   x->typ);
		goto out;
	}
	if (!x->issuer_key) {
		rc = fail(err, OK_EINTERNAL, "sd-jwt", "no issuer key resolver");
		goto out;
	}
	/* The claims are made first, for the key resolver to read (the payload is no jansson
	 * value any more); a failure to apply the disclosures is reported after the signature's,
	 * as before. */
	ok_error_clear(&applied);
	arc = apply(&p, NULL, 0, x->plain_only, &r->claims, &applied);
	rc = x->issuer_key(x->ctx, jws.header, r->claims, &key, err);
	if (!rc)
		rc = jose_jws_verify(&jws, &key, err);
	if (rc)
		goto out;
	if (arc) {
		rc = arc;
		if (err)
			*err = applied;
		goto out;
	}
	if (p.kb) {
		rc = check_kb(&p, s, x, err);
		if (rc)
			goto out;
		r->key_bound = 1;
	} else if (x->require_kb || x->aud || x->nonce) {
		rc = fail(err, OK_EINVALID, "kb-jwt", "the presentation has no key-binding JWT");
		goto out;
	}
	r->header = json_incref(jws.header);
	r->disclosures = p.nd;
out:
	if (rc)
		jose_sdjwt_result_release(r);
	jose_jwk_release(&key);
	jose_jws_release(&jws);
	parsed_release(&p);
	return rc;
}

void jose_sdjwt_result_release(struct jose_sdjwt_result *r)
{
	if (!r)
		return;
	json_decref(r->header);
	json_decref(r->claims);
	memset(r, 0, sizeof(*r));
}
