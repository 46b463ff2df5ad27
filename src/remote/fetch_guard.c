/* The guard on outbound fetches (see fetch_guard.h). */
#include "remote/fetch_guard.h"

#include "core/clock.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void remote_fetch_guard_init(struct remote_fetch_guard *g)
{
	memset(g, 0, sizeof(*g));
	pthread_mutex_init(&g->lock, NULL);
	g->max_total = 2;
	g->max_per_key = 1;
	g->fail_ttl_s = 30;
	g->connect_timeout_ms = REMOTE_FETCH_GUARD_CONNECT_MS;
	g->timeout_ms = REMOTE_FETCH_GUARD_TIMEOUT_MS;
}

void remote_fetch_guard_release(struct remote_fetch_guard *g)
{
	pthread_mutex_destroy(&g->lock);
	memset(g, 0, sizeof(*g));
}

static void say(const struct remote_fetch_guard *g, const char *url, const char *detail)
{
	char line[1024];

	if (!g || !g->log)
		return;
	/* A truncated line is still worth logging. */
	(void)snprintf(line, sizeof(line), "fetch %s: %s", url, detail);
	/* The URL is a credential's: its control characters (C0, DEL, C1 in UTF-8) are shown as
	 * '?', so that it cannot start a line of its own in the log or drive a terminal. */
	for (size_t i = 0; line[i]; i++) {
		unsigned char c = (unsigned char)line[i];
		if (c < 0x20 || c == 0x7f)
			line[i] = '?';
		else if (c == 0xc2 && (unsigned char)line[i + 1] >= 0x80 &&
		         (unsigned char)line[i + 1] <= 0x9f)
			line[i] = line[i + 1] = '?';
	}
	g->log(g->log_ctx, line);
}

/* The "host[:port]" of an http(s) URL, into out. */
static bool url_host(const char *url, char *out, size_t cap)
{
	const char *h;
	size_t n;

	if (strncmp(url, "https://", 8) == 0)
		h = url + 8;
	else if (strncmp(url, "http://", 7) == 0)
		h = url + 7;
	else
		return false;
	n = strcspn(h, "/?#");
	if (n == 0 || n + 3 > cap)
		return false;
	memcpy(out, "h:", 2);
	memcpy(out + 2, h, n);
	out[n + 2] = '\0';
	return true;
}

/* Under the lock: the slot counting key, taking a free one when add is set. */
static unsigned *busy_count(struct remote_fetch_guard *g, const char *key, bool add)
{
	size_t i, free_slot = REMOTE_FETCH_GUARD_SLOTS;

	for (i = 0; i < REMOTE_FETCH_GUARD_SLOTS; i++) {
		if (g->busy[i].n && strcmp(g->busy[i].key, key) == 0)
			return &g->busy[i].n;
		if (!g->busy[i].n && free_slot == REMOTE_FETCH_GUARD_SLOTS)
			free_slot = i;
	}
	if (!add || free_slot == REMOTE_FETCH_GUARD_SLOTS)
		return NULL;
	/* Keys and URLs are shorter than REMOTE_FETCH_GUARD_KEY_MAX (the callers check), so these
	 * copies never cut: two URLs never share a slot by a common prefix. */
	snprintf(g->busy[free_slot].key, sizeof(g->busy[0].key), "%s", key);
	return &g->busy[free_slot].n;
}

/* Under the lock: whether a failure of url is remembered and fresh. */
static bool failed_recently(struct remote_fetch_guard *g, const char *url, int64_t now)
{
	size_t i;

	for (i = 0; i < REMOTE_FETCH_GUARD_FAILURES; i++)
		if (g->failed[i].until_ms > now && strcmp(g->failed[i].url, url) == 0)
			return true;
	return false;
}

void remote_fetch_guard_fail(struct remote_fetch_guard *g, const char *url, const char *detail)
{
	int64_t now = ok_now_ms();
	size_t i, slot = 0;

	say(g, url, detail);
	if (!g || g->fail_ttl_s <= 0 || strlen(url) >= REMOTE_FETCH_GUARD_KEY_MAX)
		return;
	pthread_mutex_lock(&g->lock);
	/* The same URL again, else the entry that runs out first (an expired one first of all). */
	for (i = 0; i < REMOTE_FETCH_GUARD_FAILURES; i++) {
		if (strcmp(g->failed[i].url, url) == 0) {
			slot = i;
			break;
		}
		if (g->failed[i].until_ms < g->failed[slot].until_ms)
			slot = i;
	}
	/* Its length is checked on entry: the copy never cuts. */
	snprintf(g->failed[slot].url, sizeof(g->failed[0].url), "%s", url);
	g->failed[slot].until_ms = now + (int64_t)g->fail_ttl_s * 1000;
	pthread_mutex_unlock(&g->lock);
}

/* Takes a place for a fetch of host for issuer; false when a cap is reached. */
static bool enter(struct remote_fetch_guard *g, const char *host, const char *issuer)
{
	unsigned *h, *i = NULL;
	bool ok = false;

	pthread_mutex_lock(&g->lock);
	if (g->total < g->max_total && (h = busy_count(g, host, true)) && *h < g->max_per_key) {
		/* The host's slot is taken before looking for the issuer's, so count it now. */
		(*h)++;
		i = busy_count(g, issuer, true);
		if (i && *i < g->max_per_key) {
			(*i)++;
			g->total++;
			ok = true;
		} else {
			(*h)--;
		}
	}
	pthread_mutex_unlock(&g->lock);
	return ok;
}

static void leave(struct remote_fetch_guard *g, const char *host, const char *issuer)
{
	unsigned *n;

	pthread_mutex_lock(&g->lock);
	if ((n = busy_count(g, host, false)))
		(*n)--;
	if ((n = busy_count(g, issuer, false)))
		(*n)--;
	g->total--;
	pthread_mutex_unlock(&g->lock);
}

int remote_fetch_guard_get(struct remote_fetch_guard *g, const char *url, const char *issuer,
                           const char *accept, struct buf *body, struct remote_http_response *res,
                           struct ok_error *err)
{
	char host[REMOTE_FETCH_GUARD_KEY_MAX], who[REMOTE_FETCH_GUARD_KEY_MAX];
	struct ok_error ferr;
	int rc;

	res->status = 0;
	res->max_age = -1;
	if (strlen(url) >= REMOTE_FETCH_GUARD_KEY_MAX || !url_host(url, host, sizeof(host)) ||
	    snprintf(who, sizeof(who), "i:%s", issuer ? issuer : "") >= (int)sizeof(who))
		return ok_fail(err, OK_EINPUT, "%.200s: not an http(s) URL that can be fetched",
		               url);
	if (!g) {
		ok_error_clear(&ferr);
		rc = remote_http_get_limited(url, accept, REMOTE_FETCH_GUARD_CONNECT_MS,
		                             REMOTE_FETCH_GUARD_TIMEOUT_MS, body, res, &ferr);
		return rc ? ok_fail(err, rc == OK_ETOOBIG ? OK_ETOOBIG : OK_EIO, "%.200s: %s", url,
		                    ferr.message)
		          : 0;
	}
	pthread_mutex_lock(&g->lock);
	rc = failed_recently(g, url, ok_now_ms());
	pthread_mutex_unlock(&g->lock);
	if (rc)
		return ok_fail(err, OK_EIO, "%.200s: not reachable (it failed a moment ago)", url);
	if (!enter(g, host, who)) {
		say(g, url,
		    "not fetched: the fetches in flight for this host or issuer are at "
		    "their limit");
		return ok_fail(err, OK_EBUSY, "%.200s: not reachable now (too many fetches)", url);
	}
	ok_error_clear(&ferr);
	rc = remote_http_get_limited(url, accept, g->connect_timeout_ms, g->timeout_ms, body, res,
	                             &ferr);
	leave(g, host, who);
	if (rc) {
		/* The client's message starts with the URL, which the log line names already. */
		const char *detail = ferr.message;
		size_t n = strlen(url);
		if (strncmp(detail, url, n) == 0 && detail[n] == ':')
			detail += n + (detail[n + 1] == ' ' ? 2 : 1);
		remote_fetch_guard_fail(g, url, detail);
		return ok_fail(err, rc == OK_ETOOBIG ? OK_ETOOBIG : OK_EIO, "%.200s: not reachable",
		               url);
	}
	return 0;
}

int remote_fetch_guard_enter(struct remote_fetch_guard *g, const char *url, const char *who,
                             struct ok_error *err)
{
	char host[REMOTE_FETCH_GUARD_KEY_MAX], key[REMOTE_FETCH_GUARD_KEY_MAX];
	bool failed;

	if (strlen(url) >= REMOTE_FETCH_GUARD_KEY_MAX || !url_host(url, host, sizeof(host)) ||
	    snprintf(key, sizeof(key), "i:%s", who) >= (int)sizeof(key))
		return ok_fail(err, OK_EINPUT, "not an http(s) URL that can be fetched");
	pthread_mutex_lock(&g->lock);
	failed = failed_recently(g, who, ok_now_ms());
	pthread_mutex_unlock(&g->lock);
	if (failed)
		return ok_fail(err, OK_EIO, "%.200s: not reachable (it failed a moment ago)", who);
	if (!enter(g, host, key)) {
		say(g, who, "not asked: the exchanges in flight with it are at their limit");
		return ok_fail(err, OK_EBUSY, "%.200s: not reachable now (too many exchanges)", who);
	}
	return 0;
}

void remote_fetch_guard_leave(struct remote_fetch_guard *g, const char *url, const char *who)
{
	char host[REMOTE_FETCH_GUARD_KEY_MAX], key[REMOTE_FETCH_GUARD_KEY_MAX];

	/* Both were built the same way when the place was taken. */
	if (url_host(url, host, sizeof(host)) &&
	    snprintf(key, sizeof(key), "i:%s", who) < (int)sizeof(key))
		leave(g, host, key);
}
