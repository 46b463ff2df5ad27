/* Revocation and suspension with W3C Bitstring Status Lists v1.0.
 *
 * Invariants:
 * - Every achievement owns one slot (list n, index i) for life, given at registration at random
 *   among the free slots of the newest list; a list takes new slots until three quarters full,
 *   so the index says nothing about when or where an achievement was registered.
 * - The same slot is used in the revocation list and in the suspension list; the bit is set when
 *   the achievement's status is "revoked" (revocation) or "suspended" (suspension).
 * - A list's version grows with every change of a bit in it; its signed credential is made again
 *   only when the version moved.
 */
#ifndef OK_REGISTRY_STATUS_H
#define OK_REGISTRY_STATUS_H

#include <stdbool.h>

#include "depository/depository.h"

#define STATUS_LIST_SIZE 131072 /* the minimum the specification allows: 16 KiB of bits */

/* Giving out slots inside a writer's transaction. */
struct status_allocator {
	struct store_status_list current;
	int64_t given;        /* slots given out of current since begin */
	uint32_t random[256]; /* drawn in bulk, one system call per 256 slots */
	size_t random_used;
	/* VC-API credentials (store/vcstatus.h) hold slots of the same lists: counted once per
	 * list and transaction, and looked up per draw only when the list has any. */
	int64_t vc_list;
	int64_t vc_count;
};

/* Loads (or creates) the newest list; call at the start of each transaction. */
int status_alloc_begin(struct depository *d, struct status_allocator *a, struct ok_error *err);
/* Draws a slot for ach (sets status_list and status_index) at random in the newest list, never
 * one a VC-API credential holds. It may be taken by an achievement: the store's unique index on
 * slots then refuses the write (OK_EEXIST) and the caller draws again. */
int status_alloc_take(struct depository *d, struct status_allocator *a,
                      struct store_achievement *ach, struct ok_error *err);
/* Gives back the slot last drawn, when the store refused it. */
void status_alloc_untake(struct status_allocator *a);
/* Records the slots given out; call before the transaction commits. */
int status_alloc_end(struct depository *d, struct status_allocator *a, struct ok_error *err);

enum status_action {
	STATUS_REVOKE,
	STATUS_SUSPEND,
	STATUS_REINSTATE,
};

int status_action_parse(const char *s, enum status_action *out);

/* Checks a reason for a status change or a correction: 1-200 characters of UTF-8 without
 * control, bidirectional-control or other invisible characters. OK_EINPUT (field "reason"). */
int status_check_reason(const char *reason, struct ok_error *err);

/*
 * Changes an achievement's status (of institution, or any when NULL): revoke (final), suspend,
 * or reinstate (only a suspension can be lifted). A change the rules forbid is OK_ECONFLICT with
 * the reason. The old version goes to the history with actor and reason; the change is audited.
 */
int registry_status_change(struct depository *d, const char *achievement_id,
                           const char *institution, enum status_action action, const char *reason,
                           const char *actor, struct store_achievement *out, struct ok_error *err);
/* The same for the achievement institution knows by its own record_id (see
 * registry_achievement_by_record for the OK_ENOTFOUND cases). */
int registry_status_change_by_record(struct depository *d, const char *institution,
                                     const char *record_id, enum status_action action,
                                     const char *reason, const char *actor,
                                     struct store_achievement *out, struct ok_error *err);

/*
 * Keeps a status list just signed (body) in the list cache under purpose with its version, and
 * fills etag (a quoted hash of body); the signing goes on record as a status.sign event of
 * subject with detail. Failing to keep it (a read-only store) does not fail: it is a cache.
 */
int registry_status_keep(struct depository *d, const char *purpose, int64_t n, int64_t version,
                         const char *subject, const char *detail, const struct buf *body,
                         char etag[STORE_ETAG_MAX], struct ok_error *err);

/*
 * The signed BitstringStatusListCredential of list n for purpose ("revocation" or
 * "suspension"), as JSON text appended to body, with its ETag (a quoted string).
 */
int registry_status_list_credential(struct depository *d, const char *purpose, int64_t n,
                                    struct buf *body, char etag[STORE_ETAG_MAX],
                                    struct ok_error *err);

/* The URL of list n for purpose: BASE/status/PURPOSE/N. 0, or OK_ETOOBIG when it does not fit
 * (out then holds ""). */
int registry_status_list_url(const struct depository *d, const char *purpose, int64_t n, char *out,
                             size_t cap);

/*
 * For a status entry pointing at one of this depository's own lists: whether the bit is set.
 * OK_ENOTFOUND when the URL is not one of ours. known (or NULL): a record's status and slot the
 * caller has read (store_credential_status); an entry pointing at that slot is answered from it
 * without a read, any other slot with one statement (store_slot_status), or none while nothing
 * was committed since the store read its revoked and suspended slots (store_slot_status_mem).
 */
int registry_status_local(struct depository *d, const char *url, int64_t index,
                          const struct store_credential_status *known, bool *set,
                          struct ok_error *err);

/* The list number of a status list path segment: decimal digits without sign, spaces or leading
 * zeros, 1 or more, so that each list has exactly one URL. false for anything else. */
bool status_list_number(const char *segment, long long *n);

/* Encodes a bitstring as the specification's encodedList: GZIP, then multibase base64url. */
int status_encode_list(const unsigned char *bits, size_t nbytes, struct buf *out,
                       struct ok_error *err);
/* Decodes an encodedList into bits (at most cap bytes); *nbytes gets the length. */
int status_decode_list(const char *encoded, size_t len, unsigned char *bits, size_t cap,
                       size_t *nbytes, struct ok_error *err);

#endif
