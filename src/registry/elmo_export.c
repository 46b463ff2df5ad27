/* A learner's results as a signed ELMO document (see elmo.h): the store read here, the
 * document written and signed by elmo/. */
#include "registry/elmo.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/format.h"
#include "registry/learner.h"

struct collect {
	const struct elmo_export_options *o;
	struct store_achievement *items; /* owned */
	size_t count, cap;
	bool *found; /* per o->achievements: seen among the learner's */
};

static int collect_one(void *ctx, const struct store_achievement *a)
{
	struct collect *c = ctx;
	bool wanted = c->o->achievements == NULL;
	size_t i;

	for (i = 0; i < c->o->achievement_count; i++)
		if (strcmp(c->o->achievements[i], a->id) == 0) {
			c->found[i] = true;
			wanted = true;
		}
	/* Revoked and suspended results are not the learner's to send. */
	if (!wanted || strcmp(a->status, "active") != 0)
		return 0;
	if (c->count == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 32;
		void *p;

		if (ncap > ELMO_RESULTS_MAX || !(p = realloc(c->items, ncap * sizeof(*c->items))))
			return OK_ENOMEM;
		c->items = p;
		c->cap = ncap;
	}
	c->items[c->count++] = *a;
	return 0;
}

static const char *elmo_type(const char *kind)
{
	if (strcmp(kind, "diploma") == 0 || strcmp(kind, "degree") == 0)
		return "Degree Programme";
	if (strcmp(kind, "module") == 0)
		return "Module";
	return "Course";
}

static int cmp_institution(const void *a, const void *b)
{
	const struct store_achievement *x = a, *y = b;
	int c = strcmp(x->institution, y->institution);

	return c ? c : strcmp(x->awarded_on, y->awarded_on);
}

/* One report per institution, in code order; its results by date. */
static int fill_reports(struct depository *d, struct collect *c, struct elmo_document *doc,
                        struct ok_error *err)
{
	struct elmo_report *r = NULL;
	size_t i;
	int rc;

	qsort(c->items, c->count, sizeof(*c->items), cmp_institution);
	for (i = 0; i < c->count; i++) {
		const struct store_achievement *a = &c->items[i];
		struct elmo_result *x;

		if (!r || strcmp(r->local, a->institution) != 0) {
			struct store_institution inst;

			if ((rc = store_institution_get(d->store, a->institution, &inst, err)))
				return rc;
			if (!(r = elmo_add_report(doc, err)))
				return err->code;
			OK_COPY_ARRAY(r->country, inst.country);
			OK_COPY_ARRAY(r->erasmus, inst.erasmus);
			OK_COPY_ARRAY(r->schac, inst.schac);
			ok_copy_bounded(r->local, inst.code, sizeof(r->local));
			ok_copy_bounded(r->title, inst.name, sizeof(r->title));
			ok_copy_bounded(r->url, d->base_url, sizeof(r->url));
			r->issued_ms = doc->generated_ms;
		}
		if (!(x = elmo_add_result(r, err)))
			return err->code;
		ok_copy_bounded(x->type, elmo_type(a->kind), sizeof(x->type));
		ok_copy_bounded(x->local_id, a->record_id, sizeof(x->local_id));
		ok_copy_bounded(x->title, a->title, sizeof(x->title));
		if (strcmp(a->language, "nl") == 0 || strcmp(a->language, "en") == 0)
			OK_COPY_ARRAY(x->title_lang, a->language);
		x->credits_centi = a->credits_centi;
		x->eqf_level = a->eqf_level;
		OK_COPY_ARRAY(x->language, a->language);
		OK_COPY_ARRAY(x->grade, a->grade);
		OK_COPY_ARRAY(x->grading_scheme, a->grading_scheme);
		OK_COPY_ARRAY(x->date, a->awarded_on);
		OK_COPY_ARRAY(x->status, "passed");
	}
	return 0;
}

int registry_elmo_export(struct depository *d, const struct elmo_export_options *o, struct buf *out,
                         size_t *results, struct ok_error *err)
{
	struct collect c = {.o = o};
	struct elmo_document doc;
	struct learner_view v;
	struct store_learner row;
	struct buf key, cert;
	size_t i;
	int rc;

	elmo_document_init(&doc);
	buf_init(&key, ELMO_PEM_MAX);
	buf_init(&cert, ELMO_PEM_MAX);
	memset(&v, 0, sizeof(v));
	if (results)
		*results = 0;
	if (o->achievement_count && !(c.found = calloc(o->achievement_count, sizeof(bool)))) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	/* The key first: a folder without one fails before anything personal is read. */
	if ((rc = registry_elmo_key_load(d, &key, &cert, err)))
		goto out;
	/* The learner's row, sealed and unopened (no audit), tells an unknown id apart. */
	store_learner_init(&row);
	rc = store_learner_get(d->store, o->learner_id, &row, err);
	store_learner_release(&row);
	if (rc == OK_ENOTFOUND)
		ok_fail_field(err, rc, "learner_id", "no learner with that id");
	if (rc)
		goto out;
	if ((rc = registry_learner_achievements(d, o->learner_id, collect_one, &c, err))) {
		if (rc == OK_ENOMEM && !err->message[0])
			ok_fail(err, rc, "more than %d results to export", ELMO_RESULTS_MAX);
		goto out;
	}
	for (i = 0; i < o->achievement_count; i++)
		if (!c.found[i]) {
			rc = ok_fail_field(err, OK_ENOTFOUND, "achievements",
			                   "achievement %zu of the list is not this learner's",
			                   i + 1);
			goto out;
		}
	if (c.count == 0) {
		rc = ok_fail_field(err, OK_EINPUT, "achievements",
		                   "the learner has no active results to export");
		goto out;
	}
	if ((rc = registry_learner_read(d, NULL, o->learner_id, o->actor, o->purpose, &v, err)))
		goto out;
	doc.generated_ms = ok_now_ms();
	OK_COPY_ARRAY(doc.learner.given_names, v.data.given_names);
	OK_COPY_ARRAY(doc.learner.family_name, v.data.family_name);
	OK_COPY_ARRAY(doc.learner.birth_date, v.data.birth_date);
	if (o->national_id) {
		OK_COPY_ARRAY(doc.learner.national_id, v.data.national_id);
		OK_COPY_ARRAY(doc.learner.national_id_country, "NL");
	}
	if ((rc = fill_reports(d, &c, &doc, err)))
		goto out;
	rc = elmo_export(&doc, key.data, key.len, cert.data, cert.len, out, err);
	if (!rc && results)
		*results = c.count;
out:
	sodium_memzero(&v, sizeof(v));
	sodium_memzero(key.data, key.len);
	buf_release(&key);
	buf_release(&cert);
	elmo_document_release(&doc);
	free(c.items);
	free(c.found);
	return rc;
}
