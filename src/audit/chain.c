/* Audit events: construction, the BLAKE2b hash chain, signed checkpoints (see audit.h). */
#include "audit/chain.h"
#include "core/clock.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		/* Cut at a UTF-8 character boundary: a value from outside (an issuer's id) cut in
		 * the middle of a character would make every JSON form of the event fail. */
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void audit_event_init(struct audit_event *e, const char *actor, const char *action,
                      const char *subject, const char *purpose, const char *detail)
{
	memset(e, 0, sizeof(*e));
	e->at_ms = ok_now_ms();
	copy_text(e->actor, sizeof(e->actor), actor);
	copy_text(e->action, sizeof(e->action), action);
	copy_text(e->subject, sizeof(e->subject), subject);
	copy_text(e->purpose, sizeof(e->purpose), purpose);
	copy_text(e->detail, sizeof(e->detail), detail);
}

static void add_u64(crypto_generichash_state *st, uint64_t v)
{
	unsigned char b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (56 - 8 * i));
	crypto_generichash_update(st, b, sizeof(b));
}

static void add_text(crypto_generichash_state *st, const char *s)
{
	size_t n = strlen(s);

	add_u64(st, n);
	crypto_generichash_update(st, (const unsigned char *)s, n);
}

void audit_event_hash_v1(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES])
{
	static const char domain[] = "oorkonde audit v1";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain) - 1);
	crypto_generichash_update(&st, e->prev_hash, AUDIT_HASH_BYTES);
	add_u64(&st, (uint64_t)e->seq);
	add_u64(&st, (uint64_t)e->at_ms);
	add_text(&st, e->actor);
	add_text(&st, e->action);
	add_text(&st, e->subject);
	add_text(&st, e->purpose);
	add_text(&st, e->detail);
	crypto_generichash_final(&st, out, AUDIT_HASH_BYTES);
}

void audit_event_digest(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES])
{
	static const char domain[] = "oorkonde audit details v2";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain) - 1);
	add_text(&st, e->actor);
	add_text(&st, e->subject);
	add_text(&st, e->purpose);
	add_text(&st, e->detail);
	crypto_generichash_final(&st, out, AUDIT_HASH_BYTES);
}

static void hash_v2(const struct audit_event *e, const unsigned char digest[AUDIT_HASH_BYTES],
                    unsigned char out[AUDIT_HASH_BYTES])
{
	static const char domain[] = "oorkonde audit v2";
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, AUDIT_HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain) - 1);
	crypto_generichash_update(&st, e->prev_hash, AUDIT_HASH_BYTES);
	add_u64(&st, (uint64_t)e->seq);
	add_u64(&st, (uint64_t)e->at_ms);
	add_text(&st, e->action);
	crypto_generichash_update(&st, digest, AUDIT_HASH_BYTES);
	crypto_generichash_final(&st, out, AUDIT_HASH_BYTES);
}

#define TOMBSTONE_V1     "tombstone v1 "
#define TOMBSTONE_V2     "tombstone v2 "
#define TOMBSTONE_HEX_AT (sizeof(TOMBSTONE_V2) - 1)

bool audit_event_is_tombstone(const struct audit_event *e)
{
	return !e->actor[0] && !e->subject[0] && !e->purpose[0] &&
	       strncmp(e->detail, "tombstone v", sizeof("tombstone v") - 1) == 0;
}

/* The digest a v2 tombstone keeps; -1 when its detail is not one. */
static int tombstone_digest(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES])
{
	size_t len;

	if (strncmp(e->detail, TOMBSTONE_V2, TOMBSTONE_HEX_AT) != 0)
		return -1;
	if (sodium_hex2bin(out, AUDIT_HASH_BYTES, e->detail + TOMBSTONE_HEX_AT,
	                   2 * AUDIT_HASH_BYTES, NULL, &len, NULL) != 0 ||
	    len != AUDIT_HASH_BYTES)
		return -1;
	return e->detail[TOMBSTONE_HEX_AT + 2 * AUDIT_HASH_BYTES] == ' ' ? 0 : -1;
}

void audit_event_hash(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES])
{
	unsigned char digest[AUDIT_HASH_BYTES];

	if (!audit_event_is_tombstone(e) || tombstone_digest(e, digest) != 0)
		audit_event_digest(e, digest);
	hash_v2(e, digest, out);
}

enum audit_form audit_event_form(const struct audit_event *e)
{
	unsigned char h[AUDIT_HASH_BYTES], digest[AUDIT_HASH_BYTES];

	if (audit_event_is_tombstone(e)) {
		if (strncmp(e->detail, TOMBSTONE_V1, sizeof(TOMBSTONE_V1) - 1) == 0)
			return AUDIT_FORM_TOMBSTONE_V1;
		if (tombstone_digest(e, digest) != 0)
			return AUDIT_FORM_BROKEN;
		hash_v2(e, digest, h);
		return sodium_memcmp(h, e->hash, AUDIT_HASH_BYTES) == 0 ? AUDIT_FORM_TOMBSTONE_V2
		                                                        : AUDIT_FORM_BROKEN;
	}
	audit_event_digest(e, digest);
	hash_v2(e, digest, h);
	if (sodium_memcmp(h, e->hash, AUDIT_HASH_BYTES) == 0)
		return AUDIT_FORM_V2;
	audit_event_hash_v1(e, h);
	return sodium_memcmp(h, e->hash, AUDIT_HASH_BYTES) == 0 ? AUDIT_FORM_V1 : AUDIT_FORM_BROKEN;
}

bool audit_event_holds(const struct audit_event *e, bool *seen_v2)
{
	switch (audit_event_form(e)) {
	case AUDIT_FORM_V2:
	case AUDIT_FORM_TOMBSTONE_V2:
		*seen_v2 = true;
		return true;
	case AUDIT_FORM_V1:
	case AUDIT_FORM_TOMBSTONE_V1:
		return !*seen_v2;
	case AUDIT_FORM_BROKEN:
	default:
		return false;
	}
}

int audit_event_tombstone(struct audit_event *e, const char *note)
{
	unsigned char digest[AUDIT_HASH_BYTES];
	char hex[2 * AUDIT_HASH_BYTES + 1];
	enum audit_form form = audit_event_form(e);
	int n;

	if (form == AUDIT_FORM_TOMBSTONE_V1 || form == AUDIT_FORM_TOMBSTONE_V2)
		return 1;
	if (form == AUDIT_FORM_BROKEN || strlen(note) > AUDIT_TOMBSTONE_NOTE_MAX)
		return -1;
	if (form == AUDIT_FORM_V2) {
		audit_event_digest(e, digest);
		sodium_bin2hex(hex, sizeof(hex), digest, AUDIT_HASH_BYTES);
		n = snprintf(e->detail, sizeof(e->detail), TOMBSTONE_V2 "%s %s", hex, note);
	} else {
		n = snprintf(e->detail, sizeof(e->detail), TOMBSTONE_V1 "%s", note);
	}
	if (n < 0 || (size_t)n >= sizeof(e->detail))
		return -1;
	e->actor[0] = e->subject[0] = e->purpose[0] = '\0';
	return 0;
}

void audit_event_link(struct audit_event *e, int64_t prev_seq,
                      const unsigned char prev_hash[AUDIT_HASH_BYTES])
{
	e->seq = prev_seq + 1;
	memcpy(e->prev_hash, prev_hash, AUDIT_HASH_BYTES);
	audit_event_hash(e, e->hash);
}

/* The bytes a checkpoint's signature covers: a domain string, then the fields in a fixed order
 * and width, so that no two checkpoints sign the same bytes. */
static void checkpoint_message(const struct audit_checkpoint *c, unsigned char *out, size_t *len)
{
	static const char domain_v1[] = "oorkonde audit checkpoint v1";
	static const char domain_v2[] = "oorkonde audit checkpoint v2";
	size_t n = 0;
	int i;

	/* Same length: v2 adds the interval at the end. */
	memcpy(out, c->every < 0 ? domain_v1 : domain_v2, sizeof(domain_v1) - 1);
	n += sizeof(domain_v1) - 1;
	for (i = 0; i < 8; i++)
		out[n++] = (unsigned char)((uint64_t)c->seq >> (56 - 8 * i));
	for (i = 0; i < 8; i++)
		out[n++] = (unsigned char)((uint64_t)c->at_ms >> (56 - 8 * i));
	for (i = 0; i < 4; i++)
		out[n++] = (unsigned char)(c->key_id >> (24 - 8 * i));
	memcpy(out + n, c->head, AUDIT_HASH_BYTES);
	n += AUDIT_HASH_BYTES;
	if (c->every >= 0)
		for (i = 0; i < 8; i++)
			out[n++] = (unsigned char)((uint64_t)c->every >> (56 - 8 * i));
	*len = n;
}

#define CHECKPOINT_MESSAGE_MAX 104

void audit_checkpoint_sign(struct audit_checkpoint *c, const unsigned char seed[32])
{
	unsigned char sk[crypto_sign_SECRETKEYBYTES];
	unsigned char msg[CHECKPOINT_MESSAGE_MAX];
	size_t len;

	crypto_sign_seed_keypair(c->public_key, sk, seed);
	checkpoint_message(c, msg, &len);
	crypto_sign_detached(c->signature, NULL, msg, len, sk);
	sodium_memzero(sk, sizeof(sk));
}

bool audit_checkpoint_valid(const struct audit_checkpoint *c)
{
	unsigned char msg[CHECKPOINT_MESSAGE_MAX];
	size_t len;

	if (c->seq < 1)
		return false;
	checkpoint_message(c, msg, &len);
	return crypto_sign_verify_detached(c->signature, msg, len, c->public_key) == 0;
}

size_t audit_checkpoint_format(const struct audit_checkpoint *c, char *out, size_t cap)
{
	char head[2 * AUDIT_HASH_BYTES + 1], pk[2 * AUDIT_KEY_BYTES + 1];
	char sig[2 * AUDIT_SIGNATURE_BYTES + 1];
	int n;

	sodium_bin2hex(head, sizeof(head), c->head, AUDIT_HASH_BYTES);
	sodium_bin2hex(pk, sizeof(pk), c->public_key, AUDIT_KEY_BYTES);
	sodium_bin2hex(sig, sizeof(sig), c->signature, AUDIT_SIGNATURE_BYTES);
	if (c->every < 0)
		n = snprintf(out, cap, "v1 %lld %lld %lu %s %s %s\n", (long long)c->seq,
		             (long long)c->at_ms, (unsigned long)c->key_id, head, pk, sig);
	else
		n = snprintf(out, cap, "v2 %lld %lld %lu %s %s %s %lld\n", (long long)c->seq,
		             (long long)c->at_ms, (unsigned long)c->key_id, head, pk, sig,
		             (long long)c->every);
	if (n < 0 || (size_t)n >= cap) {
		if (cap)
			out[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* Reads a decimal number of 1-19 digits (no sign, no leading zero unless it is "0") that ends
 * the line (last) or is followed by a space; advances *p past it (and the space). */
static int read_number(const char **p, const char *end, uint64_t max, bool last, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	size_t digits = 0;

	while (s < end && *s >= '0' && *s <= '9') {
		if (digits == 19)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		s++;
		digits++;
	}
	if (!digits || (digits > 1 && **p == '0') || v > max)
		return -1;
	if (last ? s != end : (s >= end || *s != ' '))
		return -1;
	*out = v;
	*p = last ? s : s + 1;
	return 0;
}

static int parse_number(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	return read_number(p, end, max, false, out);
}

static int parse_last_number(const char **p, const char *end, uint64_t max, uint64_t *out)
{
	return read_number(p, end, max, true, out);
}

/* Reads exactly 2 * n hex digits followed by end or sep. */
static int parse_hex(const char **p, const char *end, unsigned char *out, size_t n, char sep)
{
	const char *s = *p;
	size_t bin_len;
	size_t i;

	if ((size_t)(end - s) < 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
			return -1;
	}
	if (sodium_hex2bin(out, n, s, 2 * n, NULL, &bin_len, NULL) != 0 || bin_len != n)
		return -1;
	s += 2 * n;
	if (sep) {
		if (s >= end || *s != sep)
			return -1;
		s++;
	} else if (s != end) {
		return -1;
	}
	*p = s;
	return 0;
}

int audit_checkpoint_parse(const char *line, size_t len, struct audit_checkpoint *c)
{
	const char *p = line, *end = line + len;
	uint64_t seq, at, key, every = 0;
	bool v2;

	if (len && line[len - 1] == '\n')
		end--;
	memset(c, 0, sizeof(*c));
	if (end - p < 3 || (memcmp(p, "v1 ", 3) != 0 && memcmp(p, "v2 ", 3) != 0))
		return -1;
	v2 = p[1] == '2';
	p += 3;
	if (parse_number(&p, end, INT64_MAX, &seq) || seq < 1 ||
	    parse_number(&p, end, INT64_MAX, &at) || parse_number(&p, end, UINT32_MAX, &key) ||
	    parse_hex(&p, end, c->head, AUDIT_HASH_BYTES, ' ') ||
	    parse_hex(&p, end, c->public_key, AUDIT_KEY_BYTES, ' ') ||
	    parse_hex(&p, end, c->signature, AUDIT_SIGNATURE_BYTES, v2 ? ' ' : 0) ||
	    (v2 && parse_last_number(&p, end, INT64_MAX, &every))) {
		memset(c, 0, sizeof(*c));
		return -1;
	}
	c->seq = (int64_t)seq;
	c->at_ms = (int64_t)at;
	c->key_id = (uint32_t)key;
	c->every = v2 ? (int64_t)every : -1;
	return 0;
}
