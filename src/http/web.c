/* Page machinery (see web.h): language choice, the layout, page headers and the static assets
 * (the embedded files and strings are render/embed.h). */
#include "http/web.h"
#include "http/internal.h"

#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_MAX ((size_t)8 << 20)

static const char csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                          "img-src 'self' data:; connect-src 'self'; object-src 'none'; "
                          "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

static const char *lang_known(const char *s)
{
	if (s && strcmp(s, "nl") == 0)
		return "nl";
	if (s && strcmp(s, "en") == 0)
		return "en";
	return NULL;
}

const char *web_lang_from_accept(const char *al)
{
	const char *best = NULL, *p = al;
	double best_q = 0;

	while (p && *p) {
		size_t n = strcspn(p, ",");
		const char *item = p, *semi, *lang = NULL;
		double q = 1;

		p += n + (p[n] == ',');
		while (n && (*item == ' ' || *item == '\t')) {
			item++;
			n--;
		}
		if (n >= 2 && strncasecmp(item, "nl", 2) == 0 &&
		    (n == 2 || item[2] == '-' || item[2] == ';' || item[2] == ' '))
			lang = "nl";
		else if (n >= 2 && strncasecmp(item, "en", 2) == 0 &&
		         (n == 2 || item[2] == '-' || item[2] == ';' || item[2] == ' '))
			lang = "en";
		semi = memchr(item, ';', n);
		if (semi) {
			const char *qs = memchr(semi, 'q', n - (size_t)(semi - item));
			if (qs && qs + 1 < item + n && qs[1] == '=')
				q = strtod(qs + 2, NULL);
		}
		if (lang && q > best_q) {
			best = lang;
			best_q = q;
		}
	}
	return best ? best : "en";
}

const char *http_lang(struct http_request *req)
{
	const char *l = lang_known(http_query(req, "lang"));

	if (!l)
		l = lang_known(
		        MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, "oorkonde_lang"));
	return l ? l : web_lang_from_accept(http_request_header(req, "Accept-Language"));
}

void web_page(struct http_request *req, struct http_response *res, unsigned status,
              const char *page, const char *title_key, const struct render_var *vars, size_t nvars)
{
	const char *lang = http_lang(req), *nl = strcmp(lang, "nl") == 0 ? "1" : NULL;
	struct buf main, strings;
	struct ok_error err;
	int rc;

	ok_error_clear(&err);
	buf_init(&main, PAGE_MAX);
	buf_init(&strings, PAGE_MAX);
	rc = render_fragment(page, lang, vars, nvars, &main, &err);
	if (rc == 0)
		rc = render_strings_block(lang, &strings);
	if (rc == 0) {
		const struct render_var layout[] = {
		        {"lang", lang, false},
		        {"title", render_text(lang, title_key), false},
		        {"depository", req->dep && req->dep->name[0] ? req->dep->name : "oorkonde",
		         false},
		        {"other_lang", nl ? "en" : "nl", false},
		        {"other_lang_name", nl ? "English" : "Nederlands", false},
		        {"main", main.data, true},
		        {"strings", strings.data, true},
		};
		buf_reset(&res->body);
		rc = render_fragment("layout.html", lang, layout,
		                     sizeof(layout) / sizeof(layout[0]), &res->body, &err);
	}
	buf_release(&main);
	buf_release(&strings);
	if (rc) {
		http_problem(res, 500, "internal", "Internal error", "the page could not be made");
		return;
	}
	res->status = status;
	res->content_type = "text/html; charset=utf-8";
	http_header(res, "Content-Security-Policy", "%s", csp);
	http_header(res, "Content-Language", "%s", lang);
	http_header(res, "Vary", "Accept-Language, Cookie");
	if (lang_known(http_query(req, "lang")))
		http_header(res, "Set-Cookie",
		            "oorkonde_lang=%s; Path=/; Max-Age=31536000; SameSite=Lax", lang);
}

void route_web_asset(struct http_request *req, struct http_response *res)
{
	const char *name = req->params.params[0];
	const struct render_file *f = render_file(name);
	size_t n = strlen(name);

	/* Templates are not assets: they are only served filled in. */
	if (!f || (n > 5 && strcmp(name + n - 5, ".html") == 0)) {
		http_problem(res, 404, "not-found", "Not found", "no such asset");
		return;
	}
	http_text(res, 200, f->type, (const char *)f->data, f->len);
	http_header(res, "Cache-Control", "public, max-age=300");
	http_header(res, "Content-Security-Policy", "%s", csp);
}

/* Errors for browsers */

static const char *const page_routes[] = {
        "/", "/verify", "/learner", "/learner/report", "/login/{token}", "/s/{token}",
};

bool web_wants_error_page(struct http_request *req, const struct http_response *res,
                          const char *route)
{
	const char *accept = http_request_header(req, "Accept"), *html, *json;
	size_t i;

	if (strcmp(res->content_type, "application/problem+json") != 0 || res->status < 400 ||
	    (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) || !accept ||
	    !(html = strstr(accept, "text/html")))
		return false;
	/* A client that names JSON first wants JSON, whatever else it takes. */
	json = strstr(accept, "json");
	if (json && json < html)
		return false;
	if (!route)
		return true;
	for (i = 0; i < sizeof(page_routes) / sizeof(page_routes[0]); i++)
		if (strcmp(route, page_routes[i]) == 0) {
			size_t n = strlen(req->path);
			/* "/s/TOKEN.json" is the share for machines. */
			return strcmp(route, "/s/{token}") != 0 || n < 5 ||
			       strcmp(req->path + n - 5, ".json") != 0;
		}
	return false;
}

void web_error_page(struct http_request *req, struct http_response *res)
{
	const char *lang = http_lang(req);
	unsigned status = res->status;
	char text[256];

	if (status == 404) {
		const struct render_var vars[] = {
		        {"text", render_text(lang, "notfound.page"), false}};
		web_page(req, res, 404, "notfound.html", "notfound.title", vars, 1);
		return;
	}
	if (snprintf(text, sizeof(text), "%s (HTTP %u)", render_text(lang, "error.text"), status) >=
	    (int)sizeof(text))
		text[0] = '\0';
	{
		const struct render_var vars[] = {
		        {"heading", render_text(lang, "error.title"), false},
		        {"text", text, false},
		};
		web_page(req, res, status, "error.html", "error.title", vars, 2);
	}
}

/* Downloads */

/* The ASCII letter of a Latin-1 letter written as UTF-8 0xC3 c ("ë" → 'e'), or 0. */
static char latin1_base(unsigned char c)
{
	static const char map[] = "AAAAAAACEEEEIIII"  /* C3 80-8F */
	                          "DNOOOOO-OUUUUYTs"  /* C3 90-9F */
	                          "aaaaaaaceeeeiiii"  /* C3 A0-AF */
	                          "dnooooo-ouuuuyty"; /* C3 B0-BF */

	if (c < 0x80 || c > 0xbf)
		return 0;
	return map[c - 0x80];
}

void web_download_name(const char *title, const char *date, const char *ext, const char *fallback,
                       char *out, size_t cap)
{
	char slug[80];
	const unsigned char *p = (const unsigned char *)title;
	size_t n = 0;
	bool dash = false;

	for (; p && *p && n + 2 < sizeof(slug); p++) {
		char c = 0;
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))
			c = (char)*p;
		else if (*p >= 'A' && *p <= 'Z')
			c = (char)(*p - 'A' + 'a');
		else if (*p == 0xc3 && p[1] && (c = latin1_base(p[1])) != 0)
			p++;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c && c != '-') {
			if (dash && n)
				slug[n++] = '-';
			slug[n++] = c;
			dash = false;
		} else {
			dash = true;
		}
	}
	slug[n] = '\0';
	/* A cut name is replaced by fallback.ext, a short constant the callers' buffers hold. */
	if (!n) {
		snprintf(out, cap, "%s.%s", fallback, ext);
		return;
	}
	if (date && strlen(date) >= 4 && date[0] >= '0' && date[0] <= '9')
		n = (size_t)snprintf(out, cap, "%s-%.4s.%s", slug, date, ext);
	else
		n = (size_t)snprintf(out, cap, "%s.%s", slug, ext);
	if (n >= cap)
		snprintf(out, cap, "%s.%s", fallback, ext);
}
