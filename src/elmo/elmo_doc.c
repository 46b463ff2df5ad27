/* The life cycle of struct elmo_document (see elmo.h): growing its arrays within the limits. */
#include "elmo/elmo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

void elmo_document_init(struct elmo_document *doc)
{
	memset(doc, 0, sizeof(*doc));
}

void elmo_document_release(struct elmo_document *doc)
{
	size_t i;

	for (i = 0; i < doc->count; i++)
		free(doc->reports[i].results);
	free(doc->reports);
	/* The learner's name, birth date and any national id are personal data. */
	sodium_memzero(&doc->learner, sizeof(doc->learner));
	memset(doc, 0, sizeof(*doc));
}

/* Makes room for one more element of size bytes in *items (count used of *cap). */
static int grow(void **items, size_t *cap, size_t count, size_t size, size_t max,
                struct ok_error *err)
{
	size_t ncap;
	void *p;

	if (count >= max)
		return ok_fail(err, OK_ELIMIT, "more than %zu entries", max);
	if (count < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > max)
		ncap = max;
	p = realloc(*items, ncap * size);
	if (!p)
		return ok_fail(err, OK_ENOMEM, "out of memory");
	*items = p;
	*cap = ncap;
	return 0;
}

struct elmo_report *elmo_add_report(struct elmo_document *doc, struct ok_error *err)
{
	void *items = doc->reports;
	struct elmo_report *r;

	if (grow(&items, &doc->cap, doc->count, sizeof(*r), ELMO_REPORTS_MAX, err))
		return NULL;
	doc->reports = items;
	r = &doc->reports[doc->count++];
	memset(r, 0, sizeof(*r));
	return r;
}

struct elmo_result *elmo_add_result(struct elmo_report *r, struct ok_error *err)
{
	void *items = r->results;
	struct elmo_result *x;

	if (grow(&items, &r->cap, r->count, sizeof(*x), ELMO_RESULTS_MAX, err))
		return NULL;
	r->results = items;
	x = &r->results[r->count++];
	memset(x, 0, sizeof(*x));
	x->credits_centi = -1;
	return x;
}
