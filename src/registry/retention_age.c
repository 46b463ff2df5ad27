/* The retention trigger learner_age: which learners have reached the age a rule names. The
 * birth date is sealed, so the store cannot compare it: every learner's birth date is opened
 * here, once per scan, and the scan is one audited read (purpose "retention") that records how
 * many birth dates were opened and how many learners were found at or past the age, not who. */
#include "registry/retention.h"

#include <stdlib.h>
#include <string.h>

#include "audit/txn.h"
#include "core/format.h"
#include "registry/learner.h"
#include "store/keys.h"

#include <sodium.h>

#define PAGE 1000

struct page {
	char (*id)[STORE_ID_MAX + 1];
	size_t n;
};

static int page_add(void *ctx, const char *id)
{
	struct page *p = ctx;

	if (p->n < PAGE)
		memcpy(p->id[p->n++], id, STORE_ID_MAX + 1);
	return 0;
}

/* A learner not yet at the age: the day they reach it, for the plan's next due date. */
struct pending {
	char due[11];
	char id[STORE_ID_MAX + 1];
};

static int pending_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pending *)a)->due, ((const struct pending *)b)->due);
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *nv;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 256;
	if (!(nv = reallocarray(*v, c, size)))
		return OK_ENOMEM;
	*v = nv;
	*cap = c;
	return 0;
}

void retention_aged_release(struct retention_aged *a)
{
	free(a->id);
	memset(a, 0, sizeof(*a));
}

int retention_aged_scan(struct depository *d, enum retention_class c,
                        const struct retention_rule *r, int64_t now_ms, const char *actor,
                        const char *subject, bool want_next, struct retention_aged *out,
                        struct ok_error *err)
{
	struct page pg = {0};
	struct pending *pend = NULL;
	size_t npend = 0, cappend = 0, i;
	char after[STORE_ID_MAX + 1] = "", cutoff[11], birth[11], detail[160];
	struct store_learner l;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	retention_cutoff_date(&r->period, now_ms, cutoff);
	store_learner_init(&l);
	if (!(pg.id = calloc(PAGE, sizeof(*pg.id)))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		pg.n = 0;
		/* Key id 0 is no data key's: every learner, by id. */
		if ((rc = store_learner_ids_not_under(d->store, 0, after, PAGE, page_add, &pg,
		                                      err)))
			goto out;
		for (i = 0; i < pg.n; i++) {
			rc = store_learner_get(d->store, pg.id[i], &l, err);
			if (rc == OK_ENOTFOUND) { /* destroyed meanwhile */
				rc = 0;
				continue;
			}
			if (!rc)
				rc = registry_learner_open_birth_date(d, &l, birth, err);
			if (rc)
				goto out;
			out->read++;
			if (strcmp(birth, cutoff) <= 0) {
				if ((rc = grow((void **)&out->id, &out->cap, out->n,
				               sizeof(*out->id)))) {
					rc = ok_fail(err, rc, "out of memory");
					goto out;
				}
				memcpy(out->id[out->n++], pg.id[i], STORE_ID_MAX + 1);
			} else if (want_next) {
				if ((rc = grow((void **)&pend, &cappend, npend, sizeof(*pend)))) {
					rc = ok_fail(err, rc, "out of memory");
					goto out;
				}
				if (retention_due_date(&r->period, birth, pend[npend].due))
					continue;
				memcpy(pend[npend++].id, pg.id[i], STORE_ID_MAX + 1);
			}
			sodium_memzero(birth, sizeof(birth));
		}
		if (pg.n < PAGE)
			break;
		memcpy(after, pg.id[pg.n - 1], sizeof(after));
	}
	/* The next due date: the first learner to reach the age who has records of the class. */
	if (npend)
		qsort(pend, npend, sizeof(*pend), pending_cmp);
	for (i = 0; !out->next[0] && i < npend; i++) {
		int64_t due, held;
		if ((rc = store_retention_of_learner(d->store, c, pend[i].id, 0, &due, &held, NULL,
		                                     NULL, err)))
			goto out;
		if (due + held > 0)
			memcpy(out->next, pend[i].due, sizeof(out->next));
	}
	if (ok_format(detail, sizeof(detail),
	              "birth_date of %lld learners read for the learner_age rule of %s; %zu at or "
	              "past the age",
	              (long long)out->read, retention_class_name(c), out->n))
		rc = ok_fail(err, OK_EINTERNAL, "audit detail too long");
	else
		rc = audit_record(d, actor, "retention.learner_age", subject, "retention", detail,
		                  err);
out:
	sodium_memzero(birth, sizeof(birth));
	if (pend)
		sodium_memzero(pend, cappend * sizeof(*pend));
	free(pend);
	free(pg.id);
	store_learner_release(&l);
	if (rc)
		retention_aged_release(out);
	return rc;
}
