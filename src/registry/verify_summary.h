/* What a verified credential is about, in one glance: its holder, its result, and a headline
 * verdict (verified, revoked on a date, suspended, not genuine), for the share page, /verify and
 * `oorkonde verify`.
 *
 * The holder is read from credentialSubject.identifier: IdentityObjects with "hashed": false of
 * identityType "name" and "ext:birthDate". The result is read from credentialSubject (title,
 * kind, the awarding institution, date, credits, grade). When the signature does not hold, no
 * other check means anything: those are "not applicable", never passed.
 */
#ifndef OK_REGISTRY_VERIFY_SUMMARY_H
#define OK_REGISTRY_VERIFY_SUMMARY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "depository/depository.h"
#include "registry/verify.h"
#include "render/text.h"
#include "vc/datamodel_view.h"

enum verify_headline {
	VERIFY_HEADLINE_VERIFIED,
	VERIFY_HEADLINE_REVOKED,
	VERIFY_HEADLINE_SUSPENDED,
	VERIFY_HEADLINE_INVALID,      /* the signature does not hold: not genuine */
	VERIFY_HEADLINE_NOT_VERIFIED, /* another check failed */
	VERIFY_HEADLINE_NOT_CREDENTIAL,
};

struct verify_verdict {
	enum verify_headline headline;
	char since[11]; /* YYYY-MM-DD of the revocation or suspension when known, else "" */
	/* Revoked because the depository destroyed the record under its retention schedule (its
	 * status slot is kept as a revoked tombstone; since: the day of the destruction). */
	bool destroyed;
	/* The proof was checked and held (options.checks may leave the proof out). */
	bool signed_ok;
	/* The proof and the issuer were checked and held: only then are the holder and
	 * achievement the credential states shown (anyone signs with a key of their own). */
	bool stated_ok;
	/* NOT_VERIFIED only because options.checks left checks out: those asked for passed. */
	bool narrowed;
};

/* Reading */

/* "verified", "revoked", "suspended", "invalid", "not_verified", "not_credential". */
const char *verify_headline_name(enum verify_headline h);

/* Whether item i of r means anything: not when the proof failed and i is another check. */
bool verify_item_applicable(const struct verify_result *r, size_t i);

/* "passed", "warning", "failed" or "not_applicable". */
const char *verify_item_state(const struct verify_result *r, size_t i);

/*
 * The headline of r: "verified" only when all four checks ran and passed. For the
 * depository's own credentials (d not NULL, issuer its DID; an SD-JWT VC whose status its own
 * list gave) a revocation or suspension is looked up in the store for its date; another
 * issuer's is known only from the status check. Never fails: what cannot be known stays empty (the
 * date, when r->credential is NULL: for a JSON credential, verify with
 * verify_options.want_credential).
 */
void verify_verdict_of(struct depository *d, const struct verify_result *r,
                       struct verify_verdict *v);

/* Our kind ("diploma", "degree", "exam", "module", "course") for an Open Badges 3.0
 * achievementType of those we issue; NULL for another type or none. */
const char *verify_kind_of_type(const char *type);

/* {"name", "birth_date"} of the credential's holder (members null when absent); new
 * reference, NULL for a NULL credential or out of memory. */
json_t *verify_holder_json(const json_t *vc);

/* {"title", "kind", "achievement_type", "institution", "country", "awarded_on", "credits",
 * "grade"} of the credential's result (members null when absent); new reference or NULL. */
json_t *verify_achievement_json(const json_t *vc);

/*
 * The VC-API result (verify_result_json) with what a person reads first: "holder",
 * "achievement", "headline" {"state", "since", "text"}, and per detail its "state" and
 * "reason" (a code pages explain in their language). Checks that do not apply are taken out of
 * "checks". When the signature fails, "holder" and "achievement" are null: nothing the
 * credential states was verified; null as well when r->credential is NULL (for a JSON
 * credential, verify with verify_options.want_credential). New reference, NULL when out of
 * memory.
 */
json_t *verify_report_json(struct depository *d, const struct verify_result *r);

/* The same, reading the credential through a view (vc/datamodel_view.h): the JSON tree the
 * server verified without verify_options.want_credential (no jansson copy), or a jansson value.
 * verify_verdict_of is this with r->credential. */
void verify_verdict_of_view(struct depository *d, const struct verify_result *r, struct vc_dmv vc,
                            struct verify_verdict *v);

/* The headline's "reason": "destroyed" (revoked: the record was destroyed under the retention
 * schedule), "narrowed" (not_verified: only the checks asked for ran, and they passed), or NULL
 * for none. */
const char *verify_headline_reason(const struct verify_verdict *v);

/* Whether r's proof check ran and failed (then no other check applies). */
bool verify_proof_failed(const struct verify_result *r);

/* Why item i came out as it did: "ok", "warning", "bad", "revoked", "suspended", "unknown" or
 * "not_applicable" (a code pages explain in their language); a status check's from the value
 * it recorded (verify_item.status). */
const char *verify_item_reason(const struct verify_result *r, size_t i,
                               const struct verify_verdict *v);

/* The summary's facts read through a view, for a writer that prints them without building
 * jansson values (http/verify_report.h): the same values verify_holder_json and
 * verify_achievement_json give, as bytes and a length borrowed from the credential (or from
 * the struct itself: such a struct is never copied). s NULL stands for JSON null. */
struct verify_text {
	const char *s;
	size_t n;
};

/* The longest SD-JWT VC holder's name shown: "given family" is cut there, at a character
 * boundary. */
#define VERIFY_NAME_MAX 1023

struct verify_holder {
	struct verify_text name, birth_date;
	char joined[VERIFY_NAME_MAX + 1]; /* an SD-JWT VC's "given family", cut as
	                                     verify_holder_json cuts it */
};

struct verify_achievement {
	bool stated; /* false: not one stated achievement (verify_achievement_json's null) */
	struct verify_text title, kind, achievement_type, institution, country, awarded_on, grade;
	bool has_credits;
	double credits;
	char date[11]; /* awarded_on's first ten bytes (fewer: cut at a character boundary) */
};

void verify_holder_read(struct vc_dmv vc, struct verify_holder *h);
void verify_achievement_read(struct vc_dmv vc, struct verify_achievement *a);

/* Whether credits_number writes v as an integer (180, not 180.0): only a value an int64 holds
 * exactly. */
bool verify_credits_integral(double v);

/* Formatting for people ("en" or "nl") */

/* "Revoked by the institution on 30 August 2024" and the others, in English. */
void verify_headline_text(const struct verify_verdict *v, char *out, size_t cap);

#endif
