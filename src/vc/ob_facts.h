/* What an Open Badges 3.0 credential states about its achievement (title, kind, awarding
 * institution, award date, credits, grade) and its holder, read the same from every JSON shape
 * that an eddsa-rdfc-2022 signature cannot tell apart.
 *
 * With eddsa-rdfc-2022 the signature covers the credential's quads, not its JSON: the number 3
 * and the string "3" of an xsd:float property, "BSc" and {"@value": "BSc"}, a one-item array and
 * its item are the same quads, and the items of an array (a JSON-LD set) have no order. So the
 * readers here never take "the first" of several values: several subjects or achievements, or an
 * achievement with several names, are refused; a fact with several different values (two grades)
 * or a value that is no number or text is unknown, never replaced by another property (an
 * unreadable creditsEarned is no credits, not creditsAvailable).
 *
 * The facts borrow their strings from the credential: they live as long as it does.
 */
#ifndef OK_VC_OB_FACTS_H
#define OK_VC_OB_FACTS_H

#include <jansson.h>
#include <stdbool.h>

#include "core/error.h"

struct vc_ob_facts {
	const json_t *subject;        /* the one credentialSubject object */
	const char *title;            /* achievement.name, else the credential's name; never NULL */
	const char *achievement_type; /* NULL when none or unreadable */
	const char *institution;      /* achievement.creator.name, or NULL */
	const char *country;          /* creator.address.addressCountryCode, or NULL */
	const char *awarded;          /* awardedDate as written, or NULL */
	bool awarded_stated;          /* awardedDate present, readable or not */
	bool has_credits;             /* credits holds creditsEarned, or creditsAvailable when
	                                 the subject states no creditsEarned at all */
	double credits;
	const char *grade; /* the result's value when every result states the same one, or NULL */
};

/*
 * Reads the facts of vc (the credential's JSON after verification). Fails with OK_EINPUT naming
 * the field when the credential has no subject or several, no achievement or several, or no
 * single name for its achievement (neither achievement.name nor the credential's name).
 */
int vc_ob_facts_read(const json_t *vc, struct vc_ob_facts *f, struct ok_error *err);

/* A text value: a string, or a value object's string {"@value": "…"} (with a language or a
 * type), or a set of such values all equal. NULL when absent, several different, or not text. */
const char *vc_ob_text(const json_t *v);

/* A number of an xsd:float or xsd:integer property: a JSON number, its lexical form as a string,
 * a value object of either, or a set of such values all equal. False when absent or otherwise. */
bool vc_ob_number(const json_t *v, double *out);

/* Whether s is in the xsd:float lexical space without INF and NaN (which no count of credits
 * is): digits with an optional sign, point and exponent. */
bool vc_ob_float_lexical(const char *s);

/* The clear value (identityHash, "hashed" false or absent) of the subject's IdentityObjects of
 * identityType type, or NULL when it has none, or several different ones. *conflicting (may
 * be NULL) tells the two NULLs apart (review Q4): true when several different values are
 * given. For ext:birthDate a date and a dateTime of the same day are not different. */
const char *vc_ob_identity(const json_t *subject, const char *type, bool *conflicting);

#endif
