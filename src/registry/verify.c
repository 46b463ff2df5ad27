/* The verification pipeline (see verify.h). */
#include "registry/verify.h"
#include "core/format.h"
#include "io/utf8.h"

#include "audit/log.h"
#include "registry/credential.h"
#include "remote/did_resolver.h"
#include "registry/rotation.h"
#include "registry/sdjwt_verify.h"
#include "registry/status.h"
#include "remote/status_cache.h"
#include "vc/datamodel.h"
#include "vc/datamodel_view.h"
#include "vc/jcs.h"
#include "vc/jwt.h"
#include "vc/multibase.h"
#include "vc/proof.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define VERIFY_MAX_INPUT ((size_t)1 << 20)
/* Another issuer's status list, its bits once decompressed (8 Mi entries, 64 times the
 * specification's minimum); the signed document as fetched is capped by the status cache. */
#define OTHER_LIST_BITS_MAX ((size_t)1 << 20)
/* How far in the future a proof's created may lie (clocks differ a little). */
#define PROOF_CLOCK_SKEW_S 300

static const struct {
	enum verify_check check;
	const char *name;
} check_names[] = {
        {VERIFY_PROOF, "proof"},
        {VERIFY_VALIDITY, "validity"},
        {VERIFY_STATUS, "status"},
        {VERIFY_ISSUER, "issuer"},
};

const char *verify_check_name(enum verify_check c)
{
	size_t i;

	for (i = 0; i < sizeof(check_names) / sizeof(check_names[0]); i++)
		if (check_names[i].check == c)
			return check_names[i].name;
	return "unknown";
}

int verify_checks_parse(const char *list, unsigned *mask, struct ok_error *err)
{
	const char *p = list;
	size_t i, n;

	*mask = 0;
	while (*p) {
		n = strcspn(p, ",");
		for (i = 0; i < sizeof(check_names) / sizeof(check_names[0]); i++)
			if (strlen(check_names[i].name) == n &&
			    strncmp(p, check_names[i].name, n) == 0)
				break;
		if (i == sizeof(check_names) / sizeof(check_names[0]))
			return ok_fail_field(
			        err, OK_EINPUT, "checks",
			        "unknown check '%.*s' (known: proof, validity, status, "
			        "issuer)",
			        (int)(n > 40 ? 40 : n), p);
		*mask |= (unsigned)check_names[i].check;
		p += n;
		if (*p == ',')
			p++;
	}
	if (!*mask)
		return ok_fail_field(err, OK_EINPUT, "checks", "name at least one check");
	return 0;
}

void verify_vformat(char *out, size_t cap, const char *fmt, va_list ap)
{
	int n = vsnprintf(out, cap, fmt, ap);
	size_t end;

	if (n < 0 || (size_t)n < cap)
		return;
	end = cap - 1;
	while (end > 0 && ((unsigned char)out[end] & 0xC0) == 0x80)
		end--;
	out[end] = '\0';
}

__attribute__((format(printf, 4, 5))) static void
add_item(struct verify_result *r, enum verify_check c, bool passed, const char *fmt, ...)
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

/* The failed status check of a credential whose status says revoked or suspended: in words and
 * as the value verify_summary.c reads. */
static void add_status_set(struct verify_result *r, enum verify_status_outcome s)
{
	size_t before = r->count;

	if (s == VERIFY_STATUS_REVOKED)
		add_item(r, VERIFY_STATUS, false, "The credential has been revoked by its issuer");
	else
		add_item(r, VERIFY_STATUS, false,
		         "The credential is suspended by its issuer (a suspension can be lifted)");
	if (r->count > before)
		r->items[before].status = s;
}

__attribute__((format(printf, 2, 3))) static int not_credential(struct verify_result *r,
                                                                const char *fmt, ...)
{
	va_list ap;

	r->is_credential = false;
	r->verified = false;
	va_start(ap, fmt);
	verify_vformat(r->not_credential, sizeof(r->not_credential), fmt, ap);
	va_end(ap);
	return 0;
}

/* Time */

/* The byte at k of the n bytes at s, or NUL past them (as at the end of a C string). */
#define AT(k) ((size_t)(k) < n ? s[k] : '\0')

static bool digits_at(const char *s, size_t n, size_t k, int count, int *out)
{
	int v = 0, i;

	for (i = 0; i < count; i++) {
		char c = AT(k + (size_t)i);
		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*out = v;
	return true;
}

/* verify_parse_time on the n bytes at s (no NUL inside). */
static int parse_time_n(const char *s, size_t n, long long *out)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h, mi, sec, oh = 0, om = 0;
	long long days;
	size_t p;

	if (n < 20 || !digits_at(s, n, 0, 4, &y) || AT(4) != '-' || !digits_at(s, n, 5, 2, &mo) ||
	    AT(7) != '-' || !digits_at(s, n, 8, 2, &d) || (AT(10) != 'T' && AT(10) != 't') ||
	    !digits_at(s, n, 11, 2, &h) || AT(13) != ':' || !digits_at(s, n, 14, 2, &mi) ||
	    AT(16) != ':' || !digits_at(s, n, 17, 2, &sec))
		return OK_EINPUT;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0)) || h > 23 ||
	    mi > 59 || sec > 60)
		return OK_EINPUT;
	p = 19;
	if (AT(p) == '.') {
		p++;
		if (AT(p) < '0' || AT(p) > '9')
			return OK_EINPUT;
		while (AT(p) >= '0' && AT(p) <= '9')
			p++;
	}
	if (AT(p) == 'Z' || AT(p) == 'z') {
		p++;
	} else if ((AT(p) == '+' || AT(p) == '-') && digits_at(s, n, p + 1, 2, &oh) &&
	           AT(p + 3) == ':' && digits_at(s, n, p + 4, 2, &om)) {
		if (AT(p) == '-') {
			oh = -oh;
			om = -om;
		}
		p += 6;
	} else {
		return OK_EINPUT;
	}
	if (p < n)
		return OK_EINPUT;
	/* Days since 1970-01-01 (civil calendar). */
	{
		int yy = mo <= 2 ? y - 1 : y;
		int era = (yy >= 0 ? yy : yy - 399) / 400;
		int yoe = yy - era * 400;
		int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
		int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
		days = (long long)era * 146097 + doe - 719468;
	}
	*out = days * 86400 + h * 3600 + mi * 60 + sec - (oh * 3600 + om * 60);
	return 0;
}

#undef AT

int verify_parse_time(const char *s, long long *out)
{
	return parse_time_n(s, strlen(s), out);
}

/* A string member's value parsed as a time; OK_EINPUT when not a string or malformed. */
static int parse_time_view(struct vc_dmv v, long long *out)
{
	size_t n;
	const char *s = vc_dmv_str(v, &n);

	return s ? parse_time_n(s, n, out) : OK_EINPUT;
}

/* Structure */

/* The issuer's id (a string, or an object's string id) and its length; NULL otherwise. */
static const char *issuer_id(struct vc_dmv vc, size_t *len)
{
	struct vc_dmv issuer = vc_dmv_get(vc, "issuer");

	if (vc_dmv_is_object(issuer))
		issuer = vc_dmv_get(issuer, "id");
	*len = 0;
	return vc_dmv_is_string(issuer) ? vc_dmv_str(issuer, len) : NULL;
}

static bool issuer_is(struct vc_dmv vc, const char *did)
{
	size_t n;
	const char *id = issuer_id(vc, &n);

	return id && vc_dmv_bytes_are(id, n, did);
}

/* One of oorkonde's own formats exactly as the depository made them before its own context
 * (verify_options.legacy_own_issuer): @context exactly [credentials/v2], type exactly
 * VerifiableCredential and one own type, an eddsa-jcs-2022 proof (it signs the JSON, so the
 * verifier reads what was signed), issued by legacy_issuer. The caller chose legacy_issuer;
 * the document only matches it or not. */
static bool legacy_own_format(struct vc_dmv vc, const char *legacy_issuer)
{
	struct vc_dmv t = vc_dmv_get(vc, "type"), ctx = vc_dmv_get(vc, "@context");
	struct vc_dmv proof = vc_dmv_get(vc, "proof");

	return legacy_issuer && vc_dmv_is_object(proof) &&
	       vc_dmv_str_is(vc_dmv_get(proof, "cryptosuite"), "eddsa-jcs-2022") &&
	       vc_dmv_is_array(ctx) && vc_dmv_size(ctx) == 1 &&
	       vc_dmv_str_is(vc_dmv_at(ctx, 0), "https://www.w3.org/ns/credentials/v2") &&
	       vc_dmv_is_array(t) && vc_dmv_size(t) == 2 &&
	       vc_dmv_type_has(t, "VerifiableCredential") &&
	       (vc_dmv_type_has(t, "TrustListCredential") ||
	        vc_dmv_type_has(t, "DestructionCertificate") ||
	        vc_dmv_type_has(t, "TransferManifest")) &&
	       issuer_is(vc, legacy_issuer);
}

/* Returns true when vc keeps every rule of the VC 2.0 data model (vc/datamodel.h, the rules the
 * issuer applies too, so that a credential signed elsewhere fails with the issuer's reason);
 * else explains in r, naming the rule. legacy_issuer: verify_options.legacy_own_issuer. */
static bool check_structure(struct vc_dmv vc, const char *legacy_issuer,
                            struct vc_dm_jsonld_shared *shared, struct verify_result *r)
{
	/* The depository's table of the pinned contexts' terms, when there is one: the same
	 * verdict by lookup (vc/jsonld_fast.h); the jansson copy of a tree's credential, when the
	 * expansion makes one, left in shared for the proof and r->credential. */
	const struct vc_dm_options jsonld = {vc_datamodel_types_by_jsonld_shared, shared};
	struct vc_dm_failure f;
	const char *id;
	size_t n;

	if (!vc_dmv_is_object(vc))
		return not_credential(r, "the input is JSON but not an object"), false;
	/* With the second step: every type defined by the contexts (JSON-LD over the pinned ones),
	 * for every credential: oorkonde's own formats (trust lists, destruction certificates,
	 * transfer manifests) have their context too (vc/jsonld.h), so no document can skip the
	 * step by choosing a type (reviews R5, P5). Whatever the code, f names the rule; the
	 * credential is not one we can accept. */
	/* The one exception: an old own document its caller expects (legacy_own_format): the
	 * JSON rules still apply, only the JSON-LD step is skipped. */
	if (vc_datamodel_check_view(vc, legacy_own_format(vc, legacy_issuer) ? NULL : &jsonld,
	                            &f) != 0) {
		r->rule = f.rule;
		return not_credential(r,
		                      "not a credential under the VC Data Model 2.0 (rule %s): %s",
		                      f.rule, f.message),
		       false;
	}
	/* Compared whole or not at all: a cut id would be checked in place of the one stated. */
	id = issuer_id(vc, &n); /* the rules hold: a URL */
	if (!id || n >= sizeof(r->issuer))
		return not_credential(r, "the issuer's id is longer than %zu bytes",
		                      sizeof(r->issuer) - 1),
		       false;
	memcpy(r->issuer, id, n); /* its length is checked */
	r->issuer[n] = '\0';
	return true;
}

/* Key resolution */

struct resolver {
	struct depository *d;
	struct remote_did_cache *did_cache;
	const char *issuer;
	struct depository_identity own;
	bool have_own;
	bool status_any_host; /* verify_options.status_any_host */
	bool any_issuer;      /* verify_options.any_issuer */
	int trusted; /* -1: not looked up yet; else whether fetching for the issuer is allowed */
	/* A status read of our own store failed (no answer, a lost connection, busy): the request
	 * fails with it (503/500) rather than calling the credential's status unknown. */
	int store_down;
	struct ok_error down;
};

/* Whether anything may be fetched for the credential's issuer: only for an issuer on the trust
 * list (active), or any issuer when the operator's own command says so (--any-issuer). A
 * stranger's credential must not make the depository connect anywhere. */
static bool may_fetch(struct resolver *res)
{
	struct store_trusted_issuer t;
	struct ok_error err;

	if (res->trusted < 0) {
		ok_error_clear(&err);
		res->trusted =
		        res->any_issuer ||
		        (res->d && store_trust_get(res->d->store, res->issuer, &t, &err) == 0 &&
		         strcmp(t.status, "active") == 0);
	}
	return res->trusted == 1;
}

/* One of this depository's own keys other than the current one: any key of issuer.key (a
 * rotation keeps the older ones until they are retired); a retired one is refused, saying so. */
static int own_key(struct depository *d, const char *vm, uint8_t pk[32], struct ok_error *err)
{
	char when[32];
	int64_t retired_ms;

	if (d && depository_issuer_key_of_vm(d, vm, pk, NULL))
		return 0;
	if (d && registry_keys_retired_vm(d, vm, &retired_ms) == 0) {
		audit_format_time(retired_ms, when);
		return ok_fail(
		        err, OK_EINVALID,
		        "the key %s was retired by this depository on %s: credentials signed "
		        "with it are no longer accepted (the holder can ask for a new one)",
		        vm, when);
	}
	return ok_fail(err, OK_EINVALID, "%s is not a key of this depository", vm);
}

/* Resolves a verification method to a key: did:key offline, the depository's own did:web from
 * its key. The method must belong to the credential's issuer. */
static int resolve_key(void *ctx, const char *vm, const char *purpose, uint8_t pk[32],
                       struct ok_error *err)
{
	struct resolver *res = ctx;
	char did[VC_DID_MAX];
	int rc;

	if ((rc = vc_did_of_vm(vm, did, err)))
		return rc;
	if (strcmp(did, res->issuer) != 0)
		return ok_fail(err, OK_EINVALID,
		               "the key %s does not belong to the issuer %s, so the issuer did not "
		               "sign this",
		               vm, res->issuer);
	/* The depository's own method first, a did:key one too: its key is the identity's, and
	 * decoding the method's base58 again would give the same 32 bytes. */
	if (res->have_own && strcmp(vm, res->own.vm) == 0) {
		memcpy(pk, res->own.pk, 32);
		return 0;
	}
	if (strncmp(vm, "did:key:", 8) == 0)
		return vc_proof_resolve_did_key(NULL, vm, purpose, pk, err);
	if (res->have_own && strcmp(did, res->own.did) == 0)
		return own_key(res->d, vm, pk, err);
	if (strncmp(vm, "did:web:", 8) == 0 && res->did_cache && !may_fetch(res))
		return ok_fail(err, OK_EINVALID,
		               "the issuer is not trusted: %s is not on the trust list, so its key "
		               "is not looked up",
		               res->issuer);
	if (strncmp(vm, "did:web:", 8) == 0 && res->did_cache)
		return remote_did_resolve(res->did_cache,
		                          res->d ? res->d->did_web_http_hosts : NULL, vm, purpose,
		                          pk, err);
	return ok_fail(err, OK_EUNSUPPORTED,
	               "the issuer's key %s could not be resolved (only did:key and this "
	               "depository's own did:web are resolved here)",
	               vm);
}

static const char *proof_explanation(enum vc_proof_check c)
{
	switch (c) {
	case VC_PROOF_BAD_SIGNATURE:
		return "This credential was changed after it was signed, or was not signed by "
		       "this key";
	case VC_PROOF_MALFORMED:
		return "The credential has no usable proof";
	case VC_PROOF_UNKNOWN_CRYPTOSUITE:
		return "The proof uses a cryptosuite oorkonde does not accept (only "
		       "eddsa-jcs-2022 and eddsa-rdfc-2022)";
	case VC_PROOF_WRONG_TYPE:
		return "The proof is not a DataIntegrityProof";
	case VC_PROOF_WRONG_PURPOSE:
		return "The proof was not made to assert a credential (its purpose is not "
		       "assertionMethod)";
	case VC_PROOF_BAD_MULTIBASE:
		return "The signature is not encoded as base58btc multibase";
	case VC_PROOF_BAD_SIGNATURE_LENGTH:
		return "The signature has the wrong length for Ed25519";
	case VC_PROOF_CONTEXT_MISMATCH:
		return "The proof's @context does not match the credential's";
	case VC_PROOF_KEY_UNRESOLVED:
		return "The signing key could not be found";
	case VC_PROOF_BAD_CREATED:
		return "The proof's creation time is not a valid date and time";
	case VC_PROOF_NOT_CANONICAL:
		return "The credential cannot be put in canonical RDF form (eddsa-rdfc-2022): it "
		       "uses a context or term oorkonde does not know, or is too large";
	case VC_PROOF_CHALLENGE_MISMATCH:
	case VC_PROOF_DOMAIN_MISMATCH: /* a credential's proof is not checked against them */
	case VC_PROOF_VALID:
		break;
	}
	return "The proof is not valid";
}

/* Whether the proof of a Data Integrity document is out of its time: expires passed, or created
 * further in the future than clocks differ. Explains in msg. An expires that is not a date and
 * time fails too (created is checked by the proof itself). */
static bool proof_time_problem(struct vc_dmv vc, char *msg, size_t cap)
{
	struct vc_dmv proof = vc_dmv_get(vc, "proof");
	struct vc_dmv created = vc_dmv_get(proof, "created");
	struct vc_dmv expires = vc_dmv_get(proof, "expires");
	long long now = (long long)time(NULL), t = 0;
	const char *s;
	size_t n;

	if (!vc_dmv_is_object(proof))
		return false;
	/* msg is a message for people; the dates in it parsed as dates, so they are short ASCII
	 * and a cut (never seen) would only shorten the text. */
	if (vc_dmv_there(expires) && parse_time_view(expires, &t) != 0) {
		snprintf(msg, cap, "The proof's expires is not a date and time");
		return true;
	}
	if (vc_dmv_there(expires) && t <= now) {
		s = vc_dmv_str(expires, &n);
		snprintf(msg, cap, "The proof has expired: it was valid until %.*s", (int)n, s);
		return true;
	}
	if (parse_time_view(created, &t) == 0 && t > now + PROOF_CLOCK_SKEW_S) {
		s = vc_dmv_str(created, &n);
		snprintf(msg, cap,
		         "The proof was made in the future (created %.*s): a signer's clock that "
		         "far "
		         "ahead cannot be trusted",
		         (int)n, s);
		return true;
	}
	return false;
}

/* The same for a VC-JOSE token, whose payload may carry the JWT claims exp (passed: the token
 * has expired), iat and nbf (further in the future than clocks differ). */
static bool jwt_time_problem(const json_t *payload, char *msg, size_t cap)
{
	const json_t *exp = json_object_get(payload, "exp");
	const json_t *iat = json_object_get(payload, "iat");
	const json_t *nbf = json_object_get(payload, "nbf");
	double now = (double)time(NULL);

	/* Fixed messages for people, which the callers' buffers hold. */
	if ((exp && !json_is_number(exp)) || (iat && !json_is_number(iat)) ||
	    (nbf && !json_is_number(nbf))) {
		snprintf(msg, cap, "The token's exp, iat or nbf is not a number of seconds");
		return true;
	}
	if (exp && json_number_value(exp) <= now) {
		snprintf(msg, cap, "The token has expired (its exp has passed)");
		return true;
	}
	if ((iat && json_number_value(iat) > now + PROOF_CLOCK_SKEW_S) ||
	    (nbf && json_number_value(nbf) > now + PROOF_CLOCK_SKEW_S)) {
		snprintf(msg, cap,
		         "The token was made in the future (its iat or nbf): a signer's clock that "
		         "far ahead cannot be trusted");
		return true;
	}
	return false;
}

static void check_validity(struct vc_dmv vc, struct verify_result *r)
{
	struct vc_dmv vf = vc_dmv_get(vc, "validFrom"), vu = vc_dmv_get(vc, "validUntil");
	long long now = (long long)time(NULL), t;
	const char *s;
	size_t n;

	/* The data model's rules held: both are dateTimeStamps when there. */
	if (parse_time_view(vf, &t) == 0 && t > now + 300) {
		s = vc_dmv_str(vf, &n);
		add_item(r, VERIFY_VALIDITY, false,
		         "The credential is not valid yet: it is valid "
		         "from %.*s",
		         (int)n, s);
		return;
	}
	if (parse_time_view(vu, &t) == 0 && t < now) {
		s = vc_dmv_str(vu, &n);
		add_item(r, VERIFY_VALIDITY, false,
		         "The credential has expired: it was valid until %.*s", (int)n, s);
		return;
	}
	s = vc_dmv_str(vu, &n);
	add_item(r, VERIFY_VALIDITY, true, "The credential is within its validity period%s%.*s",
	         vc_dmv_there(vu) ? " (until " : " (no end date", s ? (int)n : 0, s ? s : "");
	if (r->count)
		strncat(r->items[r->count - 1].message, ")",
		        sizeof(r->items[0].message) - strlen(r->items[r->count - 1].message) - 1);
}

/* Whether the comma-separated list of "host[:port]" holds the n bytes at host. */
static bool host_listed(const char *list, const char *host, size_t n)
{
	const char *p = list;

	while (p && *p) {
		size_t m = strcspn(p, ",");
		if (m == n && strncasecmp(p, host, n) == 0)
			return true;
		p += m;
		if (*p == ',')
			p++;
	}
	return false;
}

/*
 * Whether another issuer's status list may be fetched from url: only from the host (and port)
 * the issuer's did:web names, over https, or over http for a host in config
 * did_web_http_hosts. A credential's URLs must not make the server fetch from anywhere else
 * (loopback, link-local, the internal network). An issuer without a host (did:key) has its
 * lists fetched only for the CLI (status_any_host).
 */
static int status_url_allowed(const struct resolver *res, const char *url, struct ok_error *why)
{
	const char *http_hosts = res->d ? res->d->did_web_http_hosts : NULL;
	const char *host, *want;
	struct ok_error derr;
	struct buf did_url;
	size_t n, wn;
	bool plain, ok;

	plain = strncmp(url, "http://", 7) == 0;
	if (!plain && strncmp(url, "https://", 8) != 0)
		return ok_fail(why, OK_EINVALID, "the status list is not on the issuer's host");
	host = url + (plain ? 7 : 8);
	n = strcspn(host, "/?#");
	if (strncmp(res->issuer, "did:web:", 8) != 0) {
		/* No host to compare with: the operator's command fetches; the server only from a
		 * host the operator listed (did_web_http_hosts). */
		if (res->status_any_host || host_listed(http_hosts, host, n))
			return 0;
		return ok_fail(why, OK_EINVALID,
		               "the status list is not on the issuer's host (the issuer is not a "
		               "did:web and the list's host is not in did_web_http_hosts)");
	}
	buf_init(&did_url, 2048);
	ok = vc_did_web_url(res->issuer, &did_url, &derr) == 0 &&
	     strncmp(did_url.data, "https://", 8) == 0;
	if (ok) {
		want = did_url.data + 8;
		wn = strcspn(want, "/");
		/* The same host and port, byte for byte (no user info, no other spelling). */
		ok = wn == n && strncasecmp(want, host, n) == 0 &&
		     (!plain || host_listed(http_hosts, host, n));
	}
	buf_release(&did_url);
	return ok ? 0 : ok_fail(why, OK_EINVALID, "the status list is not on the issuer's host");
}

/* What checking another issuer's list needs: the credential's issuer (and the resolver for the
 * list's proof), the list's URL and the purpose the entry names. */
struct list_check {
	struct resolver *res;
	const char *url;
	const char *purpose;
};

/* Checks a status list fetched for the status cache (remote_status_list_check_fn): a signed
 * BitstringStatusListCredential of the credential's issuer for the entry's purpose, in force,
 * decoded into bits of at least the specification's minimum length. */
static int check_list(void *ctx, const char *doc, size_t len, unsigned char **out, size_t *out_n,
                      struct ok_error *why)
{
	const struct list_check *lc = ctx;
	struct resolver *res = lc->res;
	struct ok_error perr;
	enum vc_proof_check failed;
	json_t *list = NULL, *subject;
	unsigned char *bits = NULL;
	const char *encoded, *list_purpose;
	char when[VERIFY_MESSAGE_MAX];
	size_t nbytes;
	long long t;
	int rc;

	ok_error_clear(&perr);
	if ((rc = vc_jcs_parse(doc, len, 0, &list, why)))
		goto out;
	if (!vc_dmv_type_has(vc_dmv_get(vc_dmv_json(list), "type"),
	                     "BitstringStatusListCredential") ||
	    !issuer_is(vc_dmv_json(list), res->issuer)) {
		rc = ok_fail(why, OK_EINVALID, "%s is not a status list of the credential's issuer",
		             lc->url);
		goto out;
	}
	if (vc_proof_verify(list, resolve_key, res, &failed, &perr) != 0) {
		rc = ok_fail(why, OK_EINVALID, "the status list's signature is not valid: %s",
		             perr.message);
		goto out;
	}
	if (proof_time_problem(vc_dmv_json(list), when, sizeof(when))) {
		rc = ok_fail(why, OK_EINVALID, "the status list's proof does not hold: %s", when);
		goto out;
	}
	if (json_is_string(json_object_get(list, "validUntil")) &&
	    verify_parse_time(json_string_value(json_object_get(list, "validUntil")), &t) == 0 &&
	    t < (long long)time(NULL)) {
		rc = ok_fail(why, OK_EINVALID, "the status list has expired");
		goto out;
	}
	subject = json_object_get(list, "credentialSubject");
	encoded = json_string_value(json_object_get(subject, "encodedList"));
	list_purpose = json_string_value(json_object_get(subject, "statusPurpose"));
	if (!encoded || !list_purpose || strcmp(list_purpose, lc->purpose) != 0 ||
	    !json_is_string(json_object_get(subject, "type")) ||
	    strcmp(json_string_value(json_object_get(subject, "type")), "BitstringStatusList") !=
	            0) {
		rc = ok_fail(why, OK_EINVALID, "the status list is not a %s list", lc->purpose);
		goto out;
	}
	bits = malloc(OTHER_LIST_BITS_MAX);
	if (!bits) {
		rc = ok_fail(why, OK_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = status_decode_list(encoded, strlen(encoded), bits, OTHER_LIST_BITS_MAX, &nbytes,
	                             why)))
		goto out;
	/* The specification's minimum (its STATUS_LIST_LENGTH_ERROR). */
	if (nbytes < STATUS_LIST_SIZE / 8) {
		rc = ok_fail(why, OK_EINVALID,
		             "the status list has %zu entries, fewer than the %d the specification "
		             "requires",
		             nbytes * 8, STATUS_LIST_SIZE);
		goto out;
	}
	*out = bits;
	*out_n = nbytes;
	bits = NULL;
out:
	free(bits);
	json_decref(list);
	return rc;
}

/* Another issuer's list, fetched, checked and cached by the status cache; returns the bit (0 or
 * 1) or a negative code with why filled. */
static int other_issuer_bit(struct resolver *res, struct remote_status_cache *cache,
                            const char *url, const char *purpose, int64_t index,
                            struct ok_error *why)
{
	struct list_check lc = {res, url, purpose};
	int rc;

	if ((rc = status_url_allowed(res, url, why)))
		return rc;
	return remote_status_cache_fetch_bit(cache, url, res->issuer, index, check_list, &lc, why);
}

/* Reads the entries of credentialStatus; each must be a BitstringStatusListEntry. Another
 * issuer's lists are fetched only when the proof held (proof_failed false): the URLs of a
 * credential nobody signed must not make this depository fetch anything. */
/* For the depository's own credential whose signature holds: the status and slot of the
 * achievement it was issued for, found by the credential's id (an index look-up, store.h
 * credential_status: one statement, three columns; or credential_status_mem, no read while
 * nothing was committed), whatever its JSON's status entries say; kept
 * in *rec (have_rec set) so that entries pointing at its slot need no other read. 1 when revoked
 * or suspended (an item added), 0 when active or not recorded, the store's error (kept in
 * res->store_down) when the read fails otherwise. */
static int own_record_status(struct resolver *res, struct vc_dmv vc, bool proof_failed,
                             struct store_credential_status *rec, bool *have_rec,
                             struct verify_result *r)
{
	char id[STORE_CREDENTIAL_ID_MAX + 1];
	const char *s;
	struct ok_error why;
	size_t n;
	int rc;

	*have_rec = false;
	s = vc_dmv_str(vc_dmv_get(vc, "id"), &n);
	if (proof_failed || !s || n > STORE_CREDENTIAL_ID_MAX || !res->d || !res->have_own ||
	    strcmp(res->issuer, res->own.did) != 0)
		return 0;
	memcpy(id, s, n);
	id[n] = '\0';
	ok_error_clear(&why);
	/* While nothing was committed since the store last read which records are revoked or
	 * suspended, it answers from that set without a read ("" for neither: as not recorded,
	 * the entries' slots are then answered from its set of slots). */
	if (store_credential_status_mem(res->d->store, id, rec))
		rc = rec->status[0] ? 0 : OK_ENOTFOUND;
	else
		rc = store_credential_status(res->d->store, id, rec, &why);
	if (rc == OK_ENOTFOUND)
		return 0;
	/* Any other failure (no answer, a lost connection, busy) leaves the revocation unknown:
	 * the request fails with it, never "not recorded" (a credential without status entries
	 * would then verify). */
	if (rc) {
		res->store_down = rc;
		res->down = why;
		return rc;
	}
	*have_rec = true;
	if (strcmp(rec->status, "revoked") == 0)
		add_status_set(r, VERIFY_STATUS_REVOKED);
	else if (strcmp(rec->status, "suspended") == 0)
		add_status_set(r, VERIFY_STATUS_SUSPENDED);
	else
		return 0;
	return 1;
}

/* String v as a C string: jansson's own, or a tree's copied into local (cap bytes) when it fits,
 * else into *owned (the caller frees it). NULL when v is not a string, or out of memory (*oom
 * set). */
static const char *c_string(struct vc_dmv v, char *local, size_t cap, char **owned, bool *oom)
{
	size_t n;
	const char *s = vc_dmv_str(v, &n);

	*owned = NULL;
	if (!s || !v.t)
		return s;
	if (n < cap) {
		memcpy(local, s, n);
		local[n] = '\0';
		return local;
	}
	if (!(*owned = malloc(n + 1))) {
		*oom = true;
		return NULL;
	}
	memcpy(*owned, s, n);
	(*owned)[n] = '\0';
	return *owned;
}

static void check_status(struct resolver *res, struct vc_dmv vc, struct remote_status_cache *cache,
                         bool proof_failed, struct verify_result *r)
{
	struct vc_dmv status = vc_dmv_get(vc, "credentialStatus"), e;
	struct vc_dmv_it it;
	const char *found[2] = {NULL, NULL};
	struct store_credential_status rec;
	bool have_rec;
	size_t checked = 0;

	/* Our own record first: a revocation holds whatever shape the JSON takes. */
	if (own_record_status(res, vc, proof_failed, &rec, &have_rec, r) != 0)
		return;
	if (!vc_dmv_there(status)) {
		add_item(r, VERIFY_STATUS, true,
		         "The credential has no status entry, so it cannot have been revoked");
		return;
	}
	for (e = vc_dmv_each(status, &it); vc_dmv_there(e); e = vc_dmv_each_next(&it)) {
		struct vc_dmv type = vc_dmv_get(e, "type");
		struct vc_dmv purpose_v = vc_dmv_get(e, "statusPurpose");
		struct vc_dmv index_v = vc_dmv_get(e, "statusListIndex");
		struct vc_dmv url_v = vc_dmv_get(e, "statusListCredential");
		const char *purpose, *index_s, *url;
		/* A status list's URL is short: one longer than this is copied to the heap. */
		char index_text[16], url_text[512], *end, *url_owned = NULL;
		struct ok_error why;
		long long index;
		size_t index_n;
		bool set = false, oom = false;
		int rc;

		if (!vc_dmv_str_is(type, "BitstringStatusListEntry") ||
		    !vc_dmv_is_string(purpose_v) || !vc_dmv_is_string(url_v) ||
		    !vc_dmv_is_string(index_v)) {
			add_item(
			        r, VERIFY_STATUS, false,
			        "The credential's status could not be retrieved: a status entry is "
			        "not a complete BitstringStatusListEntry");
			return;
		}
		/* Message and refresh entries say nothing about validity. */
		purpose = vc_dmv_str_is(purpose_v, "revocation")   ? "revocation"
		          : vc_dmv_str_is(purpose_v, "suspension") ? "suspension"
		                                                   : NULL;
		if (!purpose)
			continue;
		/* More than 12 bytes is no index (below); shorter, read as a C string. */
		index_s = vc_dmv_str(index_v, &index_n);
		index = 0;
		end = index_text;
		if (index_n <= 12) {
			memcpy(index_text, index_s, index_n);
			index_text[index_n] = '\0';
			index = strtoll(index_text, &end, 10);
		}
		if (index_n > 12 || *end || end == index_text || index < 0) {
			add_item(r, VERIFY_STATUS, false,
			         "The credential's status could not be retrieved: statusListIndex "
			         "is "
			         "not a number");
			return;
		}
		if (!(url = c_string(url_v, url_text, sizeof(url_text), &url_owned, &oom))) {
			res->store_down = OK_ENOMEM;
			ok_fail(&res->down, OK_ENOMEM, "out of memory");
			return;
		}
		ok_error_clear(&why);
		/* Only the depository's own credentials are answered from its own store: another
		 * issuer's credential pointing at our lists must not borrow their bits. */
		rc = res->d && res->have_own && strcmp(res->issuer, res->own.did) == 0
		             ? registry_status_local(res->d, url, index, have_rec ? &rec : NULL,
		                                     &set, &why)
		             : OK_ENOTFOUND;
		/* Our own store failing is no verdict on the credential: the request fails with it
		 * (its text may be hidden from the client). */
		if (rc && rc != OK_ENOTFOUND) {
			free(url_owned);
			res->store_down = rc;
			res->down = why;
			return;
		}
		if (rc == OK_ENOTFOUND) {
			rc = proof_failed ? ok_fail(&why, OK_EINVALID,
			                            "the signature is not valid, so the lists it "
			                            "names are not fetched")
			     : !may_fetch(res)
			             ? ok_fail(&why, OK_EINVALID,
			                       "the issuer is not trusted, so its lists are not "
			                       "fetched")
			     : cache ? other_issuer_bit(res, cache, url, purpose, index, &why)
			             : ok_fail(&why, OK_EUNSUPPORTED,
			                       "lists of other issuers are not fetched here");
			set = rc == 1;
			rc = rc < 0 ? rc : 0;
		}
		free(url_owned);
		if (rc == OK_ENOANSWER) {
			res->store_down = rc;
			res->down = why;
			return;
		}
		if (rc) {
			add_item(r, VERIFY_STATUS, false,
			         "The credential's status could not be retrieved, so it may have "
			         "been "
			         "revoked: %s",
			         why.message);
			return;
		}
		checked++;
		if (set)
			found[strcmp(purpose, "revocation") == 0 ? 0 : 1] = purpose;
	}
	if (found[0])
		add_status_set(r, VERIFY_STATUS_REVOKED);
	else if (found[1])
		add_status_set(r, VERIFY_STATUS_SUSPENDED);
	else if (checked)
		add_item(r, VERIFY_STATUS, true,
		         "The credential is neither revoked nor suspended (checked against the "
		         "issuer's status lists)");
	else
		add_item(r, VERIFY_STATUS, true,
		         "The credential has no revocation or suspension entry, so it cannot have "
		         "been revoked");
}

static int check_issuer(struct resolver *res, struct verify_result *r, bool any_issuer,
                        struct ok_error *err)
{
	struct store_trusted_issuer t;
	int rc;

	if (res->have_own && strcmp(r->issuer, res->own.did) == 0) {
		add_item(r, VERIFY_ISSUER, true, "The issuer is this depository (%s)", r->issuer);
		return 0;
	}
	rc = res->d ? store_trust_get(res->d->store, r->issuer, &t, err) : OK_ENOTFOUND;
	if (rc && rc != OK_ENOTFOUND)
		return rc;
	if (!rc && strcmp(t.status, "active") == 0) {
		add_item(r, VERIFY_ISSUER, true, "The issuer %s (%s, %s) is on the trust list",
		         t.name, t.country, r->issuer);
		return 0;
	}
	if (!rc) {
		add_item(r, VERIFY_ISSUER, false,
		         "The issuer %s (%s) is on the trust list but %s: its credentials are not "
		         "accepted now",
		         t.name, r->issuer, t.status);
		return 0;
	}
	if (any_issuer) {
		add_item(r, VERIFY_ISSUER, true,
		         "The issuer %s is not on the trust list; accepted because any issuer was "
		         "allowed",
		         r->issuer);
		r->items[r->count - 1].warning = true;
		return 0;
	}
	add_item(r, VERIFY_ISSUER, false,
	         "The issuer %s is not on the trust list, so nothing says it may issue diplomas",
	         r->issuer);
	return 0;
}

/* A compact JWS: three base64url parts. */
static bool looks_like_jws(const char *s, size_t n)
{
	size_t i, dots = 0;

	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.')
			dots++;
		else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return false;
	}
	return dots == 2;
}

/* Reads a JWS's payload without checking the signature (when the proof check is not asked). */
static int jws_payload(const char *s, size_t n, json_t **out, struct ok_error *err)
{
	const char *a = memchr(s, '.', n),
	           *b = a ? memchr(a + 1, '.', n - (size_t)(a + 1 - s)) : NULL;
	size_t len, cap;
	uint8_t *raw;
	int rc;

	if (!b)
		return ok_fail(err, OK_EINPUT, "not a compact JWS");
	cap = (size_t)(b - a);
	raw = malloc(cap);
	if (!raw)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	rc = vc_base64url_decode(a + 1, (size_t)(b - a - 1), raw, cap, &len, err);
	if (!rc)
		rc = vc_jcs_parse((const char *)raw, len, 0, out, err);
	free(raw);
	return rc;
}

/* The checks, once the credential is parsed: vc is owned (kept in r->credential), or NULL for a
 * JSON credential read into a tree; jws is the token it came from (NULL for a JSON credential);
 * tree and root, for a JSON credential read by vc_jcs_parse_tree, that reading: every check
 * reads it, and the proof is hashed from it. */
static int verify_parsed(struct depository *d, const char *jws, size_t jws_len, json_t *vc,
                         const struct json_tree *tree, uint32_t root,
                         const struct verify_options *o, struct verify_result *r,
                         struct ok_error *err)
{
	unsigned checks = o->checks ? o->checks : VERIFY_ALL;
	struct resolver res = {.d = d,
	                       .did_cache = o->did_cache,
	                       .status_any_host = o->status_any_host,
	                       .any_issuer = o->any_issuer,
	                       .trusted = -1};
	const struct vc_dmv view = tree ? vc_dmv_tree(tree, root) : vc_dmv_json(vc);
	struct ok_error perr;
	enum vc_proof_check failed = VC_PROOF_VALID;
	struct verify_result *quiet = NULL;
	/* A tree's jansson copy, made at most once: by the JSON-LD expansion when it needs it,
	 * or before the proof when r->credential will hold it (verify_options.want_credential);
	 * shared by the expansion, an eddsa-rdfc-2022 proof and r->credential (each only reads
	 * it). */
	struct vc_dm_jsonld_shared shared = {d ? d->jsonld_terms : NULL, NULL};
	char when[VERIFY_MESSAGE_MAX];
	bool proof_ok = true;
	int rc = 0;

	/* The depository's keys as they are now: another process may have rotated them. Only
	 * issuer.key: a verification unseals nothing (no look at data.key). */
	if (d && ((rc = depository_issuer_keys_refresh(d, err)) ||
	          (rc = registry_identity(d, &res.own, err))))
		goto out;
	res.have_own = d != NULL;
	if (!check_structure(view, o->legacy_own_issuer, &shared, r))
		goto out;
	/* The copy a caller asked for (verify_options.want_credential), made now so that an
	 * eddsa-rdfc-2022 proof reads it too. */
	if (tree && o->want_credential && !shared.copy &&
	    (rc = json_tree_to_jansson_flags(tree, root, JSON_TREE_TO_REALS, &shared.copy, err)))
		goto out;
	if (!(checks & VERIFY_PROOF) && (checks & VERIFY_STATUS) &&
	    !(quiet = calloc(1, sizeof(*quiet)))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	res.issuer = r->issuer;

	/* The proof is checked when asked for, and quietly when only the status is: the lists a
	 * credential names are fetched only for a credential its issuer signed. */
	if (checks & (VERIFY_PROOF | VERIFY_STATUS)) {
		struct verify_result *pr = (checks & VERIFY_PROOF) ? r : quiet;
		ok_error_clear(&perr);
		if (jws && jwt_time_problem(vc, when, sizeof(when))) {
			rc = OK_EINVALID;
			add_item(pr, VERIFY_PROOF, false, "%s", when);
		} else if (jws) {
			json_t *payload = NULL;
			rc = vc_jwt_verify(jws, jws_len, resolve_key, &res, &payload, NULL, &perr);
			json_decref(payload);
			if (rc == OK_ENOMEM)
				goto out;
			if (rc == OK_EINVALID && !strcmp(perr.field, "signature"))
				add_item(pr, VERIFY_PROOF, false, "%s",
				         proof_explanation(VC_PROOF_BAD_SIGNATURE));
			else if (rc)
				add_item(pr, VERIFY_PROOF, false,
				         "The token's signature could not be checked: %s",
				         perr.message);
		} else if (proof_time_problem(view, when, sizeof(when))) {
			rc = OK_EINVALID;
			add_item(pr, VERIFY_PROOF, false, "%s", when);
		} else {
			/* A JSON credential comes with its tree: the proof is hashed from it (an
			 * eddsa-rdfc-2022 proof reads the shared copy, or with none converts it to
			 * jansson for itself). */
			rc = tree ? vc_proof_verify_tree(tree, root, shared.copy, NULL, resolve_key,
			                                 &res, &failed, &perr)
			          : vc_proof_verify(vc, resolve_key, &res, &failed, &perr);
			if (rc == OK_ENOMEM)
				goto out;
			if (rc && failed == VC_PROOF_BAD_SIGNATURE)
				add_item(pr, VERIFY_PROOF, false, "%s", proof_explanation(failed));
			else if (rc)
				add_item(pr, VERIFY_PROOF, false, "%s: %s",
				         proof_explanation(failed), perr.message);
		}
		proof_ok = rc == 0;
		rc = 0;
		if (proof_ok)
			add_item(pr, VERIFY_PROOF, true,
			         "The signature is valid: the issuer signed exactly this content");
	}
	if (checks & VERIFY_VALIDITY)
		check_validity(view, r);
	if (checks & VERIFY_STATUS)
		check_status(&res, view, o->status_cache, !proof_ok, r);
	if (res.store_down) {
		rc = res.store_down;
		if (err)
			*err = res.down;
		goto out;
	}
	if ((checks & VERIFY_ISSUER) && (rc = check_issuer(&res, r, o->any_issuer, err)))
		goto out;
	r->verified = true;
	for (size_t i = 0; i < r->count; i++)
		if (!r->items[i].passed)
			r->verified = false;
	/* The caller's jansson copy of a credential read into a tree (made above), if asked for. */
	if (tree && o->want_credential) {
		vc = shared.copy;
		shared.copy = NULL;
	}
out:
	json_decref(shared.copy);
	/* On failure the result owns nothing: callers that give up on an error free nothing. */
	if (!r->is_credential || rc) {
		json_decref(vc);
		vc = NULL;
	}
	r->credential = vc;
	registry_identity_release(&res.own);
	free(quiet);
	return rc;
}

static int verify_tree(struct depository *d, const struct json_tree *t, uint32_t root,
                       const struct verify_options *o, struct verify_result *r,
                       struct ok_error *err);

int registry_verify(struct depository *d, const char *data, size_t len,
                    const struct verify_options *o, struct verify_result *r, struct ok_error *err)
{
	struct json_tree tree;
	uint32_t root;
	struct ok_error perr;
	json_t *vc = NULL;
	size_t start = 0, end = len;
	bool jwt;
	int rc;

	memset(r, 0, sizeof(*r));
	r->is_credential = true;
	if (len > VERIFY_MAX_INPUT)
		return not_credential(r, "the input is larger than 1 MiB");
	while (start < end && strchr(" \t\r\n", data[start]))
		start++;
	while (end > start && strchr(" \t\r\n", data[end - 1]))
		end--;
	if (start == end)
		return not_credential(r, "the input is empty");
	/* An SD-JWT VC (a JWS, '~', disclosures): a pipeline of its own, same checks. */
	if (registry_is_sdjwt(data + start, end - start))
		return registry_verify_sdjwt(d, data + start, end - start, o, r, err);
	jwt = data[start] != '{' && looks_like_jws(data + start, end - start);
	if (jwt)
		OK_COPY_ARRAY(r->format, "jwt");
	else
		OK_COPY_ARRAY(r->format, "di");
	if (!jwt && data[start] != '{')
		return not_credential(r,
		                      "the input is neither a JSON credential nor a VC-JOSE token");
	ok_error_clear(&perr);
	if (jwt) {
		rc = jws_payload(data + start, end - start, &vc, &perr);
		if (rc)
			return not_credential(r, "the input is not usable: %s", perr.message);
		return verify_parsed(d, data + start, end - start, vc, NULL, 0, o, r, err);
	}
	json_tree_init(&tree);
	rc = vc_jcs_parse_tree(data + start, end - start, &tree, &root, &perr);
	if (rc)
		rc = not_credential(r, "the input is not usable: %s", perr.message);
	else
		rc = verify_tree(d, &tree, root, o, r, err);
	json_tree_release(&tree);
	return rc;
}

/* A JSON credential read by vc_jcs_parse_tree: every check reads the tree. */
static int verify_tree(struct depository *d, const struct json_tree *t, uint32_t root,
                       const struct verify_options *o, struct verify_result *r,
                       struct ok_error *err)
{
	return verify_parsed(d, NULL, 0, NULL, t, root, o, r, err);
}

int registry_verify_tree(struct depository *d, const struct json_tree *t, uint32_t root,
                         const struct verify_options *o, struct verify_result *r,
                         struct ok_error *err)
{
	memset(r, 0, sizeof(*r));
	r->is_credential = true;
	OK_COPY_ARRAY(r->format, "di");
	return verify_tree(d, t, root, o, r, err);
}

int registry_verify_document(struct depository *d, json_t *vc, const struct verify_options *o,
                             struct verify_result *r, struct ok_error *err)
{
	/* The same checks (verify_parsed) on the caller's document; only the proof's hash is
	 * written from jansson. Its text is not made again: printed back, a document of reals
	 * can be longer than what the client sent, and no cap applies to it twice. */
	memset(r, 0, sizeof(*r));
	r->is_credential = true;
	OK_COPY_ARRAY(r->format, "di");
	return verify_parsed(d, NULL, 0, json_incref(vc), NULL, 0, o, r, err);
}

int registry_verify_once(struct depository *d, const char *data, size_t len,
                         const struct verify_options *o, long ttl_s, struct verify_result *r,
                         struct ok_error *err)
{
	struct verify_options own = *o;
	struct remote_status_cache statuses;
	struct remote_did_cache dids;
	int rc;

	remote_status_cache_init(&statuses, ttl_s, NULL);
	remote_did_cache_init(&dids, ttl_s, NULL);
	own.status_cache = &statuses;
	own.did_cache = &dids;
	rc = registry_verify(d, data, len, &own, r, err);
	remote_status_cache_release(&statuses);
	remote_did_cache_release(&dids);
	return rc;
}

void verify_result_release(struct verify_result *r)
{
	json_decref(r->credential);
	r->credential = NULL;
}

/* s, or its copy in tmp with each byte that is not UTF-8 replaced by U+FFFD: a message that
 * would not be one is shown, not left out (nor the result lost). */
static const char *valid_text(const char *s, char tmp[VERIFY_MESSAGE_MAX * 3 + 1])
{
	size_t n = strlen(s);

	if (utf8_valid(s, n))
		return s;
	utf8_replace_invalid(s, n, tmp, VERIFY_MESSAGE_MAX * 3 + 1);
	return tmp;
}

json_t *verify_result_json(const struct verify_result *r)
{
	json_t *checks = json_array(), *warnings = json_array(), *errors = json_array(), *details;
	char tmp[VERIFY_MESSAGE_MAX * 3 + 1];
	const char *message;
	size_t i;

	details = json_array();
	if (!r->is_credential)
		json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "type",
		                                        "/problems/not-a-credential", "title",
		                                        "Not a credential", "detail",
		                                        valid_text(r->not_credential, tmp)));
	/* The data-model rule that failed, by its stable name (vc/datamodel.h). */
	if (!r->is_credential && r->rule)
		json_object_set_new(json_array_get(errors, 0), "rule", json_string(r->rule));
	for (i = 0; i < r->count; i++) {
		const struct verify_item *it = &r->items[i];
		const char *name = verify_check_name(it->check);
		message = valid_text(it->message, tmp);
		json_array_append_new(details, json_pack("{s:s, s:b, s:s}", "check", name, "passed",
		                                         it->passed, "message", message));
		if (it->passed)
			json_array_append_new(checks, json_string(name));
		if (it->warning)
			json_array_append_new(warnings, json_pack("{s:s, s:s, s:s}", "type",
			                                          "/problems/warning", "check",
			                                          name, "detail", message));
		if (!it->passed)
			json_array_append_new(errors, json_pack("{s:s, s:s, s:s, s:s}", "type",
			                                        "/problems/check-failed", "title",
			                                        "Check failed", "check", name,
			                                        "detail", message));
	}
	return json_pack("{s:b, s:o, s:o, s:o, s:o}", "verified", r->verified, "checks", checks,
	                 "warnings", warnings, "errors", errors, "details", details);
}
