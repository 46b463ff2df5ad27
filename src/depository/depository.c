/* Creating and opening a data folder: its configuration, key files and store. */
#include "depository/depository.h"

#include "io/utf8.h"
#include "keys/keyfile.h"
#include "store/keys.h"
#include "vc/did.h"
#include "core/clock.h"
#include "core/format.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CONFIG_MAX (64 * 1024)

/* Sets path to dir/name; path is a buf of the caller's, sized to fit (see core/format.h). */
static int join(struct buf *path, const char *dir, const char *name, struct ok_error *err)
{
	int rc = ok_path_join(path, dir, name);

	if (rc == OK_ETOOBIG)
		return ok_fail(err, OK_EINPUT, "data folder path too long");
	return rc ? ok_fail(err, rc, "out of memory") : 0;
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

/*
 * The depository's name stands in every credential it issues (the issuer's name) and on its
 * pages: 1-200 characters of UTF-8, without control characters or bidi controls that could
 * make it read as something else.
 */
static int check_name(const char *name, struct ok_error *err)
{
	const unsigned char *p = (const unsigned char *)name;
	size_t n = strlen(name);

	if (n == 0 || n > DEPOSITORY_NAME_MAX || !utf8_valid(name, n))
		return ok_fail_field(err, OK_EINPUT, "name",
		                     "name must be 1-%d bytes of UTF-8 text", DEPOSITORY_NAME_MAX);
	for (; *p; p++) {
		/* C0 and DEL; C1 (U+0080-U+009F); U+061C; U+200E/F; U+202A-U+202E; U+2066-U+2069 */
		if (*p < 0x20 || *p == 0x7F || (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F) ||
		    (p[0] == 0xD8 && p[1] == 0x9C) ||
		    (p[0] == 0xE2 && p[1] == 0x80 &&
		     (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE))) ||
		    (p[0] == 0xE2 && p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9))
			return ok_fail_field(
			        err, OK_EINPUT, "name",
			        "name may not hold control or bidi-control characters");
	}
	return 0;
}

int depository_create(const char *dir, const char *host, struct ok_error *err)
{
	return depository_create_named(dir, host, NULL, err);
}

int depository_create_named(const char *dir, const char *host, const char *name,
                            struct ok_error *err)
{
	return depository_create_in(dir, host, name, NULL, err);
}

/* A shared database is only ever one depository's: its records are sealed under that
 * depository's data key, and its audit chain is one. */
static int check_store_empty(struct store *store, struct ok_error *err)
{
	unsigned char head[AUDIT_HASH_BYTES];
	int64_t seq = 0, count = 0;
	struct buf check;
	int rc;

	/* A depository that has opened its store left its data key's check value there. */
	buf_init(&check, 256);
	rc = store_meta_get(store, "data_key_check.1", &check, err);
	buf_release(&check);
	if (rc != OK_ENOTFOUND)
		return rc ? rc
		          : ok_fail(err, OK_EEXIST,
		                    "the database already holds a depository; init "
		                    "needs an empty database");
	if ((rc = store_audit_head(store, &seq, head, err)) ||
	    (rc = store_achievement_count(store, &count, err)))
		return rc;
	if (seq > 0 || count > 0)
		return ok_fail(err, OK_EEXIST,
		               "the database already holds a depository's records; init needs an "
		               "empty database");
	return 0;
}

static int claim_store(struct store *store, const char *dir, struct ok_error *err);

/* After mkdir(dir) failed: 0 when dir is an empty folder (then made 0700 like a new one). */
static int existing_folder(const char *dir, struct ok_error *err)
{
	if (errno != EEXIST)
		return ok_fail(err, OK_EIO, "cannot create %s: %s", dir, strerror(errno));
	if (!dir_is_empty(dir))
		return ok_fail(err, OK_EEXIST,
		               "%s already exists and is not empty; refusing to overwrite it", dir);
	/* An existing empty folder gets the same protection as a new one. */
	if (chmod(dir, 0700) != 0)
		return ok_fail(err, OK_EIO, "cannot protect %s: %s", dir, strerror(errno));
	return 0;
}

/* Takes back what a failed init wrote into dir (made says whether init made dir itself). */
static void create_undo(const char *dir, bool made)
{
	static const char *const files[] = {"config.json", "data.key", "issuer.key"};
	struct buf path;
	struct ok_error ignored;
	size_t i;

	buf_init(&path, OK_PATH_MAX);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (join(&path, dir, files[i], &ignored) == 0)
			(void)unlink(path.data);
	buf_release(&path);
	if (made)
		(void)rmdir(dir);
}

int depository_create_in(const char *dir, const char *host, const char *name, const char *store_url,
                         struct ok_error *err)
{
	bool made = false;
	struct buf path;
	json_t *config = NULL;
	char *text = NULL;
	struct store *store = NULL;
	int rc;

	if (host && (rc = check_host(host, err)))
		return rc;
	if (name && (rc = check_name(name, err)))
		return rc;
	if (store_url && !store_url_is_pg(store_url))
		return ok_fail_field(
		        err, OK_EINPUT, "store",
		        "--store takes a PostgreSQL URL (postgresql://...) or connection "
		        "string; without it the store is the folder's SQLite database");
	/* The database first: a folder is only made for a store that can be used. It is claimed
	 * (claim_store) once the folder's data key exists; until then it stays open. */
	if (store_url) {
		if ((rc = store_open(&store, store_url, true, err)) ||
		    (rc = check_store_empty(store, err))) {
			store_close(store);
			return rc;
		}
	}
	if (mkdir(dir, 0700) == 0) {
		made = true;
	} else if ((rc = existing_folder(dir, err))) {
		store_close(store);
		return rc;
	}
	buf_init(&path, OK_PATH_MAX);
	if ((rc = join(&path, dir, "data.key", err)) || (rc = keyfile_create(path.data, err)) ||
	    (rc = join(&path, dir, "issuer.key", err)) || (rc = keyfile_create(path.data, err)))
		goto out;
	config = json_pack("{s:s?, s:s, s:s}", "host", host, "store",
	                   store_url ? store_url : "sqlite:oorkonde.db", "name",
	                   name ? name : "oorkonde depository");
	text = config ? json_dumps(config, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	if (!text) {
		rc = ok_fail(err, OK_ENOMEM, "cannot write config.json: out of memory");
		goto out;
	}
	if ((rc = join(&path, dir, "config.json", err)) ||
	    (rc = file_write_atomic(path.data, text, strlen(text), 0600, 1, err)))
		goto out;
	/* Last: a claim that fails (another init won the database) takes the folder back. */
	if (store && (rc = claim_store(store, dir, err)))
		goto out;
	if (!store_url && ((rc = join(&path, dir, "oorkonde.db", err)) ||
	                   (rc = store_sqlite_open(&store, path.data, true, err))))
		goto out;
out:
	/* Nothing half-written: a failed init leaves no folder that looks like a depository. */
	if (rc)
		create_undo(dir, made);
	store_close(store);
	free(text);
	json_decref(config);
	buf_release(&path);
	return rc;
}

/* A whole number of seconds from 1 to DEPOSITORY_CONFIG_S_MAX, or def when absent. */
static int config_seconds(const json_t *config, const char *name, long def, long *out,
                          const char *path, struct ok_error *err)
{
	const json_t *v = json_object_get(config, name);
	json_int_t n;

	*out = def;
	if (!v)
		return 0;
	n = json_is_integer(v) ? json_integer_value(v) : -1;
	if (n < 1 || n > DEPOSITORY_CONFIG_S_MAX)
		return ok_fail_field(err, OK_EINPUT, name,
		                     "%s: %s must be a whole number of seconds from 1 to %d", path,
		                     name, DEPOSITORY_CONFIG_S_MAX);
	*out = (long)n;
	return 0;
}

/* config emrex_test_hosts: a short list of "host[:port]" strings, kept comma-separated. */
static int config_emrex_test_hosts(struct depository *d, const json_t *list, const char *path,
                                   struct ok_error *err)
{
	size_t i, used = 0;

	d->emrex_test_hosts[0] = '\0';
	if (!list)
		return 0;
	if (!json_is_array(list))
		return ok_fail_field(err, OK_EINPUT, "emrex_test_hosts",
		                     "%s: emrex_test_hosts must be a list", path);
	for (i = 0; i < json_array_size(list); i++) {
		const char *h = json_string_value(json_array_get(list, i));
		size_t n = h ? strlen(h) : 0;

		if (!n || strpbrk(h, ",/ @") || used + n + 2 > sizeof(d->emrex_test_hosts))
			return ok_fail_field(err, OK_EINPUT, "emrex_test_hosts",
			                     "%s: emrex_test_hosts must be a short list of "
			                     "\"host[:port]\" strings",
			                     path);
		if (used)
			d->emrex_test_hosts[used++] = ',';
		memcpy(d->emrex_test_hosts + used, h, n + 1);
		used += n;
	}
	return 0;
}

/* The settings of the layers above (audit checkpoints, the learner portal), kept on d as plain
 * values so that the depository needs none of their headers. */
static int read_config_upper(struct depository *d, const json_t *config, const char *path,
                             struct ok_error *err)
{
	const json_t *every = json_object_get(config, "audit_checkpoint_every"), *cap;
	int rc;

	d->audit_checkpoint_every = DEPOSITORY_CHECKPOINT_EVERY_DEFAULT;
	if (every) {
		json_int_t n = json_is_integer(every) ? json_integer_value(every) : -1;
		if (n < 0 || n > DEPOSITORY_CHECKPOINT_EVERY_MAX)
			return ok_fail_field(
			        err, OK_EINPUT, "audit_checkpoint_every",
			        "%s: audit_checkpoint_every must be a whole number of events "
			        "from 0 (only at shutdown and by hand) to %d",
			        path, DEPOSITORY_CHECKPOINT_EVERY_MAX);
		d->audit_checkpoint_every = (int64_t)n;
	}
	/* Open Badges 3.0 names eddsa-rdfc-2022 for Data Integrity proofs: the default. */
	d->cryptosuite = VC_SUITE_RDFC;
	if (json_object_get(config, "cryptosuite") &&
	    vc_suite_parse(json_string_value(json_object_get(config, "cryptosuite")),
	                   &d->cryptosuite) != 0)
		return ok_fail_field(err, OK_EINPUT, "cryptosuite",
		                     "%s: cryptosuite must be \"eddsa-rdfc-2022\" or "
		                     "\"eddsa-jcs-2022\"",
		                     path);
	rc = config_seconds(config, "session_idle_s", DEPOSITORY_SESSION_IDLE_S_DEFAULT,
	                    &d->session_idle_s, path, err);
	if (!rc)
		rc = config_seconds(config, "login_link_ttl_s", DEPOSITORY_LOGIN_LINK_TTL_S_DEFAULT,
		                    &d->login_link_ttl_s, path, err);
	if (!rc)
		rc = config_seconds(config, "verifier_request_ttl_s",
		                    DEPOSITORY_VERIFIER_REQUEST_TTL_S_DEFAULT,
		                    &d->verifier_request_ttl_s, path, err);
	if (!rc)
		rc = config_seconds(config, "verifier_result_ttl_s",
		                    DEPOSITORY_VERIFIER_RESULT_TTL_S_DEFAULT,
		                    &d->verifier_result_ttl_s, path, err);
	if (!rc && (cap = json_object_get(config, "verifier_open"))) {
		if (!json_is_boolean(cap))
			return ok_fail_field(err, OK_EINPUT, "verifier_open",
			                     "%s: verifier_open must be true or false", path);
		d->verifier_open = json_is_true(cap);
	}
	d->vc_status_per_hour = DEPOSITORY_VC_STATUS_PER_HOUR_DEFAULT;
	if (!rc && (cap = json_object_get(config, "vc_status_issuance_per_hour"))) {
		json_int_t n = json_is_integer(cap) ? json_integer_value(cap) : -1;
		if (n < 0 || n > DEPOSITORY_VC_STATUS_PER_HOUR_MAX)
			return ok_fail_field(
			        err, OK_EINPUT, "vc_status_issuance_per_hour",
			        "%s: vc_status_issuance_per_hour must be a whole number "
			        "from 0 (no cap) to %d",
			        path, DEPOSITORY_VC_STATUS_PER_HOUR_MAX);
		d->vc_status_per_hour = (long)n;
	}
	if (!rc && json_object_get(config, "allow_login_links") &&
	    !json_is_boolean(json_object_get(config, "allow_login_links")))
		rc = ok_fail_field(err, OK_EINPUT, "allow_login_links",
		                   "%s: allow_login_links must be true or false", path);
	d->allow_login_links = json_is_true(json_object_get(config, "allow_login_links"));
	if (!rc)
		rc = config_emrex_test_hosts(d, json_object_get(config, "emrex_test_hosts"), path,
		                             err);
	/* Wallet issuance (oid4vci/): DPoP required at the token endpoint; a PIN with offers. */
	for (const char *const *k =
	             (const char *const[]){"wallet_dpop_required", "wallet_pin", NULL};
	     !rc && *k; k++)
		if (json_object_get(config, *k) && !json_is_boolean(json_object_get(config, *k)))
			rc = ok_fail_field(err, OK_EINPUT, *k, "%s: %s must be true or false", path,
			                   *k);
	d->wallet_dpop_required = json_is_true(json_object_get(config, "wallet_dpop_required"));
	/* On unless turned off: without a PIN the offer's link or QR code alone (seen over a
	 * shoulder, in a screen share, a forwarded link) is worth the learner's credential, bound
	 * to whoever redeems it first. */
	d->wallet_pin = !json_is_false(json_object_get(config, "wallet_pin"));
	return rc;
}

/* Reads config.json into d, and the store URL into store_url (a buf of the caller's). */
static int read_config(struct depository *d, struct buf *store_url, struct ok_error *err)
{
	struct buf path;
	json_error_t jerr;
	json_t *config = NULL;
	const char *host = NULL, *name = NULL, *store = NULL, *base_url = NULL, *network = NULL;
	json_t *host_value = NULL;
	json_int_t ttl = 300, did_cache_ttl = 300, status_cache_ttl = 300;
	json_t *http_hosts = NULL;
	int rc = 0;

	buf_init(&path, OK_PATH_MAX);
	if ((rc = join(&path, d->dir, "config.json", err)))
		goto out;
	config = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	if (!config) {
		rc = ok_fail(err, access(path.data, F_OK) ? OK_ENOTFOUND : OK_EINPUT,
		             "%s: %s (line %d)", path.data, jerr.text, jerr.line);
		ok_error_locate(err, path.data, jerr.line > 0 ? (size_t)jerr.line : 0);
		goto out;
	}
	if (json_unpack_ex(config, &jerr, 0, "{s?o, s?s, s?s, s?s, s?I, s?o, s?s, s?I, s?I}",
	                   "host", &host_value, "name", &name, "store", &store, "base_url",
	                   &base_url, "status_ttl_s", &ttl, "did_web_http_hosts", &http_hosts,
	                   "network_did", &network, "did_cache_ttl_s", &did_cache_ttl,
	                   "status_cache_ttl_s", &status_cache_ttl) != 0 ||
	    (host_value && !json_is_null(host_value) && !json_is_string(host_value))) {
		rc = ok_fail(err, OK_EINPUT, "%s: %s", path.data,
		             host_value ? "host must be a string or null" : jerr.text);
		goto out;
	}
	if (json_is_string(host_value))
		host = json_string_value(host_value);
	if (host && (rc = check_host(host, err)))
		goto out;
	/* check_host bounds the host; a name too long for d->name is refused, not cut. */
	if (ok_format(d->host, sizeof(d->host), "%s", host ? host : "") ||
	    ok_format(d->name, sizeof(d->name), "%s", name ? name : "oorkonde depository")) {
		rc = ok_fail_field(err, OK_EINPUT, "name", "%s: name is too long", path.data);
		goto out;
	}
	if (base_url &&
	    (strncmp(base_url, "https://", 8) || strlen(base_url) >= sizeof(d->base_url)) &&
	    (strncmp(base_url, "http://", 7) || strlen(base_url) >= sizeof(d->base_url))) {
		rc = ok_fail_field(err, OK_EINPUT, "base_url",
		                   "%s: base_url must be an http:// or https:// URL", path.data);
		goto out;
	}
	if (ttl < 0 || ttl > 86400) {
		rc = ok_fail_field(err, OK_EINPUT, "status_ttl_s",
		                   "%s: status_ttl_s must be 0-86400 seconds", path.data);
		goto out;
	}
	d->status_ttl_s = (long)ttl;
	if (did_cache_ttl < 1 || did_cache_ttl > 86400 || status_cache_ttl < 1 ||
	    status_cache_ttl > 86400) {
		rc = ok_fail_field(
		        err, OK_EINPUT,
		        did_cache_ttl < 1 || did_cache_ttl > 86400 ? "did_cache_ttl_s"
		                                                   : "status_cache_ttl_s",
		        "%s: did_cache_ttl_s and status_cache_ttl_s must be 1-86400 seconds",
		        path.data);
		goto out;
	}
	d->did_cache_ttl_s = (long)did_cache_ttl;
	d->status_cache_ttl_s = (long)status_cache_ttl;
	if (ok_format(d->network_did, sizeof(d->network_did), "%s", network ? network : "")) {
		rc = ok_fail_field(err, OK_EINPUT, "network_did", "%s: network_did is too long",
		                   path.data);
		goto out;
	}
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
				                   path.data);
				goto out;
			}
			if (used)
				d->did_web_http_hosts[used++] = ',';
			memcpy(d->did_web_http_hosts + used, h, n + 1);
			used += n;
		}
		if (!json_is_array(http_hosts)) {
			rc = ok_fail_field(err, OK_EINPUT, "did_web_http_hosts",
			                   "%s: did_web_http_hosts must be a list", path.data);
			goto out;
		}
	}
	/* Each fits: base_url's length is checked above, and a host is at most
	 * DEPOSITORY_HOST_MAX, for which base_url leaves room for the scheme. */
	if (base_url)
		rc = ok_format(d->base_url, sizeof(d->base_url), "%s", base_url);
	else if (host && (strncmp(host, "127.", 4) == 0 || strncmp(host, "localhost", 9) == 0))
		rc = ok_format(d->base_url, sizeof(d->base_url), "http://%s", host);
	else if (host)
		rc = ok_format(d->base_url, sizeof(d->base_url), "https://%s", host);
	else
		rc = ok_format(d->base_url, sizeof(d->base_url), "http://127.0.0.1:8080");
	if (rc) {
		rc = ok_fail_field(err, OK_EINPUT, "base_url", "%s: base_url is too long",
		                   path.data);
		goto out;
	}
	/* No trailing slash, so that paths can be appended. */
	if (d->base_url[0] && d->base_url[strlen(d->base_url) - 1] == '/')
		d->base_url[strlen(d->base_url) - 1] = '\0';
	if ((rc = read_config_upper(d, config, path.data, err)))
		goto out;
	if (!store)
		store = "sqlite:oorkonde.db";
	/* A relative SQLite path is relative to the data folder. */
	buf_reset(store_url);
	if (strncmp(store, "sqlite:", 7) == 0 && store[7] != '/')
		rc = buf_addf(store_url, "sqlite:%s/%s", d->dir, store + 7);
	else
		rc = buf_addstr(store_url, store);
	if (rc)
		rc = ok_fail(err, OK_EINPUT, "%s: store URL too long", path.data);
out:
	json_decref(config);
	buf_release(&path);
	return rc;
}

static int check_data_keys(struct depository *d, const struct seal_keyring *ring,
                           struct ok_error *err);

/* Reads the key file name into k, with its stamp into now, unless force is false and the file is
 * unchanged since stamp: 1 when read, 0 when unchanged, or an error. */
static int read_key_file(struct depository *d, const char *name, const struct keyfile_stamp *stamp,
                         bool force, struct keyfile_keys *k, struct keyfile_stamp *now,
                         struct ok_error *err)
{
	struct buf path;
	int rc;

	buf_init(&path, OK_PATH_MAX);
	rc = join(&path, d->dir, name, err);
	if (!rc && !force && keyfile_stamp_of(path.data, now) && keyfile_stamp_equal(now, stamp))
		rc = 0;
	else if (!rc && (rc = keyfile_read_all(path.data, k, now, err)) == 0)
		rc = 1;
	buf_release(&path);
	return rc;
}

/* Reads data.key into d->data_keys and d->keys when force is set or the file changed. */
static int load_data_keys(struct depository *d, bool force, struct ok_error *err)
{
	struct keyfile_stamp now;
	struct keyfile_keys k;
	struct seal_keyring ring;
	size_t i;
	int rc;

	if ((rc = read_key_file(d, "data.key", &d->data_key_stamp, force, &k, &now, err)) <= 0)
		return rc;
	rc = 0;
	seal_keyring_init(&ring);
	for (i = 0; !rc && i < k.count; i++)
		rc = seal_keyring_add(&ring, k.keys[i].key, k.keys[i].id, err);
	keyfile_keys_release(&k);
	/* A key file read again (a rotation, or a file replaced under a running server) is
	 * checked before it is used; depository_open checks the first once the store is open. */
	if (!rc && d->store)
		rc = check_data_keys(d, &ring, err);
	if (!rc) {
		seal_keyring_release(&d->data_keys);
		d->data_keys = ring;
		d->keys = *seal_keyring_current(&ring);
		d->data_key_stamp = now;
	}
	seal_keyring_release(&ring);
	return rc;
}

/*
 * Key check values. The store keeps, per data key id, a keyed BLAKE2b of a fixed label under
 * that key (meta "data_key_check.ID"): a data.key whose key has the right id but other bytes
 * (a key file of another depository, an old backup) is refused before it can seal anything,
 * instead of splitting learners in two. The value reveals nothing of the key.
 */
#define KEY_CHECK_LABEL "oorkonde data key check v1"
#define KEY_CHECK_BYTES 16

static void key_check_value(const struct seal_keys *k, char hex[KEY_CHECK_BYTES * 2 + 1])
{
	unsigned char mac[KEY_CHECK_BYTES];

	crypto_generichash(mac, sizeof(mac), (const unsigned char *)KEY_CHECK_LABEL,
	                   strlen(KEY_CHECK_LABEL), k->index, sizeof(k->index));
	sodium_bin2hex(hex, KEY_CHECK_BYTES * 2 + 1, mac, sizeof(mac));
}

static int first_id(void *ctx, const char *id)
{
	/* The store's ids are at most STORE_ID_MAX: a longer one is an internal error. */
	return ok_format(ctx, STORE_ID_MAX + 1, "%s", id) ? OK_EINTERNAL : 1;
}

/*
 * For a store made before check values: the key is taken as right only when it opens a learner
 * sealed under it (when the first learner is). OK_ECRYPTO when it does not.
 */
static int key_opens_store(struct depository *d, const struct seal_keys *k, struct ok_error *err)
{
	char id[STORE_ID_MAX + 1] = "";
	struct store_learner l;
	struct buf plain;
	int rc;

	rc = store_learner_ids_not_under(d->store, 0, "", 1, first_id, id, err);
	if (rc < 0)
		return rc;
	if (!id[0])
		return 0;
	store_learner_init(&l);
	buf_init(&plain, 4096);
	rc = store_learner_get(d->store, id, &l, err);
	if (!rc && l.key_id == k->key_id &&
	    seal_open(k, "national_id", l.id, (const unsigned char *)l.national_id.data,
	              l.national_id.len, &plain, NULL) != 0)
		rc = OK_ECRYPTO;
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	store_learner_release(&l);
	return rc == OK_ENOTFOUND ? 0 : rc;
}

static int wrong_key(const struct depository *d, uint32_t key_id, struct ok_error *err)
{
	return ok_fail(err, OK_ECRYPTO,
	               "%s/data.key does not belong to this database: its data key %lu is not the "
	               "key the database's records are sealed under (a key file of another data "
	               "folder, or an old copy?); put the right data.key back",
	               d->dir, (unsigned long)key_id);
}

/* The meta key of key_id's check value. */
static int key_check_name(uint32_t key_id, char name[64], struct ok_error *err)
{
	if (snprintf(name, 64, "data_key_check.%lu", (unsigned long)key_id) >= 64)
		return ok_fail(err, OK_EINTERNAL, "key check name too long");
	return 0;
}

/*
 * Claims a shared database for the new data folder dir, in one transaction under the store's
 * writer lock: the database must still be empty, and the check value of the folder's data key
 * goes in (inserted only, never replaced). Of two inits on one empty database the second waits
 * for the first's lock, then finds its claim and fails; its key can never replace the first's.
 */
static int claim_store(struct store *store, const char *dir, struct ok_error *err)
{
	char name[64], want[KEY_CHECK_BYTES * 2 + 1];
	unsigned char key[32];
	struct seal_keyring ring;
	struct buf path;
	uint32_t id = 0;
	int rc;

	seal_keyring_init(&ring);
	buf_init(&path, OK_PATH_MAX);
	if ((rc = join(&path, dir, "data.key", err)) ||
	    (rc = keyfile_read(path.data, &id, key, err)) ||
	    (rc = seal_keyring_add(&ring, key, id, err)) || (rc = key_check_name(id, name, err)))
		goto out;
	key_check_value(seal_keyring_current(&ring), want);
	if ((rc = store_begin(store, err)))
		goto out;
	rc = check_store_empty(store, err);
	if (!rc && (rc = store_meta_add(store, name, want, err)) == OK_EEXIST)
		rc = ok_fail(
		        err, OK_EEXIST,
		        "the database already holds a depository; init needs an empty database");
	if (!rc)
		rc = store_commit(store, err);
	if (rc)
		store_rollback(store);
out:
	sodium_memzero(key, sizeof(key));
	seal_keyring_release(&ring);
	buf_release(&path);
	return rc;
}

/*
 * Records key k's check value (want, under name) when the store still has none, looked at
 * again under the writer lock: of two first opens only one records its value, and the other
 * then compares with it. 0 when recorded, 1 when found after all (in have), or an error. Joins
 * the caller's transaction when one is open.
 */
static int record_key_check(struct depository *d, const struct seal_keys *k, const char *name,
                            const char *want, struct buf *have, struct ok_error *err)
{
	bool own = false;
	int rc, done;

	if (!store_in_transaction(d->store)) {
		if ((rc = store_begin(d->store, err)))
			return rc;
		own = true;
	}
	rc = store_meta_get(d->store, name, have, err);
	if (rc == 0) {
		rc = 1;
	} else if (rc == OK_ENOTFOUND) {
		rc = key_opens_store(d, k, err);
		if (rc == OK_ECRYPTO)
			rc = wrong_key(d, k->key_id, err);
		if (!rc)
			rc = store_meta_add(d->store, name, want, err);
	}
	if (own) {
		if (rc >= 0 && (done = store_commit(d->store, err)))
			rc = done;
		if (rc < 0)
			store_rollback(d->store);
	}
	return rc;
}

/*
 * Compares every key of ring with the check value the store keeps for its id, and records
 * the value of a key the store has none for (a new store, the new key of a rotation, a store
 * from before check values). Joins the caller's transaction when one is open.
 */
static int check_data_keys(struct depository *d, const struct seal_keyring *ring,
                           struct ok_error *err)
{
	char name[64], want[KEY_CHECK_BYTES * 2 + 1];
	struct buf have;
	size_t i;
	int rc = 0;

	buf_init(&have, 256);
	for (i = 0; !rc && i < ring->count; i++) {
		const struct seal_keys *k = &ring->keys[i];
		if ((rc = key_check_name(k->key_id, name, err)))
			break;
		key_check_value(k, want);
		rc = store_meta_get(d->store, name, &have, err);
		if (rc == OK_ENOTFOUND)
			rc = record_key_check(d, k, name, want, &have, err);
		else if (rc == 0)
			rc = 1;
		/* 1: a value is there (in have); compare. */
		if (rc == 1)
			rc = have.len == strlen(want) &&
			                     sodium_memcmp(have.data, want, have.len) == 0
			             ? 0
			             : wrong_key(d, k->key_id, err);
	}
	buf_release(&have);
	return rc;
}

/* The DID and current verification method of the depository, from its host and issuer key. */
static int issuer_identity(struct depository *d, struct ok_error *err)
{
	int rc;

	if (!d->host[0]) {
		if ((rc = vc_did_key(d->issuer_pk, d->issuer_did, err)))
			return rc;
		return vc_did_key_vm(d->issuer_pk, d->issuer_vm, err);
	}
	if ((rc = vc_did_web(d->host, d->issuer_did, err)))
		return rc;
	return depository_issuer_vm(d, d->issuer_key_id, d->issuer_vm, err);
}

/* Reads issuer.key into d (its current seed, every public key) when force is set or the file
 * changed. */
static int load_issuer_keys(struct depository *d, bool force, struct ok_error *err)
{
	struct keyfile_stamp now;
	struct keyfile_keys k;
	unsigned char sk[64];
	size_t i;
	int rc;

	if ((rc = read_key_file(d, "issuer.key", &d->issuer_key_stamp, force, &k, &now, err)) <= 0)
		return rc;
	rc = 0;
	for (i = 0; i < k.count; i++) {
		d->issuer_keys[i].id = k.keys[i].id;
		crypto_sign_seed_keypair(d->issuer_keys[i].pk, sk, k.keys[i].key);
	}
	d->issuer_key_count = k.count;
	d->issuer_key_id = k.keys[k.count - 1].id;
	memcpy(d->issuer_seed, k.keys[k.count - 1].key, sizeof(d->issuer_seed));
	memcpy(d->issuer_pk, d->issuer_keys[k.count - 1].pk, sizeof(d->issuer_pk));
	sodium_memzero(sk, sizeof(sk));
	keyfile_keys_release(&k);
	d->issuer_key_stamp = now;
	return issuer_identity(d, err);
}

/* Whether a refresh must look at the files look covers: never looked, a folder whose looks are
 * not spaced (depository.h), or DEPOSITORY_KEYS_LOOK_MS passed since that look (or the clock
 * went back). now: the coarse clock, read once by the caller before any file is looked at. */
static bool look_due(const struct depository *d, const struct depository_keys_look *look,
                     int64_t now)
{
	return !d->keys_look_spaced || !look->done ||
	       now - look->at_ms >= DEPOSITORY_KEYS_LOOK_MS || now < look->at_ms;
}

static void looked(struct depository_keys_look *look, int64_t now)
{
	look->done = true;
	look->at_ms = now;
}

int depository_keys_refresh(struct depository *d, struct ok_error *err)
{
	int64_t now = ok_coarse_ms();
	uint64_t seen;
	int rc;

	/* Each file's look is due on its own; both are taken when either is. */
	if (!look_due(d, &d->data_keys_look, now) && !look_due(d, &d->issuer_keys_look, now))
		return 0;
	seen = d->key_watch ? depository_key_watch_poll(d->key_watch) : 0;
	/* The count is taken before the files are looked at: a change in between moves it on,
	 * and the next call looks again. */
	if (d->key_watch && seen == d->key_watch_seen)
		rc = 0;
	else if (!(rc = load_data_keys(d, false, err)))
		rc = load_issuer_keys(d, false, err);
	if (rc)
		return rc;
	d->key_watch_seen = seen;
	looked(&d->data_keys_look, now);
	looked(&d->issuer_keys_look, now);
	return 0;
}

int depository_issuer_keys_refresh(struct depository *d, struct ok_error *err)
{
	int64_t now = ok_coarse_ms();
	int rc;

	if (!look_due(d, &d->issuer_keys_look, now))
		return 0;
	/* With a watch a poll tells about both files at once: the whole refresh, as cheap. */
	if (d->key_watch)
		return depository_keys_refresh(d, err);
	if ((rc = load_issuer_keys(d, false, err)))
		return rc;
	looked(&d->issuer_keys_look, now);
	return 0;
}

void depository_keys_replaced(struct depository *d)
{
	/* Past any process's next look: DEPOSITORY_KEYS_LOOK_MS, and two ticks of a coarse clock
	 * at 100 Hz (each side may read it up to a tick late). */
	struct timespec wait = {0, (DEPOSITORY_KEYS_LOOK_MS + 50) * 1000000L};

	while (clock_nanosleep(CLOCK_MONOTONIC, 0, &wait, &wait) == EINTR)
		;
	d->data_keys_look.done = false;
	d->issuer_keys_look.done = false;
}

const struct seal_keys *depository_data_key(struct depository *d, uint32_t key_id,
                                            struct ok_error *err)
{
	const struct seal_keys *k = seal_keyring_find(&d->data_keys, key_id);

	/* keys is the current key (a copy of the ring's), the one everything else uses. */
	if (key_id == d->keys.key_id)
		return &d->keys;
	if (k)
		return k;
	/* Sealed under a key this depository has not read yet: another process rotated. */
	if (load_data_keys(d, false, err) != 0)
		return NULL;
	k = seal_keyring_find(&d->data_keys, key_id);
	if (!k)
		ok_fail(err, OK_ECRYPTO,
		        "the record is sealed under data key %lu, which %s/data.key does not hold "
		        "(an old or wrong key file?)",
		        (unsigned long)key_id, d->dir);
	return k;
}

int depository_issuer_vm(const struct depository *d, uint32_t key_id, char vm[256],
                         struct ok_error *err)
{
	size_t i;

	for (i = 0; i < d->issuer_key_count; i++)
		if (d->issuer_keys[i].id == key_id)
			break;
	if (i == d->issuer_key_count)
		return ok_fail(err, OK_ENOTFOUND, "issuer.key holds no key %lu",
		               (unsigned long)key_id);
	if (!d->host[0]) {
		/* A did:key is its one key. */
		if (key_id != d->issuer_key_id)
			return ok_fail(err, OK_ENOTFOUND,
			               "issuer key %lu is not this did:key depository's key",
			               (unsigned long)key_id);
		memcpy(vm, d->issuer_vm, 256);
		return 0;
	}
	if (snprintf(vm, 256, "%s#key-%lu", d->issuer_did, (unsigned long)key_id) >= 256)
		return ok_fail(err, OK_EINPUT, "host too long for a verification method id");
	return 0;
}

bool depository_issuer_key_of_vm(const struct depository *d, const char *vm, unsigned char pk[32],
                                 uint32_t *key_id)
{
	char id[256];
	size_t i;

	for (i = 0; i < d->issuer_key_count; i++) {
		if (depository_issuer_vm(d, d->issuer_keys[i].id, id, NULL) != 0 ||
		    strcmp(id, vm) != 0)
			continue;
		memcpy(pk, d->issuer_keys[i].pk, 32);
		if (key_id)
			*key_id = d->issuer_keys[i].id;
		return true;
	}
	return false;
}

int depository_open(struct depository *d, const char *dir, struct ok_error *err)
{
	struct buf store_url;
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return ok_fail(err, OK_ENOTFOUND,
		               "no data folder at %s; create one with `oorkonde init`", dir);
	d->dir = strdup(dir);
	if (!d->dir)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	buf_init(&store_url, OK_PATH_MAX);
	if ((rc = read_config(d, &store_url, err)))
		goto fail;
	/* Every key of both files; the current ones also in keys and issuer_* (see the header).
	 * Looked at again at most every DEPOSITORY_KEYS_LOOK_MS where every change passes
	 * through this kernel; elsewhere (a network file system) at every refresh. */
	d->keys_look_spaced = depository_folder_local(dir, NULL) == 0;
	{
		int64_t now = ok_coarse_ms();
		looked(&d->data_keys_look, now);
		looked(&d->issuer_keys_look, now);
	}
	if ((rc = load_data_keys(d, true, err)) || (rc = load_issuer_keys(d, true, err)))
		goto fail;
	if ((rc = store_open(&d->store, store_url.data, false, err)) ||
	    (rc = check_data_keys(d, &d->data_keys, err)))
		goto fail;
	d->jsonld_terms = vc_jsonld_terms_new();
	buf_release(&store_url);
	return 0;
fail:
	buf_release(&store_url);
	depository_close(d);
	return rc;
}

int depository_check_private(const char *dir, struct ok_error *err)
{
	/* The files that hold keys or (sealed) personal data; absent ones are skipped. */
	static const char *const files[] = {
	        "data.key",    "issuer.key",      "issuer.key.retired", "config.json",
	        "oorkonde.db", "oorkonde.db-wal", "oorkonde.db-shm",    "audit-checkpoints"};
	struct buf path;
	struct stat st;
	size_t i;
	int rc = 0;

	if (stat(dir, &st) != 0)
		return 0; /* depository_open says what is missing */
	if (st.st_mode & 077)
		return ok_fail(
		        err, OK_EAUTH,
		        "the data folder %s can be read or entered by others (mode %03o); run "
		        "`chmod 700 %s`",
		        dir, (unsigned)(st.st_mode & 0777), dir);
	buf_init(&path, OK_PATH_MAX);
	for (i = 0; !rc && i < sizeof(files) / sizeof(files[0]); i++) {
		if ((rc = join(&path, dir, files[i], err)))
			break;
		if (stat(path.data, &st) != 0)
			continue;
		if (st.st_mode & 077)
			rc = ok_fail(err, OK_EAUTH,
			             "%s can be read or written by others (mode %03o); run `chmod "
			             "600 %s`",
			             path.data, (unsigned)(st.st_mode & 0777), path.data);
	}
	buf_release(&path);
	return rc;
}

void depository_close(struct depository *d)
{
	if (d->store && d->before_close)
		d->before_close(d);
	store_close(d->store);
	free(d->dir);
	keys_wallet_trust_release(&d->wallet_trust);
	seal_keys_release(&d->keys);
	seal_keyring_release(&d->data_keys);
	vc_jsonld_terms_free(d->jsonld_terms);
	sodium_memzero(d, sizeof(*d));
}

void depository_id_from(const unsigned char random[6], char out[25])
{
	unsigned char raw[12];
	uint64_t ms = (uint64_t)ok_now_ms();
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

bool depository_id_valid(const char *id)
{
	size_t i, n = id ? strlen(id) : 0;

	if (n == 0 || n > STORE_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') ||
		      id[i] == '-' || id[i] == '_'))
			return false;
	return true;
}
