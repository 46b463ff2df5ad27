/* Who an audit event names as its actor: the kinds of actor, and the one place that turns an
 * actor into the text the audit log holds.
 *
 * Invariants: the text forms never change, since stored logs, the access report (which tells
 * the learner who read what) and `audit show --actor` match on them:
 *   operator                  whoever runs the command on the server
 *   institution:CODE/key:ID   an institution's API key (over HTTP)
 *   key:ID                    an API key signing in the depository's own name (VC-API issue)
 *   learner:ID                a learner signed in to the portal
 *   share:ID                  a verifier opening a learner's share link
 *   depository                the depository itself (signing its status lists)
 *   leak-detection            the depository blocking a key that read too many learners
 * An actor holds identifiers only, never personal data. Pure: no store, no depository.
 */
#ifndef OK_AUDIT_ACTOR_H
#define OK_AUDIT_ACTOR_H

#include "audit/chain.h"

/* The text of an actor, as an event holds it (longer text is cut, as audit_event_init cuts). */
#define AUDIT_ACTOR_SIZE (AUDIT_TEXT_MAX + 1)

/* The actors that name no record. */
#define AUDIT_OPERATOR      "operator"
#define AUDIT_SYSTEM_STATUS "depository"
#define AUDIT_SYSTEM_LEAK   "leak-detection"

enum audit_actor_kind {
	AUDIT_ACTOR_OPERATOR,
	AUDIT_ACTOR_INSTITUTION_KEY, /* id: the key; institution: its institution's code */
	AUDIT_ACTOR_KEY,             /* id: the key */
	AUDIT_ACTOR_LEARNER,         /* id: the learner's record id (a portal session's) */
	AUDIT_ACTOR_SHARE,           /* id: the share's record id */
	AUDIT_ACTOR_SYSTEM,          /* id: AUDIT_SYSTEM_STATUS or AUDIT_SYSTEM_LEAK */
};

/* Borrowed strings: an actor lives no longer than what it points at. */
struct audit_actor {
	enum audit_actor_kind kind;
	const char *id;
	const char *institution;
};

/* Writes a's text into out (see the header's list) and returns out. */
const char *audit_actor_format(const struct audit_actor *a, char out[AUDIT_ACTOR_SIZE]);

/* Shorthands for audit_actor_format of one kind. */
const char *audit_actor_institution_key(const char *institution, const char *key_id,
                                        char out[AUDIT_ACTOR_SIZE]);
const char *audit_actor_key(const char *key_id, char out[AUDIT_ACTOR_SIZE]);
const char *audit_actor_learner(const char *learner_id, char out[AUDIT_ACTOR_SIZE]);
const char *audit_actor_share(const char *share_id, char out[AUDIT_ACTOR_SIZE]);

#endif
