/* Leak detection at the door: a registrar handler counts each learner whose personal data it is
 * about to answer with (registry/leak.h), and refuses when the key goes past its limit. Only
 * http/ includes this. */
#ifndef OK_HTTP_LEAK_GUARD_H
#define OK_HTTP_LEAK_GUARD_H

#include <stdbool.h>

struct http_request;
struct http_response;

/*
 * Counts the read of learner_id by the request's key. True: go ahead. False: res holds the
 * answer: 429 problem+json when this read took the key past its limit and blocked it (with an
 * alert line on standard error naming the key id and institution only, and the
 * oorkonde_keys_blocked_total counter), 403 when the key was already blocked, or the store's
 * error.
 */
bool http_leak_note(struct http_request *req, struct http_response *res, const char *learner_id);

/*
 * Counts one identity conflict that the request's key met about learner_id outside an import
 * (a correction's award date before the birth date), audited with actor. True: go on and
 * answer. False: res holds the answer (429 conflict-limit when this blocked the key, 403 when
 * it was blocked, or the store's error).
 */
bool http_leak_conflict(struct http_request *req, struct http_response *res, const char *actor,
                        const char *learner_id);

/*
 * Answers an import whose identity conflicts blocked its key (report->key_blocked): 429
 * problem+json of type conflict-limit, with the alert line and the blocked-keys counter as for
 * a read past the limit.
 */
struct import_report;
void http_leak_conflicts_blocked(struct http_request *req, struct http_response *res,
                                 const struct import_report *report);

#endif
