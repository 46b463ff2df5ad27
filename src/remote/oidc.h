/* OpenID Connect relying party, the part that talks to identity providers: their configuration
 * (config.json "oidc"), their discovery documents and key sets (fetched over https, cached by
 * max-age), the token request of the authorization code flow (and PAR), and the checks of an
 * ID token. The portal (portal/oidc_signin.h) drives the flow; nothing here knows learners.
 *
 * Invariants:
 * - Only the configured issuer's discovery document is fetched, and only the endpoints it names
 *   whose host is the issuer's own or one of the provider's "endpoint_hosts", all over https:
 *   nothing an outsider sends chooses a URL.
 * - Every document read is capped (OIDC_DOC_MAX) and every exchange bounded in time; a provider
 *   that is down or slow fails with OK_EBUSY ("unavailable"), never hangs a thread for long.
 * - An ID token is accepted only when signed with an algorithm of the allow-list (ES256,
 *   EdDSA, RS256, PS256, also offered by the provider) under a key of the provider's JWKS, with
 *   iss, aud, azp, exp, iat (within OIDC_SKEW_S), nonce and, when acr_values is set, acr right.
 * - The client secret and the private_key_jwt key never appear in a message.
 */
#ifndef OK_REMOTE_OIDC_H
#define OK_REMOTE_OIDC_H

#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "jose/jwk.h"
#include "remote/fetch_guard.h"

#define OIDC_PROVIDERS_MAX     8
#define OIDC_ID_MAX            32 /* a provider's id: [a-z0-9-], in URLs and audit events */
#define OIDC_URL_MAX           512
#define OIDC_DOC_MAX           ((size_t)64 << 10) /* discovery, JWKS and token answers */
#define OIDC_SKEW_S            60                 /* clock difference allowed on exp and iat */
#define OIDC_IAT_MAX_AGE_S     600                /* an ID token older than this is refused */
#define OIDC_JWKS_REFETCH_MS   60000              /* at most one refetch a minute per provider */
#define OIDC_CACHE_MAX_S       86400
#define OIDC_CACHE_DEFAULT_S   3600    /* when the provider sends no max-age */
#define OIDC_CACHE_MIN_S       60      /* a shorter max-age (no-store) counts as this */
#define OIDC_JWKS_STALE_MAX_MS 3600000 /* an expired key set serves at most this long more */
#define OIDC_CONNECT_MS        2000
#define OIDC_TIMEOUT_MS        5000
#define OIDC_IN_FLIGHT         2  /* exchanges at once per provider, by default */
#define OIDC_RETRY_AFTER_S     30 /* a failed provider is left alone this long, by default */
#define OIDC_NATIONAL_ID_MAX   64
#define OIDC_PATTERN_MAX       128

/* What a provider's national ids are (config "id_scheme", see oidc_scheme_parse). */
enum oidc_scheme {
	OIDC_SCHEME_NL_BSN = 1, /* "NL:BSN": the Dutch citizen service number */
	OIDC_SCHEME_EIDAS,      /* "eIDAS": a PersonIdentifier "CC/DD/value" of the eIDAS node */
	OIDC_SCHEME_COUNTRY,    /* "CC:NAME": one country's identifier (id_pattern, or a default) */
};

enum oidc_client_auth {
	OIDC_AUTH_SECRET_BASIC = 1,
	OIDC_AUTH_PRIVATE_KEY_JWT,
};

/* What a discovery document says (checked: see oidc_metadata_parse). */
struct oidc_metadata {
	char authorization_endpoint[OIDC_URL_MAX];
	char token_endpoint[OIDC_URL_MAX];
	char jwks_uri[OIDC_URL_MAX];
	char par_endpoint[OIDC_URL_MAX];         /* "" when not offered */
	char end_session_endpoint[OIDC_URL_MAX]; /* "" when not offered */
	unsigned algs;                           /* enum jose_alg mask: offered and allowed */
};

struct oidc_provider {
	/* From config.json */
	char id[OIDC_ID_MAX + 1];
	char name[128];
	char issuer[OIDC_URL_MAX];
	char client_id[256];
	enum oidc_client_auth auth;
	char scope[256];                   /* space-separated, always with "openid" */
	char claim[64];                    /* the claim carrying the national identifier */
	char acr_values[128];              /* "" for none */
	char id_scheme[32];                /* e.g. "NL:BSN" */
	enum oidc_scheme scheme;           /* id_scheme read */
	char scheme_country[3];            /* "NL" for NL:BSN, CC for CC:NAME; "" for eIDAS */
	char id_pattern[OIDC_PATTERN_MAX]; /* CC:NAME: the POSIX ERE an id must match whole */
	char id_countries[64]; /* eIDAS: the countries it may speak for, "BE,DE" (required) */
	bool has_pattern;
	regex_t pattern;          /* id_pattern compiled */
	char ca_file[512];        /* "" for the system's CAs */
	char endpoint_hosts[256]; /* other hosts its endpoints may be on, comma-separated */
	unsigned algs_allowed;    /* enum jose_alg mask: config "algs", default all four */
	/* From the data folder: oidc-ID.secret, or oidc-ID.key (private_key_jwt) */
	char secret[256];
	struct jose_signer key;
	char key_kid[JOSE_THUMBPRINT_MAX];
	/* Cached, under lock */
	pthread_mutex_t lock;
	struct oidc_metadata meta;
	int64_t meta_until_ms; /* 0: none held */
	json_t *jwks;
	int64_t jwks_until_ms;
	int64_t jwks_ttl_ms;
	int64_t jwks_fetched_ms;
	int64_t (*now_ms)(void); /* ok_now_ms; a test may set its own clock */
};

struct oidc_rp {
	struct oidc_provider *providers; /* n of them, owned */
	size_t n;
	long connect_ms;
	long timeout_ms; /* for all the exchanges of one sign-in leg together */
	/* Every exchange with a provider goes through it: at most max_in_flight per provider
	 * (config, default 2) and guard.max_total in all (the server: half its threads); a
	 * provider that failed is not asked again for retry_after_s (default 30). */
	struct remote_fetch_guard guard;
	bool guard_ready;
};

/* What a checked ID token says about who signed in. */
struct oidc_identity {
	char national_id[OIDC_NATIONAL_ID_MAX + 1]; /* the value within the scheme */
	char country[3]; /* whose institutions' registrations it belongs to (ISO 3166-1) */
	char acr[64];    /* one of acr_values, or "" */
};

/* Configuration */

/*
 * Reads config.json's "oidc" object of the data folder dir: {"providers": [{"id", "name",
 * "issuer", "client_id", "client_auth": "client_secret_basic"|"private_key_jwt", "scopes":
 * [..], "national_id_claim", "acr_values"?, "id_scheme", "ca_file"?, "endpoint_hosts"?: [..],
 * "algs"?: [..], "id_pattern"?, "id_countries"?: [..]}], "timeout_ms"?, "max_in_flight"?,
 * "retry_after_s"?}; and each provider's secret (dir/oidc-ID.secret) or key
 * (dir/oidc-ID.key). No "oidc": no provider. OK_EINPUT naming the field when one is wrong.
 * The caller releases rp, also on failure.
 */
int oidc_rp_load(struct oidc_rp *rp, const char *dir, struct ok_error *err);
/* The same from the "oidc" object alone, without reading secrets or keys (dir NULL). */
int oidc_config_parse(const json_t *oidc, struct oidc_rp *rp, struct ok_error *err);
void oidc_rp_release(struct oidc_rp *rp);
/* The provider with id, or NULL. */
struct oidc_provider *oidc_rp_find(struct oidc_rp *rp, const char *id);

/*
 * The private_key_jwt key of provider id in the data folder dir (oidc-ID.key, made on first use,
 * 0600): *jwk gets its public JWK with "kid", "use": "sig" and "alg" (new reference), for
 * registration at the provider.
 */
int oidc_client_key_jwk(const char *dir, const char *id, json_t **jwk, struct ok_error *err);

/* National id schemes (pure: fuzzed) */

/*
 * Reads config's "id_scheme" (and "id_pattern", "id_countries") into p: "NL:BSN", "eIDAS" or
 * "CC:NAME" (CC an ISO 3166-1 country in capitals, NAME 1-16 of A-Z, 0-9, '-'). OK_EINPUT naming
 * the field when one is wrong.
 */
int oidc_scheme_parse(struct oidc_provider *p, const char *scheme, const char *pattern,
                      const char *countries, struct ok_error *err);
/*
 * Reads the national id claim's value of provider p (text; value_len bytes) by p's scheme: the
 * country whose registrations it belongs to into out->country and the identifier into
 * out->national_id. NL:BSN: exactly 9 digits passing the eleven-test. eIDAS: "CC/DD/value" (CC
 * among id_countries; an NL value a BSN). CC:NAME: the id_pattern, else 4-32 of letters, digits,
 * ' ', '.', '-'; for other countries than NL never another country's id in the importer's normal
 * form (another code before a digit; a bare BSN unless id_pattern allows nine digits).
 * OK_EINVALID (field national_id_claim) when it does not fit.
 */
int oidc_scheme_read(const struct oidc_provider *p, const char *value, size_t value_len,
                     struct oidc_identity *out, struct ok_error *err);

/* Documents (pure: fuzzed) */

/*
 * Reads the n bytes of a discovery document of provider p into m: "issuer" equal to p's,
 * authorization, token and JWKS endpoints (PAR and end-session when given) https URLs on
 * allowed hosts, S256 among code_challenge_methods_supported when listed, "code" among
 * response_types_supported, and at least one signing algorithm both sides allow.
 */
int oidc_metadata_parse(const char *doc, size_t n, const struct oidc_provider *p,
                        struct oidc_metadata *m, struct ok_error *err);
/* Reads a JWKS document: *out gets it (new reference) when it is {"keys": [objects]}, at most
 * 64 keys. */
int oidc_jwks_parse(const char *doc, size_t n, json_t **out, struct ok_error *err);
/* The key of jwks for kid (NULL: the one key that suits alg) into key. OK_ENOTFOUND when none. */
int oidc_jwks_key(const json_t *jwks, const char *kid, enum jose_alg alg, struct jose_jwk *key,
                  struct ok_error *err);
/*
 * Checks the ID token against jwks and p: signature with an algorithm of algs, iss, aud, azp,
 * exp, iat, nonce, acr; reads the national id claim into out. OK_ENOTFOUND when jwks holds no
 * key for its kid (the caller may refetch); OK_EINVALID for any other refusal, the message
 * naming the claim.
 */
int oidc_id_token_check(const struct oidc_provider *p, unsigned algs, const json_t *jwks,
                        const char *token, const char *nonce, int64_t now_ms,
                        struct oidc_identity *out, struct ok_error *err);

/* Exchanges with the provider (bounded; OK_EBUSY when it cannot be reached in time) */

/* p's metadata, fetched when none is held or it expired. */
int oidc_provider_metadata(struct oidc_rp *rp, struct oidc_provider *p, struct oidc_metadata *m,
                           struct ok_error *err);
/* A pushed authorization request (RFC 9126) of the form params: request_uri gets its answer. */
int oidc_par(struct oidc_rp *rp, struct oidc_provider *p, const struct oidc_metadata *m,
             const char *params, char request_uri[OIDC_URL_MAX], struct ok_error *err);
/*
 * The token request of an authorization code (with its PKCE verifier) and the check of the ID
 * token of its answer (nonce), refetching the JWKS once on an unknown kid when the last fetch
 * is more than a minute old. The provider's refusal (a replayed code) is OK_EAUTH.
 */
int oidc_redeem(struct oidc_rp *rp, struct oidc_provider *p, const char *code, const char *verifier,
                const char *redirect_uri, const char *nonce, struct oidc_identity *out,
                struct ok_error *err);

/* Helpers the portal shares */

/* Appends the application/x-www-form-urlencoded form of s to out. */
int oidc_form_escape(struct buf *out, const char *s);

#endif
