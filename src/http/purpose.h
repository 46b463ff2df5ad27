/* The Oorkonde-Purpose header: why a registrar reads a learner's personal data (issue 6). A
 * registrar request that reads names, national ids, birth dates or results states a purpose
 * from a fixed, documented list (docs/api.md); the purpose goes into the audit event of the
 * read. Only http/ includes this. */
#ifndef OK_HTTP_PURPOSE_H
#define OK_HTTP_PURPOSE_H

#define HTTP_PURPOSE_HEADER "Oorkonde-Purpose"

struct http_request;
struct http_response;

/* The documented purposes, in the order the docs list them; NULL-terminated. */
extern const char *const http_purposes[];

/* The purpose a header value names (compared without regard to case), as its canonical
 * string from http_purposes, or NULL when value is NULL or names none. */
const char *http_purpose_parse(const char *value);

/*
 * The request's purpose. When the header is missing or names no known purpose, answers 400
 * problem+json itself (naming the header and the allowed values, never echoing the value sent)
 * and returns NULL.
 */
const char *http_purpose_require(struct http_request *req, struct http_response *res);

#endif
