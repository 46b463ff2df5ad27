/* Institutions and their API keys: registering an institution, issuing and checking keys.
 * A key is shown once, at creation; only its BLAKE2b hash is stored. */
#ifndef OK_REGISTRY_INSTITUTION_H
#define OK_REGISTRY_INSTITUTION_H

#include "depository/depository.h"
#include "store/apikeys.h"

#define API_KEY_TEXT_MAX 64

struct institution_input {
	const char *code;        /* national code, e.g. a Dutch BRIN: 2-32 letters or digits */
	const char *name;        /* 1-200 characters */
	const char *country;     /* ISO 3166-1 alpha-2 */
	const char *erasmus;     /* optional Erasmus code */
	const char *schac;       /* optional SCHAC home organisation (a domain name) */
	const char *permissions; /* key permissions, NULL for "register,read" */
};

/*
 * Validates and adds an institution with a first API key, in one transaction, and audits it.
 * key_out receives the key text (shown once to the operator).
 */
int registry_institution_add(struct depository *d, const struct institution_input *in,
                             char key_out[API_KEY_TEXT_MAX + 1], struct ok_error *err);

/* Calls fn for every institution, by code. */
int registry_institution_list(struct depository *d, store_institution_fn fn, void *ctx,
                              struct ok_error *err);

/* Creates another key for an institution (or for no institution when code is NULL). */
int registry_apikey_add(struct depository *d, const char *code, const char *permissions,
                        char key_out[API_KEY_TEXT_MAX + 1], struct ok_error *err);

/* Every API key (of institution code, or all when code is NULL), oldest first; never a secret.
 * OK_ENOTFOUND (field "institution") when code names no institution. */
int registry_apikey_list(struct depository *d, const char *code, store_api_key_fn fn, void *ctx,
                         struct ok_error *err);

/* Revokes key id for good, audited: the server refuses it from its next request on (keys are
 * checked against the store on every request, never cached). OK_ENOTFOUND, OK_ECONFLICT when it
 * was revoked already. */
int registry_apikey_revoke(struct depository *d, const char *id, struct ok_error *err);

/* Finds the live key for key text; OK_EAUTH when unknown or revoked, OK_ELIMIT (with out
 * filled) when leak detection blocked it (registry/leak.h). */
int registry_apikey_check(struct depository *d, const char *key_text, struct store_api_key *out,
                          struct ok_error *err);

bool registry_country_valid(const char *cc);

#endif
