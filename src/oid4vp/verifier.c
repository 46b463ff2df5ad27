/* The OpenID4VP verifier's use cases (see verifier.h). */
#include "oid4vp/verifier.h"

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/log.h"
#include "audit/txn.h"
#include "core/clock.h"
#include "core/format.h"
#include "io/utf8.h"
#include "jose/b64.h"
#include "jose/jws.h"
#include "jose/x509.h"
#include "keys/wallet.h"
#include "oid4vp/dcql.h"
#include "oid4vp/form.h"
#include "oid4vp/internal.h"
#include "oid4vp/jwe.h"
#include "privacy/seal.h"
#include "registry/sdjwt_verify.h"
#include "registry/verify_summary.h"
#include "store/ratelimit.h"
#include "store/verifier.h"

#define SEAL_RESULT   OID4VP_SEAL_RESULT
#define SEAL_ENC_KEY  "vp_enc_key"
#define SEAL_VIEW     "vp_view"
#define PURPOSE       "verification"
#define MODE_POST     "direct_post"
#define MODE_POST_JWT "direct_post.jwt"
#define WALLET_AUD    "https://self-issued.me/v2"

/* Writes n random bytes as base64url into out (cap bytes). */
static int random_b64(size_t n, char *out, size_t cap, struct ok_error *err)
{
	uint8_t raw[32];
	struct buf b;
	int rc;

	randombytes_buf(raw, n);
	buf_init(&b, cap);
	rc = jose_b64_encode(raw, n, &b, err);
	if (!rc && b.len >= cap)
		rc = ok_fail(err, OK_EINTERNAL, "a random token does not fit");
	if (!rc) {
		memcpy(out, b.data, b.len);
		out[b.len] = '\0';
	}
	buf_release(&b);
	return rc;
}

static void hash_view(const char *view, uint8_t out[STORE_VP_HASH_BYTES])
{
	crypto_hash_sha256(out, (const unsigned char *)view, strlen(view));
}

static char *actor_of(const char *id, char out[AUDIT_ACTOR_SIZE])
{
	snprintf(out, AUDIT_ACTOR_SIZE, "verifier-request:%s", id);
	return out;
}

void oid4vp_client_tag(const struct depository *d, const char *what, const char *key,
                       char out[2 * SEAL_DIGEST_BYTES + 1])
{
	unsigned char tag[SEAL_DIGEST_BYTES];
	struct seal_digest h;

	seal_digest_init(&h, &d->keys);
	seal_digest_add_str(&h, what);
	seal_digest_add_str(&h, key ? key : "unknown");
	seal_digest_final(&h, tag);
	sodium_bin2hex(out, 2 * SEAL_DIGEST_BYTES + 1, tag, sizeof(tag));
}

/* The client id of the wallet chain's first certificate: "x509_san_dns:" and its first DNS
 * name, or, for a certificate that names none (a host given as an IP address, in tests),
 * "x509_hash:" and the base64url SHA-256 of its DER (OpenID4VP 1.0 §5.9.3). */
static int client_id_of(const char *pem, size_t n, char *out, size_t cap, struct ok_error *err)
{
	BIO *bio = n <= (size_t)INT32_MAX ? BIO_new_mem_buf(pem, (int)n) : NULL;
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	GENERAL_NAMES *names = x ? X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int der_len, rc = 1;

	for (int i = 0; names && i < sk_GENERAL_NAME_num(names) && rc > 0; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
		const unsigned char *s;
		int len;

		if (g->type != GEN_DNS)
			continue;
		s = ASN1_STRING_get0_data(g->d.dNSName);
		len = ASN1_STRING_length(g->d.dNSName);
		if (len > 0 && !memchr(s, 0, (size_t)len))
			rc = ok_format(out, cap, "x509_san_dns:%.*s", len, (const char *)s)
			             ? ok_fail(err, OK_ETOOBIG,
			                       "the wallet certificate's name is too long")
			             : 0;
	}
	if (rc > 0 && x && (der_len = i2d_X509(x, &der)) > 0) {
		uint8_t h[crypto_hash_sha256_BYTES];
		struct buf b;

		crypto_hash_sha256(h, der, (unsigned long long)der_len);
		buf_init(&b, cap);
		rc = buf_addstr(&b, "x509_hash:") || jose_b64_encode(h, sizeof(h), &b, err) ||
		                     buf_addch(&b, '\0')
		             ? ok_fail(err, OK_ETOOBIG, "the client id is too long")
		             : 0;
		if (!rc)
			memcpy(out, b.data, b.len);
		buf_release(&b);
	}
	OPENSSL_free(der);
	GENERAL_NAMES_free(names);
	X509_free(x);
	BIO_free(bio);
	return rc > 0 ? ok_fail(err, OK_EINVALID, "the wallet certificate cannot be read") : rc;
}

/* Appends s percent-encoded (everything but RFC 3986's unreserved characters). */
static int url_encode(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			if (buf_addch(out, (char)c))
				return OK_ETOOBIG;
		} else if (buf_addch(out, '%') || buf_addch(out, hex[c >> 4]) ||
		           buf_addch(out, hex[c & 15])) {
			return OK_ETOOBIG;
		}
	}
	return 0;
}

/* The URLs of a request: its request object, the response URI, and the wallet link. */
static int request_urls(const struct depository *d, const char *id, const char *client_id,
                        char request_uri[OID4VP_URL_MAX], char *link, size_t link_cap,
                        struct ok_error *err)
{
	struct buf b;
	int rc;

	if (ok_format(request_uri, OID4VP_URL_MAX, "%s/oid4vp/requests/%s", d->base_url, id))
		return ok_fail(err, OK_ETOOBIG, "the depository's base URL is too long");
	buf_init(&b, link_cap);
	rc = buf_addstr(&b, "openid4vp://?client_id=") || url_encode(&b, client_id) ||
	     buf_addstr(&b, "&request_uri=") || url_encode(&b, request_uri) || buf_addch(&b, '\0');
	if (rc)
		rc = ok_fail(err, OK_ETOOBIG, "the wallet link is too long");
	else
		memcpy(link, b.data, b.len);
	buf_release(&b);
	return rc;
}

/* Unicode's space separators (general category Zs). */
static bool is_space_separator(uint32_t c)
{
	return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	       c == 0x202f || c == 0x205f || c == 0x3000;
}

/* Whether the n bytes at s hold word, ASCII letters compared without case. */
static bool holds_phrase(const char *s, size_t n, const char *word)
{
	size_t w = strlen(word);

	for (size_t i = 0; i + w <= n; i++) {
		size_t j = 0;

		while (j < w && (s[i + j] | 0x20) == (word[j] | 0x20))
			j++;
		if (j == w)
			return true;
	}
	return false;
}

/* A short text the verifier gives (member name): its "label", shown to it only, or the
 * "requester" it says it is, shown to the wallet. Neither may break a line (U+2028, U+2029)
 * nor hold a run of spaces (or start or end with one), which would push what follows it out
 * of a wallet's sight (finding s16-5). */
static int text_check(const json_t *v, const char *name, struct ok_error *err)
{
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0, len;
	bool space = true;
	uint32_t c = 0;

	if (!v || json_is_null(v))
		return 0;
	if (!s || n == 0 || n > OID4VP_LABEL_MAX || strlen(s) != n || !utf8_valid(s, n))
		return ok_fail_field(err, OK_EINPUT, name, "%s must be a text of 1 to %d bytes",
		                     name, OID4VP_LABEL_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return ok_fail_field(err, OK_EINPUT, name,
			                     "%s must not hold control characters", name);
	if (utf8_find_hidden(s, n, &c) != n)
		return ok_fail_field(err, OK_EINPUT, name,
		                     "%s holds a character that hides or reorders text", name);
	for (size_t i = 0; i < n; i += len) {
		c = utf8_decode(s + i, &len);
		if (c == 0x2028 || c == 0x2029)
			return ok_fail_field(err, OK_EINPUT, name,
			                     "%s must not hold a line or paragraph separator",
			                     name);
		if (is_space_separator(c) && space)
			return ok_fail_field(err, OK_EINPUT, name,
			                     "%s must not start with a space or hold two in a row",
			                     name);
		space = is_space_separator(c);
	}
	if (space)
		return ok_fail_field(err, OK_EINPUT, name, "%s must not end with a space", name);
	return 0;
}

/*
 * The name the wallet shows as the party asking (client_metadata.client_name). The request
 * object is signed with the depository's own certificate, so without this the wallet would
 * show the depository as the one who asks, whoever really does (review W2). What the
 * depository knows of the requester is said in the name itself: an API key's holder
 * (institution code or key id) it registered, or nothing at all for an anonymous request.
 */
static int client_name_of(const struct depository *d, const json_t *ask, const char *by, char *out,
                          size_t cap, struct ok_error *err)
{
	const char *stated = json_string_value(json_object_get(ask, "requester"));
	const char *at = d->host[0] ? d->host : "the depository";
	int rc;

	if ((rc = text_check(json_object_get(ask, "requester"), "requester", err)))
		return rc;
	/* The depository's own words say what it knows of the requester: a stated name must not
	 * borrow them (finding s16-5). */
	if (stated && (holds_phrase(stated, strlen(stated), "api key holder") ||
	               holds_phrase(stated, strlen(stated), "not verified by") ||
	               holds_phrase(stated, strlen(stated), "sign in to your records")))
		return ok_fail_field(
		        err, OK_EINPUT, "requester",
		        "requester must not hold the depository's own words (\"API key "
		        "holder\", \"not verified by\")");
	if (!stated && !by)
		return ok_fail_field(err, OK_EINPUT, "requester",
		                     "requester is required: the name the wallet shows as the "
		                     "party asking");
	if (by && !stated)
		rc = ok_format(out, cap, "%s (API key holder at %s)", by, at);
	else if (by)
		rc = ok_format(out, cap, "%s (API key holder %s at %s)", stated, by, at);
	else /* first, so that no cut of a long name can hide it */
		rc = ok_format(out, cap, "[not verified by %s] %s", at, stated);
	return rc ? ok_fail(err, OK_ETOOBIG, "the requester's name is too long") : 0;
}

int oid4vp_link(const struct depository *d, const char *id, const char *client_id, char *link,
                size_t cap, struct ok_error *err)
{
	char request_uri[OID4VP_URL_MAX];

	return request_urls(d, id, client_id ? client_id : "", request_uri, link, cap, err);
}

static struct store_vp_request *row_new(void)
{
	struct store_vp_request *r = calloc(1, sizeof(*r));

	if (r) {
		buf_init(&r->enc_key, STORE_VP_KEY_MAX);
		buf_init(&r->result, STORE_VP_RESULT_MAX);
	}
	return r;
}

static void row_free(struct store_vp_request *r)
{
	if (!r)
		return;
	buf_release(&r->enc_key);
	buf_release(&r->result);
	free(r);
}

int oid4vp_request_create(struct depository *d, const json_t *ask, const char *by,
                          const char *network, struct oid4vp_created *out, struct ok_error *err)
{
	char all[2 * SEAL_DIGEST_BYTES + 1], net[2 * SEAL_DIGEST_BYTES + 1];
	/* Every anonymous request carries one tag (all) and its network's: one statement counts
	 * both over the rows' indexed columns (finding s16-2). */
	struct oid4vp_open_tags anon = {all, net, 0, OID4VP_ANON_NET_MAX, true};
	const json_t *mode = json_object_get(ask, "response_mode");
	const json_t *same = json_object_get(ask, "same_device");
	const json_t *unbound = json_object_get(ask, "accept_unbound");
	json_t *dcql = NULL;
	char client_name[OID4VP_CLIENT_NAME_MAX];
	bool jwt = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = oid4vp_dcql_from_ask(ask, d->base_url, &dcql, err)))
		goto out;
	if (mode && !json_is_null(mode)) {
		const char *m = json_string_value(mode);

		if (!m || (strcmp(m, MODE_POST) && strcmp(m, MODE_POST_JWT))) {
			rc = ok_fail_field(err, OK_EINPUT, "response_mode",
			                   "response_mode must be \"direct_post\" or "
			                   "\"direct_post.jwt\"");
			goto out;
		}
		jwt = strcmp(m, MODE_POST_JWT) == 0;
	}
	if (same && !json_is_boolean(same)) {
		rc = ok_fail_field(err, OK_EINPUT, "same_device",
		                   "same_device must be true or false");
		goto out;
	}
	if (unbound && !json_is_boolean(unbound)) {
		rc = ok_fail_field(err, OK_EINPUT, "accept_unbound",
		                   "accept_unbound must be true or false");
		goto out;
	}
	if (json_is_true(unbound) && !oid4vp_dcql_has_ldp(dcql)) {
		rc = ok_fail_field(err, OK_EINPUT, "accept_unbound",
		                   "accept_unbound applies to W3C credentials only: formats must "
		                   "include ldp_vc");
		goto out;
	}
	if ((rc = text_check(json_object_get(ask, "label"), "label", err)) ||
	    (rc = client_name_of(d, ask, by, client_name, sizeof(client_name), err)))
		goto out;
	if (!by) {
		oid4vp_client_tag(d, "oorkonde verifier request, anonymous", "all", all);
		oid4vp_client_tag(d, "oorkonde verifier request from network", network, net);
	}
	rc = oid4vp_request_make(d, dcql, client_name, json_object_get(ask, "label"), jwt,
	                         json_is_true(same), false, json_is_true(unbound),
	                         by ? NULL : &anon, out, err);
out:
	json_decref(dcql);
	return rc;
}

int oid4vp_request_make(struct depository *d, const json_t *dcql, const char *client_name,
                        const json_t *label, bool jwt, bool same_device, bool signin,
                        bool accept_unbound, const struct oid4vp_open_tags *from,
                        struct oid4vp_created *out, struct ok_error *err)
{
	struct store_vp_request *row = NULL;
	struct jose_signer wallet = {0}, eph = {0};
	struct buf chain, view_sealed, view_b64;
	json_t *spec = NULL;
	char actor[AUDIT_ACTOR_SIZE];
	int64_t now = ok_now_ms(), open = 0, signins = 0;
	struct audit_txn t;
	char *text = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	buf_init(&view_sealed, 256);
	buf_init(&view_b64, 512);
	if ((rc = keys_wallet_load_memo(d->dir, &d->wallet_memo, &wallet, &chain, NULL, err))) {
		if (rc == OK_ENOTFOUND)
			rc = ok_fail(
			        err, OK_ENOTFOUND,
			        "the depository has no wallet key (oorkonde keys add-wallet-key)");
		goto out;
	}
	if ((rc = client_id_of(chain.data, chain.len, out->client_id, sizeof(out->client_id), err)))
		goto out;
	if (!(row = row_new())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = random_b64(16, out->id, sizeof(out->id), err)) ||
	    (rc = random_b64(32, out->view, sizeof(out->view), err)) ||
	    (rc = random_b64(32, row->nonce, sizeof(row->nonce), err)) ||
	    (rc = random_b64(16, row->state, sizeof(row->state), err)))
		goto out;
	OK_COPY_ARRAY(row->id, out->id);
	hash_view(out->view, row->view_hash);
	row->key_id = d->keys.key_id;
	if (jwt) {
		uint8_t dd[JOSE_P256_BYTES];

		rc = jose_signer_es256_generate(&eph, err);
		if (!rc)
			rc = jose_signer_es256_d(&eph, dd, err);
		if (!rc)
			rc = seal_field(&d->keys, SEAL_ENC_KEY, row->id, dd, sizeof(dd),
			                &row->enc_key, err);
		sodium_memzero(dd, sizeof(dd));
		if (rc)
			goto out;
	}
	spec = json_pack("{s:O, s:s, s:b, s:s, s:s, s:b}", "dcql_query", dcql, "response_mode",
	                 jwt ? MODE_POST_JWT : MODE_POST, "same_device", same_device, "client_id",
	                 out->client_id, "client_name", client_name, "signin", signin);
	if (spec &&
	    ((json_is_string(label) && json_object_set(spec, "label", (json_t *)label)) ||
	     (accept_unbound && json_object_set_new(spec, "accept_unbound", json_true())))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* Where a sign-in (or an anonymous request) comes from is kept in the row's own (indexed)
	 * columns. */
	if (from && (ok_format(row->signin_from, sizeof(row->signin_from), "%s", from->address) ||
	             ok_format(row->signin_net, sizeof(row->signin_net), "%s", from->network))) {
		rc = ok_fail(err, OK_EINTERNAL, "a sign-in's client key is too long");
		goto out;
	}
	/* Same device: the wallet sends the browser back to the result page, whose token is kept
	 * sealed for that (the row keeps only its hash to find it by). */
	if (spec && same_device && !signin) {
		rc = seal_field(&d->keys, SEAL_VIEW, row->id, out->view, strlen(out->view),
		                &view_sealed, err);
		if (!rc)
			rc = jose_b64_encode(view_sealed.data, view_sealed.len, &view_b64, err);
		if (!rc)
			rc = buf_addch(&view_b64, '\0') ? OK_ETOOBIG : 0;
		if (rc)
			goto out;
		if (json_object_set_new(spec, "view", json_string(view_b64.data))) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	if (!spec || !(text = json_dumps(spec, JSON_COMPACT))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (strlen(text) > STORE_VP_SPEC_MAX) {
		rc = ok_fail(err, OK_ETOOBIG, "the request is too large");
		goto out;
	}
	memcpy(row->spec, text, strlen(text) + 1);
	row->created_ms = now;
	row->expires_ms = now + (int64_t)d->verifier_request_ttl_s * 1000;
	row->keep_until_ms = row->expires_ms + (int64_t)d->verifier_result_ttl_s * 1000;
	/* A sign-in is short and its row goes when it expires unanswered (review VP-4): a flood
	 * of starts holds no rows for an hour against the cap every request shares. */
	if (signin) {
		if (d->verifier_request_ttl_s > OID4VP_SIGNIN_TTL_S)
			row->expires_ms = now + OID4VP_SIGNIN_TTL_S * 1000LL;
		row->keep_until_ms = row->expires_ms;
	}
	/* So does an anonymous request (finding s16-2): its result, once answered, is kept as any
	 * (store_vp_answer sets keep_until_ms then). */
	if (from && from->anonymous)
		row->keep_until_ms = row->expires_ms;
	out->expires_ms = row->expires_ms;
	if ((rc = request_urls(d, out->id, out->client_id, out->request_uri, out->link,
	                       sizeof(out->link), err)))
		goto out;
	if (ok_format(out->result_url, sizeof(out->result_url), "%s/request/%s", d->base_url,
	              out->view)) {
		rc = ok_fail(err, OK_ETOOBIG, "the depository's base URL is too long");
		goto out;
	}
	if ((rc = audit_txn_begin(d, &t, err)))
		goto out;
	rc = store_vp_prune(d->store, now, err);
	if (!rc)
		rc = store_vp_count(d->store, &open, err);
	/* Anyone may ask: the requests kept at once are bounded, whatever the rate limit lets in.
	 */
	if (!rc && open >= OID4VP_REQUESTS_MAX)
		rc = ok_fail(err, OK_ELIMIT,
		             "too many verifier requests are open; try again in a few minutes");
	/* Each kind has half of the table (reviews VP-11, LDP9-4): a flood of sign-in starts
	 * leaves employers' requests room, and a flood of verifier requests leaves sign-ins
	 * theirs. */
	if (!rc && open < OID4VP_REQUESTS_MAX) {
		rc = store_vp_count_signin(d->store, &signins, err);
		if (!rc && (signin ? signins : open - signins) >= OID4VP_REQUESTS_MAX / 2)
			rc = ok_fail(
			        err, OK_ELIMIT,
			        signin ? "too many sign-ins are open; try again in a few minutes"
			               : "too many verifier requests are open; try again in a "
			                 "few minutes");
	}
	/* And one address holds at most address_max sign-ins at once (its rate limit alone would
	 * let it hold what it may start in the requests' lifetime); one network (an IPv4 /24, an
	 * IPv6 /48) at most network_max (review of s10/remainders: one customer's /56 held enough
	 * /64s to fill the share), and never as many as are left of the share: the last places go
	 * to networks that hold fewer, so filling the share takes many networks. Both counts come
	 * from one statement. */
	if (!rc && from && from->anonymous) {
		struct store_vp_client_count held = {0, 0};

		rc = store_vp_count_client(d->store, row->signin_from, row->signin_net, &held, err);
		if (!rc && held.address >= OID4VP_ANON_MAX)
			rc = ok_fail(
			        err, OK_ELIMIT,
			        "too many anonymous verifier requests are open; try again in a "
			        "few minutes, or ask with an API key");
		else if (!rc && (held.network >= (int64_t)from->network_max ||
		                 held.network >= OID4VP_ANON_MAX - held.address))
			rc = ok_fail(err, OK_ELIMIT,
			             "too many verifier requests are open from this network; try "
			             "again in a few minutes");
	} else if (!rc && from && (from->address_max || from->network_max)) {
		struct store_vp_client_count held = {0, 0};

		rc = store_vp_count_client(d->store, row->signin_from, row->signin_net, &held, err);
		if (!rc && from->address_max && held.address >= (int64_t)from->address_max)
			rc = ok_fail(
			        err, OK_ELIMIT,
			        "too many sign-ins are open from this address; finish one or try "
			        "again in a few minutes");
		else if (!rc && from->network_max &&
		         (held.network >= (int64_t)from->network_max ||
		          held.network >= OID4VP_REQUESTS_MAX / 2 - signins))
			rc = ok_fail(
			        err, OK_ELIMIT,
			        "too many sign-ins are open from this network; finish one or try "
			        "again in a few minutes");
	}
	if (!rc)
		rc = store_vp_put(d->store, row, err);
	/* A request made with a key is audited; an anonymous one (the /request page, a wallet
	 * sign-in) touches nobody's data until it is answered, and strangers may make as many as
	 * the limits above allow: not for them to fill the append-only chain with (its answer
	 * is audited). */
	if (!rc && !signin && !(from && from->anonymous))
		rc = audit_txn_event(&t, actor_of(out->id, actor), "verifier.request", out->id,
		                     PURPOSE, jwt ? MODE_POST_JWT : MODE_POST, err);
	rc = audit_txn_end(&t, rc, err);
out:
	if (rc)
		memset(out, 0, sizeof(*out));
	free(text);
	json_decref(spec);
	row_free(row);
	jose_signer_release(&wallet);
	jose_signer_release(&eph);
	buf_release(&chain);
	buf_release(&view_sealed);
	buf_release(&view_b64);
	return rc;
}

struct store_vp_request *oid4vp_row_new(void)
{
	return row_new();
}

void oid4vp_row_free(struct store_vp_request *r)
{
	row_free(r);
}

/* Reads request id and its spec; OK_ENOTFOUND when unknown. */
static int load(struct depository *d, const char *id, struct store_vp_request **row, json_t **spec,
                struct ok_error *err)
{
	json_error_t jerr;
	int rc;

	*row = NULL;
	*spec = NULL;
	if (strlen(id) > STORE_ID_MAX)
		return ok_fail(err, OK_ENOTFOUND, "no such request");
	if (!(*row = row_new()))
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = store_vp_get(d->store, id, *row, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND,
		             "no such request (or it was deleted after its time)");
	if (!rc && !(*spec = json_loads((*row)->spec, JSON_REJECT_DUPLICATES, &jerr)))
		rc = ok_fail(err, OK_EINTERNAL, "a stored request does not read back");
	if (rc) {
		row_free(*row);
		*row = NULL;
	}
	return rc;
}

/* The ephemeral key of a direct_post.jwt request. */
static int enc_key(struct depository *d, const struct store_vp_request *row,
                   struct jose_signer *key, struct ok_error *err)
{
	struct buf plain;
	int rc;

	if (row->key_id != d->keys.key_id)
		return ok_fail(err, OK_EGONE,
		               "the request was made under a data key rotated away since");
	buf_init(&plain, JOSE_P256_BYTES);
	rc = seal_open(&d->keys, SEAL_ENC_KEY, row->id, (const unsigned char *)row->enc_key.data,
	               row->enc_key.len, &plain, err);
	if (!rc && plain.len != JOSE_P256_BYTES)
		rc = ok_fail(err, OK_ECRYPTO, "the request's key is not a P-256 key");
	if (!rc)
		rc = jose_signer_es256_from_d(key, (const uint8_t *)plain.data, err);
	sodium_memzero(plain.data, plain.len);
	buf_release(&plain);
	return rc;
}

int oid4vp_request_object(struct depository *d, const char *id, struct buf *out,
                          struct ok_error *err)
{
	struct store_vp_request *row = NULL;
	struct jose_signer wallet = {0}, eph = {0};
	struct jose_jwk pub = {0};
	json_t *spec = NULL, *x5c = NULL, *header = NULL, *payload = NULL, *jwk = NULL;
	char response_uri[OID4VP_URL_MAX];
	int64_t now = ok_now_ms();
	struct buf chain;
	bool jwt;
	int rc;

	buf_init(&chain, KEYS_WALLET_PEM_MAX);
	if ((rc = load(d, id, &row, &spec, err)))
		goto out;
	if (row->answered_ms || now >= row->expires_ms) {
		rc = ok_fail(err, OK_EGONE, "the request was answered already or has expired");
		goto out;
	}
	jwt = strcmp(json_string_value(json_object_get(spec, "response_mode")), MODE_POST_JWT) == 0;
	if ((rc = keys_wallet_load_memo(d->dir, &d->wallet_memo, &wallet, &chain, NULL, err)) ||
	    (rc = jose_x509_chain_x5c(chain.data, chain.len, &x5c, err)))
		goto out;
	if (ok_format(response_uri, sizeof(response_uri), "%s/oid4vp/requests/%s/response",
	              d->base_url, row->id)) {
		rc = ok_fail(err, OK_ETOOBIG, "the depository's base URL is too long");
		goto out;
	}
	header = json_pack("{s:s, s:O}", "typ", OID4VP_REQUEST_TYP, "x5c", x5c);
	payload = json_pack(
	        "{s:O, s:s, s:O, s:s, s:s, s:s, s:O, s:s, s:I, s:I, s:{s:{s:{s:[s], s:[s,s]}}}}",
	        "client_id", json_object_get(spec, "client_id"), "response_type", "vp_token",
	        "response_mode", json_object_get(spec, "response_mode"), "response_uri",
	        response_uri, "nonce", row->nonce, "state", row->state, "dcql_query",
	        json_object_get(spec, "dcql_query"), "aud", WALLET_AUD, "iat",
	        (json_int_t)(now / 1000), "exp", (json_int_t)(row->expires_ms / 1000),
	        "client_metadata", "vp_formats_supported", "dc+sd-jwt", "sd-jwt_alg_values",
	        "ES256", "kb-jwt_alg_values", "ES256", "EdDSA");
	/* Appendix B.1.3.2: W3C presentations with Data Integrity proofs this verifier checks;
	 * offered only to a query that asks for them (review LDP-4), so that a wallet does not
	 * answer an SD-JWT query or a sign-in with one. */
	if (header && payload && oid4vp_dcql_has_ldp(json_object_get(spec, "dcql_query")) &&
	    json_object_set_new(json_object_get(json_object_get(payload, "client_metadata"),
	                                        "vp_formats_supported"),
	                        OID4VP_FORMAT_LDP,
	                        json_pack("{s:[s], s:[s,s]}", "proof_type_values",
	                                  "DataIntegrityProof", "cryptosuite_values",
	                                  "eddsa-rdfc-2022", "eddsa-jcs-2022"))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (header && payload && json_is_string(json_object_get(spec, "client_name")) &&
	    json_object_set(json_object_get(payload, "client_metadata"), "client_name",
	                    json_object_get(spec, "client_name"))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (!header || !payload) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (jwt) {
		json_t *meta = json_object_get(payload, "client_metadata");

		if ((rc = enc_key(d, row, &eph, err)) ||
		    (rc = jose_signer_public(&eph, &pub, err)) ||
		    (rc = jose_jwk_to_json(&pub, &jwk, err)))
			goto out;
		if (json_object_set_new(jwk, "use", json_string("enc")) ||
		    json_object_set_new(jwk, "alg", json_string("ECDH-ES")) ||
		    json_object_set_new(jwk, "kid", json_string(row->id)) ||
		    json_object_set_new(meta, "jwks", json_pack("{s:[O]}", "keys", jwk)) ||
		    json_object_set_new(meta, "encrypted_response_enc_values_supported",
		                        json_pack("[s,s]", "A128GCM", "A256GCM"))) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = jose_jws_sign_json(header, payload, &wallet, out, err);
out:
	json_decref(jwk);
	jose_jwk_release(&pub);
	jose_signer_release(&eph);
	jose_signer_release(&wallet);
	json_decref(header);
	json_decref(payload);
	json_decref(x5c);
	json_decref(spec);
	row_free(row);
	buf_release(&chain);
	return rc;
}

/* Sets member name of object o (when o is an object) to null. */
static int drop(json_t *o, const char *name)
{
	return json_is_object(o) && json_object_get(o, name) &&
	                       json_object_set_new(o, name, json_null())
	               ? OK_ENOMEM
	               : 0;
}

int oid4vp_report_trim(const json_t *cq, json_t *report)
{
	json_t *holder = json_object_get(report, "holder");
	json_t *a = json_object_get(report, "achievement");

	if ((!oid4vp_dcql_asks(cq, "birthdate") && drop(holder, "birth_date")) ||
	    (!oid4vp_dcql_asks(cq, "grade") && drop(a, "grade")) ||
	    (!oid4vp_dcql_asks(cq, "credits_ects") && drop(a, "credits")) ||
	    (!oid4vp_dcql_asks(cq, "awarded_on") && drop(a, "awarded_on")))
		return OK_ENOMEM;
	return 0;
}

int oid4vp_report_verdict(json_t *report, bool accepted, bool unbound)
{
	json_t *headline;

	if (accepted || !json_is_true(json_object_get(report, "verified")))
		return 0;
	headline = json_pack("{s:s, s:n, s:s}", "state", unbound ? "unbound" : "not_accepted",
	                     "since", "text",
	                     unbound ? "Genuine, but not bound to the holder: not verified"
	                             : "Genuine, but not what the request accepts: not verified");
	if (!headline || json_object_set_new(report, "headline", headline) ||
	    json_object_set_new(report, "verified", json_false()))
		return OK_ENOMEM;
	return 0;
}

const char *oid4vp_first_failure(const struct verify_result *r)
{
	if (!r->is_credential)
		return r->not_credential;
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].passed)
			return r->items[i].message;
	return "not verified";
}

/* Verifies the presentations of one credential query into entries (appended). *proved and
 * *unproved: set when a presentation was (was not) made by the holder's wallet for this request
 * (its key binding verified against the nonce and client_id, of a credential a trusted issuer
 * signed). */
static int verify_query(struct depository *d, const json_t *cq, const json_t *list,
                        const struct store_vp_request *row, const char *client_id,
                        bool accept_unbound, json_t *entries, bool *all_ok, bool *any_unbound,
                        bool *proved, bool *unproved, char *why, size_t why_cap,
                        struct ok_error *err)
{
	const char *qid = json_string_value(json_object_get(cq, "id"));
	const char *format = json_string_value(json_object_get(cq, "format"));
	bool ldp = format && strcmp(format, OID4VP_FORMAT_LDP) == 0;
	const json_t *p;
	size_t i;

	json_array_foreach(list, i, p)
	{
		const char *s = json_string_value(p);
		size_t n = json_string_length(p);
		struct verify_options o = {.kb_nonce = row->nonce, .kb_aud = client_id};
		struct verify_result r;
		struct ok_error e;
		json_t *entry, *report = NULL;
		const char *reason = NULL;
		bool ok = false, holder = false;
		int rc;

		memset(&r, 0, sizeof(r));
		ok_error_clear(&e);
		if (ldp) {
			if ((rc = oid4vp_ldp_verify(d, cq, s, n, row->nonce, client_id,
			                            accept_unbound, &entry, &holder, err)))
				return rc;
			*(holder ? proved : unproved) = true;
			/* Verified but for naming no holder, which the request accepted: the
			 * answer's state is verified_unbound, decided once all are seen. */
			if (json_is_true(json_object_get(entry, "verified_unbound")))
				*any_unbound = true;
			else if (!json_is_true(json_object_get(entry, "verified"))) {
				*all_ok = false;
				if (!why[0])
					snprintf(why, why_cap, "%s",
					         json_string_value(
					                 json_object_get(entry, "reason")));
			}
			if (json_array_append_new(entries, entry))
				return ok_fail(err, OK_ENOMEM, "out of memory");
			continue;
		}
		if (!registry_is_sdjwt(s, n)) {
			reason = "the presentation is not an SD-JWT VC (dc+sd-jwt), the format the "
			         "request asked for";
		} else {
			if ((rc = registry_verify_sdjwt(d, s, n, &o, &r, err))) {
				verify_result_release(&r);
				return rc;
			}
			/* The SD-JWT was read with its key-binding JWT required for this nonce
			 * and client_id: a credential back means all of it held. */
			holder = r.is_credential && r.credential;
			report = verify_report_json(d, &r);
			if (!report || oid4vp_report_trim(cq, report)) {
				json_decref(report);
				verify_result_release(&r);
				return ok_fail(err, OK_ENOMEM, "out of memory");
			}
			if (!r.is_credential || !r.verified)
				reason = oid4vp_first_failure(&r);
			else if (oid4vp_dcql_match(cq, r.credential, &e))
				reason = e.message;
			else
				ok = true;
		}
		*(holder ? proved : unproved) = true;
		if (!ok) {
			*all_ok = false;
			if (!why[0])
				snprintf(why, why_cap, "%s", reason);
		}
		if (report && oid4vp_report_verdict(report, ok, false)) {
			json_decref(report);
			verify_result_release(&r);
			return ok_fail(err, OK_ENOMEM, "out of memory");
		}
		entry = json_pack("{s:s, s:b, s:s?, s:o*}", "query", qid, "verified", ok, "reason",
		                  reason, "report", report);
		verify_result_release(&r);
		if (!entry || json_array_append_new(entries, entry))
			return ok_fail(err, OK_ENOMEM, "out of memory");
	}
	return 0;
}

/* An error code a wallet sends back: [a-z_]{1,64}. */
static bool error_code_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
			return false;
	return true;
}

/* Refused answers audited per request: the first few leave a trace for the operator; the rest,
 * which anyone who saw the link could post at the rate limit's speed, would only grow the
 * append-only log (attack s16, finding 4). */
#define REFUSED_AUDITED 3

/* Whether a refused answer to request row is audited: counted in the store's rate-limit area
 * (across the servers on one store, no transaction open), under a keyed hash of the request id,
 * in the minute it expires (so the count lasts as long as the request, and is pruned after).
 * Audited when the count cannot be kept. */
static bool refused_audited(struct depository *d, const struct store_vp_request *row, int64_t now)
{
	unsigned char h[SEAL_DIGEST_BYTES];
	struct seal_digest g;
	struct ok_error ignored;
	int64_t total = 0;

	seal_digest_init(&g, &d->keys);
	seal_digest_add_str(&g, "oorkonde verifier refused answers of");
	seal_digest_add_str(&g, row->id);
	seal_digest_final(&g, h);
	(void)store_ratelimit_prune(d->store, now / 60000 - 1, &ignored);
	if (store_ratelimit_add(d->store, "vp-refused", h, row->expires_ms / 60000, 1, &total,
	                        &ignored))
		return true;
	return total <= REFUSED_AUDITED;
}

enum { F_VP_TOKEN, F_STATE, F_RESPONSE, F_ERROR, F_ERROR_DESCRIPTION, F_COUNT };

int oid4vp_response(struct depository *d, const struct oid4vp_signin *signin_cfg, const char *id,
                    const char *form, size_t n, json_t **reply, struct ok_error *err)
{
	static const char *const names[] = {"vp_token",          "state", "response", "error",
	                                    "error_description", NULL};
	struct buf fields[F_COUNT], plain, vp_text;
	bool set[F_COUNT];
	struct store_vp_request *row = NULL;
	json_t *spec = NULL, *tok = NULL, *entries = NULL, *result = NULL, *decrypted = NULL;
	json_t *who = NULL;
	const char *state = NULL, *client_id, *token_text = NULL;
	char why[VERIFY_MESSAGE_MAX] = "", actor[AUDIT_ACTOR_SIZE], at[32];
	int64_t now = ok_now_ms();
	struct audit_txn t;
	bool verified = true, unbound = false, jwt, same_device, signin;
	bool proved = false, unproved = false;
	char code[OID4VP_TOKEN_MAX] = "";
	char *text = NULL;
	size_t i;
	int rc;

	*reply = NULL;
	for (i = 0; i < F_COUNT; i++)
		buf_init(&fields[i], n + 1);
	buf_init(&plain, n + 1);
	buf_init(&vp_text, n + 1);
	if ((rc = oid4vp_form_read(form, n, names, fields, set, err)))
		goto out;
	if ((rc = load(d, id, &row, &spec, err)))
		goto out;
	if (row->answered_ms) {
		rc = ok_fail(err, OK_EGONE, "the request was answered already");
		goto out;
	}
	if (now >= row->expires_ms) {
		rc = ok_fail(err, OK_EGONE, "the request has expired");
		goto out;
	}
	client_id = json_string_value(json_object_get(spec, "client_id"));
	signin = json_is_true(json_object_get(spec, "signin"));
	same_device = json_is_string(json_object_get(spec, "view")) ||
	              (signin && json_is_true(json_object_get(spec, "same_device")));
	if (signin && (!signin_cfg || !signin_cfg->on)) {
		rc = ok_fail(err, OK_EGONE, "signing in with a wallet is off");
		goto out;
	}
	jwt = strcmp(json_string_value(json_object_get(spec, "response_mode")), MODE_POST_JWT) == 0;
	if (set[F_RESPONSE]) {
		struct jose_signer key = {0};
		json_error_t jerr;
		const json_t *v;

		if (!jwt) {
			rc = ok_fail_field(err, OK_EINPUT, "response",
			                   "this request asked for an unencrypted response "
			                   "(direct_post)");
			goto out;
		}
		if (set[F_VP_TOKEN] || set[F_ERROR] || set[F_ERROR_DESCRIPTION]) {
			rc = ok_fail_field(
			        err, OK_EINPUT, "response",
			        "an encrypted response carries vp_token and error inside "
			        "the JWE, not beside it");
			goto out;
		}
		rc = enc_key(d, row, &key, err);
		if (!rc)
			rc = oid4vp_jwe_decrypt(fields[F_RESPONSE].data, fields[F_RESPONSE].len,
			                        &key, &plain, err);
		jose_signer_release(&key);
		if (rc)
			goto out;
		decrypted = json_loadb(plain.data, plain.len, JSON_REJECT_DUPLICATES, &jerr);
		if (!json_is_object(decrypted)) {
			rc = ok_fail_field(err, OK_EINPUT, "response",
			                   "the decrypted response is not a JSON object");
			goto out;
		}
		state = json_string_value(json_object_get(decrypted, "state"));
		v = json_object_get(decrypted, "vp_token");
		if (json_is_object(v)) {
			char *dumped = json_dumps(v, JSON_COMPACT);

			if (!dumped || buf_addstr(&vp_text, dumped)) {
				free(dumped);
				rc = ok_fail(err, OK_ETOOBIG, "vp_token is too long");
				goto out;
			}
			free(dumped);
			token_text = vp_text.data;
		} else if (v) {
			rc = ok_fail_field(
			        err, OK_EINPUT, "vp_token",
			        "vp_token must be a JSON object keyed by credential query "
			        "id");
			goto out;
		} else if (json_is_string(json_object_get(decrypted, "error"))) {
			set[F_ERROR] = true;
			buf_reset(&fields[F_ERROR]);
			if (buf_addstr(&fields[F_ERROR],
			               json_string_value(json_object_get(decrypted, "error")))) {
				rc = ok_fail_field(err, OK_EINPUT, "error", "error is too long");
				goto out;
			}
			buf_addch(&fields[F_ERROR], '\0');
		}
	} else {
		/* An encrypted request reads only its JWE: no answer, not even an error, is
		 * taken in the clear (review W6). */
		if (jwt) {
			rc = ok_fail_field(err, OK_EINPUT, "response",
			                   "this request asked for an encrypted response "
			                   "(direct_post.jwt): post it, or the error, as response");
			goto out;
		}
		state = set[F_STATE] ? fields[F_STATE].data : NULL;
		token_text = set[F_VP_TOKEN] ? fields[F_VP_TOKEN].data : NULL;
	}
	if (!state || strcmp(state, row->state) != 0) {
		rc = ok_fail_field(err, OK_EINPUT, "state",
		                   "state is missing or is not the request's");
		goto out;
	}
	if (!(entries = json_array())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	if (!token_text) {
		if (!set[F_ERROR] || !error_code_ok(fields[F_ERROR].data)) {
			rc = ok_fail_field(err, OK_EINPUT, "vp_token",
			                   "the response has neither a vp_token nor a valid error");
			goto out;
		}
		verified = false;
		snprintf(why, sizeof(why), "the wallet did not share the credential (%s)",
		         fields[F_ERROR].data);
		/* Same device (review W4): the request object (state and all) is public to
		 * whoever saw the link, so an error anyone can post must not close the request
		 * before the wallet's real answer; it is taken, and nothing changes. The
		 * verifier sees the request expire. A sign-in likewise on either device: whoever
		 * sees a cross-device QR code could otherwise end the learner's sign-in (review
		 * VP-10). */
		if (same_device || signin) {
			if (!(*reply = json_object()))
				rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	} else {
		const json_t *dcql = json_object_get(spec, "dcql_query"), *cq;

		if ((rc = oid4vp_vp_token_parse(token_text, strlen(token_text), dcql, &tok, err)))
			goto out;
		bool sets = json_object_get(dcql, "credential_sets") != NULL;

		if (sets && !oid4vp_dcql_answered(dcql, tok)) {
			verified = false;
			snprintf(why, sizeof(why),
			         "the wallet sent no credential for what the request asked");
		}
		json_array_foreach(json_object_get(dcql, "credentials"), i, cq)
		{
			const char *qid = json_string_value(json_object_get(cq, "id"));
			const json_t *list = json_object_get(tok, qid);

			/* With credential_sets, a query left out is one the wallet did not choose.
			 */
			if (!list && sets)
				continue;
			if (!list) {
				verified = false;
				if (!why[0])
					snprintf(why, sizeof(why),
					         "the wallet sent no credential for what the "
					         "request "
					         "asked (%s)",
					         qid);
				continue;
			}
			if (signin)
				rc = oid4vp_signin_answer(d, signin_cfg, cq, list, row->nonce,
				                          client_id, &who, &verified, why,
				                          sizeof(why), err);
			else
				rc = verify_query(
				        d, cq, list, row, client_id,
				        json_is_true(json_object_get(spec, "accept_unbound")),
				        entries, &verified, &unbound, &proved, &unproved, why,
				        sizeof(why), err);
			if (rc)
				goto out;
		}
	}
	/* A sign-in is closed only by a PID that verified (review VP-10): an answer that does not
	 * (a bystander's who saw the QR code, or a wrong PID) changes nothing, and the wallet is
	 * told why (reasons name checks and claims, never values). The sign-in expires unanswered
	 * otherwise. */
	if (signin && !verified) {
		/* Refused tries leave a trace for the operator, without personal data (LDP9-6): the
		 * first few of each sign-in. */
		if (refused_audited(d, row, now))
			(void)audit_record(d, actor_of(row->id, actor), "verifier.answer.refused",
			                   row->id, PURPOSE, "signin", NULL);
		rc = ok_fail_field(err, OK_EINPUT, "vp_token",
		                   "the PID was not verified (%s); the sign-in stays open until it "
		                   "expires",
		                   why[0] ? why : "no reason given");
		goto out;
	}
	/* A verifier request is closed by an answer only the holder's wallet could make (finding
	 * s16-3): every presentation in it bound to the holder's key for this request's nonce and
	 * client_id. Anyone who saw the link could post the rest (a junk vp_token, another key's
	 * presentation); it is refused and audited, and the request stays open, as for an error
	 * (review W4). */
	if (!signin && token_text && (!proved || unproved)) {
		if (refused_audited(d, row, now))
			(void)audit_record(d, actor_of(row->id, actor), "verifier.answer.refused",
			                   row->id, PURPOSE, "not the holder's", NULL);
		rc = ok_fail_field(err, OK_EINPUT, "vp_token",
		                   "the request stays open: this answer is not bound to it by the "
		                   "holder's key (%s)",
		                   why[0] ? why : "no presentation");
		goto out;
	}
	/* Every presentation verified, some naming no holder (accepted by the request): the
	 * answer is verified_unbound, never verified (review LDP-1). */
	unbound = unbound && verified;
	if (unbound) {
		verified = false;
		snprintf(why, sizeof(why), "%s", OID4VP_UNBOUND_REASON);
	}
	audit_format_time(now, at);
	/* Same device (review VP-1): whoever started the sign-in must also hold the code the
	 * wallet hands to the browser it sends back, so that a sign-in started in another browser
	 * (an attacker's, who passed on its link) cannot be finished there. Only its hash is kept,
	 * sealed with the result. */
	if (signin && same_device && verified && json_is_object(who)) {
		uint8_t h[crypto_hash_sha256_BYTES];
		char hex[2 * crypto_hash_sha256_BYTES + 1];

		if ((rc = random_b64(32, code, sizeof(code), err)))
			goto out;
		crypto_hash_sha256(h, (const unsigned char *)code, strlen(code));
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
		if (json_object_set_new(who, "code_hash", json_string(hex))) {
			rc = ok_fail(err, OK_ENOMEM, "out of memory");
			goto out;
		}
	}
	/* A sign-in's result is the identifier it found (sealed, taken once by the browser that
	 * started it), not the PID's claims. */
	result = json_pack("{s:b, s:b, s:s?, s:s, s:O, s:O?}", "verified", verified,
	                   "verified_unbound", unbound, "reason", verified ? NULL : why,
	                   "answered_at", at, "credentials", entries, "signin",
	                   verified ? who : NULL);
	if (!result || !(text = json_dumps(result, JSON_COMPACT))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	buf_reset(&row->result);
	row->key_id = d->keys.key_id;
	if ((rc = seal_field(&d->keys, SEAL_RESULT, row->id, text, strlen(text), &row->result,
	                     err)))
		goto out;
	row->answered_ms = now;
	/* A sign-in's result is a login: taken within seconds, or not at all (review VP-5). */
	row->keep_until_ms = now + (signin ? OID4VP_SIGNIN_TAKE_S * 1000LL
	                                   : (int64_t)d->verifier_result_ttl_s * 1000);
	row->verified = verified ? 1 : 0;
	if ((rc = audit_txn_begin(d, &t, err)))
		goto out;
	rc = store_vp_answer(d->store, row, now, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_EGONE, "the request was answered already or has expired");
	if (!rc)
		rc = audit_txn_event(&t, actor_of(row->id, actor), "verifier.answer", row->id,
		                     PURPOSE,
		                     verified  ? "verified"
		                     : unbound ? "verified unbound"
		                               : "not verified",
		                     err);
	if ((rc = audit_txn_end(&t, rc, err)))
		goto out;
	*reply = json_object();
	/* Same device: the wallet sends the browser back to the result page, which holds the
	 * verifier's own token. Anyone who saw the link can post an answer, so only one whose
	 * presentations verified against this request's nonce and client id (made by the holder's
	 * key, hence by the holder's wallet) is given it (review W4). */
	if (*reply && same_device && verified && signin) {
		char url[OID4VP_URL_MAX];

		if (ok_format(url, sizeof(url), "%s/signin/wallet/done?response_code=%s",
		              d->base_url, code) == 0)
			json_object_set_new(*reply, "redirect_uri", json_string(url));
	} else if (*reply && same_device && verified) {
		const char *b64 = json_string_value(json_object_get(spec, "view"));
		struct buf sealed, view;
		char url[OID4VP_URL_MAX];

		buf_init(&sealed, 512);
		buf_init(&view, OID4VP_TOKEN_MAX);
		if (jose_b64_decode_buf(b64, strlen(b64), &sealed, "view", err) == 0 &&
		    seal_open(&d->keys, SEAL_VIEW, row->id, (const unsigned char *)sealed.data,
		              sealed.len, &view, err) == 0 &&
		    buf_addch(&view, '\0') == 0 &&
		    ok_format(url, sizeof(url), "%s/request/%s", d->base_url, view.data) == 0)
			json_object_set_new(*reply, "redirect_uri", json_string(url));
		buf_release(&sealed);
		buf_release(&view);
	}
	if (!*reply)
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
out:
	for (i = 0; i < F_COUNT; i++)
		buf_release(&fields[i]);
	buf_release(&plain);
	buf_release(&vp_text);
	/* A sign-in's result holds the national identifier in the clear until sealed. */
	if (text)
		sodium_memzero(text, strlen(text));
	free(text);
	json_decref(result);
	json_decref(entries);
	json_decref(tok);
	json_decref(decrypted);
	json_decref(who);
	json_decref(spec);
	row_free(row);
	return rc;
}

int oid4vp_result(struct depository *d, const char *view, json_t **out, struct ok_error *err)
{
	uint8_t hash[STORE_VP_HASH_BYTES];
	struct store_vp_request *row = NULL;
	json_t *spec = NULL, *result = NULL, *doc = NULL;
	char request_uri[OID4VP_URL_MAX], link[2 * OID4VP_URL_MAX], at[32], actor[AUDIT_ACTOR_SIZE];
	const char *status;
	int64_t now = ok_now_ms();
	json_error_t jerr;
	struct buf plain;
	int rc;

	*out = NULL;
	buf_init(&plain, STORE_VP_RESULT_MAX);
	if (strlen(view) >= OID4VP_TOKEN_MAX) {
		rc = ok_fail(err, OK_ENOTFOUND, "no such request");
		goto out;
	}
	hash_view(view, hash);
	if (!(row = row_new())) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_vp_find_view(d->store, hash, row, err);
	if (rc == OK_ENOTFOUND)
		rc = ok_fail(err, OK_ENOTFOUND,
		             "no such request (or it was deleted after its time)");
	if (rc)
		goto out;
	if (!(spec = json_loads(row->spec, JSON_REJECT_DUPLICATES, &jerr))) {
		rc = ok_fail(err, OK_EINTERNAL, "a stored request does not read back");
		goto out;
	}
	/* A wallet sign-in's result is the browser's that started it, through the portal only. */
	if (json_is_true(json_object_get(spec, "signin"))) {
		rc = ok_fail(err, OK_ENOTFOUND, "no such request");
		goto out;
	}
	if (row->answered_ms) {
		if (row->key_id != d->keys.key_id) {
			rc = ok_fail(err, OK_EGONE,
			             "the result was sealed under a data key rotated away since");
			goto out;
		}
		if ((rc = seal_open(&d->keys, SEAL_RESULT, row->id,
		                    (const unsigned char *)row->result.data, row->result.len,
		                    &plain, err)))
			goto out;
		if (!(result = json_loadb(plain.data, plain.len, JSON_REJECT_DUPLICATES, &jerr))) {
			rc = ok_fail(err, OK_EINTERNAL, "a stored result does not read back");
			goto out;
		}
		if ((rc = audit_record(d, actor_of(row->id, actor), "verifier.result.read", row->id,
		                       PURPOSE, "", err)))
			goto out;
		status = row->verified ? "verified"
		         : json_is_true(json_object_get(result, "verified_unbound"))
		                 ? "verified_unbound"
		                 : "not_verified";
	} else {
		status = now >= row->expires_ms ? "expired" : "pending";
	}
	if ((rc = request_urls(d, row->id, json_string_value(json_object_get(spec, "client_id")),
	                       request_uri, link, sizeof(link), err)))
		goto out;
	audit_format_time(row->expires_ms, at);
	doc = json_pack("{s:s, s:s, s:O?, s:O?, s:O, s:b, s:s, s:o?}", "status", status,
	                "expires_at", at, "label", json_object_get(spec, "label"), "requester",
	                json_object_get(spec, "client_name"), "asked",
	                json_object_get(spec, "dcql_query"), "accept_unbound",
	                json_is_true(json_object_get(spec, "accept_unbound")), "link", link,
	                "result", result);
	result = NULL;
	if (!doc) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	*out = doc;
out:
	json_decref(result);
	json_decref(spec);
	row_free(row);
	buf_release(&plain);
	return rc;
}
