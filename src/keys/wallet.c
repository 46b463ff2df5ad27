/* wallet.key and wallet-chain.pem: the SD-JWT VC signing key and its certificate chain. */
#include "keys/wallet.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/format.h"
#include "jose/x509.h"
#include "keys/keyfile.h"

static int path_of(const char *dir, const char *name, struct buf *path, struct ok_error *err)
{
	int rc = ok_path_join(path, dir, name);

	return rc ? ok_fail(err, rc, "the data folder's path is too long") : 0;
}

/* Writes the key (as keyfile id 1) and the chain, the chain first: a key never sits beside a
 * chain that is not its own once both writes are done. */
static int write_both(const char *dir, const struct jose_signer *s, const char *chain,
                      size_t chain_len, int exclusive, struct ok_error *err)
{
	struct keyfile_keys k;
	struct buf path;
	int rc;

	memset(&k, 0, sizeof(k));
	k.count = 1;
	k.keys[0].id = 1;
	buf_init(&path, OK_PATH_MAX);
	rc = jose_signer_es256_d(s, k.keys[0].key, err);
	if (!rc)
		rc = path_of(dir, KEYS_WALLET_CHAIN, &path, err);
	if (!rc)
		rc = file_write_atomic(path.data, chain, chain_len, 0600, 0, err);
	if (!rc)
		rc = path_of(dir, KEYS_WALLET_KEY, &path, err);
	if (!rc && exclusive) {
		struct stat st;

		if (lstat(path.data, &st) == 0)
			rc = ok_fail(err, OK_EEXIST, "the data folder has a wallet key already");
	}
	if (!rc)
		rc = keyfile_write_all(path.data, &k, err);
	keyfile_keys_release(&k);
	buf_release(&path);
	return rc;
}

int keys_wallet_create(const char *dir, const char *host, const char *name, int64_t now,
                       struct ok_error *err)
{
	struct jose_signer s;
	struct buf chain, path;
	char hostname[256];
	struct stat st;
	int rc;

	/* The host without a port; a bracketed IPv6 literal or none: localhost. */
	snprintf(hostname, sizeof(hostname), "%s",
	         host && *host && *host != '[' ? host : "localhost");
	hostname[strcspn(hostname, ":")] = '\0';
	buf_init(&path, OK_PATH_MAX);
	rc = path_of(dir, KEYS_WALLET_KEY, &path, err);
	if (!rc && lstat(path.data, &st) == 0)
		rc = ok_fail(err, OK_EEXIST, "the data folder has a wallet key already");
	buf_release(&path);
	if (rc)
		return rc;
	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	rc = jose_signer_es256_generate(&s, err);
	if (!rc)
		rc = jose_x509_make_chain(&s, hostname, name, now, KEYS_WALLET_DAYS, &chain, err);
	if (!rc)
		rc = write_both(dir, &s, chain.data, chain.len, 1, err);
	jose_signer_release(&s);
	buf_release(&chain);
	return rc;
}

/* A PEM pass phrase callback that gives none: an encrypted key is refused, never prompted for. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

int keys_wallet_install(const char *dir, const char *chain_pem, size_t chain_len,
                        const char *key_pem, size_t key_len, int64_t now, struct ok_error *err)
{
	struct jose_signer s;
	EVP_PKEY *pkey;
	BIO *bio;
	int rc;

	memset(&s, 0, sizeof(s));
	if (chain_len > KEYS_WALLET_PEM_MAX || key_len > KEYS_WALLET_PEM_MAX)
		return ok_fail(err, OK_ETOOBIG, "the chain or key file is too long");
	bio = BIO_new_mem_buf(key_pem, (int)key_len);
	pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!pkey)
		return ok_fail_field(
		        err, OK_EINPUT, "key",
		        "the key file holds no PEM private key (an encrypted one must be "
		        "decrypted first)");
	rc = jose_signer_es256_from_pkey(&s, pkey, err); /* s owns pkey, also on failure */
	if (!rc)
		rc = jose_x509_chain_check(chain_pem, chain_len, &s, now, err);
	if (!rc)
		rc = write_both(dir, &s, chain_pem, chain_len, 0, err);
	jose_signer_release(&s);
	return rc;
}

int keys_wallet_load(const char *dir, struct jose_signer *s, struct buf *chain,
                     struct ok_error *err)
{
	return keys_wallet_load_memo(dir, NULL, s, chain, NULL, err);
}

int keys_wallet_load_memo(const char *dir, struct keys_wallet_memo *memo, struct jose_signer *s,
                          struct buf *chain, struct buf *root, struct ok_error *err)
{
	crypto_hash_sha256_state hs;
	uint8_t digest[32];
	struct keyfile_keys k;
	struct buf path, pem;
	struct stat st;
	uint32_t id;
	FILE *f = NULL;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&k, 0, sizeof(k));
	buf_init(&path, OK_PATH_MAX);
	buf_init(&pem, KEYS_WALLET_PEM_MAX);
	rc = path_of(dir, KEYS_WALLET_KEY, &path, err);
	if (!rc && lstat(path.data, &st) != 0) {
		rc = ok_fail(err, OK_ENOTFOUND,
		             "the data folder has no wallet key (oorkonde keys add-wallet-key)");
		goto out;
	}
	if (!rc)
		rc = keyfile_read(path.data, &id, k.keys[0].key, err);
	if (!rc)
		rc = jose_signer_es256_from_d(s, k.keys[0].key, err);
	if (!rc)
		rc = path_of(dir, KEYS_WALLET_CHAIN, &path, err);
	if (rc)
		goto out;
	f = fopen(path.data, "rb");
	if (!f) {
		rc = ok_fail(err, OK_EIO, "cannot read %s: %s", KEYS_WALLET_CHAIN, strerror(errno));
		goto out;
	}
	for (;;) {
		char chunk[4096];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n && buf_add(&pem, chunk, n)) {
			rc = ok_fail(err, OK_ETOOBIG, "%s is too long", KEYS_WALLET_CHAIN);
			goto out;
		}
		if (n < sizeof(chunk))
			break;
	}
	/* The same key and chain as the memo's last check: nothing to check again. */
	crypto_hash_sha256_init(&hs);
	crypto_hash_sha256_update(&hs, k.keys[0].key, sizeof(k.keys[0].key));
	crypto_hash_sha256_update(&hs, (const unsigned char *)pem.data, pem.len);
	crypto_hash_sha256_final(&hs, digest);
	if (memo && memo->valid && sodium_memcmp(memo->checked, digest, sizeof(digest)) == 0) {
		rc = 0;
		goto done;
	}
	if (memo)
		memo->valid = false;
	/* The dates are the verifier's business: an expired chain still loads, to say so. */
	rc = jose_x509_chain_check(pem.data, pem.len, s, 0, NULL);
	if (rc == OK_EINVALID) {
		struct ok_error why;

		ok_error_clear(&why);
		rc = jose_x509_chain_check(pem.data, pem.len, s, (int64_t)time(NULL), &why);
		if (rc && strcmp(why.field, "key") == 0) {
			rc = ok_fail(err, OK_EINVALID, "%s does not match %s", KEYS_WALLET_CHAIN,
			             KEYS_WALLET_KEY);
			goto out;
		}
		rc = 0;
	} else if (rc) {
		rc = ok_fail(err, rc, "%s holds no certificate chain", KEYS_WALLET_CHAIN);
		goto out;
	}
	if (memo) {
		struct buf r;

		buf_init(&r, sizeof(memo->root) - 1);
		memo->root_len = 0;
		if (jose_x509_chain_root(pem.data, pem.len, &r, NULL) == 0 && r.len) {
			memcpy(memo->root, r.data, r.len);
			memo->root_len = r.len;
		}
		buf_release(&r);
		memcpy(memo->checked, digest, sizeof(digest));
		memo->valid = true;
	}
done:
	if (chain && buf_add(chain, pem.data, pem.len))
		rc = ok_fail(err, OK_ETOOBIG, "the chain is too long");
	if (!rc && root) {
		if (memo && memo->root_len)
			rc = buf_add(root, memo->root, memo->root_len) ? OK_ETOOBIG : 0;
		else /* no memo, or a root too large for it */
			(void)jose_x509_chain_root(pem.data, pem.len, root, NULL);
		if (rc)
			rc = ok_fail(err, OK_ETOOBIG, "the chain's root is too long");
	}
out:
	if (f)
		fclose(f);
	if (rc)
		jose_signer_release(s);
	keyfile_keys_release(&k);
	sodium_memzero(digest, sizeof(digest));
	buf_release(&path);
	buf_release(&pem);
	return rc;
}

/* Appends the file at path to out (a missing file adds nothing). */
static int add_file(const char *path, const char *name, struct buf *out, struct ok_error *err)
{
	FILE *f = fopen(path, "rb");
	int rc = 0;

	if (!f)
		return errno == ENOENT
		               ? 0
		               : ok_fail(err, OK_EIO, "cannot read %s: %s", name, strerror(errno));
	for (;;) {
		char chunk[4096];
		size_t n = fread(chunk, 1, sizeof(chunk), f);

		if (n && buf_add(out, chunk, n)) {
			rc = ok_fail(err, OK_ETOOBIG, "%s is too long", name);
			break;
		}
		if (n < sizeof(chunk))
			break;
	}
	fclose(f);
	return rc;
}

/* Reads the own key's point and the roots again. */
static int trust_load(const char *dir, struct keys_wallet_trust *t, struct ok_error *err)
{
	struct jose_signer own;
	struct buf roots, path;
	size_t len = 0;
	int rc;

	free(t->roots);
	t->roots = NULL;
	t->roots_len = 0;
	t->has_own = false;
	buf_init(&roots, KEYS_WALLET_ROOTS_MAX);
	buf_init(&path, OK_PATH_MAX);
	if (keys_wallet_load_memo(dir, NULL, &own, NULL, &roots, NULL) == 0) {
		t->has_own = EVP_PKEY_get_octet_string_param(own.ec, OSSL_PKEY_PARAM_PUB_KEY,
		                                             t->own_point, sizeof(t->own_point),
		                                             &len) == 1 &&
		             len == sizeof(t->own_point);
		jose_signer_release(&own);
	}
	rc = path_of(dir, KEYS_WALLET_ROOTS, &path, err);
	if (!rc)
		rc = add_file(path.data, KEYS_WALLET_ROOTS, &roots, err);
	if (!rc && roots.len) {
		t->roots = malloc(roots.len + 1);
		if (!t->roots)
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
		else {
			memcpy(t->roots, roots.data, roots.len + 1);
			t->roots_len = roots.len;
		}
	}
	buf_release(&roots);
	buf_release(&path);
	return rc;
}

int keys_wallet_trust_refresh(const char *dir, struct keys_wallet_trust *t, struct ok_error *err)
{
	static const char *const names[3] = {KEYS_WALLET_KEY, KEYS_WALLET_CHAIN, KEYS_WALLET_ROOTS};
	struct keyfile_stamp now[3];
	bool present[3], same = t->loaded;
	struct buf path;
	size_t i;
	int rc = 0;

	buf_init(&path, OK_PATH_MAX);
	/* The stamps before the reads: a file changed in between is read again next time. */
	for (i = 0; i < 3 && !rc; i++) {
		rc = path_of(dir, names[i], &path, err);
		present[i] = !rc && keyfile_stamp_of(path.data, &now[i]);
		if (!present[i])
			memset(&now[i], 0, sizeof(now[i]));
		same = same && present[i] == t->present[i] &&
		       (!present[i] || keyfile_stamp_equal(&now[i], &t->stamps[i]));
	}
	buf_release(&path);
	if (rc || same)
		return rc;
	t->loaded = false;
	jose_x509_memo_release(&t->chains);
	if ((rc = trust_load(dir, t, err)))
		return rc;
	memcpy(t->present, present, sizeof(present));
	memcpy(t->stamps, now, sizeof(now));
	t->loaded = true;
	return 0;
}

/* Whether each wallet file is absent or a regular file with one name: then every change to it
 * is a change in dir, which a watch of dir sees (a symbolic link's target, or a file with
 * another name elsewhere, changes without an event there). */
static bool all_plain(const char *dir)
{
	static const char *const names[3] = {KEYS_WALLET_KEY, KEYS_WALLET_CHAIN, KEYS_WALLET_ROOTS};
	struct buf path;
	struct stat st;
	bool plain = true;
	size_t i;

	buf_init(&path, OK_PATH_MAX);
	for (i = 0; i < 3 && plain; i++) {
		if (ok_path_join(&path, dir, names[i]))
			plain = false;
		else if (lstat(path.data, &st) != 0)
			plain = errno == ENOENT;
		else
			plain = S_ISREG(st.st_mode) && st.st_nlink == 1;
	}
	buf_release(&path);
	return plain;
}

int keys_wallet_trust_refresh_watched(const char *dir, struct keys_wallet_trust *t,
                                      uint64_t changes, struct ok_error *err)
{
	bool plain;
	int rc;

	if (t->loaded && t->plain && changes == t->watch_seen)
		return 0;
	/* Before the files are read: a link put in place meanwhile raises an event, so the next
	 * call looks again. */
	plain = all_plain(dir);
	rc = keys_wallet_trust_refresh(dir, t, err);
	if (rc)
		return rc;
	t->plain = plain;
	t->watch_seen = changes;
	return 0;
}

void keys_wallet_trust_release(struct keys_wallet_trust *t)
{
	if (!t)
		return;
	jose_x509_memo_release(&t->chains);
	jose_jws_header_memo_release(&t->headers);
	free(t->roots);
	memset(t, 0, sizeof(*t));
}
