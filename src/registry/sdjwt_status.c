/* Token Status Lists (see sdjwt_status.h). */
#include "registry/sdjwt_status.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "audit/actor.h"
#include "audit/txn.h"
#include "core/format.h"
#include "jose/b64.h"
#include "jose/jws.h"
#include "jose/x509.h"
#include "keys/keyfile.h"
#include "keys/wallet.h"
#include "registry/status.h"

#define CACHE_PURPOSE "token" /* beside "revocation" and "suspension" in the list cache */

int registry_token_status_url(const struct depository *d, int64_t n, char *out, size_t cap)
{
	return ok_format(out, cap, "%s/statuslists/%lld", d->base_url, (long long)n);
}

struct two_bits {
	unsigned char *bytes;
	int value;
};

/* Sets entry index to value: entry i is bits 2(i%4)..2(i%4)+1 of byte i/4, the least
 * significant first. A revoked entry stays revoked whatever its suspension bit. */
static int set_entry(void *ctx, int64_t index)
{
	struct two_bits *t = ctx;
	unsigned shift = (unsigned)(index % 4) * 2;
	unsigned cur = (t->bytes[index / 4] >> shift) & 3u;

	if (cur != SDJWT_STATUS_INVALID) {
		t->bytes[index / 4] = (unsigned char)(t->bytes[index / 4] & ~(3u << shift));
		t->bytes[index / 4] =
		        (unsigned char)(t->bytes[index / 4] | ((unsigned)t->value << shift));
	}
	return 0;
}

static int sign_token_list(struct depository *d, int64_t n, int64_t size, struct buf *body,
                           struct ok_error *err)
{
	size_t nbytes = (size_t)size / 4;
	unsigned char *bytes = calloc(nbytes, 1), *z = NULL;
	uLongf zlen = compressBound((uLong)nbytes);
	struct two_bits t = {.bytes = bytes};
	struct jose_signer signer;
	struct buf chain, lst;
	char url[DEPOSITORY_HOST_MAX + 64];
	json_t *x5c = NULL, *header = NULL, *payload = NULL;
	int rc;

	memset(&signer, 0, sizeof(signer));
	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	buf_init(&lst, 0);
	if (!bytes || !(z = malloc(zlen))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	t.value = SDJWT_STATUS_SUSPENDED;
	rc = store_status_list_bits(d->store, n, "suspended", set_entry, &t, err);
	t.value = SDJWT_STATUS_INVALID;
	if (!rc)
		rc = store_status_list_bits(d->store, n, "revoked", set_entry, &t, err);
	if (rc)
		goto out;
	if (compress2(z, &zlen, bytes, (uLong)nbytes, Z_BEST_COMPRESSION) != Z_OK) {
		rc = ok_fail(err, OK_EINTERNAL, "cannot compress the status list");
		goto out;
	}
	if ((rc = jose_b64_encode(z, zlen, &lst, err)) ||
	    (rc = keys_wallet_load(d->dir, &signer, &chain, err)) ||
	    (rc = jose_x509_chain_x5c(chain.data, chain.len, &x5c, err)))
		goto out;
	if (registry_token_status_url(d, n, url, sizeof(url))) {
		rc = ok_fail(err, OK_EINTERNAL, "the status list's URL does not fit");
		goto out;
	}
	header = json_pack("{s:s,s:O}", "typ", SDJWT_STATUS_TYP, "x5c", x5c);
	/* No exp: the token stands until a bit changes; ttl says how long to keep it. */
	payload = json_pack("{s:s,s:I,s:I,s:{s:i,s:s}}", "sub", url, "iat", (json_int_t)time(NULL),
	                    "ttl", (json_int_t)d->status_ttl_s, "status_list", "bits", 2, "lst",
	                    lst.data);
	if (!header || !payload) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	rc = jose_jws_sign_json(header, payload, &signer, body, err);
out:
	json_decref(header);
	json_decref(payload);
	json_decref(x5c);
	jose_signer_release(&signer);
	buf_release(&chain);
	buf_release(&lst);
	free(bytes);
	free(z);
	return rc;
}

int registry_token_status_list(struct depository *d, int64_t n, struct buf *body,
                               char etag[STORE_ETAG_MAX], struct ok_error *err)
{
	struct store_status_list list;
	char subject[48], detail[64];
	int64_t cached = -1, version;
	int rc;

	rc = store_status_list_get(d->store, n, &list, err);
	if (rc == OK_ENOTFOUND)
		return ok_fail(err, OK_ENOTFOUND, "no such status list");
	if (rc)
		return rc;
	/* Both lists' versions only grow: their sum moves whenever either does. Its high bits name
	 * the wallet key file's version, so that a token signed with a key since replaced
	 * (keys install-wallet-cert) is signed again. */
	version = list.revocation_version + list.suspension_version;
	{
		struct keyfile_stamp st;
		struct buf path;
		uint8_t kh[4];

		buf_init(&path, OK_PATH_MAX);
		if (ok_path_join(&path, d->dir, KEYS_WALLET_KEY) == 0 &&
		    keyfile_stamp_of(path.data, &st)) {
			crypto_generichash(kh, sizeof(kh), (const unsigned char *)&st, sizeof(st),
			                   NULL, 0);
			version += (int64_t)(((uint32_t)kh[0] << 23 | (uint32_t)kh[1] << 15 |
			                      (uint32_t)kh[2] << 7 | (uint32_t)(kh[3] >> 1)))
			           << 32;
		}
		buf_release(&path);
	}
	buf_reset(body);
	rc = store_status_cache_get(d->store, CACHE_PURPOSE, n, &cached, etag, body, err);
	if (rc && rc != OK_ENOTFOUND)
		return rc;
	if (!rc && cached == version)
		return 0;
	buf_reset(body);
	/* As for the Bitstring lists: never bits read from a store whose records moved. */
	if ((rc = store_moved(d->store, err)))
		return rc;
	if ((rc = sign_token_list(d, n, list.size, body, err)))
		return rc;
	if (ok_format(subject, sizeof(subject), "statuslists/%lld", (long long)n) ||
	    ok_format(detail, sizeof(detail), "key=wallet version=%lld", (long long)version))
		return ok_fail(err, OK_EINTERNAL, "a status list's name does not fit");
	return registry_status_keep(d, CACHE_PURPOSE, n, version, subject, detail, body, etag, err);
}

int registry_token_status_local(struct depository *d, const char *uri, int64_t idx, int *status,
                                struct ok_error *err)
{
	char prefix[DEPOSITORY_HOST_MAX + 32], st[STORE_STATUS_MAX];
	long long n;
	int rc;

	*status = SDJWT_STATUS_VALID;
	if (ok_format(prefix, sizeof(prefix), "%s/statuslists/", d->base_url) ||
	    strncmp(uri, prefix, strlen(prefix)) != 0 ||
	    !status_list_number(uri + strlen(prefix), &n))
		return OK_ENOTFOUND;
	/* The revocation and the suspension list of number n have the same slots, the states of
	 * one record (as registry_status_local reads them, once per list): its status alone, an
	 * achievement's or a VC-API credential's, in one statement. Nobody's: its bits clear. */
	rc = store_slot_status(d->store, n, idx, st, err);
	if (rc == OK_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	*status = strcmp(st, "revoked") == 0     ? SDJWT_STATUS_INVALID
	          : strcmp(st, "suspended") == 0 ? SDJWT_STATUS_SUSPENDED
	                                         : SDJWT_STATUS_VALID;
	return 0;
}
