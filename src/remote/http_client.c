/* GET over libcurl (see http_client.h). */
#include "remote/http_client.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int remote_http_global_init(struct ok_error *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ok_fail(err, OK_EINTERNAL, "cannot initialise libcurl");
	return 0;
}

void remote_http_global_cleanup(void)
{
	curl_global_cleanup();
}

struct sink {
	struct buf *body;
	bool too_big;
};

/* The bytes on the wire, before decompression: a small compressed answer must not inflate past
 * the cap, and a large one must not be read to its end. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
	struct sink *s = ctx;

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	if (dlnow > 0 && (uint64_t)dlnow > (uint64_t)s->body->max) {
		s->too_big = true;
		return 1; /* aborts the transfer */
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct sink *s = ctx;

	if (buf_add(s->body, data, size * n) != 0) {
		s->too_big = true;
		return 0; /* stops the transfer */
	}
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
	struct remote_http_response *res = ctx;
	size_t len = size * n;
	char line[256];
	const char *p;

	if (len >= sizeof(line) || len < 14 || strncasecmp(data, "cache-control:", 14) != 0)
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if ((p = strstr(line, "max-age=")) != NULL)
		res->max_age = strtol(p + 8, NULL, 10);
	if (strstr(line, "no-store") || strstr(line, "no-cache"))
		res->max_age = 0;
	return len;
}

int remote_http_get(const char *url, const char *accept, long timeout_ms, struct buf *body,
                    struct remote_http_response *res, struct ok_error *err)
{
	return remote_http_get_limited(url, accept, timeout_ms, timeout_ms, body, res, err);
}

int remote_http_get_limited(const char *url, const char *accept, long connect_ms, long total_ms,
                            struct buf *body, struct remote_http_response *res,
                            struct ok_error *err)
{
	struct remote_http_call call = {.url = url,
	                                .accept = accept,
	                                .connect_ms = connect_ms,
	                                .total_ms = total_ms};

	return remote_http_call(&call, body, res, err);
}

int remote_http_call(const struct remote_http_call *call, struct buf *body,
                     struct remote_http_response *res, struct ok_error *err)
{
	struct sink sink = {body, false};
	struct curl_slist *headers = NULL, *more;
	char accept_header[128];
	const char *url = call->url;
	CURL *c;
	CURLcode rc;
	int ret = 0;

	res->status = 0;
	res->max_age = -1;
	if (strncmp(url, "https://", 8) != 0 && (call->https_only || strncmp(url, "http://", 7) != 0))
		return ok_fail(err, OK_EINPUT, "only %s URLs can be fetched",
		               call->https_only ? "https" : "http and https");
	if (snprintf(accept_header, sizeof(accept_header), "Accept: %s",
	             call->accept ? call->accept : "*/*") >= (int)sizeof(accept_header))
		return ok_fail(err, OK_EINPUT, "the Accept header is too long");
	c = curl_easy_init();
	if (!c)
		return ok_fail(err, OK_ENOMEM, "cannot start an HTTP client");
	headers = curl_slist_append(headers, accept_header);
	if (headers && call->auth_header) {
		more = curl_slist_append(headers, call->auth_header);
		headers = more ? more : headers;
		if (!more)
			ret = ok_fail(err, OK_ENOMEM, "out of memory");
	}
	if (!headers && !ret)
		ret = ok_fail(err, OK_ENOMEM, "out of memory");
	if (ret)
		goto out;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, call->https_only ? "https" : "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, call->total_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
	                 call->connect_ms < call->total_ms ? call->connect_ms : call->total_ms);
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "gzip, deflate");
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)body->max);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, &sink);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "oorkonde");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, res);
	if (call->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, call->ca_file);
	if (call->form) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, call->form);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(call->form));
	}
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &res->status);
	if (sink.too_big || rc == CURLE_FILESIZE_EXCEEDED)
		ret = ok_fail(err, OK_ETOOBIG, "%s: the answer is larger than %zu bytes", url,
		              body->max);
	else if (rc != CURLE_OK)
		ret = ok_fail(err, OK_EIO, "%s: %s", url, curl_easy_strerror(rc));
	else if (res->status != 200 && !call->any_status)
		ret = ok_fail(err, OK_EIO, "%s: answered HTTP %ld", url, res->status);
out:
	/* libcurl's copy of the Authorization line holds a secret. */
	for (more = headers; more; more = more->next)
		if (call->auth_header && more->data && strcmp(more->data, call->auth_header) == 0)
			sodium_memzero(more->data, strlen(more->data));
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	return ret;
}
