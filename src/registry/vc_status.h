/* Status on request (issue 23): a credential signed through the VC-API issuer with
 * options.credentialStatus gets a revocation and a suspension entry in the depository's own
 * Bitstring Status Lists, the slot drawn from the same lists as registered achievements
 * (registry/status.h); its status is then changed by credential id (POST /credentials/status).
 *
 * Invariants:
 * - A credential with status is signed and its slot recorded in one transaction: a failure
 *   leaves neither (nor the slot counted).
 * - Only a key of the institution whose key had it signed changes its status ("" for a key
 *   bound to none); for any other key the credential does not exist (OK_ENOTFOUND).
 * - The rules are those of achievements: a revocation is final, only a suspension is lifted.
 */
#ifndef OK_REGISTRY_VC_STATUS_H
#define OK_REGISTRY_VC_STATUS_H

#include <jansson.h>
#include <stdbool.h>

#include "depository/depository.h"
#include "registry/status.h"
#include "store/vcstatus.h"

/* Which entries an issue request asked for. Both are given whatever it asks (one status word
 * holds the slot's state: a credential with one entry would hide the other purpose's changes). */
struct vc_status_request {
	bool revocation;
	bool suspension;
};

/*
 * Reads options.credentialStatus of a VC-API issue request: an object or an array of at most
 * two objects, each {"type": "BitstringStatusListEntry"} with an optional "statusPurpose"
 * ("revocation" or "suspension"); without a purpose, both. OK_EINPUT naming what is wrong.
 */
int vc_status_request_parse(const json_t *option, struct vc_status_request *out,
                            struct ok_error *err);

/*
 * Reads the body of a VC-API status update: {"credentialId": "...", "credentialStatus":
 * [{"type": "BitstringStatusListEntry", "status": "revoked" | "suspended" | "active"}]}
 * (one entry; "active" lifts a suspension). *id points into body. OK_EINPUT naming what is wrong.
 */
int vc_status_update_parse(const json_t *body, const char **id, enum status_action *action,
                           struct ok_error *err);

/*
 * Signs credential (as registry_credential_sign) with both entries, recording its slot
 * for institution and key_id, with the cryptosuite suite (NULL: the configured one). The
 * credential's id names it later; one is given (urn:uuid) when
 * it has none. OK_EEXIST when a credential with that id was issued with status before.
 */
int registry_vc_issue_with_status(struct depository *d, const json_t *credential,
                                  const char *institution, const char *key_id, const char *actor,
                                  const enum vc_suite *suite, json_t **out, struct ok_error *err);

/*
 * Changes the status of the credential id issued by institution ("" for keys bound to none;
 * NULL: any, for the operator): OK_ENOTFOUND when there is none (or another institution's),
 * OK_ECONFLICT when the rules forbid the change. Bumps the
 * list's versions so that it is signed again, and audits the change. out gets the new record.
 */
int registry_vc_status_change(struct depository *d, const char *id, const char *institution,
                              enum status_action action, const char *actor,
                              struct store_vc_status *out, struct ok_error *err);

#endif
