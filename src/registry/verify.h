/* Verifying a credential, either format: every check with a plain-language explanation.
 *
 * Order: size and encoding (1 MiB, UTF-8, JSON depth 64, no duplicate keys) → structure (a VC 2.0
 * credential) → proof (cryptosuite, key resolution, the @context rule, signature; the
 * verification method must belong to the issuer) → validity period → status → issuer trust.
 * A check not asked for is not run. An input that is not a credential at all is reported apart
 * (is_credential false), as the CLI exits 2 for it and 1 for an invalid credential.
 */
#ifndef OK_REGISTRY_VERIFY_H
#define OK_REGISTRY_VERIFY_H

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>

#include "core/json_tree.h"
#include "depository/depository.h"
#include "vc/did.h"

enum verify_check {
	VERIFY_PROOF = 1,
	VERIFY_VALIDITY = 2,
	VERIFY_STATUS = 4,
	VERIFY_ISSUER = 8,
	VERIFY_ALL = 15,
};

/* vsnprintf into out (cap bytes), a cut moved back to a UTF-8 character boundary, so that a
 * message holding a credential's text stays valid UTF-8 (JSON); for the result's messages. */
void verify_vformat(char *out, size_t cap, const char *fmt, va_list ap)
        __attribute__((format(printf, 3, 0)));

/* Parses "proof,validity,status,issuer" (any subset, any order) into a mask. */
int verify_checks_parse(const char *list, unsigned *mask, struct ok_error *err);
const char *verify_check_name(enum verify_check c);

#define VERIFY_MESSAGE_MAX 400
#define VERIFY_MAX_ITEMS   8

/* What a status check found, as a value (its message says it in words): set only when a
 * status list or the depository's record says so, never when the status could not be read. */
enum verify_status_outcome {
	VERIFY_STATUS_NOT_SET = 0, /* not a status check, passed, or not known */
	VERIFY_STATUS_REVOKED,
	VERIFY_STATUS_SUSPENDED,
};

struct verify_item {
	enum verify_check check;
	bool passed;
	bool warning;                      /* passed, with a caveat (e.g. --any-issuer) */
	enum verify_status_outcome status; /* a failed status check's finding */
	char message[VERIFY_MESSAGE_MAX];
};

struct verify_result {
	bool is_credential;
	bool verified;
	char format[8]; /* "di", "jwt" or "sd-jwt" */
	char issuer[VC_DID_MAX];
	char not_credential[VERIFY_MESSAGE_MAX]; /* why, when !is_credential */
	const char *rule; /* the data-model rule that failed (vc/datamodel.h), or NULL; static */
	size_t count;
	struct verify_item items[VERIFY_MAX_ITEMS];
	/* The credential (payload, for JWT); owned; may be NULL. A JSON credential's only with
	 * verify_options.want_credential. */
	json_t *credential;
};

struct remote_status_cache;
struct remote_did_cache;

struct verify_options {
	unsigned checks; /* 0 means all */
	bool any_issuer; /* an issuer off the trust list passes, with a warning */
	/* Other issuers' status lists are fetched and kept here; NULL: they cannot be checked. */
	struct remote_status_cache *status_cache;
	/* Other depositories' did:web documents are fetched and kept here; NULL: only did:key and
	 * the depository's own did:web resolve. */
	struct remote_did_cache *did_cache;
	/* The CLI's (an operator's own command): the status lists of an issuer without a host
	 * (did:key) are fetched wherever they say. The server leaves it false: it fetches a list
	 * only from the issuer's did:web host (https; http for config did_web_http_hosts). */
	bool status_any_host;
	/* An SD-JWT VC's key-binding JWT must carry these nonce and aud (NULL: not checked; set,
	 * a presentation without key binding fails). */
	const char *kb_nonce;
	const char *kb_aud;
	/* An SD-JWT VC's chain must lead to one of these PEM certificates, and to nothing else
	 * (a wallet sign-in's PID issuers); NULL: the depository's own wallet CA and its
	 * wallet-roots.pem. Nothing is then taken to be the depository's own. */
	const char *sdjwt_roots;
	size_t sdjwt_roots_len;
	/* Documents of oorkonde's own formats (trust list, destruction certificate, transfer
	 * manifest) signed before they had a context (@context exactly [credentials/v2], the two
	 * types, an eddsa-jcs-2022 proof) define none of their types; their proof signs the JSON,
	 * so no context can be added afterwards. Such a document issued by this DID is exempt from
	 * "every type defined" (review Q1). Set only by a caller that expects that document from
	 * that issuer (the trust import: the network's DID; the CLI's verify: the depository's
	 * own), never from the document itself; NULL (the server): no exemption. */
	const char *legacy_own_issuer;
	/* The caller reads the credential itself, in r->credential: a JSON credential read into a
	 * tree (registry_verify's text, registry_verify_tree) is then copied into jansson for it
	 * (about 230 allocations). False (the default): that copy is not made and r->credential
	 * stays NULL, as a verifier that wants the verdict only needs none of it. The copy is an
	 * output, not part of a check: the verdict is the same either way. A token's payload and
	 * registry_verify_document's document cost no copy and are in r->credential either way. */
	bool want_credential;
};

/*
 * Verifies len bytes at data. d may be NULL (no data folder): then only did:key issuers resolve
 * and no issuer is trusted. Returns 0 whenever a verdict was reached (see r), a negative code
 * only when verification itself could not run (out of memory, the store failing).
 */
int registry_verify(struct depository *d, const char *data, size_t len,
                    const struct verify_options *o, struct verify_result *r, struct ok_error *err);
/*
 * The same for a JSON credential already parsed under the rules of vc/jcs.h (vc_jcs_parse:
 * strict, every number a double), e.g. as part of a larger request (a presentation's). The
 * same checks as registry_verify's; the proof's hash is written from vc (vc_proof_verify), not
 * from a tree, and no size cap applies again (the caller's input had its own). Takes its own
 * reference (r->credential).
 */
int registry_verify_document(struct depository *d, json_t *vc, const struct verify_options *o,
                             struct verify_result *r, struct ok_error *err);
/*
 * The same for value root of t, read by vc_jcs_parse_tree (e.g. a member of a request's body):
 * the path of every JSON credential sent as text (registry_verify takes it too). Every check
 * reads t (the data-model rules and the JSON-LD lookup too: vc/datamodel_view.h). At most one
 * jansson copy of t is made (every number a real), when first needed: by the JSON-LD processor
 * where the lookup does not tell, or before the proof if o->want_credential; an
 * eddsa-rdfc-2022 proof reads that copy (with none it converts for itself), and it becomes
 * r->credential if o->want_credential. t (and the text it was read from) is only read during
 * the call; r owns nothing of it.
 */
int registry_verify_tree(struct depository *d, const struct json_tree *t, uint32_t root,
                         const struct verify_options *o, struct verify_result *r,
                         struct ok_error *err);
/*
 * The same for a process that verifies one credential and ends (the command line): other
 * issuers' status lists and DID documents are fetched into caches (kept ttl_s at most) that
 * live only as long as the call; o's own caches are not used.
 */
int registry_verify_once(struct depository *d, const char *data, size_t len,
                         const struct verify_options *o, long ttl_s, struct verify_result *r,
                         struct ok_error *err);
void verify_result_release(struct verify_result *r);

/* The W3C VC-API result object: {"verified", "checks", "warnings", "errors"} (new reference).
 * A message that is not UTF-8 is shown with U+FFFD for each such byte (utf8_replace_invalid). */
json_t *verify_result_json(const struct verify_result *r);

/* Seconds since the epoch of an XML Schema dateTimeStamp; OK_EINPUT if malformed. */
int verify_parse_time(const char *s, long long *out);

#endif
