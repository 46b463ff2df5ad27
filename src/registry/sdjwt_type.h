/* SD-JWT VC Type Metadata of the depository's own types (one per kind of result, vct
 * BASE/vct/KIND): display names and claim labels in Dutch and English, for wallets to show a
 * credential with its own labels. */
#ifndef OK_REGISTRY_SDJWT_TYPE_H
#define OK_REGISTRY_SDJWT_TYPE_H

#include <jansson.h>

#include "core/error.h"
#include "depository/depository.h"

/* *out gets a new reference to the Type Metadata of kind; OK_ENOTFOUND for an unknown kind. */
int registry_sdjwt_type_metadata(const struct depository *d, const char *kind, json_t **out,
                                 struct ok_error *err);

#endif
