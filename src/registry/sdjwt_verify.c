/* SD-JWT VC verification in the pipeline of verify.h (see sdjwt_verify.h). */
#include "registry/sdjwt_verify.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/format.h"
#include "jose/sdjwt.h"
#include "jose/x509.h"
#include "keys/wallet.h"
#include "registry/sdjwt_credential.h"
#include "registry/sdjwt_status.h"

#define CLOCK_SKEW_S 300 /* how far in the future iat may lie */

__attribute__((format(printf, 4, 5))) static void item(struct verify_result *r, enum verify_check c,
                                                       bool passed, const char *fmt, ...)
{
	struct verify_item *it;
	va_list ap;

	if (r->count == VERIFY_MAX_ITEMS)
		return;
	it = &r->items[r->count++];
	it->check = c;
	it->passed = passed;
	it->warning = false;
	it->status = VERIFY_STATUS_NOT_SET;
	va_start(ap, fmt);
	verify_vformat(it->message, sizeof(it->message), fmt, ap);
	va_end(ap);
}

/* The characters of a compact JWS: 1 for the base64url alphabet, 2 for the dot. A table, as a
 * credential's JWS part (its x5c chain in the header) is a few kilobytes scanned per call. */
#define B64_2(c)  [(c)] = 1, [(c) + 1] = 1
#define B64_4(c)  B64_2(c), B64_2((c) + 2)
#define B64_8(c)  B64_4(c), B64_4((c) + 4)
#define B64_16(c) B64_8(c), B64_8((c) + 8)
#define B64_26(c) B64_16(c), B64_8((c) + 16), B64_2((c) + 24)
static const unsigned char jws_char[256] = {
        B64_26('A'), B64_26('a'), B64_8('0'), B64_2('8'), ['-'] = 1, ['_'] = 1, ['.'] = 2,
};

bool registry_is_sdjwt(const char *s, size_t len)
{
	const char *tilde = memchr(s, '~', len);
	size_t i, n, dots = 0;

	if (!tilde || tilde == s)
		return false;
	n = (size_t)(tilde - s);
	for (i = 0; i < n; i++) {
		unsigned k = jws_char[(unsigned char)s[i]];

		if (!k)
			return false;
		dots += k >> 1;
	}
	return dots == 2;
}

#define ISS_HOST_MAX 253

struct issuer_ctx {
	const char *roots;
	size_t roots_len;
	int64_t now;
	struct jose_x509_memo *chains; /* the depository's validated chains (NULL: none) */
	const uint8_t *own_point;      /* this depository's wallet key, NULL when it has none */
	bool own;                      /* the leaf's key is own_key: we signed it */
	bool host_ok;                  /* iss is https://host with host a dNSName of the leaf */
	char host[ISS_HOST_MAX + 1];   /* that host, shown as the issuer */
};

/* The host of an https URL (no user part, no IPv6 literal) into out; false when url is not one.
 */
static bool https_host(const char *url, char *out, size_t cap)
{
	static const char scheme[] = "https://";
	size_t n;

	if (strncmp(url, scheme, sizeof(scheme) - 1) != 0)
		return false;
	url += sizeof(scheme) - 1;
	n = strcspn(url, ":/?#@[");
	if (n == 0 || n >= cap || url[n] == '@' || url[n] == '[')
		return false;
	memcpy(out, url, n);
	out[n] = '\0';
	return true;
}

/*
 * The issuer's key: the leaf of x5c, whose chain must lead to a trusted root. Also decides who
 * the issuer is, from the certificate and never from the claims alone: ours only when the leaf
 * carries our own wallet key (so we made the signature), anybody else only as far as the host
 * in `iss` is a dNSName of the leaf (any CA in wallet-roots.pem could otherwise sign in our name
 * or another's).
 */
static int issuer_key(void *ctx, const json_t *header, const json_t *claims, struct jose_jwk *key,
                      struct ok_error *err)
{
	struct issuer_ctx *ic = ctx;
	const json_t *x5c = json_object_get(header, "x5c");
	const json_t *iss = json_object_get(claims, "iss");
	uint8_t point[JOSE_X509_POINT_BYTES];
	int rc;

	if (!x5c)
		return ok_fail_field(err, OK_EINVALID, "header.x5c",
		                     "the credential carries no certificate chain (x5c)");
	rc = jose_x509_verify_x5c_memo(ic->chains, x5c, ic->roots, ic->roots_len, ic->now, key,
	                               point, err);
	if (rc)
		return rc;
	ic->own = ic->own_point && memcmp(point, ic->own_point, sizeof(point)) == 0;
	if (!ic->own && json_is_string(iss) &&
	    https_host(json_string_value(iss), ic->host, sizeof(ic->host))) {
		bool match;

		if ((rc = jose_x509_x5c_leaf_has_dns(x5c, ic->host, &match, err))) {
			jose_jwk_release(key);
			return rc;
		}
		ic->host_ok = match;
	}
	return 0;
}

int registry_verify_sdjwt(struct depository *d, const char *s, size_t len,
                          const struct verify_options *o, struct verify_result *r,
                          struct ok_error *err)
{
	unsigned checks = o->checks ? o->checks : VERIFY_ALL;
	struct jose_sdjwt_result sr;
	struct issuer_ctx ic = {.now = (int64_t)time(NULL)};
	/* SD-JWT VC: these are never selectively disclosable, so that a holder cannot leave out
	 * the status, the expiry or the key binding. */
	static const char *const plain_only[] = {"iss", "nbf",           "exp",    "cnf",
	                                         "vct", "vct#integrity", "status", NULL};
	struct jose_sdjwt_expect x = {
	        .algs = JOSE_ALG_ES256,
	        .plain_only = plain_only,
	        .issuer_key = issuer_key,
	        .ctx = &ic,
	        .typ = SDJWT_VC_TYP,
	        .aud = o->kb_aud,
	        .nonce = o->kb_nonce,
	        .now = ic.now,
	};
	struct ok_error why;
	const json_t *iss, *exp, *iat;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&sr, 0, sizeof(sr));
	r->is_credential = true;
	OK_COPY_ARRAY(r->format, "sd-jwt");
	/* Trusted roots: the depository's own wallet CA (its chain's last certificate), and the
	 * operator's wallet-roots.pem, as of the files now (keys/wallet.h). Nothing is fetched. */
	if (d) {
		ic.chains = &d->wallet_trust.chains;
		x.headers = &d->wallet_trust.headers;
	}
	if (o->sdjwt_roots) {
		if (o->sdjwt_roots_len > KEYS_WALLET_ROOTS_MAX) {
			rc = ok_fail(err, OK_ETOOBIG, "the trusted roots are too long");
			goto out;
		}
		ic.roots = o->sdjwt_roots;
		ic.roots_len = o->sdjwt_roots_len;
	} else if (d) {
		if ((rc = depository_wallet_trust_refresh(d, err)))
			goto out;
		ic.roots = d->wallet_trust.roots;
		ic.roots_len = d->wallet_trust.roots_len;
		if (d->wallet_trust.has_own)
			ic.own_point = d->wallet_trust.own_point;
	}
	ok_error_clear(&why);
	rc = jose_sdjwt_verify(s, len, &x, &sr, &why);
	if (rc == OK_EINPUT || rc == OK_ETOOBIG) {
		/* The form is wrong: no SD-JWT at all, or one that cannot be read. */
		r->is_credential = false;
		snprintf(r->not_credential, sizeof(r->not_credential),
		         "the input is not a usable SD-JWT: %s", why.message);
		rc = 0;
		goto out;
	}
	if (rc == OK_ENOMEM || rc == OK_EINTERNAL) {
		rc = ok_fail(err, rc, "%s", why.message);
		goto out;
	}
	if (rc) {
		/* Nothing that follows means anything without the signature. */
		item(r, VERIFY_PROOF, false, "%s", why.message);
		rc = 0;
		goto out;
	}
	r->credential = json_incref(sr.claims);
	iss = json_object_get(sr.claims, "iss");
	if (json_is_string(iss))
		snprintf(r->issuer, sizeof(r->issuer), "%s", json_string_value(iss));
	if (checks & VERIFY_PROOF)
		item(r, VERIFY_PROOF, true,
		     "signed (ES256) by the key of a certificate chain that leads to a trusted "
		     "root; "
		     "%zu disclosure(s), each one referenced by the signed claims%s",
		     sr.disclosures,
		     sr.key_bound ? "; bound to the holder's key (key-binding JWT)" : "");
	if (checks & VERIFY_VALIDITY) {
		exp = json_object_get(sr.claims, "exp");
		iat = json_object_get(sr.claims, "iat");
		if (json_is_integer(iat) && json_integer_value(iat) > ic.now + CLOCK_SKEW_S)
			item(r, VERIFY_VALIDITY, false, "issued in the future (iat)");
		else if (exp && !json_is_integer(exp))
			item(r, VERIFY_VALIDITY, false, "exp is not a number of seconds");
		else if (json_is_integer(exp) && json_integer_value(exp) <= ic.now)
			item(r, VERIFY_VALIDITY, false, "expired (exp has passed)");
		else
			item(r, VERIFY_VALIDITY, true, "%s",
			     exp ? "not expired" : "no expiry date");
	}
	if (checks & VERIFY_STATUS) {
		const json_t *sl =
		        json_object_get(json_object_get(sr.claims, "status"), "status_list");
		const json_t *idx = json_object_get(sl, "idx"), *uri = json_object_get(sl, "uri");
		int st = 0, src;

		/* A check that cannot be done fails ("not checked"), never passes: otherwise
		 * leaving out `status` would make any credential look unrevoked. */
		if (!json_object_get(sr.claims, "status"))
			item(r, VERIFY_STATUS, false,
			     "status not checked: the credential names no status list");
		else if (!json_is_integer(idx) || json_integer_value(idx) < 0 ||
		         !json_is_string(uri))
			item(r, VERIFY_STATUS, false, "the status entry is not {idx, uri}");
		else if (!ic.own || (src = registry_token_status_local(d, json_string_value(uri),
		                                                       json_integer_value(idx), &st,
		                                                       &why)) == OK_ENOTFOUND)
			/* Our lists speak only for what we signed: a foreign credential naming one
			 * of them would borrow an unused slot's "valid". Another issuer's list is
			 * never fetched: an outsider must not make us fetch. */
			item(r, VERIFY_STATUS, false,
			     "status not checked: the status list is not this depository's own for "
			     "its own credentials, and this depository does not fetch another "
			     "issuer's");
		else if (src) {
			rc = ok_fail(err, src, "%s", why.message);
			goto out;
		} else if (st == SDJWT_STATUS_INVALID || st == SDJWT_STATUS_SUSPENDED) {
			/* The finding as a value too (verify_summary.c's headline and reason): only
			 * ever from the depository's own list, for what it signed (ic.own). */
			item(r, VERIFY_STATUS, false, "%s (Token Status List)",
			     st == SDJWT_STATUS_INVALID ? "revoked" : "suspended");
			if (r->items[r->count - 1].check == VERIFY_STATUS)
				r->items[r->count - 1].status = st == SDJWT_STATUS_INVALID
				                                        ? VERIFY_STATUS_REVOKED
				                                        : VERIFY_STATUS_SUSPENDED;
		} else
			item(r, VERIFY_STATUS, true,
			     "not revoked or suspended (Token Status List)");
	}
	if (checks & VERIFY_ISSUER) {
		if (ic.own)
			item(r, VERIFY_ISSUER, true, "issued by this depository");
		else if (!ic.host_ok)
			item(r, VERIFY_ISSUER, false,
			     "the issuer (iss) is not an https URL whose host is a dNSName of its "
			     "certificate");
		else {
			item(r, VERIFY_ISSUER, true,
			     "issued by %s, whose certificate chains to a %s", ic.host,
			     o->any_issuer ? "trusted root" : "root trusted for wallets");
			r->items[r->count - 1].warning = o->any_issuer;
		}
	}
	r->verified = true;
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].passed)
			r->verified = false;
out:
	jose_sdjwt_result_release(&sr);
	return rc;
}
