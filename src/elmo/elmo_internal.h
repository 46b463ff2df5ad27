/* Shared by the files of src/elmo/: the namespaces and the signature's parts. */
#ifndef OK_ELMO_INTERNAL_H
#define OK_ELMO_INTERNAL_H

#include <libxml/tree.h>

#include "elmo/elmo.h"

#define ELMO_NS "https://github.com/emrex-eu/elmo-schemas/tree/v1"
#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"

/* Signs doc (its root element) in place: see elmo_export. */
int elmo_sign_doc(xmlDocPtr doc, const char *key_pem, size_t key_len, const char *cert_pem,
                  size_t cert_len, struct ok_error *err);
/* Verifies the one enveloped signature of doc's root against cert_pem: see elmo_import. */
int elmo_verify_doc(xmlDocPtr doc, const struct elmo_import_options *o,
                    struct elmo_signature_info *sig, struct ok_error *err);

#endif
