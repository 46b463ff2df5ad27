/* EMREX (issue 19): the depository's ELMO signing key and certificate, a learner's results
 * exported as a signed ELMO document, and (registry/elmo_import.c) documents of other contact
 * points imported as foreign achievements.
 *
 * Invariants:
 * - The signing key is kept in the data folder as elmo.key, sealed under the data key (field
 *   "elmo_key"), mode 0600; its certificate beside it as elmo.crt (PEM). The key is opened
 *   only to sign and wiped after.
 * - An export reads the learner's personal fields through registry_learner_read: one audited
 *   read (actor, purpose) per export.
 */
#ifndef OK_REGISTRY_ELMO_H
#define OK_REGISTRY_ELMO_H

#include <stdbool.h>

#include "depository/depository.h"
#include "elmo/elmo.h"

#define ELMO_KEY_FILE  "elmo.key"
#define ELMO_CERT_FILE "elmo.crt"
#define ELMO_PEM_MAX   ((size_t)64 << 10)

/* Keys */

/* Makes a new EC P-256 key and a self-signed certificate (CN: the depository's name, ten
 * years) and keeps them; OK_EEXIST when the folder has an ELMO key already. */
int registry_elmo_key_create(struct depository *d, struct ok_error *err);
/* Installs a CA-issued certificate and its key (both PEM) in place of the current ones, after
 * checking that the key is the certificate's. */
int registry_elmo_key_install(struct depository *d, const char *cert_pem, size_t cert_len,
                              const char *key_pem, size_t key_len, struct ok_error *err);
/* The key (opened) and the certificate; OK_ENOTFOUND when the folder has none ("oorkonde keys
 * add-elmo-key" makes one). The caller wipes and releases key_pem. */
int registry_elmo_key_load(struct depository *d, struct buf *key_pem, struct buf *cert_pem,
                           struct ok_error *err);

struct elmo_key_info {
	char subject[256];
	char fingerprint[65]; /* SHA-256 of the certificate, hex */
	int64_t not_after_ms;
};
int registry_elmo_key_info(struct depository *d, struct elmo_key_info *out, struct ok_error *err);

/* Export */

struct elmo_export_options {
	const char *learner_id;
	const char *const *achievements; /* ids to send; NULL: every active achievement */
	size_t achievement_count;
	bool national_id; /* put the national id in the document (off unless asked for) */
	const char *actor, *purpose; /* for the audited read */
};

/*
 * Appends the learner's signed ELMO document to out; *results (may be NULL) gets the number of
 * results in it. OK_ENOTFOUND for an unknown learner, or an achievement id that is not the
 * learner's (err->field "achievements"); OK_EINPUT when nothing is left to export (revoked and
 * suspended results are never sent).
 */
int registry_elmo_export(struct depository *d, const struct elmo_export_options *o, struct buf *out,
                         size_t *results, struct ok_error *err);

#endif
