/* What an Open Badges 3.0 credential states about its achievement (title, kind, awarding
 * institution, award date, credits, grade) and its holder, read the same from every JSON shape
 * that an eddsa-rdfc-2022 signature cannot tell apart, and the same from either reader of a
 * view (vc/datamodel_view.h): foreign imports read the credential's jansson value, the verify
 * report the verifier's JSON tree, with these functions alone.
 *
 * With eddsa-rdfc-2022 the signature covers the credential's quads, not its JSON: the number 3
 * and the string "3" of an xsd:float property, "BSc" and {"@value": "BSc"}, a one-item array and
 * its item are the same quads, and the items of an array (a JSON-LD set) have no order. So the
 * readers here never take "the first" of several values: several subjects or achievements, or an
 * achievement with several names, are refused; a fact with several different values (two grades)
 * or a value that is no number or text is unknown, never replaced by another property (an
 * unreadable creditsEarned is no credits, not creditsAvailable).
 *
 * Invariants:
 * - Every text borrows its bytes from the credential: it lives as long as the credential does.
 * - A text is bytes and a length (datamodel_view.h's strings): read from a jansson view, s is
 *   the value's C string (s[n] is its NUL, n its strlen); read from a tree, s may not be
 *   terminated.
 */
#ifndef OK_VC_OB_FACTS_H
#define OK_VC_OB_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "vc/datamodel_view.h"

/* A text the credential states; s NULL when it states none (or none readable). */
struct vc_ob_str {
	const char *s;
	size_t n;
};

struct vc_ob_facts {
	struct vc_dmv subject;             /* the one credentialSubject object */
	struct vc_ob_str title;            /* achievement.name, else the credential's name;
	                                      never none nor empty */
	struct vc_ob_str achievement_type; /* none when none or unreadable */
	struct vc_ob_str institution;      /* achievement.creator.name, or none */
	struct vc_ob_str country;          /* creator.address.addressCountryCode, or none */
	struct vc_ob_str awarded;          /* awardedDate as written, or none */
	bool awarded_stated;               /* awardedDate present, readable or not */
	bool has_credits;                  /* credits holds creditsEarned, or creditsAvailable
	                                      when the subject states no creditsEarned at all */
	double credits;
	struct vc_ob_str grade; /* the result's value when every result states the same one */
};

/*
 * Reads the facts of vc (the credential after verification). Fails with OK_EINPUT naming the
 * field when the credential has no subject or several, no achievement or several, or no single
 * name for its achievement (neither achievement.name nor the credential's name). err may be
 * NULL.
 */
int vc_ob_facts_read(struct vc_dmv vc, struct vc_ob_facts *f, struct ok_error *err);

/* The credential's one subject: credentialSubject when it is an object, or a set holding
 * exactly one object; none otherwise. */
struct vc_dmv vc_ob_subject(struct vc_dmv vc);

/* A text value: a string, or a value object's string {"@value": "…"} (with a language or a
 * type), or a set of such values all equal. None when absent, several different, or not text. */
struct vc_ob_str vc_ob_text(struct vc_dmv v);

/* A number of an xsd:float or xsd:integer property: a JSON number, its lexical form as a string,
 * a value object of either, or a set of such values all equal. False when absent or otherwise. */
bool vc_ob_number(struct vc_dmv v, double *out);

/* The clear value (identityHash, "hashed" false or absent) of the subject's IdentityObjects of
 * identityType type, or none when it has none, or several different ones. *conflicting (may
 * be NULL) tells the two nones apart (review Q4): true when several different values are
 * given. For ext:birthDate a date and a dateTime of the same day are not different. */
struct vc_ob_str vc_ob_identity(struct vc_dmv subject, const char *type, bool *conflicting);

#endif
