/* Audit events: construction and the BLAKE2b hash chain (see audit.h). */
#include "privacy/audit.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

static void copy_text(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

void audit_event_init(struct audit_event *e, const char *actor, const char *action,
                      const char *subject, const char *purpose, const char *detail)
{
	memset(e, 0, sizeof(*e));
	e->at_ms = audit_now_ms();
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

void audit_event_hash(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES])
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

void audit_event_link(struct audit_event *e, int64_t prev_seq,
                      const unsigned char prev_hash[AUDIT_HASH_BYTES])
{
	e->seq = prev_seq + 1;
	memcpy(e->prev_hash, prev_hash, AUDIT_HASH_BYTES);
	audit_event_hash(e, e->hash);
}

int64_t audit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
