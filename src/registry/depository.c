/* Creating and opening a data folder; the audit helper every use case shares. */
#include "registry/depository.h"

#include "registry/credential.h"
#include "registry/keyfile.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX (64 * 1024)

static int join(char *out, size_t cap, const char *dir, const char *name, struct ok_error *err)
{
	if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
		return ok_fail(err, OK_EINPUT, "data folder path too long");
	return 0;
}

static bool dir_is_empty(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool empty = true;

	if (!d)
		return false;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = false;
			break;
		}
	}
	closedir(d);
	return empty;
}

/* A host is a DNS name or address, optionally with a port: letters, digits, '.', '-', ':'. */
static int check_host(const char *host, struct ok_error *err)
{
	size_t i, n = strlen(host);

	if (n == 0 || n > DEPOSITORY_HOST_MAX)
		return ok_fail_field(err, OK_EINPUT, "host", "host must be 1-%d characters",
		                     DEPOSITORY_HOST_MAX);
	for (i = 0; i < n; i++) {
		char c = host[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '-' || c == ':'))
			return ok_fail_field(err, OK_EINPUT, "host",
			                     "host may hold only letters, digits, '.', '-' and "
			                     "':' (e.g. diploma.example.nl or 127.0.0.1:8080)");
	}
	return 0;
}

int depository_create(const char *dir, const char *host, struct ok_error *err)
{
	char path[4096];
	json_t *config = NULL;
	char *text = NULL;
	struct store *store = NULL;
	int rc;

	if (host && (rc = check_host(host, err)))
		return rc;
	if (mkdir(dir, 0700) != 0) {
		if (errno != EEXIST)
			return ok_fail(err, OK_EIO, "cannot create %s: %s", dir, strerror(errno));
		if (!dir_is_empty(dir))
			return ok_fail(
			        err, OK_EEXIST,
			        "%s already exists and is not empty; refusing to overwrite it",
			        dir);
		/* An existing empty folder gets the same protection as a new one. */
		if (chmod(dir, 0700) != 0)
			return ok_fail(err, OK_EIO, "cannot protect %s: %s", dir, strerror(errno));
	}
	if ((rc = join(path, sizeof(path), dir, "data.key", err)) ||
	    (rc = keyfile_create(path, err)))
		return rc;
	if ((rc = join(path, sizeof(path), dir, "issuer.key", err)) ||
	    (rc = keyfile_create(path, err)))
		return rc;
	config = json_pack("{s:s?, s:s, s:s}", "host", host, "store", "sqlite:oorkonde.db", "name",
	                   "oorkonde depository");
	text = config ? json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text) {
		rc = ok_fail(err, OK_ENOMEM, "cannot write config.json: out of memory");
		goto out;
	}
	if ((rc = join(path, sizeof(path), dir, "config.json", err)) ||
	    (rc = file_write_atomic(path, text, strlen(text), 0600, 1, err)))
		goto out;
	if ((rc = join(path, sizeof(path), dir, "oorkonde.db", err)) ||
	    (rc = store_sqlite_open(&store, path, true, err)))
		goto out;
out:
	store_close(store);
	free(text);
	json_decref(config);
	return rc;
}

static int read_config(struct depository *d, char *store_url, size_t cap, struct ok_error *err)
{
	char path[4096];
	json_error_t jerr;
	json_t *config;
	const char *host = NULL, *name = NULL, *store = NULL, *base_url = NULL, *network = NULL;
	json_t *host_value = NULL;
	json_int_t ttl = 300;
	json_t *http_hosts = NULL;
	int rc = 0;

	if ((rc = join(path, sizeof(path), d->dir, "config.json", err)))
		return rc;
	config = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (!config) {
		rc = ok_fail(err, access(path, F_OK) ? OK_ENOTFOUND : OK_EINPUT, "%s: %s (line %d)",
		             path, jerr.text, jerr.line);
		ok_error_locate(err, path, jerr.line > 0 ? (size_t)jerr.line : 0);
		return rc;
	}
	if (json_unpack_ex(config, &jerr, 0, "{s?o, s?s, s?s, s?s, s?I, s?o, s?s}", "host",
	                   &host_value, "name", &name, "store", &store, "base_url", &base_url,
	                   "status_ttl_s", &ttl, "did_web_http_hosts", &http_hosts, "network_did",
	                   &network) != 0 ||
	    (host_value && !json_is_null(host_value) && !json_is_string(host_value))) {
		rc = ok_fail(err, OK_EINPUT, "%s: %s", path,
		             host_value ? "host must be a string or null" : jerr.text);
		goto out;
	}
	if (json_is_string(host_value))
		host = json_string_value(host_value);
	if (host && (rc = check_host(host, err)))
		goto out;
	snprintf(d->host, sizeof(d->host), "%s", host ? host : "");
	snprintf(d->name, sizeof(d->name), "%s", name ? name : "oorkonde depository");
	if (base_url &&
	    (strncmp(base_url, "https://", 8) || strlen(base_url) >= sizeof(d->base_url)) &&
	    (strncmp(base_url, "http://", 7) || strlen(base_url) >= sizeof(d->base_url))) {
		rc = ok_fail_field(err, OK_EINPUT, "base_url",
		                   "%s: base_url must be an http:// or https:// URL", path);
		goto out;
	}
	if (ttl < 0 || ttl > 86400) {
		rc = ok_fail_field(err, OK_EINPUT, "status_ttl_s",
		                   "%s: status_ttl_s must be 0-86400 seconds", path);
		goto out;
	}
	d->status_ttl_s = (long)ttl;
	if (network && strlen(network) >= sizeof(d->network_did)) {
		rc = ok_fail_field(err, OK_EINPUT, "network_did", "%s: network_did is too long",
		                   path);
		goto out;
	}
	snprintf(d->network_did, sizeof(d->network_did), "%s", network ? network : "");
	if (http_hosts) {
		size_t i, used = 0;
		for (i = 0; i < json_array_size(http_hosts); i++) {
			const char *h = json_string_value(json_array_get(http_hosts, i));
			size_t n = h ? strlen(h) : 0;
			if (!h || !n || strchr(h, ',') ||
			    used + n + 2 > sizeof(d->did_web_http_hosts)) {
				rc = ok_fail_field(err, OK_EINPUT, "did_web_http_hosts",
				                   "%s: did_web_http_hosts must be a short list of "
				                   "\"host:port\" strings",
				                   path);
				goto out;
			}
			if (used)
				d->did_web_http_hosts[used++] = ',';
			memcpy(d->did_web_http_hosts + used, h, n + 1);
			used += n;
		}
		if (!json_is_array(http_hosts)) {
			rc = ok_fail_field(err, OK_EINPUT, "did_web_http_hosts",
			                   "%s: did_web_http_hosts must be a list", path);
			goto out;
		}
	}
	if (base_url)
		snprintf(d->base_url, sizeof(d->base_url), "%s", base_url);
	else if (host && (strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0))
		snprintf(d->base_url, sizeof(d->base_url), "http://%s", host);
	else if (host)
		snprintf(d->base_url, sizeof(d->base_url), "https://%s", host);
	else
		snprintf(d->base_url, sizeof(d->base_url), "http://127.0.0.1:8080");
	/* No trailing slash, so that paths can be appended. */
	if (d->base_url[0] && d->base_url[strlen(d->base_url) - 1] == '/')
		d->base_url[strlen(d->base_url) - 1] = '\0';
	if (!store)
		store = "sqlite:oorkonde.db";
	/* A relative SQLite path is relative to the data folder. */
	if (strncmp(store, "sqlite:", 7) == 0 && store[7] != '/')
		rc = snprintf(store_url, cap, "sqlite:%s/%s", d->dir, store + 7) >= (int)cap;
	else
		rc = snprintf(store_url, cap, "%s", store) >= (int)cap;
	if (rc)
		rc = ok_fail(err, OK_EINPUT, "%s: store URL too long", path);
out:
	json_decref(config);
	return rc;
}

int depository_open(struct depository *d, const char *dir, struct ok_error *err)
{
	char path[4096], store_url[4096];
	unsigned char data_key[32];
	uint32_t data_key_id;
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ok_fail(err, OK_ENOTFOUND,
		               "no data folder at %s; create one with `oorkonde init`", dir);
	d->dir = strdup(dir);
	if (!d->dir)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	if ((rc = read_config(d, store_url, sizeof(store_url), err)))
		goto fail;
	if ((rc = join(path, sizeof(path), dir, "data.key", err)) ||
	    (rc = keyfile_read(path, &data_key_id, data_key, err)))
		goto fail;
	seal_keys_derive(&d->keys, data_key, data_key_id);
	sodium_memzero(data_key, sizeof(data_key));
	if ((rc = join(path, sizeof(path), dir, "issuer.key", err)) ||
	    (rc = keyfile_read(path, &d->issuer_key_id, d->issuer_seed, err)))
		goto fail;
	{
		unsigned char sk[64];
		crypto_sign_seed_keypair(d->issuer_pk, sk, d->issuer_seed);
		sodium_memzero(sk, sizeof(sk));
	}
	{
		struct depository_identity id;
		if ((rc = registry_identity(d, &id, err)))
			goto fail;
		memcpy(d->issuer_did, id.did, sizeof(d->issuer_did));
		memcpy(d->issuer_vm, id.vm, sizeof(d->issuer_vm));
		registry_identity_release(&id);
	}
	if ((rc = store_open(&d->store, store_url, false, err)))
		goto fail;
	return 0;
fail:
	depository_close(d);
	return rc;
}

void depository_close(struct depository *d)
{
	store_close(d->store);
	free(d->dir);
	seal_keys_release(&d->keys);
	sodium_memzero(d, sizeof(*d));
}

int depository_audit(struct depository *d, const char *actor, const char *action,
                     const char *subject, const char *purpose, const char *detail,
                     bool own_transaction, struct ok_error *err)
{
	struct audit_event e;
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq;
	int rc;

	if (own_transaction && (rc = store_begin(d->store, err)))
		return rc;
	audit_event_init(&e, actor, action, subject, purpose, detail);
	rc = d->store->ops->audit_head(d->store, &seq, head, err);
	if (!rc) {
		audit_event_link(&e, seq, head);
		rc = d->store->ops->audit_insert(d->store, &e, err);
	}
	if (own_transaction) {
		if (!rc)
			rc = store_commit(d->store, err);
		if (rc)
			store_rollback(d->store);
	}
	return rc;
}

void depository_id_from(const unsigned char random[6], char out[25])
{
	unsigned char raw[12];
	uint64_t ms = (uint64_t)audit_now_ms();
	int i;

	/* Time first: ids made together sit together in the indexes, so a batch touches few
	 * index pages instead of nearly all of them. */
	for (i = 0; i < 6; i++)
		raw[i] = (unsigned char)(ms >> (40 - 8 * i));
	memcpy(raw + 6, random, 6);
	sodium_bin2hex(out, 25, raw, sizeof(raw));
}

void depository_new_id(char out[25])
{
	unsigned char random[6];

	randombytes_buf(random, sizeof(random));
	depository_id_from(random, out);
}
