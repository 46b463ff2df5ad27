/* Audit events and their hash chain: each event's hash covers the one before it, so an altered,
 * removed or reordered event breaks the chain at that point.
 *
 * Invariants: an event's text fields hold identifiers and purposes, never personal data (no
 * names, no national ids): subjects are internal record ids.
 */
#ifndef OK_PRIVACY_AUDIT_H
#define OK_PRIVACY_AUDIT_H

#include <stdint.h>

#define AUDIT_HASH_BYTES 32
#define AUDIT_TEXT_MAX   200

struct audit_event {
	int64_t seq;                      /* 1, 2, … */
	int64_t at_ms;                    /* Unix time in milliseconds */
	char actor[AUDIT_TEXT_MAX + 1];   /* "operator", "institution:21PF", "learner:…" */
	char action[64];                  /* "import.batch", "learner.read", … */
	char subject[AUDIT_TEXT_MAX + 1]; /* the record id acted on, "" when none */
	char purpose[64];                 /* why: "registration", "correction", … */
	char detail[AUDIT_TEXT_MAX + 1];  /* counts and the like, no personal data */
	unsigned char prev_hash[AUDIT_HASH_BYTES];
	unsigned char hash[AUDIT_HASH_BYTES];
};

/* Fills a new event (seq and hashes unset); text that does not fit is cut. */
void audit_event_init(struct audit_event *e, const char *actor, const char *action,
                      const char *subject, const char *purpose, const char *detail);

/* Computes e->hash from e's fields and e->prev_hash. */
void audit_event_hash(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES]);

/* Links e after the event with sequence prev_seq and hash prev_hash (all zero for the first). */
void audit_event_link(struct audit_event *e, int64_t prev_seq,
                      const unsigned char prev_hash[AUDIT_HASH_BYTES]);

int64_t audit_now_ms(void);

#endif
