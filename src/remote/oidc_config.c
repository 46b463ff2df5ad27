/* OpenID providers as config.json describes them, with their secrets and client keys from the
 * data folder (see oidc.h). */
#include "remote/oidc.h"

#include "core/clock.h"
#include "core/format.h"
#include "io/config_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool id_valid(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > OIDC_ID_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

/* Text without control characters that fits cap: what a header, a form or a page may carry. */
static int copy_field(char *out, size_t cap, const json_t *v, const char *field, bool required,
                      struct ok_error *err)
{
	const char *s = json_string_value(v);
	size_t i;

	out[0] = '\0';
	if (!v && !required)
		return 0;
	if (!s || !*s || strlen(s) >= cap)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "config.json: oidc provider %s must be text of 1 to %zu bytes",
		                     field, cap - 1);
	for (i = 0; s[i]; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ok_fail_field(
			        err, OK_EINPUT, field,
			        "config.json: oidc provider %s holds a control character", field);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

/* A list of short words joined by sep into out. */
static int copy_list(char *out, size_t cap, const json_t *v, char sep, const char *field,
                     struct ok_error *err)
{
	size_t i, used = 0;

	out[0] = '\0';
	if (!v)
		return 0;
	if (!json_is_array(v) || json_array_size(v) > 16)
		return ok_fail_field(err, OK_EINPUT, field,
		                     "config.json: oidc provider %s must be a list of at most 16",
		                     field);
	for (i = 0; i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		size_t n = s ? strlen(s) : 0, k;
		bool ok = n > 0 && used + n + 2 <= cap;
		for (k = 0; ok && k < n; k++)
			ok = (unsigned char)s[k] > 0x20 && s[k] != 0x7f && s[k] != ',';
		if (!ok)
			return ok_fail_field(err, OK_EINPUT, field,
			                     "config.json: oidc provider %s must hold short words "
			                     "without spaces or commas",
			                     field);
		if (used)
			out[used++] = sep;
		memcpy(out + used, s, n + 1);
		used += n;
	}
	return 0;
}

static int read_algs(const json_t *v, unsigned *out, struct ok_error *err)
{
	size_t i;

	*out = JOSE_ALG_ES256 | JOSE_ALG_EDDSA | JOSE_ALG_RS256 | JOSE_ALG_PS256;
	if (!v)
		return 0;
	*out = 0;
	for (i = 0; json_is_array(v) && i < json_array_size(v); i++) {
		const char *s = json_string_value(json_array_get(v, i));
		unsigned a = !s                        ? 0
		             : strcmp(s, "ES256") == 0 ? JOSE_ALG_ES256
		             : strcmp(s, "EdDSA") == 0 ? JOSE_ALG_EDDSA
		             : strcmp(s, "RS256") == 0 ? JOSE_ALG_RS256
		             : strcmp(s, "PS256") == 0 ? JOSE_ALG_PS256
		                                       : 0;
		if (!a)
			return ok_fail_field(
			        err, OK_EINPUT, "algs",
			        "config.json: oidc provider algs may name ES256, EdDSA, "
			        "RS256 and PS256 only");
		*out |= a;
	}
	if (!*out)
		return ok_fail_field(err, OK_EINPUT, "algs",
		                     "config.json: oidc provider algs must be a non-empty list");
	return 0;
}

static int read_provider(const json_t *o, struct oidc_provider *p, struct ok_error *err)
{
	const char *auth = json_string_value(json_object_get(o, "client_auth"));
	const char *known[] = {"id",
	                       "name",
	                       "issuer",
	                       "client_id",
	                       "client_auth",
	                       "scopes",
	                       "national_id_claim",
	                       "acr_values",
	                       "id_scheme",
	                       "ca_file",
	                       "endpoint_hosts",
	                       "algs",
	                       "id_pattern",
	                       "id_countries"};
	const char *key;
	const json_t *v;
	char scopes[sizeof(p->scope)], pattern[OIDC_PATTERN_MAX], countries[64];
	int rc;

	if (!json_is_object(o))
		return ok_fail_field(err, OK_EINPUT, "providers",
		                     "config.json: each oidc provider must be an object");
	json_object_foreach((json_t *)o, key, v)
	{
		size_t i;
		for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(known[i], key); i++)
			;
		if (i == sizeof(known) / sizeof(known[0]))
			return ok_fail_field(err, OK_EINPUT, "providers",
			                     "config.json: an oidc provider has an unknown member");
	}
	if ((rc = copy_field(p->id, sizeof(p->id), json_object_get(o, "id"), "id", true, err)))
		return rc;
	if (!id_valid(p->id))
		return ok_fail_field(err, OK_EINPUT, "id",
		                     "config.json: an oidc provider id is 1 to %d of a-z, 0-9, '-'",
		                     OIDC_ID_MAX);
	if ((rc = copy_field(p->name, sizeof(p->name), json_object_get(o, "name"), "name", true,
	                     err)) ||
	    (rc = copy_field(p->issuer, sizeof(p->issuer), json_object_get(o, "issuer"), "issuer",
	                     true, err)) ||
	    (rc = copy_field(p->client_id, sizeof(p->client_id), json_object_get(o, "client_id"),
	                     "client_id", true, err)) ||
	    (rc = copy_field(p->claim, sizeof(p->claim), json_object_get(o, "national_id_claim"),
	                     "national_id_claim", true, err)) ||
	    (rc = copy_field(p->acr_values, sizeof(p->acr_values), json_object_get(o, "acr_values"),
	                     "acr_values", false, err)) ||
	    (rc = copy_field(p->id_scheme, sizeof(p->id_scheme), json_object_get(o, "id_scheme"),
	                     "id_scheme", true, err)) ||
	    (rc = copy_field(p->ca_file, sizeof(p->ca_file), json_object_get(o, "ca_file"),
	                     "ca_file", false, err)) ||
	    (rc = copy_list(p->endpoint_hosts, sizeof(p->endpoint_hosts),
	                    json_object_get(o, "endpoint_hosts"), ',', "endpoint_hosts", err)) ||
	    (rc = copy_list(scopes, sizeof(scopes), json_object_get(o, "scopes"), ' ', "scopes",
	                    err)) ||
	    (rc = read_algs(json_object_get(o, "algs"), &p->algs_allowed, err)) ||
	    (rc = copy_field(pattern, sizeof(pattern), json_object_get(o, "id_pattern"),
	                     "id_pattern", false, err)) ||
	    (rc = copy_list(countries, sizeof(countries), json_object_get(o, "id_countries"), ',',
	                    "id_countries", err)) ||
	    (rc = oidc_scheme_parse(p, p->id_scheme, pattern[0] ? pattern : NULL,
	                            json_object_get(o, "id_countries") ? countries : NULL, err)))
		return rc;
	/* https only: the discovery document is the root of trust of every key it names. */
	if (strncmp(p->issuer, "https://", 8) || strchr(p->issuer, '?') || strchr(p->issuer, '#') ||
	    strchr(p->issuer, ' '))
		return ok_fail_field(
		        err, OK_EINPUT, "issuer",
		        "config.json: an oidc issuer must be an https URL without query "
		        "or fragment");
	if (!auth || (strcmp(auth, "client_secret_basic") && strcmp(auth, "private_key_jwt")))
		return ok_fail_field(err, OK_EINPUT, "client_auth",
		                     "config.json: oidc client_auth must be client_secret_basic or "
		                     "private_key_jwt");
	p->auth = strcmp(auth, "private_key_jwt") == 0 ? OIDC_AUTH_PRIVATE_KEY_JWT
	                                               : OIDC_AUTH_SECRET_BASIC;
	/* openid first, always: without it there is no ID token. */
	if (ok_format(p->scope, sizeof(p->scope), "openid%s%s", scopes[0] ? " " : "", scopes))
		return ok_fail_field(err, OK_EINPUT, "scopes", "config.json: oidc scopes too long");
	return 0;
}

int oidc_config_parse(const json_t *oidc, struct oidc_rp *rp, struct ok_error *err)
{
	const json_t *list = json_object_get(oidc, "providers");
	const json_t *timeout = json_object_get(oidc, "timeout_ms");
	size_t i, j;
	int rc;

	memset(rp, 0, sizeof(*rp));
	rp->connect_ms = OIDC_CONNECT_MS;
	rp->timeout_ms = OIDC_TIMEOUT_MS;
	remote_fetch_guard_init(&rp->guard);
	rp->guard_ready = true;
	rp->guard.max_per_key = OIDC_IN_FLIGHT;
	rp->guard.max_total = OIDC_IN_FLIGHT * OIDC_PROVIDERS_MAX;
	rp->guard.fail_ttl_s = OIDC_RETRY_AFTER_S;
	if (!oidc)
		return 0;
	{
		const char *known[] = {"providers", "timeout_ms", "max_in_flight", "retry_after_s"};
		const char *key;
		const json_t *v;
		json_int_t n;
		json_object_foreach((json_t *)oidc, key, v)
		{
			size_t k;
			for (k = 0; k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], key);
			     k++)
				;
			if (k == sizeof(known) / sizeof(known[0]))
				return ok_fail_field(err, OK_EINPUT, "oidc",
				                     "config.json: oidc has an unknown member");
		}
		if ((v = json_object_get(oidc, "max_in_flight"))) {
			n = json_is_integer(v) ? json_integer_value(v) : 0;
			if (n < 1 || n > 64)
				return ok_fail_field(
				        err, OK_EINPUT, "max_in_flight",
				        "config.json: oidc max_in_flight must be 1 to 64");
			rp->guard.max_per_key = (unsigned)n;
		}
		if ((v = json_object_get(oidc, "retry_after_s"))) {
			n = json_is_integer(v) ? json_integer_value(v) : -1;
			if (n < 0 || n > 3600)
				return ok_fail_field(
				        err, OK_EINPUT, "retry_after_s",
				        "config.json: oidc retry_after_s must be 0 to 3600");
			rp->guard.fail_ttl_s = (long)n;
		}
	}
	if (!json_is_object(oidc) || !json_is_array(list) ||
	    json_array_size(list) > OIDC_PROVIDERS_MAX)
		return ok_fail_field(
		        err, OK_EINPUT, "oidc",
		        "config.json: oidc must be {\"providers\": [...]} with at most "
		        "%d providers",
		        OIDC_PROVIDERS_MAX);
	if (timeout) {
		json_int_t t = json_is_integer(timeout) ? json_integer_value(timeout) : 0;
		if (t < 100 || t > 30000)
			return ok_fail_field(err, OK_EINPUT, "timeout_ms",
			                     "config.json: oidc timeout_ms must be 100 to 30000");
		rp->timeout_ms = (long)t;
		if (rp->connect_ms > rp->timeout_ms)
			rp->connect_ms = rp->timeout_ms;
	}
	if (json_array_size(list) == 0)
		return 0;
	rp->providers = calloc(json_array_size(list), sizeof(*rp->providers));
	if (!rp->providers)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	for (i = 0; i < json_array_size(list); i++) {
		struct oidc_provider *p = &rp->providers[i];
		pthread_mutex_init(&p->lock, NULL);
		p->now_ms = ok_now_ms;
		rp->n = i + 1;
		if ((rc = read_provider(json_array_get(list, i), p, err)))
			return rc;
		for (j = 0; j < i; j++)
			if (strcmp(rp->providers[j].id, p->id) == 0)
				return ok_fail_field(
				        err, OK_EINPUT, "id",
				        "config.json: two oidc providers have the id %s", p->id);
	}
	return 0;
}

/* Reads a small file of dir whole into out (cap bytes with its NUL), trailing white space
 * cut. OK_ENOTFOUND when it does not exist. */
static int read_small(const char *dir, const char *name, char *out, size_t cap,
                      struct ok_error *err)
{
	struct buf path;
	FILE *f;
	size_t n;
	int rc = 0;

	buf_init(&path, 4096);
	if (ok_path_join(&path, dir, name)) {
		buf_release(&path);
		return ok_fail(err, OK_EINPUT, "the data folder's path is too long");
	}
	f = fopen(path.data, "re");
	if (!f) {
		rc = errno == ENOENT ? ok_fail(err, OK_ENOTFOUND, "%s does not exist", path.data)
		                     : ok_fail(err, OK_EIO, "cannot read %s", path.data);
		buf_release(&path);
		return rc;
	}
	/* A secret others can read is no secret: refused, as ssh refuses such a key. */
	{
		struct stat st;
		if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077)) {
			fclose(f);
			rc = ok_fail(err, OK_EINPUT, "%s: others can read it; make it mode 0600",
			             path.data);
			buf_release(&path);
			return rc;
		}
	}
	n = fread(out, 1, cap, f);
	if (n == cap || ferror(f))
		rc = ok_fail(err, OK_EINPUT, "%s: too long or unreadable", path.data);
	fclose(f);
	if (!rc) {
		out[n] = '\0';
		while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
			out[--n] = '\0';
		if (!n || strpbrk(out, "\r\n"))
			rc = ok_fail(err, OK_EINPUT, "%s: must hold one line", path.data);
	}
	buf_release(&path);
	return rc;
}

static int key_from_hex(struct oidc_provider *p, const char *hex, struct ok_error *err)
{
	uint8_t d[JOSE_P256_BYTES];
	size_t n = 0;
	struct jose_jwk pub;
	int rc;

	if (sodium_hex2bin(d, sizeof(d), hex, strlen(hex), NULL, &n, NULL) || n != sizeof(d))
		return ok_fail(err, OK_EINPUT, "oidc-%s.key: not a P-256 key in hex", p->id);
	rc = jose_signer_es256_from_d(&p->key, d, err);
	sodium_memzero(d, sizeof(d));
	memset(&pub, 0, sizeof(pub));
	if (!rc && !(rc = jose_signer_public(&p->key, &pub, err)))
		rc = jose_jwk_thumbprint(&pub, p->key_kid, err);
	jose_jwk_release(&pub);
	return rc;
}

int oidc_rp_load(struct oidc_rp *rp, const char *dir, struct ok_error *err)
{
	json_t *config;
	char name[OIDC_ID_MAX + 16], hex[2 * JOSE_P256_BYTES + 2];
	size_t i;
	int rc;

	memset(rp, 0, sizeof(*rp));
	if ((rc = io_config_load(dir, &config, err)))
		return rc;
	rc = oidc_config_parse(json_object_get(config, "oidc"), rp, err);
	json_decref(config);
	for (i = 0; !rc && i < rp->n; i++) {
		struct oidc_provider *p = &rp->providers[i];
		if (p->auth == OIDC_AUTH_SECRET_BASIC) {
			/* Kept beside the keys, never in config.json, which operators paste around.
			 */
			if (ok_format(name, sizeof(name), "oidc-%s.secret", p->id))
				rc = ok_fail(err, OK_EINTERNAL, "provider id too long");
			else
				rc = read_small(dir, name, p->secret, sizeof(p->secret), err);
		} else if (ok_format(name, sizeof(name), "oidc-%s.key", p->id)) {
			rc = ok_fail(err, OK_EINTERNAL, "provider id too long");
		} else if (!(rc = read_small(dir, name, hex, sizeof(hex), err))) {
			rc = key_from_hex(p, hex, err);
		}
		if (rc == OK_ENOTFOUND)
			rc = ok_fail_field(err, OK_EINPUT, "client_auth",
			                   "oidc provider %s: %s is missing (%s)", p->id, name,
			                   p->auth == OIDC_AUTH_SECRET_BASIC
			                           ? "write the client secret into it, mode 0600"
			                           : "make it with `oorkonde oidc client-key`");
	}
	sodium_memzero(hex, sizeof(hex));
	return rc;
}

void oidc_rp_release(struct oidc_rp *rp)
{
	size_t i;

	for (i = 0; i < rp->n; i++) {
		struct oidc_provider *p = &rp->providers[i];
		jose_signer_release(&p->key);
		json_decref(p->jwks);
		if (p->has_pattern)
			regfree(&p->pattern);
		sodium_memzero(p->secret, sizeof(p->secret));
		pthread_mutex_destroy(&p->lock);
	}
	free(rp->providers);
	if (rp->guard_ready)
		remote_fetch_guard_release(&rp->guard);
	memset(rp, 0, sizeof(*rp));
}

struct oidc_provider *oidc_rp_find(struct oidc_rp *rp, const char *id)
{
	size_t i;

	for (i = 0; id && i < rp->n; i++)
		if (strcmp(rp->providers[i].id, id) == 0)
			return &rp->providers[i];
	return NULL;
}

/* Writes a new key file (never over an existing one). */
static int write_key(const char *path, const char *hex, struct ok_error *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t n = strlen(hex);
	int rc = 0;

	if (fd < 0)
		return errno == EEXIST ? OK_EEXIST : ok_fail(err, OK_EIO, "cannot write %s", path);
	if (write(fd, hex, n) != (ssize_t)n || write(fd, "\n", 1) != 1 || fsync(fd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot write %s", path);
	if (close(fd) != 0 && !rc)
		rc = ok_fail(err, OK_EIO, "cannot write %s", path);
	if (rc)
		unlink(path);
	return rc;
}

int oidc_client_key_jwk(const char *dir, const char *id, json_t **jwk, struct ok_error *err)
{
	struct oidc_provider p;
	struct jose_jwk pub;
	struct buf path;
	char name[OIDC_ID_MAX + 16], hex[2 * JOSE_P256_BYTES + 2];
	uint8_t d[JOSE_P256_BYTES];
	int rc;

	*jwk = NULL;
	memset(&p, 0, sizeof(p));
	memset(&pub, 0, sizeof(pub));
	if (!id_valid(id) || ok_format(p.id, sizeof(p.id), "%s", id))
		return ok_fail_field(err, OK_EINPUT, "provider",
		                     "a provider id is 1 to %d of a-z, 0-9, '-'", OIDC_ID_MAX);
	if (ok_format(name, sizeof(name), "oidc-%s.key", id))
		return ok_fail(err, OK_EINTERNAL, "provider id too long");
	rc = read_small(dir, name, hex, sizeof(hex), err);
	if (rc == OK_ENOTFOUND) {
		buf_init(&path, 4096);
		rc = ok_path_join(&path, dir, name) ? ok_fail(err, OK_EINPUT, "path too long") : 0;
		if (!rc)
			rc = jose_signer_es256_generate(&p.key, err);
		if (!rc)
			rc = jose_signer_es256_d(&p.key, d, err);
		if (!rc)
			sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		sodium_memzero(d, sizeof(d));
		jose_signer_release(&p.key);
		if (!rc && (rc = write_key(path.data, hex, err)) == OK_EEXIST)
			rc = read_small(dir, name, hex, sizeof(hex), err); /* made meanwhile */
		buf_release(&path);
	}
	if (!rc)
		rc = key_from_hex(&p, hex, err);
	sodium_memzero(hex, sizeof(hex));
	if (!rc && !(rc = jose_signer_public(&p.key, &pub, err)) &&
	    !(rc = jose_jwk_to_json(&pub, jwk, err))) {
		json_object_set_new(*jwk, "kid", json_string(p.key_kid));
		json_object_set_new(*jwk, "use", json_string("sig"));
		json_object_set_new(*jwk, "alg", json_string("ES256"));
	}
	jose_jwk_release(&pub);
	jose_signer_release(&p.key);
	return rc;
}
