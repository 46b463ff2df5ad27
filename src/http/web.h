/* The web pages (issue 4): the language of a request, pages rendered from the templates and
 * strings table of web/ (embedded at build time), the static assets, and the handlers of the
 * page routes. Pages are answered with a strict Content-Security-Policy: scripts and styles
 * only from /assets/, no inline script but JSON data blocks. */
#ifndef OK_HTTP_WEB_H
#define OK_HTTP_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "render/embed.h"

struct http_request;
struct http_response;

/* "nl" or "en": the ?lang= switch, else the oorkonde_lang cookie, else the best of
 * Accept-Language, else "en". Never NULL; a static string. */
const char *http_lang(struct http_request *req);

/* The Accept-Language rule alone: "nl" or "en" for a header value (NULL allowed). */
const char *web_lang_from_accept(const char *accept_language);

/*
 * Answers with page (a template of web/, e.g. "home.html") filled with vars and set in the
 * layout, titled with the text title_key, in the request's language; sets the language cookie
 * when the request carries ?lang=, and the security headers of a page.
 */
void web_page(struct http_request *req, struct http_response *res, unsigned status,
              const char *page, const char *title_key, const struct render_var *vars, size_t nvars);

/* The verifier's share page for token (/s/{token} without a suffix): 200 with the shared
 * achievements and their verification, 410 for an expired or revoked share, 404 otherwise. */
void web_share_page(struct http_request *req, struct http_response *res, const char *token);

/*
 * Whether the problem answer in res should be a page instead: a browser (Accept naming
 * text/html before any JSON type) asking with GET or HEAD for an unknown URL (route NULL) or a
 * page route (route is the route's template). API clients keep problem+json.
 */
bool web_wants_error_page(struct http_request *req, const struct http_response *res,
                          const char *route);
/* Replaces the problem answer in res with a page of the same status, in the site's style. */
void web_error_page(struct http_request *req, struct http_response *res);

/* An attachment's file name after a result: "bsc-psychologie-2024.json" for title "BSc
 * Psychologie", date "2024-08-30" and ext "json"; falls back to fallback when nothing of the
 * title can be used. */
void web_download_name(const char *title, const char *date, const char *ext, const char *fallback,
                       char *out, size_t cap);

/* Handlers of the page routes (routes_web.c) */
void route_web_home(struct http_request *req, struct http_response *res);
void route_web_verify(struct http_request *req, struct http_response *res);
void route_web_learner(struct http_request *req, struct http_response *res);
void route_web_asset(struct http_request *req, struct http_response *res);

#endif
