/* EMREX between browsers and servers (issue 19): this depository as a contact point (an EMREX
 * client's request, the signed-in learner's choice, the answer posted back to the client) and
 * as a client (a learner sent to another country's contact point, and its answer taken in).
 *
 * Invariants:
 * - Every exchange is one row of the store's EMREX sessions (store/emrex.h), found by the hash
 *   of a random token, used once, dead after PORTAL_EMREX_TTL_S. The contact point's token is
 *   the browser's (a cookie per request). The client's is the sessionId it sends the contact
 *   point: a bearer token, not bound to the browser (the answer is a cross-site POST that
 *   brings no cookie of ours), only to the learner's sign-in still being live. Whoever holds it
 *   can answer, but an NCP_OK document must still verify and name the learner, and is used up
 *   only then.
 * - Answering, cancelling, a learner's asking abroad and every refusal are audit events; the
 *   results sent are a read of the learner's personal data (registry_elmo_export, purpose
 *   PORTAL_EMREX_PURPOSE). An EMREX client's opening of a request is not: it is anonymous and
 *   touches nobody's data, and the append-only chain is not for strangers to fill; the answer's
 *   event names the client's host. At most PORTAL_EMREX_OPEN_MAX such requests are open at
 *   once (OK_ELIMIT beyond), so that strangers cannot fill the table either.
 * - A refused answer stores nothing (registry_elmo_import is all or nothing).
 */
#ifndef OK_PORTAL_EMREX_H
#define OK_PORTAL_EMREX_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "portal/portal.h"
#include "registry/elmo.h"
#include "store/emrex.h"

#define PORTAL_EMREX_TTL_S    1800
#define PORTAL_EMREX_OPEN_MAX 2000 /* EMREX clients' requests open at once */
#define PORTAL_EMREX_PURPOSE  "emrex"
#define PORTAL_EMREX_MSG_MAX  512 /* bytes of a returnMessage kept */
/* base64 of a gzipped ELMO document: PORTAL_EMREX_XML_MAX of XML that gzip cannot shrink
 * still fits; the answer route takes bodies this large (ROUTE_BODY_EMREX). */
#define PORTAL_EMREX_B64_MAX ((size_t)6 << 20)
/* XML of an answer once unpacked: a learner's results, even with the PDF, need far less; the
 * CLI's import-elmo keeps ELMO_INPUT_MAX for an operator's files. */
#define PORTAL_EMREX_XML_MAX ((size_t)4 << 20)

/* The contact point's side */

/*
 * A client's request (the form's sessionId and returnUrl): kept as a new EMREX session whose
 * token (for the browser's cookie) goes to token. OK_EINPUT naming "sessionId" (1-256
 * printable ASCII characters) or "returnUrl" (https://, or http:// on a configured test host).
 */
int portal_emrex_open(struct depository *d, const char *session_id, const char *return_url,
                      char token[PORTAL_TOKEN_SIZE], struct ok_error *err);

/* The open request of token: OK_ENOTFOUND for none, OK_EGONE when answered or expired. */
int portal_emrex_pending(struct depository *d, const char *token, struct store_emrex_session *out,
                         struct ok_error *err);

struct portal_emrex_answer {
	char return_url[STORE_EMREX_URL_MAX + 1];
	char session_id[STORE_EMREX_PEER_MAX + 1];
	const char *code; /* NCP_OK, NCP_NO_RESULTS, NCP_CANCEL, NCP_ERROR */
	char message[160];
	struct buf elmo; /* base64 of the gzipped signed document; empty but for NCP_OK */
	size_t results;
};

void portal_emrex_answer_init(struct portal_emrex_answer *a);
void portal_emrex_answer_release(struct portal_emrex_answer *a);

/*
 * Answers token's request for learner_id: with the achievements ids (n of them) as a signed
 * ELMO document, or NCP_CANCEL when cancel is set, NCP_NO_RESULTS when none are chosen, and
 * NCP_ERROR (the reason in message) when the document cannot be made. Uses the request up;
 * fails (and answers nothing) only when the request is unknown, used or expired, or (OK_EAUTH)
 * when learner_id is NULL or "" (no one signed in), which only a cancel may be.
 */
int portal_emrex_answer(struct depository *d, const char *token, const char *learner_id,
                        const char *const *ids, size_t n, bool cancel,
                        struct portal_emrex_answer *out, struct ok_error *err);

/* The client's side */

struct portal_emrex_start {
	char url[STORE_EMREX_URL_MAX + 1];  /* the contact point's URL, where the browser posts */
	char session_id[PORTAL_TOKEN_SIZE]; /* the fresh sessionId */
	char ncp[65];
};

/* A new request of learner_id (signed in with session_token) to contact point ncp.
 * OK_ENOTFOUND (field "ncp") for a contact point the registry lacks. */
int portal_emrex_client_start(struct depository *d, const char *learner_id,
                              const char *session_token, const char *ncp,
                              struct portal_emrex_start *out, struct ok_error *err);

struct portal_emrex_return {
	const char *session_id, *code,
	        *message; /* the form's sessionId, returnCode, returnMessage */
	const char *elmo; /* base64 of the (gzipped) document, or NULL */
	size_t elmo_len;
};

struct portal_emrex_outcome {
	char ncp[65];
	char code[16];                          /* the contact point's returnCode */
	char message[PORTAL_EMREX_MSG_MAX + 1]; /* its returnMessage, made printable */
	struct elmo_import_result imported;     /* for NCP_OK */
};

/*
 * A contact point's answer to one of our requests: the session checked (known, unused, not
 * expired, its learner's portal session still live: not ended, idle or past its maximum age),
 * then used up for the other codes; for NCP_OK the document imported as
 * registry_elmo_import does (gunzip within its cap, signature against the contact point's
 * registered certificate, the learner's name and birth date), the session used up only once
 * the document checked out, so a refused one leaves the request open. 0 for an answer taken (for
 * NCP_OK: imported; for the other codes nothing is stored); else nothing is stored and err says
 * why: OK_ENOTFOUND (sessionId unknown), OK_EGONE (answered already, or expired), OK_EAUTH
 * (the learner has signed out), OK_EINPUT (returnCode or elmo malformed), or what
 * registry_elmo_import refused with. out->ncp is set whenever the session was found.
 */
int portal_emrex_client_return(struct depository *d, const struct portal_emrex_return *in,
                               struct portal_emrex_outcome *out, struct ok_error *err);

#endif
