/* Leak detection (issue 6): for each API key, the distinct learners whose personal data it read
 * in a sliding window (by default 1,000 an hour; an institution may have its own limit). The
 * read that would take a key past its limit is refused and blocks the key until an operator
 * lifts the block.
 *
 * Invariants: the window and the blocks live in the store (privacy area), so they hold across
 * restarts and across the server's per-thread connections; a key is counted inside one
 * transaction, so two threads cannot both slip under the limit. Blocking, unblocking and limit
 * changes are audit events. Nothing here holds personal data: learners are internal ids.
 */
#ifndef OK_REGISTRY_LEAK_H
#define OK_REGISTRY_LEAK_H

#include "depository/depository.h"
#include "store/leak.h"

#define LEAK_DEFAULT_LEARNERS 1000
#define LEAK_DEFAULT_WINDOW_S 3600
#define LEAK_MAX_LEARNERS     10000000
#define LEAK_MAX_WINDOW_S     (7 * 24 * 3600)

struct leak_limit {
	int64_t learners; /* distinct learners a key may read in the window */
	int64_t window_s;
	bool is_default; /* the institution has no limit of its own */
};

/* The limit of an institution's keys (the default when it has none of its own). */
int leak_limit_get(struct depository *d, const char *institution, struct leak_limit *out,
                   struct ok_error *err);

/* The same for an operator naming the institution: OK_ENOTFOUND (field "institution") when
 * there is no such institution. */
int leak_institution_limit(struct depository *d, const char *code, struct leak_limit *out,
                           struct ok_error *err);

/*
 * Sets an institution's limit (learners 1..LEAK_MAX_LEARNERS, window_s 1..LEAK_MAX_WINDOW_S),
 * audited as the operator's. OK_ENOTFOUND when there is no such institution, OK_EINPUT (naming
 * the field) for a value out of range.
 */
int leak_limit_set(struct depository *d, const char *institution, int64_t learners,
                   int64_t window_s, struct ok_error *err);

/* What counting one read found. */
struct leak_read {
	int64_t learners; /* distinct learners in the key's window, this one included when counted
	                   */
	struct leak_limit limit;
	bool blocked_now; /* this read blocked the key */
};

/*
 * Counts that key is about to read learner_id's personal data at now_ms (ok_now_ms() in
 * production), in a transaction of its own. Returns 0: go ahead, the read is counted.
 * OK_ELIMIT: this read would take the key past its limit: it is not counted, the key is now
 * blocked (out->blocked_now) and a "key.blocked" audit event says so; refuse the read.
 * OK_EAUTH: the key was already blocked. Other codes: the store failed (nothing changed).
 */
int leak_note_read(struct depository *d, const struct store_api_key *key, const char *learner_id,
                   int64_t now_ms, struct leak_read *out, struct ok_error *err);

/*
 * Identity conflicts (an import's row whose national id is registered with other names or birth
 * date) tell whether a national id is registered and, against a guessed name or birth date,
 * whether the guess was right. A key may meet LEAK_CONFLICTS in its institution's window (or
 * its read limit, when lower): a registrar's own typos. One more blocks it, as a key copying
 * the register is blocked. An import that meets more than LEAK_CONFLICTS_PER_IMPORT is refused
 * whole (import.c). Each conflict is counted, not each distinct learner: a birth-date search
 * meets one learner many times.
 */
#define LEAK_CONFLICTS            50
#define LEAK_CONFLICTS_PER_IMPORT 100

/* What one import's identity conflicts were. */
struct leak_conflicts {
	const char *actor;       /* who imported, for the audit events */
	const char *institution; /* the importing institution's code */
	/* The learners met (internal ids), one per conflicting row, at most
	 * LEAK_CONFLICTS_PER_IMPORT; met counts every conflict, listed or not. */
	const char (*learners)[STORE_ID_MAX + 1];
	size_t listed;
	size_t met;
};

/*
 * Writes, in a transaction of its own (after the import's, which a dry run rolls back), one
 * "learner.conflict" audit event per listed conflict (subject: the learner; actor: c->actor)
 * and, when more were met than listed, one "import.conflicts" event with their number. With a
 * key (NULL for the operator, who is audited, never blocked) the conflicts count against the
 * key: OK_ELIMIT when they took it past its conflict limit (it is now blocked: out->blocked_now,
 * a "key.blocked" event), OK_EAUTH when it was already blocked (the events are written either
 * way). out->learners is then the key's conflicts in the window, out->limit.learners its
 * conflict limit. Other codes: the store failed (nothing written).
 */
int leak_note_conflicts(struct depository *d, const struct store_api_key *key,
                        const struct leak_conflicts *c, int64_t now_ms, struct leak_read *out,
                        struct ok_error *err);

/* The block on key_id: 0 with *out when it is blocked, OK_ENOTFOUND when it is not. */
int leak_block_get(struct depository *d, const char *key_id, struct store_key_block *out,
                   struct ok_error *err);

/*
 * Lifts the block on key_id and forgets its reading window (it starts afresh), audited as the
 * operator's. OK_ENOTFOUND (naming the field "key") when key_id is not blocked.
 */
int leak_unblock(struct depository *d, const char *key_id, struct ok_error *err);

/* How many keys are blocked now. */
int leak_blocked_count(struct depository *d, int64_t *out, struct ok_error *err);

/* Calls fn for every blocked key, oldest block first. */
int leak_blocked_list(struct depository *d, store_key_block_fn fn, void *ctx, struct ok_error *err);

#endif
