/* The EMREX registry (EMREG): its JSON read and checked, and its contact points kept with the
 * certificate each must sign with (see elmo.h). */
#include "registry/elmo.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"

static bool acronym_ok(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > 64)
		return false;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* Whether the authority of an http:// URL (after the scheme, up to the path) is one of the
 * comma-separated "host[:port]" entries of hosts, or its host is. */
static bool test_host(const char *authority, size_t n, const char *hosts)
{
	const char *colon = memchr(authority, ':', n);
	size_t host_len = colon ? (size_t)(colon - authority) : n;

	while (hosts && *hosts) {
		size_t m = strcspn(hosts, ",");

		if ((m == n && strncmp(hosts, authority, n) == 0) ||
		    (m == host_len && strncmp(hosts, authority, host_len) == 0))
			return true;
		hosts += m + (hosts[m] == ',');
	}
	return false;
}

bool emrex_url_ok(const char *url, size_t max, const char *test_hosts)
{
	size_t i, n = strlen(url), skip, authority;

	if (n > max)
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7F)
			return false;
	if (strncmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	authority = strcspn(url + skip, "/?#");
	/* A host name or address and a port: nothing else may reach a header (CSP form-action)
	 * or a page. */
	if (authority == 0 ||
	    strspn(url + skip, "abcdefghijklmnopqrstuvwxyz"
	                       "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") < authority)
		return false;
	return skip == 8 || test_host(url + skip, authority, test_hosts);
}

/* The certificate as PEM: given as PEM, or (as registries often carry it) as bare base64 DER,
 * which gets the PEM armour here. */
static int cert_pem(const char *given, char *out, size_t cap)
{
	struct buf b;
	size_t i, col = 0;
	int rc = 0;

	if (strstr(given, "-----BEGIN CERTIFICATE-----"))
		return ok_format(out, cap, "%s", given);
	buf_init(&b, cap - 1);
	rc = buf_addstr(&b, "-----BEGIN CERTIFICATE-----\n");
	for (i = 0; !rc && given[i]; i++) {
		unsigned char ch = (unsigned char)given[i];

		if (isspace(ch))
			continue;
		if (!isalnum(ch) && ch != '+' && ch != '/' && ch != '=') {
			rc = OK_EINPUT;
			break;
		}
		rc = buf_addch(&b, (char)ch);
		if (!rc && ++col == 64) {
			rc = buf_addch(&b, '\n');
			col = 0;
		}
	}
	if (!rc && col)
		rc = buf_addch(&b, '\n');
	if (!rc)
		rc = buf_addstr(&b, "-----END CERTIFICATE-----\n");
	if (!rc)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}

static int read_emp(const json_t *e, size_t i, const char *test_hosts, struct store_emrex_ncp *n,
                    struct ok_error *err)
{
	const char *url = json_string_value(json_object_get(e, "url"));
	const char *acronym = json_string_value(json_object_get(e, "acronym"));
	const char *country = json_string_value(json_object_get(e, "countryCode"));
	const char *pub = json_string_value(json_object_get(e, "pubKey"));
	const json_t *inst = json_object_get(e, "institutions");
	char subject[256], fp[65], field[48];
	int64_t until;
	char *text;

	memset(n, 0, sizeof(*n));
#define BAD(name, ...)                                              \
	(snprintf(field, sizeof(field), "emps[%zu].%s", i, (name)), \
	 ok_fail_field(err, OK_EINPUT, field, __VA_ARGS__))
	if (!json_is_object(e))
		return BAD("", "not an object");
	if (!acronym || !acronym_ok(acronym))
		return BAD("acronym", "1-64 letters, digits, '-', '_' or '.'");
	if (!url || !emrex_url_ok(url, sizeof(n->url) - 1, test_hosts))
		return BAD("url", "an https URL of at most 512 characters (or http:// on one of "
		                  "config.json's emrex_test_hosts)");
	if (!country || strlen(country) != 2 || !isupper((unsigned char)country[0]) ||
	    !isupper((unsigned char)country[1]))
		return BAD("countryCode", "two capital letters (ISO 3166)");
	if (!pub || strlen(pub) > STORE_EMREX_CERT_MAX - 200 ||
	    cert_pem(pub, n->cert, sizeof(n->cert)) ||
	    elmo_cert_describe(n->cert, strlen(n->cert), subject, fp, &until, NULL))
		return BAD("pubKey", "not an X.509 certificate (PEM or base64)");
	/* An expired certificate would refuse every answer (elmo_verify_doc): say so now. */
	if (until < ok_now_ms())
		return BAD("pubKey", "the certificate has expired");
	if (inst && !json_is_array(inst))
		return BAD("institutions", "not a list");
	text = inst ? json_dumps(inst, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
	if (!text || ok_format(n->institutions, sizeof(n->institutions), "%s", text)) {
		free(text);
		return BAD("institutions", "longer than %zu bytes", sizeof(n->institutions) - 1);
	}
	free(text);
#undef BAD
	OK_COPY_ARRAY(n->country, "  ");
	memcpy(n->country, country, 2);
	ok_copy_bounded(n->acronym, acronym, sizeof(n->acronym));
	ok_copy_bounded(n->url, url, sizeof(n->url));
	return 0;
}

int emrex_registry_parse(const char *data, size_t len, const char *test_hosts, store_emrex_fn fn,
                         void *ctx, struct ok_error *err)
{
	struct store_emrex_ncp *all = NULL;
	json_error_t jerr;
	json_t *root, *emps;
	size_t i, j, count;
	int rc = 0;

	if (len > EMREG_INPUT_MAX)
		return ok_fail_field(err, OK_ETOOBIG, "emps", "the registry is larger than %zu MiB",
		                     EMREG_INPUT_MAX >> 20);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		rc = ok_fail_field(err, OK_EINPUT, "emps", "not JSON: %s", jerr.text);
		ok_error_locate(err, NULL, (size_t)(jerr.line > 0 ? jerr.line : 0));
		return rc;
	}
	emps = json_object_get(root, "emps");
	if (!json_is_array(emps) || (count = json_array_size(emps)) == 0) {
		rc = ok_fail_field(err, OK_EINPUT, "emps", "no \"emps\" list of contact points");
		goto out;
	}
	if (count > EMREG_EMPS_MAX) {
		rc = ok_fail_field(err, OK_ETOOBIG, "emps", "more than %d contact points",
		                   EMREG_EMPS_MAX);
		goto out;
	}
	if (!(all = calloc(count, sizeof(*all)))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; !rc && i < count; i++) {
		rc = read_emp(json_array_get(emps, i), i, test_hosts, &all[i], err);
		for (j = 0; !rc && j < i; j++)
			if (strcmp(all[j].acronym, all[i].acronym) == 0)
				rc = ok_fail_field(err, OK_EINPUT, "acronym",
				                   "emps[%zu] and emps[%zu] have the same acronym",
				                   j, i);
	}
	for (i = 0; !rc && i < count; i++)
		rc = fn(ctx, &all[i]);
out:
	free(all);
	json_decref(root);
	return rc;
}

struct keep_ctx {
	struct depository *d;
	const char *const *sha1;
	size_t n_sha1;
	bool *sha1_seen;
	int64_t now;
	struct emrex_registry_result *out;
	struct ok_error *err;
};

static int keep_one(void *ctx, const struct store_emrex_ncp *n)
{
	struct keep_ctx *k = ctx;
	struct store_emrex_ncp copy = *n;
	size_t i;

	copy.accept_sha1 = 0;
	for (i = 0; i < k->n_sha1; i++)
		if (strcmp(k->sha1[i], n->acronym) == 0) {
			copy.accept_sha1 = 1;
			k->sha1_seen[i] = true;
		}
	copy.imported_ms = k->now;
	k->out->contact_points++;
	k->out->sha1 += (size_t)copy.accept_sha1;
	return store_emrex_put(k->d->store, &copy, k->err);
}

int registry_emrex_registry_import(struct depository *d, const char *data, size_t len,
                                   const char *const *accept_sha1, size_t n_sha1,
                                   struct emrex_registry_result *out, struct ok_error *err)
{
	struct keep_ctx k = {d, accept_sha1, n_sha1, NULL, ok_now_ms(), out, err};
	char detail[128];
	struct audit_txn txn;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n_sha1 && !(k.sha1_seen = calloc(n_sha1, sizeof(bool))))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = audit_txn_begin(d, &txn, err)))
		goto out;
	rc = emrex_registry_parse(data, len, d->emrex_test_hosts, keep_one, &k, err);
	for (i = 0; !rc && i < n_sha1; i++)
		if (!k.sha1_seen[i])
			rc = ok_fail_field(
			        err, OK_EINPUT, "accept-sha1",
			        "--accept-sha1 names a contact point the registry lacks");
	if (!rc) {
		snprintf(detail, sizeof(detail), "contact_points=%zu sha1=%zu", out->contact_points,
		         out->sha1);
		rc = audit_txn_event(&txn, AUDIT_OPERATOR, "emrex.registry", "emrex",
		                     "administration", detail, err);
	}
	rc = audit_txn_end(&txn, rc, err);
out:
	free(k.sha1_seen);
	return rc;
}

int registry_emrex_list(struct depository *d, store_emrex_fn fn, void *ctx, struct ok_error *err)
{
	return store_emrex_list(d->store, fn, ctx, err);
}
