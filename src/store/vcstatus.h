/* The store's VC-API status area: credentials signed through POST /credentials/issue with
 * options.credentialStatus, each holding one slot of the depository's status lists (issue 23).
 *
 * Invariants:
 * - A slot (list, index) is held by at most one record across this table and the achievement
 *   table, so that both draw from the same lists (registry/status.h): add refuses a slot an
 *   achievement holds (OK_EEXIST), and the slot allocator skips the slots held here (an
 *   achievement's insert does not look here: no trigger, which the PostgreSQL store refuses).
 * - A row is never removed: its slot stays taken, a revocation stays on the list.
 * - institution is the issuing key's institution ("" for a key bound to none): a record's key
 *   is (institution, id), so two institutions may use the same id, and neither can learn
 *   which ids the other used; only a key of the same institution may change the status.
 */
#ifndef OK_STORE_VCSTATUS_H
#define OK_STORE_VCSTATUS_H

#include "store/store.h"

#define STORE_VC_ID_MAX 512 /* bytes of a credential id (a URL) */

struct store_vc_status {
	char id[STORE_VC_ID_MAX + 1];
	char institution[33];
	char key_id[STORE_ID_MAX + 1]; /* the API key that had it signed */
	int64_t status_list;
	int64_t status_index;
	char status[16]; /* active, suspended, revoked */
	int64_t created_ms;
	int64_t updated_ms;
};

struct store_vcstatus_ops {
	/* Inserts v: OK_EEXIST when its (institution, id) or its slot is taken (here or by an
	 * achievement). */
	int (*add)(struct store *s, const struct store_vc_status *v, struct ok_error *err);
	int (*get)(struct store *s, const char *institution, const char *id,
	           struct store_vc_status *out, struct ok_error *err);
	/* The one record with id, whatever its institution (the operator's look-up):
	 * OK_ENOTFOUND when none, OK_ECONFLICT when more than one institution used the id. */
	int (*find_id)(struct store *s, const char *id, struct store_vc_status *out,
	               struct ok_error *err);
	/* The record holding slot (list, index), OK_ENOTFOUND when none does. */
	int (*by_slot)(struct store *s, int64_t list, int64_t index, struct store_vc_status *out,
	               struct ok_error *err);
	/* Sets the status and updated_ms of (institution, id): OK_ENOTFOUND when there is no
	 * such record. */
	int (*set_status)(struct store *s, const char *institution, const char *id,
	                  const char *status, int64_t at_ms, struct ok_error *err);
	/* How many records institution added at or after since_ms (its issuances in a window). */
	int (*count_since)(struct store *s, const char *institution, int64_t since_ms, int64_t *out,
	                   struct ok_error *err);
	/* How many records hold a slot of list. */
	int (*count_in_list)(struct store *s, int64_t list, int64_t *out, struct ok_error *err);
};

static inline int store_vc_status_count_in_list(struct store *s, int64_t list, int64_t *out,
                                                struct ok_error *err)
{
	return s->ops->vcstatus->count_in_list(s, list, out, err);
}

static inline int store_vc_status_count_since(struct store *s, const char *institution,
                                              int64_t since_ms, int64_t *out, struct ok_error *err)
{
	return s->ops->vcstatus->count_since(s, institution, since_ms, out, err);
}

static inline int store_vc_status_add(struct store *s, const struct store_vc_status *v,
                                      struct ok_error *err)
{
	return s->ops->vcstatus->add(s, v, err);
}

static inline int store_vc_status_get(struct store *s, const char *institution, const char *id,
                                      struct store_vc_status *out, struct ok_error *err)
{
	return s->ops->vcstatus->get(s, institution, id, out, err);
}

static inline int store_vc_status_find_id(struct store *s, const char *id,
                                          struct store_vc_status *out, struct ok_error *err)
{
	return s->ops->vcstatus->find_id(s, id, out, err);
}

static inline int store_vc_status_by_slot(struct store *s, int64_t list, int64_t index,
                                          struct store_vc_status *out, struct ok_error *err)
{
	return s->ops->vcstatus->by_slot(s, list, index, out, err);
}

static inline int store_vc_status_set(struct store *s, const char *institution, const char *id,
                                      const char *status, int64_t at_ms, struct ok_error *err)
{
	return s->ops->vcstatus->set_status(s, institution, id, status, at_ms, err);
}

#endif
