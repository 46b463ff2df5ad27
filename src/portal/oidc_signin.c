/* The two legs of a learner's sign-in with an OpenID provider, and the session it starts (see
 * oidc_signin.h). */
#include "portal/oidc_signin.h"
#include "portal/internal.h"

#include "core/clock.h"
#include "core/format.h"
#include "store/store.h"
#include "registry/learner.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define SEED_BYTES 32
#define FLOW_PLAIN (SEED_BYTES + 8)
#define FLOW_BYTES                                                   \
	(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + FLOW_PLAIN + \
	 crypto_aead_xchacha20poly1305_ietf_ABYTES)
#define PURPOSE "sign-in"

/* The flow cookie's key: the data key's sealing key, put through a label of its own. */
static void flow_key(const struct depository *d, unsigned char key[32])
{
	static const char label[] = "oorkonde oidc flow v1";

	crypto_generichash(key, 32, (const unsigned char *)label, sizeof(label) - 1, d->keys.seal,
	                   sizeof(d->keys.seal));
}

/* One of the values a seed gives (label "state", "nonce", "pkce"): 32 bytes in base64url. */
static void derive(const unsigned char seed[SEED_BYTES], const char *label,
                   char out[PORTAL_TOKEN_SIZE])
{
	unsigned char v[32];

	crypto_generichash(v, sizeof(v), (const unsigned char *)label, strlen(label), seed,
	                   SEED_BYTES);
	sodium_bin2base64(out, PORTAL_TOKEN_SIZE, v, sizeof(v),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(v, sizeof(v));
}

static void pkce_challenge(const char *verifier, char out[PORTAL_TOKEN_SIZE])
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)verifier, strlen(verifier));
	sodium_bin2base64(out, PORTAL_TOKEN_SIZE, h, sizeof(h),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void put_u64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_u64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void flow_seal(const struct depository *d, const char *provider,
                      const unsigned char seed[SEED_BYTES], int64_t until_ms,
                      char cookie[PORTAL_OIDC_COOKIE_SIZE])
{
	unsigned char key[32], plain[FLOW_PLAIN], sealed[FLOW_BYTES];
	unsigned char *npub = sealed;

	flow_key(d, key);
	memcpy(plain, seed, SEED_BYTES);
	put_u64(plain + SEED_BYTES, (uint64_t)until_ms);
	randombytes_buf(npub, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	        sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, NULL, plain, sizeof(plain),
	        (const unsigned char *)provider, strlen(provider), NULL, npub, key);
	sodium_bin2base64(cookie, PORTAL_OIDC_COOKIE_SIZE, sealed, sizeof(sealed),
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(plain, sizeof(plain));
}

/* The seed of a sealed flow of provider that has not ended; false otherwise. */
static bool flow_open(const struct depository *d, const char *provider, const char *cookie,
                      unsigned char seed[SEED_BYTES])
{
	unsigned char key[32], plain[FLOW_PLAIN], sealed[FLOW_BYTES];
	size_t n = 0;
	bool ok;

	if (!cookie || strlen(cookie) >= PORTAL_OIDC_COOKIE_SIZE ||
	    sodium_base642bin(sealed, sizeof(sealed), cookie, strlen(cookie), NULL, &n, NULL,
	                      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    n != sizeof(sealed))
		return false;
	flow_key(d, key);
	ok = crypto_aead_xchacha20poly1305_ietf_decrypt(
	             plain, NULL, NULL, sealed + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	             sizeof(sealed) - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
	             (const unsigned char *)provider, strlen(provider), sealed, key) == 0;
	sodium_memzero(key, sizeof(key));
	if (ok) {
		int64_t until = (int64_t)get_u64(plain + SEED_BYTES), now = ok_now_ms();
		ok = until > now && until - now <= PORTAL_OIDC_FLOW_S * 1000LL;
		memcpy(seed, plain, SEED_BYTES);
	}
	sodium_memzero(plain, sizeof(plain));
	return ok;
}

/* The flow's row (hashes of its state, nonce and verifier, the provider, its end) as the store
 * keeps it, from its seed. */
static void flow_row(const struct oidc_provider *p, const unsigned char seed[SEED_BYTES],
                     int64_t now, struct store_oidc_flow *f)
{
	char v[PORTAL_TOKEN_SIZE];

	memset(f, 0, sizeof(*f));
	derive(seed, "state", v);
	portal_token_hash("oidc-state", v, f->state_hash);
	derive(seed, "nonce", v);
	portal_token_hash("oidc-nonce", v, f->nonce_hash);
	derive(seed, "pkce", v);
	portal_token_hash("oidc-pkce", v, f->verifier_hash);
	sodium_memzero(v, sizeof(v));
	memcpy(f->provider, p->id, strlen(p->id) + 1);
	f->created_ms = now;
	f->expires_ms = now + PORTAL_OIDC_FLOW_S * 1000LL;
}

/* Records a started flow, sweeping those that ended. */
static int flow_record(struct depository *d, const struct store_oidc_flow *f, struct ok_error *err)
{
	int rc;

	if ((rc = store_begin(d->store, err)))
		return rc;
	rc = store_oidc_flow_prune(d->store, f->created_ms, err);
	if (!rc)
		rc = store_oidc_flow_put(d->store, f, err);
	if (!rc && !(rc = store_commit(d->store, err)))
		return 0;
	store_rollback(d->store);
	return rc;
}

/* Takes the flow of seed: it exists, is p's and has not ended; after this it is gone, so a
 * callback is honoured once whatever the provider does with a second use of its code. */
static int flow_take(struct depository *d, const struct oidc_provider *p,
                     const unsigned char seed[SEED_BYTES], struct ok_error *err)
{
	struct store_oidc_flow f;
	int64_t now = ok_now_ms();
	int rc;

	flow_row(p, seed, now, &f);
	if ((rc = store_begin(d->store, err)))
		return rc;
	rc = store_oidc_flow_take(d->store, &f, now, err);
	if (!rc && !(rc = store_commit(d->store, err)))
		return 0;
	store_rollback(d->store);
	return rc;
}

/* Appends "&name=value" (value escaped); "?" in place of "&" when first. */
static int param(struct buf *b, bool first, const char *name, const char *value)
{
	return buf_addf(b, "%s%s=", first ? "" : "&", name) || oidc_form_escape(b, value);
}

int portal_oidc_start(struct depository *d, struct oidc_rp *rp, struct oidc_provider *p,
                      const char *redirect_uri, struct buf *location,
                      char cookie[PORTAL_OIDC_COOKIE_SIZE], struct ok_error *err)
{
	unsigned char seed[SEED_BYTES];
	char state[PORTAL_TOKEN_SIZE], nonce[PORTAL_TOKEN_SIZE], verifier[PORTAL_TOKEN_SIZE];
	char challenge[PORTAL_TOKEN_SIZE], request_uri[OIDC_URL_MAX];
	struct oidc_metadata m;
	struct buf q;
	int rc;

	cookie[0] = '\0';
	buf_reset(location);
	if ((rc = oidc_provider_metadata(rp, p, &m, err)))
		return rc;
	randombytes_buf(seed, sizeof(seed));
	derive(seed, "state", state);
	derive(seed, "nonce", nonce);
	derive(seed, "pkce", verifier);
	pkce_challenge(verifier, challenge);
	buf_init(&q, 8192);
	if (param(&q, true, "response_type", "code") ||
	    param(&q, false, "client_id", p->client_id) ||
	    param(&q, false, "redirect_uri", redirect_uri) || param(&q, false, "scope", p->scope) ||
	    param(&q, false, "state", state) || param(&q, false, "nonce", nonce) ||
	    param(&q, false, "code_challenge", challenge) ||
	    param(&q, false, "code_challenge_method", "S256") ||
	    (p->acr_values[0] && param(&q, false, "acr_values", p->acr_values))) {
		rc = ok_fail(err, OK_ETOOBIG, "the authorization request is too long");
		goto out;
	}
	if (m.par_endpoint[0]) {
		/* RFC 9126: the request goes straight to the provider; the browser carries only
		 * its handle. */
		if ((rc = oidc_par(rp, p, &m, q.data, request_uri, err)))
			goto out;
		rc = buf_addf(location, "%s%c", m.authorization_endpoint,
		              strchr(m.authorization_endpoint, '?') ? '&' : '?') ||
		     param(location, true, "client_id", p->client_id) ||
		     param(location, false, "request_uri", request_uri);
	} else {
		rc = buf_addf(location, "%s%c%s", m.authorization_endpoint,
		              strchr(m.authorization_endpoint, '?') ? '&' : '?', q.data);
	}
	if (rc) {
		rc = ok_fail(err, OK_ETOOBIG, "the authorization URL is too long");
		goto out;
	}
	{
		struct store_oidc_flow f;
		flow_row(p, seed, ok_now_ms(), &f);
		if ((rc = flow_record(d, &f, err)))
			goto out;
		flow_seal(d, p->id, seed, f.expires_ms, cookie);
	}
out:
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(verifier, sizeof(verifier));
	sodium_memzero(nonce, sizeof(nonce));
	buf_release(&q);
	return rc;
}

/* An audit event of the flow that names no learner; its failure is not the learner's. */
static void audit_flow(struct depository *d, const struct oidc_provider *p, const char *action,
                       const char *reason)
{
	char actor[OIDC_ID_MAX + 8], detail[96];

	if (!ok_format(actor, sizeof(actor), "oidc:%s", p->id) &&
	    !ok_format(detail, sizeof(detail), "reason=%s", reason[0] ? reason : "other"))
		audit_record(d, actor, action, NULL, PURPOSE, detail, NULL);
}

/* Starts a session for learner_id, as portal_login does for a link. */
static int session_start(struct depository *d, const struct oidc_provider *p,
                         const char *learner_id, const char *acr, struct portal_session *out,
                         struct ok_error *err)
{
	struct audit_txn txn;
	char via[OIDC_ID_MAX + 64];
	int rc;

	/* acr is one of acr_values or a short safe token (oidc_docs.c): no personal data. */
	if (ok_format(via, sizeof(via), "oidc:%s%s%.40s", p->id, acr[0] ? " acr=" : "", acr))
		return ok_fail(err, OK_EINTERNAL, "audit detail too long");
	if ((rc = audit_txn_begin(d, &txn, err)))
		return rc;
	rc = portal_session_open(d, &txn, learner_id, p->id, via, out, err);
	return audit_txn_end(&txn, rc, err);
}

/* The institutions of a learner's records, each once (at most INSTITUTIONS_MAX). */
#define INSTITUTIONS_MAX 64
struct institutions {
	char code[INSTITUTIONS_MAX][33];
	size_t n;
};

static int collect_institution(void *ctx, const struct store_achievement *a)
{
	struct institutions *in = ctx;
	size_t i;

	for (i = 0; i < in->n; i++)
		if (strcmp(in->code[i], a->institution) == 0)
			return 0;
	if (in->n < INSTITUTIONS_MAX)
		memcpy(in->code[in->n++], a->institution, sizeof(in->code[0]));
	return 0;
}

/*
 * Whether the learner's national id was registered under country's scheme: by an institution of
 * that country (the importer checks an id by its institution's country, so that is the namespace
 * the id was given in). OK_ENOTFOUND when not: a provider for one country's ids cannot sign in a
 * learner whose matching number only another country's institution registered.
 */
static int registered_in(struct depository *d, const char *learner_id, const char *country,
                         struct ok_error *err)
{
	struct institutions *in = calloc(1, sizeof(*in));
	struct store_institution inst;
	size_t i;
	int rc;

	if (!in)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = registry_learner_achievements(d, learner_id, collect_institution, in, err);
	for (i = 0; !rc && i < in->n; i++) {
		rc = store_institution_get(d->store, in->code[i], &inst, err);
		if (rc == OK_ENOTFOUND)
			rc = 0;
		else if (!rc && strcmp(inst.country, country) == 0)
			break;
	}
	if (!rc && i == in->n)
		rc = ok_fail(err, OK_ENOTFOUND, "not registered under this scheme");
	free(in);
	return rc;
}

/*
 * The learner of an identifier of country cc (oidc_scheme_read), in the importer's two spellings
 * (formats.md, "National ids"): with the country's code in front ("BE 85.07.30-033.28", which
 * says the country itself: any institution may have registered it), or bare, which is the
 * registering institution's country's number, so a learner found so counts only with a record of
 * an institution of cc. A Dutch BSN is always stored bare. OK_ENOTFOUND when none.
 */
int portal_find_in_scheme(struct depository *d, const char *national_id, const char *cc,
                          char learner_id[STORE_ID_MAX + 1], struct ok_error *err)
{
	char spelled[OIDC_NATIONAL_ID_MAX + 3];
	const char *bare = national_id;
	bool prefixed = (national_id[0] & ~0x20) == cc[0] && (national_id[1] & ~0x20) == cc[1];
	int rc;

	if (strcmp(cc, "NL") != 0) {
		if (ok_format(spelled, sizeof(spelled), "%s%s", prefixed ? "" : cc, national_id))
			return ok_fail(err, OK_ENOTFOUND, "no learner with that national id");
		rc = registry_learner_find_id(d, spelled, learner_id, err);
		sodium_memzero(spelled, sizeof(spelled));
		if (rc != OK_ENOTFOUND && rc != OK_EINPUT)
			return rc;
		if (prefixed && national_id[2] >= '0' && national_id[2] <= '9')
			bare = national_id + 2;
	}
	rc = registry_learner_find_id(d, bare, learner_id, err);
	if (!rc)
		rc = registered_in(d, learner_id, cc, err);
	return rc;
}

int portal_oidc_finish(struct depository *d, struct oidc_rp *rp, struct oidc_provider *p,
                       const char *cookie, const char *state, const char *code,
                       const char *redirect_uri, struct portal_session *out, struct ok_error *err)
{
	unsigned char seed[SEED_BYTES];
	char want[PORTAL_TOKEN_SIZE], nonce[PORTAL_TOKEN_SIZE], verifier[PORTAL_TOKEN_SIZE];
	char learner_id[STORE_ID_MAX + 1];
	struct oidc_identity who;
	struct ok_error lookup;
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&who, 0, sizeof(who));
	/* No audit event before the flow is known to be a real one of ours, still open: an
	 * anonymous request without (or with a stale or replayed) flow must not be able to write
	 * to the audit log at will. */
	if (!flow_open(d, p->id, cookie, seed))
		return ok_fail(err, OK_EAUTH,
		               "this sign-in was not started here, or took too long: start again");
	derive(seed, "state", want);
	derive(seed, "nonce", nonce);
	derive(seed, "pkce", verifier);
	if (!state || strlen(state) != PORTAL_TOKEN_LEN ||
	    sodium_memcmp(state, want, PORTAL_TOKEN_LEN) != 0) {
		sodium_memzero(seed, sizeof(seed));
		rc = ok_fail(err, OK_EAUTH, "the sign-in's state does not match: start again");
		goto out;
	}
	rc = flow_take(d, p, seed, err);
	sodium_memzero(seed, sizeof(seed));
	if (rc == OK_ENOTFOUND) {
		rc = ok_fail(err, OK_EAUTH, "this sign-in was finished already: start again");
		goto out;
	}
	if (rc)
		goto out;
	if (!code || !*code || strlen(code) > 2048) {
		audit_flow(d, p, "oidc.refused", "code");
		rc = ok_fail(err, OK_EAUTH, "the provider sent no code: start again");
		goto out;
	}
	rc = oidc_redeem(rp, p, code, verifier, redirect_uri, nonce, &who, err);
	if (rc) {
		audit_flow(d, p, rc == OK_EBUSY ? "oidc.unavailable" : "oidc.refused",
		           rc == OK_EAUTH         ? "code"
		           : err && err->field[0] ? err->field
		                                  : "token");
		goto out;
	}
	/* A national id of a form the importer refuses has no record either. */
	ok_error_clear(&lookup);
	rc = portal_find_in_scheme(d, who.national_id, who.country, learner_id, &lookup);
	if (rc == OK_ENOTFOUND || rc == OK_EINPUT) {
		audit_flow(d, p, "oidc.unknown", "national_id");
		rc = ok_fail(err, OK_ENOTFOUND, "no records are registered for you");
		goto out;
	}
	if (rc) {
		if (err)
			*err = lookup;
		goto out;
	}
	rc = session_start(d, p, learner_id, who.acr, out, err);
out:
	sodium_memzero(&who, sizeof(who));
	sodium_memzero(verifier, sizeof(verifier));
	sodium_memzero(nonce, sizeof(nonce));
	if (rc)
		sodium_memzero(out, sizeof(*out));
	return rc;
}
