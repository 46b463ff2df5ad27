/* Key management as the operator is shown it: where the data and issuer keys stand, and the
 * name of a new issuer key, derived here so that front ends only print (see rotation.h). */
#include "registry/rotation.h"

#include "core/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int registry_keys_rotate_issuer_vm(struct depository *d, uint32_t *key_id, char vm[256],
                                   struct ok_error *err)
{
	int rc = registry_keys_rotate_issuer(d, key_id, err);

	return rc ? rc : depository_issuer_vm(d, *key_id, vm, err);
}

/* Appends one element of size n to *items (count in *count), doubling the room as needed. */
static int append(void **items, size_t *count, size_t *cap, const void *item, size_t n)
{
	void *grown;

	if (*count == *cap) {
		size_t want = *cap ? *cap * 2 : 8;
		if (!(grown = realloc(*items, want * n)))
			return OK_ENOMEM;
		*items = grown;
		*cap = want;
	}
	memcpy((char *)*items + *count * n, item, n);
	(*count)++;
	return 0;
}

struct status_fill {
	struct depository *d;
	struct keys_status *s;
	size_t data_cap, issuer_cap;
};

static int add_data_key(void *ctx, const struct keys_data_count *k)
{
	struct status_fill *f = ctx;

	return append((void **)&f->s->data, &f->s->data_count, &f->data_cap, k, sizeof(*k));
}

static int add_issuer_key(void *ctx, const struct store_issuer_key *k)
{
	struct status_fill *f = ctx;
	struct keys_issuer_entry e;

	memset(&e, 0, sizeof(e));
	e.key = *k;
	e.current = !k->retired_ms && k->key_id == f->d->issuer_key_id;
	/* A retired key is no longer in the DID document: it has no DID URL to show. */
	if (k->retired_ms || depository_issuer_vm(f->d, k->key_id, e.vm, NULL) != 0)
		/* "key-" and a number: 256 bytes hold it. */
		snprintf(e.vm, sizeof(e.vm), "key-%lu", (unsigned long)k->key_id);
	if (vc_multikey_encode_ed25519_pub(k->public_key, e.multikey, NULL) != 0)
		e.multikey[0] = '\0';
	return append((void **)&f->s->issuer, &f->s->issuer_count, &f->issuer_cap, &e, sizeof(e));
}

int registry_keys_status(struct depository *d, struct keys_status *out, struct ok_error *err)
{
	struct status_fill f = {d, out, 0, 0};
	int rc;

	memset(out, 0, sizeof(*out));
	OK_COPY_ARRAY(out->did, d->issuer_did);
	rc = registry_keys_data_counts(d, add_data_key, &f, err);
	if (!rc) {
		rc = registry_keys_data_progress(d, &out->rotation, err);
		out->rotated = rc == 0;
		if (rc == OK_ENOTFOUND)
			rc = 0;
	}
	if (!rc)
		rc = registry_keys_issuer_list(d, add_issuer_key, &f, err);
	if (rc == OK_ENOMEM)
		ok_fail(err, rc, "out of memory");
	if (rc)
		keys_status_release(out);
	return rc;
}

void keys_status_release(struct keys_status *s)
{
	free(s->data);
	free(s->issuer);
	s->data = NULL;
	s->issuer = NULL;
	s->data_count = s->issuer_count = 0;
}
