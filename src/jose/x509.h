/* X.509 certificate chains for SD-JWT VC issuers (the "x5c" header): a local CA and an issuer
 * certificate made for demos and tests, checks of an installed chain, and the verifier's path
 * validation against trusted roots. OpenSSL's libcrypto does the X.509 work.
 *
 * Invariants:
 * - A chain is PEM text, the issuer (leaf) certificate first, each next one its issuer; at most
 *   JOSE_X509_CHAIN_MAX certificates of at most JOSE_X509_CERT_MAX bytes (DER) each.
 * - The leaf's key is EC P-256 (ES256). Host names put into a certificate are plain DNS names.
 * - Times are seconds since the epoch, given by the caller (no hidden clock).
 */
#ifndef OK_JOSE_X509_H
#define OK_JOSE_X509_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"

#define JOSE_X509_CHAIN_MAX 5
#define JOSE_X509_CERT_MAX  (16 << 10)

/*
 * Makes a new local CA (its key is used once and forgotten) and an issuer certificate for the
 * public key of leaf naming host in subjectAltName dNSName, both valid from now for days days,
 * and appends the chain (issuer certificate, then the CA's) as PEM to out.
 */
int jose_x509_make_chain(const struct jose_signer *leaf, const char *host, const char *name,
                         int64_t now, int days, struct buf *out, struct ok_error *err);

/*
 * Checks an installed chain: it parses, its leaf's key is leaf's, each certificate is signed by
 * the next (and names it as issuer), and each is valid at now.
 */
int jose_x509_chain_check(const char *pem, size_t n, const struct jose_signer *leaf, int64_t now,
                          struct ok_error *err);

/* *x5c gets a new JSON array of the chain's certificates, base64 (not url) DER, leaf first. */
int jose_x509_chain_x5c(const char *pem, size_t n, json_t **x5c, struct ok_error *err);

/* The last certificate of a chain as PEM, appended to out (a local chain's CA, to trust). */
int jose_x509_chain_root(const char *pem, size_t n, struct buf *out, struct ok_error *err);

/*
 * Validates an x5c header (array of base64 DER, leaf first) against the trusted roots (PEM
 * text of one or more certificates) at time now, and gives the leaf's public key. A chain that
 * does not lead to one of the roots, or a certificate out of its dates, fails with OK_EINVALID.
 */
int jose_x509_verify_x5c(const json_t *x5c, const char *roots_pem, size_t roots_len, int64_t now,
                         struct jose_jwk *leaf_key, struct ok_error *err);

/*
 * What a verifier remembers of the chains it validated (zeroed: nothing; released with
 * jose_x509_memo_release): the leaf's key per chain, keyed by SHA-256 of the trusted roots and
 * of the x5c entries exactly as they came, and kept only for the times in which every
 * certificate of the validated path is valid. A chain not seen, other roots, or a time outside
 * that window validate the chain again; a failed validation is not remembered. An issuer-key
 * cache: nothing of a credential but its certificates is in it. Not shared between threads.
 */
#define JOSE_X509_MEMO_ENTRIES 8
#define JOSE_X509_POINT_BYTES  65 /* an uncompressed P-256 point */
struct jose_x509_memo_entry {
	uint8_t id[32];
	int64_t not_before, not_after;
	struct jose_jwk key; /* kty NONE: an empty entry */
	uint8_t point[JOSE_X509_POINT_BYTES];
};
struct jose_x509_memo {
	struct jose_x509_memo_entry e[JOSE_X509_MEMO_ENTRIES];
	size_t next; /* the entry replaced next */
};

/* jose_x509_verify_x5c through memo (NULL: none); point gets the leaf key's uncompressed point
 * (0x04 || x || y). */
int jose_x509_verify_x5c_memo(struct jose_x509_memo *memo, const json_t *x5c, const char *roots_pem,
                              size_t roots_len, int64_t now, struct jose_jwk *leaf_key,
                              uint8_t point[JOSE_X509_POINT_BYTES], struct ok_error *err);
void jose_x509_memo_release(struct jose_x509_memo *memo);

/*
 * Whether the leaf certificate of an x5c header (base64 DER, leaf first) names host as a
 * subjectAltName dNSName: exactly, case aside, no wildcards and never the subject's CN (the
 * SD-JWT VC rule binding an https `iss` to its x5c). *match false when it does not or when the
 * entry is no certificate; an error only when memory runs out.
 */
int jose_x509_x5c_leaf_has_dns(const json_t *x5c, const char *host, bool *match,
                               struct ok_error *err);

#endif
