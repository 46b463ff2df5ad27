/* The local trust list: issuers (other depositories) whose credentials this depository accepts.
 * The depository itself is always trusted and is never on the list. */
#ifndef OK_REGISTRY_TRUST_H
#define OK_REGISTRY_TRUST_H

#include "registry/depository.h"

int registry_trust_add(struct depository *d, const char *did, const char *name, const char *country,
                       struct ok_error *err);
int registry_trust_remove(struct depository *d, const char *did, struct ok_error *err);

#endif
