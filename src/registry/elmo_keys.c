/* The depository's ELMO signing key and certificate in its data folder (see elmo.h): made at
 * init, installed from a CA, opened to sign. */
#include "registry/elmo.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "core/format.h"

#define SEAL_FIELD  "elmo_key"
#define SEAL_RECORD "elmo"

static int path_of(const struct depository *d, const char *name, struct buf *path,
                   struct ok_error *err)
{
	buf_init(path, OK_PATH_MAX);
	if (ok_path_join(path, d->dir, name))
		return ok_fail(err, OK_ETOOBIG, "the data folder's path is too long");
	return 0;
}

/* Reads a whole small file into out; OK_ENOTFOUND when it does not exist. */
static int read_small(const char *path, const char *what, struct buf *out, struct ok_error *err)
{
	char chunk[4096];
	FILE *f = fopen(path, "rb");
	size_t n;
	int rc = 0;

	if (!f)
		return errno == ENOENT ? ok_fail(err, OK_ENOTFOUND,
		                                 "the data folder has no %s (oorkonde keys "
		                                 "add-elmo-key makes one)",
		                                 what)
		                       : ok_fail(err, OK_EIO, "cannot read the %s", what);
	while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (buf_add(out, chunk, n))
			rc = ok_fail(err, OK_ETOOBIG, "the %s is larger than %zu KiB", what,
			             ELMO_PEM_MAX >> 10);
	if (!rc && ferror(f))
		rc = ok_fail(err, OK_EIO, "cannot read the %s", what);
	sodium_memzero(chunk, sizeof(chunk));
	fclose(f);
	return rc;
}

/* Writes the key (sealed under the current data key) and the certificate, key first: a
 * certificate never stands beside a key that is not its own for longer than the two renames. */
static int store_pair(struct depository *d, const char *key_pem, size_t key_len,
                      const char *cert_pem, size_t cert_len, bool exclusive, struct ok_error *err)
{
	const struct seal_keys *k = seal_keyring_current(&d->data_keys);
	struct buf sealed, kpath, cpath;
	int rc;

	buf_init(&sealed, ELMO_PEM_MAX + SEAL_OVERHEAD);
	if ((rc = path_of(d, ELMO_KEY_FILE, &kpath, err)) ||
	    (rc = path_of(d, ELMO_CERT_FILE, &cpath, err)))
		goto out;
	if (!k) {
		rc = ok_fail(err, OK_ECRYPTO, "no data key to seal the ELMO key with");
		goto out;
	}
	if ((rc = seal_field(k, SEAL_FIELD, SEAL_RECORD, key_pem, key_len, &sealed, err)))
		goto out;
	if ((rc = file_write_atomic(kpath.data, sealed.data, sealed.len, 0600, exclusive, err)))
		goto out;
	rc = file_write_atomic(cpath.data, cert_pem, cert_len, 0600, 0, err);
out:
	buf_release(&sealed);
	buf_release(&kpath);
	buf_release(&cpath);
	return rc;
}

int registry_elmo_key_create(struct depository *d, struct ok_error *err)
{
	struct buf key, cert;
	int rc;

	buf_init(&key, ELMO_PEM_MAX);
	buf_init(&cert, ELMO_PEM_MAX);
	if (!(rc = elmo_keygen(d->name[0] ? d->name : "oorkonde depository", 3650, &key, &cert,
	                       err)))
		rc = store_pair(d, key.data, key.len, cert.data, cert.len, 1, err);
	if (rc == OK_EEXIST)
		ok_fail(err, rc, "the data folder has an ELMO key already");
	sodium_memzero(key.data, key.len);
	buf_release(&key);
	buf_release(&cert);
	return rc;
}

int registry_elmo_key_install(struct depository *d, const char *cert_pem, size_t cert_len,
                              const char *key_pem, size_t key_len, struct ok_error *err)
{
	int rc;

	if (cert_len > ELMO_PEM_MAX || key_len > ELMO_PEM_MAX)
		return ok_fail(err, OK_ETOOBIG, "a key or certificate larger than %zu KiB",
		               ELMO_PEM_MAX >> 10);
	if ((rc = elmo_key_check(key_pem, key_len, cert_pem, cert_len, err)))
		return rc;
	return store_pair(d, key_pem, key_len, cert_pem, cert_len, 0, err);
}

int registry_elmo_key_load(struct depository *d, struct buf *key_pem, struct buf *cert_pem,
                           struct ok_error *err)
{
	const struct seal_keys *k;
	struct buf sealed, kpath, cpath;
	int rc;

	buf_init(&sealed, ELMO_PEM_MAX + SEAL_OVERHEAD);
	if ((rc = path_of(d, ELMO_KEY_FILE, &kpath, err)) ||
	    (rc = path_of(d, ELMO_CERT_FILE, &cpath, err)))
		goto out;
	if ((rc = read_small(kpath.data, "ELMO signing key", &sealed, err)) ||
	    (rc = read_small(cpath.data, "ELMO certificate", cert_pem, err)))
		goto out;
	k = depository_data_key(d, seal_key_id_of((const unsigned char *)sealed.data, sealed.len),
	                        err);
	if (!k) {
		rc = err->code ? err->code : OK_ECRYPTO;
		goto out;
	}
	rc = seal_open(k, SEAL_FIELD, SEAL_RECORD, (const unsigned char *)sealed.data, sealed.len,
	               key_pem, err);
out:
	buf_release(&sealed);
	buf_release(&kpath);
	buf_release(&cpath);
	return rc;
}

int registry_elmo_key_reseal(struct depository *d, uint32_t key_id, struct ok_error *err)
{
	const struct seal_keys *to = seal_keyring_find(&d->data_keys, key_id);
	struct buf key, cert, sealed, kpath;
	int rc;

	buf_init(&key, ELMO_PEM_MAX);
	buf_init(&cert, ELMO_PEM_MAX);
	buf_init(&sealed, ELMO_PEM_MAX + SEAL_OVERHEAD);
	if ((rc = path_of(d, ELMO_KEY_FILE, &kpath, err)))
		goto out;
	if ((rc = read_small(kpath.data, "ELMO signing key", &sealed, err))) {
		if (rc == OK_ENOTFOUND) {
			ok_error_clear(err);
			rc = 0;
		}
		goto out;
	}
	if (seal_key_id_of((const unsigned char *)sealed.data, sealed.len) == key_id)
		goto out;
	if (!to) {
		rc = ok_fail(err, OK_ECRYPTO, "data key %lu is not loaded", (unsigned long)key_id);
		goto out;
	}
	buf_reset(&sealed);
	if ((rc = registry_elmo_key_load(d, &key, &cert, err)) ||
	    (rc = seal_field(to, SEAL_FIELD, SEAL_RECORD, key.data, key.len, &sealed, err)))
		goto out;
	rc = file_write_atomic(kpath.data, sealed.data, sealed.len, 0600, 0, err);
out:
	sodium_memzero(key.data, key.len);
	buf_release(&key);
	buf_release(&cert);
	buf_release(&sealed);
	buf_release(&kpath);
	return rc;
}

int registry_elmo_key_info(struct depository *d, struct elmo_key_info *out, struct ok_error *err)
{
	struct buf key, cert;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&key, ELMO_PEM_MAX);
	buf_init(&cert, ELMO_PEM_MAX);
	/* Opening the key too shows that it still opens under data.key. */
	if (!(rc = registry_elmo_key_load(d, &key, &cert, err)))
		rc = elmo_cert_describe(cert.data, cert.len, out->subject, out->fingerprint,
		                        &out->not_after_ms, err);
	sodium_memzero(key.data, key.len);
	buf_release(&key);
	buf_release(&cert);
	return rc;
}
