/* Audit events and their hash chain: each event's hash covers the one before it, so an altered,
 * removed or reordered event breaks the chain at that point. Checkpoints sign the chain head
 * (sequence number, head hash, time) with an Ed25519 key, so that cutting off the tail of the
 * log, or rewriting it with freshly computed hashes, is detectable too.
 *
 * Invariants: an event's text fields hold identifiers and purposes, never personal data (no
 * names, no national ids): subjects are internal record ids.
 */
#ifndef OK_AUDIT_CHAIN_H
#define OK_AUDIT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
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

/*
 * Hashes. Since chain form v2 an event's hash covers its sequence number, time and action and a
 * digest of its details (actor, subject, purpose, detail), so that the details can be destroyed
 * under the retention schedule while the chain stays verifiable: the event then becomes a
 * tombstone that keeps the digest. Events appended before v2 (form v1) hash every field
 * directly; a v1 event turned into a tombstone keeps only its stored hash, whose link to the
 * next event (and the signed checkpoints) still holds. Every new event is v2.
 *
 * audit_event_hash: e->hash as audit_event_link computes it (v2; for a tombstone, from the
 * digest it keeps). audit_event_hash_v1: the v1 form. audit_event_digest: the digest of e's
 * details.
 */
void audit_event_hash(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES]);
void audit_event_hash_v1(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES]);
void audit_event_digest(const struct audit_event *e, unsigned char out[AUDIT_HASH_BYTES]);

/*
 * Tombstones. A tombstone has actor, subject and purpose "" and the detail
 * "tombstone v2 DIGEST NOTE" (DIGEST: 64 hex digits) or, for a v1 event, "tombstone v1 NOTE";
 * NOTE says why (a retention run and the day; ids only). Its seq, time, action, prev_hash and
 * hash stay as they were.
 */
#define AUDIT_TOMBSTONE_NOTE_MAX 100
bool audit_event_is_tombstone(const struct audit_event *e);
/* Makes e a tombstone with note (at most AUDIT_TOMBSTONE_NOTE_MAX bytes). 0, 1 when e is one
 * already (unchanged), or -1 when e's hash fits neither form: an altered event is left as it
 * is, for `audit verify` to find. */
int audit_event_tombstone(struct audit_event *e, const char *note);

/* How an event's stored hash holds. */
enum audit_form {
	AUDIT_FORM_BROKEN,       /* it fits no form: altered */
	AUDIT_FORM_V1,           /* every field hashed (before v2) */
	AUDIT_FORM_V2,           /* the digest of its details hashed */
	AUDIT_FORM_TOMBSTONE_V1, /* a v1 event's tombstone: its hash kept, not recomputable */
	AUDIT_FORM_TOMBSTONE_V2, /* a v2 event's tombstone: hash recomputed from the digest */
};
enum audit_form audit_event_form(const struct audit_event *e);

/* Whether e's hash holds at its place in a chain walked in order: *seen_v2 (false before the
 * first event) tells whether a v2 event came before; a v1 form after one does not hold (the
 * chain only ever moved from v1 to v2). */
bool audit_event_holds(const struct audit_event *e, bool *seen_v2);

/* Links e after the event with sequence prev_seq and hash prev_hash (all zero for the first). */
void audit_event_link(struct audit_event *e, int64_t prev_seq,
                      const unsigned char prev_hash[AUDIT_HASH_BYTES]);

/* Checkpoints */

#define AUDIT_KEY_BYTES       32
#define AUDIT_SIGNATURE_BYTES 64
/* One checkpoint as a line of text (see audit_checkpoint_format), newline included. */
#define AUDIT_CHECKPOINT_LINE_MAX 352

/* A signed statement "the chain had event seq with hash head at time at_ms, and a checkpoint
 * was being made every `every` events". */
struct audit_checkpoint {
	int64_t seq; /* >= 1 */
	int64_t at_ms;
	unsigned char head[AUDIT_HASH_BYTES];
	uint32_t key_id; /* the issuer key's id in issuer.key */
	/* The checkpoint interval (audit_checkpoint_every) of the depository that signed it, 0 for
	 * none; -1 for a v1 checkpoint, which did not sign one. */
	int64_t every;
	unsigned char public_key[AUDIT_KEY_BYTES];
	unsigned char signature[AUDIT_SIGNATURE_BYTES];
};

/* Signs c (seq, at_ms, head, key_id, every set by the caller) with the Ed25519 key of seed;
 * fills c->public_key and c->signature. every >= 0 signs a v2 checkpoint, -1 a v1 one. */
void audit_checkpoint_sign(struct audit_checkpoint *c, const unsigned char seed[32]);

/* Whether c->signature is c->public_key's signature of c's other fields. Whether the key is one
 * the depository trusts is the caller's question. */
bool audit_checkpoint_valid(const struct audit_checkpoint *c);

/* Writes c as one line "v2 SEQ AT_MS KEY_ID HEAD PUBLIC_KEY SIGNATURE EVERY\n" (hex for the
 * bytes; "v1 …" without EVERY when c->every is -1) into out (at least
 * AUDIT_CHECKPOINT_LINE_MAX bytes); returns its length. */
size_t audit_checkpoint_format(const struct audit_checkpoint *c, char *out, size_t cap);

/* Parses one line as written by audit_checkpoint_format (with or without its newline).
 * Returns 0, or -1 when the line is not exactly of that form. */
int audit_checkpoint_parse(const char *line, size_t len, struct audit_checkpoint *c);

#endif
