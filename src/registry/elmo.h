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
#include "store/emrex.h"
#include "store/foreign.h"

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

/* Seals the ELMO key again under data key key_id when it is under another (a data-key
 * rotation calls it before it drops the older keys); 0 when the folder has no ELMO key. */
int registry_elmo_key_reseal(struct depository *d, uint32_t key_id, struct ok_error *err);

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

/* Import (registry/elmo_import.c, registry/emrex_registry.c) */

#define EMREG_INPUT_MAX ((size_t)4 << 20)
#define EMREG_EMPS_MAX  1000

/* Whether url may be an EMREX endpoint (a contact point's URL, a client's returnUrl): https://
 * with a host (letters, digits, ".-:[]"), at most max bytes of printable ASCII; or http:// to
 * a host named in test_hosts (comma-separated "host[:port]", config emrex_test_hosts; may be
 * NULL). */
bool emrex_url_ok(const char *url, size_t max, const char *test_hosts);

/*
 * Reads an EMREX registry (EMREG JSON: "emps": [{"url", "acronym", "countryCode",
 * "institutions", "pubKey"}]) and calls fn for each contact point, checked (an https URL, or
 * http:// on one of test_hosts (see emrex_url_ok), a country code, a certificate that loads).
 * OK_EINPUT naming the entry and field ("emps[2].pubKey") for the first bad one; fn is called
 * only once the whole file is good.
 */
int emrex_registry_parse(const char *data, size_t len, const char *test_hosts, store_emrex_fn fn,
                         void *ctx, struct ok_error *err);

struct emrex_registry_result {
	size_t contact_points;
	size_t sha1; /* of them, accepted with SHA-1 */
};

/* Keeps every contact point of the registry at data (replacing those of the same acronym), in
 * one transaction with an audit event; accept_sha1 names the acronyms whose RSA-SHA1
 * signatures are accepted (each must be in the file: OK_EINPUT otherwise). */
int registry_emrex_registry_import(struct depository *d, const char *data, size_t len,
                                   const char *const *accept_sha1, size_t n_sha1,
                                   struct emrex_registry_result *out, struct ok_error *err);
/* The registered contact points, by acronym. */
int registry_emrex_list(struct depository *d, store_emrex_fn fn, void *ctx, struct ok_error *err);

struct elmo_import_result {
	size_t results;    /* results in the document */
	size_t added;      /* new foreign achievements */
	size_t duplicates; /* held already for this learner */
	bool sha1;         /* the document was signed with SHA-1 (accepted for its sender) */
	char method[64];
	char ncp[65], country[3];
};

/*
 * Imports the ELMO document at data (XML or gzip, at most xml_max bytes of XML once unpacked;
 * 0 = ELMO_INPUT_MAX) sent by contact point ncp for learner_id:
 * the signature verified against that contact point's registered certificate only, the
 * learner's name and birth date matched (an audited read), and each result kept as a foreign
 * achievement (format "elmo", or "elmo-sha1"; origin: the contact point, its country, the
 * report's institution), all in one transaction. Refused, nothing is kept and the refusal is
 * audited ("emrex.refuse"):
 *   OK_ENOTFOUND  no such learner (field "learner_id") or contact point (field "ncp");
 *   OK_EINVALID   field "signature" (missing, wrong, altered, SHA-1 not accepted) or
 *                 "identity" (name or birth date not the learner's);
 *   OK_EINPUT / OK_ETOOBIG  not a readable ELMO document (see elmo_import);
 *   OK_ECONFLICT  a result is held already for another learner.
 * gate (may be NULL) runs once the document verified and names the learner, just before
 * anything is kept; its error is returned as it is, nothing kept (the portal uses up the
 * client's session there, so a refused document does not use it up).
 */
typedef int (*registry_elmo_gate_fn)(void *ctx, struct ok_error *err);
int registry_elmo_import(struct depository *d, const char *data, size_t len, size_t xml_max,
                         const char *ncp, const char *learner_id, const char *actor,
                         registry_elmo_gate_fn gate, void *gate_ctx, struct elmo_import_result *out,
                         struct ok_error *err);

#endif
