/* The parts of a foreign import that read the credential alone, before any store or network
 * use (see foreign.h): for foreign.c and its fuzz target. */
#ifndef OK_REGISTRY_FOREIGN_INTERNAL_H
#define OK_REGISTRY_FOREIGN_INTERNAL_H

#include <jansson.h>

#include "core/error.h"
#include "model/registration.h"
#include "store/foreign.h"

/* Fills the achievement's columns of f (title, kind, awarded_on, credits_centi, grade,
 * institution, institution_country) from the credential (or its JWT payload); OK_EINPUT
 * (field "credential") when it names no achievement. */
int foreign_read_achievement(const json_t *vc, struct store_foreign *f, struct ok_error *err);

/* The key that makes a credential unique for its issuer: its id, else a hash of its bytes. */
void foreign_credential_key(const json_t *vc, const char *data, size_t len,
                            char out[STORE_FOREIGN_KEY_MAX + 1]);

/* Who the credential says it is about: its subject's IdentityObjects given in clear. Both point
 * into the credential; NULL when it has none. */
struct foreign_holder {
	const char *name;       /* identityType "name" */
	const char *birth_date; /* identityType "ext:birthDate" */
	/* The subject gives several different names or birth dates: "name" or "birth date" (the
	 * field named in the refusal), else NULL. */
	const char *conflicting;
};

void foreign_holder_of(const json_t *vc, struct foreign_holder *h);

/* Room for a folded name (io/fold.h): a longer one never matches. */
#define FOREIGN_NAME_MAX 1024

/*
 * Whether holder h is learner l: the name equals the learner's given names and family name
 * joined by a space, both folded (io/fold.h: case and white space); the birth date, when the
 * credential gives one, is the learner's. 0 when they match, else OK_EINVALID. h->name must be
 * set.
 */
int foreign_holder_match(const struct foreign_holder *h, const struct learner_data *l);

#endif
