/* The access report as JSON (registry/report.h, registry_report_json): the learner's personal
 * fields opened, every achievement with its earlier versions and institution, nothing of any
 * other learner, and every access from the audit log; building it is itself an audited read,
 * listed in the report. (The HTML page is tested with its renderer.) */
#include "registry_test.h"

#include <jansson.h>

#include "registry/report.h"

#define ANNA "123456782"
#define BRAM "987654329"

static const char csv[] = REG_CSV_HEADER
        "R-1," ANNA ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,6.5,NL 1-10,2021-01-01,en\n"
        "R-2," ANNA ",Anna,de Vries,2000-01-02,course,Optics,,,5,8,NL 1-10,2021-06-01,en\n"
        "B-1," BRAM ",Bram,Wezelbroek,1999-03-04,course,Chemistry,,,5,7,NL 1-10,2021-01-01,en\n";

/* The same, with R-1's grade corrected. */
static const char corrected[] = REG_CSV_HEADER
        "R-1," ANNA ",Anna,de Vries,2000-01-02,course,Mechanics,,,5,7.5,NL 1-10,2021-01-01,en\n"
        "R-2," ANNA ",Anna,de Vries,2000-01-02,course,Optics,,,5,8,NL 1-10,2021-06-01,en\n"
        "B-1," BRAM ",Bram,Wezelbroek,1999-03-04,course,Chemistry,,,5,7,NL 1-10,2021-01-01,en\n";

struct world {
	struct reg_fixture *f;
	char anna[STORE_ID_MAX + 1];
};

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));
	struct ok_error err;

	if (!w || reg_setup((void **)&w->f))
		return -1;
	*state = w;
	reg_import_expect(w->f, csv, 3, 0, 0, 0);
	reg_import_expect(w->f, corrected, 0, 1, 2, 0);
	if (registry_learner_find_id(&w->f->d, ANNA, w->anna, &err))
		fail_msg("find: %s", err.message);
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	reg_fixture_free(w->f);
	free(w);
	return 0;
}

static const char *str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

static json_t *report(struct world *w, const char *actor)
{
	json_t *doc = NULL;
	struct ok_error err;

	if (registry_report_json(&w->f->d, w->anna, actor, &doc, &err))
		fail_msg("report: %s", err.message);
	return doc;
}

/* The achievement titled title in the report. */
static const json_t *achievement(const json_t *doc, const char *title)
{
	size_t i;
	json_t *a;

	json_array_foreach(json_object_get(doc, "achievements"), i,
	                   a) if (strcmp(str(a, "title"), title) == 0) return a;
	fail_msg("no achievement %s in the report", title);
	return NULL;
}

/* How many accesses of action and purpose by actor the report lists. */
static size_t accesses(const json_t *doc, const char *actor, const char *action,
                       const char *purpose)
{
	size_t i, n = 0;
	json_t *e;

	json_array_foreach(json_object_get(doc, "accesses"), i, e) n +=
	        strcmp(str(e, "actor"), actor) == 0 && strcmp(str(e, "action"), action) == 0 &&
	        strcmp(str(e, "purpose"), purpose) == 0;
	return n;
}

static void test_personal_data_and_achievements(void **state)
{
	struct world *w = *state;
	json_t *doc = report(w, "operator"), *learner, *history, *inst;
	const json_t *mech;

	assert_string_equal(str(doc, "type"), "access-report");
	assert_int_equal(json_integer_value(json_object_get(doc, "version")), 1);
	assert_string_equal(str(json_object_get(doc, "depository"), "did"), w->f->d.issuer_did);

	/* Everything the depository holds of Anna, opened. */
	learner = json_object_get(doc, "learner");
	assert_string_equal(str(learner, "id"), w->anna);
	assert_string_equal(str(learner, "national_id"), ANNA);
	assert_string_equal(str(learner, "given_names"), "Anna");
	assert_string_equal(str(learner, "family_name"), "de Vries");
	assert_string_equal(str(learner, "birth_date"), "2000-01-02");

	assert_int_equal(json_array_size(json_object_get(doc, "achievements")), 2);
	mech = achievement(doc, "Mechanics");
	assert_string_equal(str(mech, "grade"), "7.5");
	assert_string_equal(str(mech, "record_id"), "R-1");
	/* The version before the correction, with its grade. */
	history = json_object_get(mech, "history");
	assert_int_equal(json_array_size(history), 1);
	assert_string_equal(str(json_array_get(history, 0), "grade"), "6.5");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(history, 0), "version")),
	                 1);
	assert_int_equal(json_array_size(json_object_get(achievement(doc, "Optics"), "history")),
	                 0);

	inst = json_object_get(json_object_get(doc, "institutions"), "21PB");
	assert_string_equal(str(inst, "name"), "Hogeschool Test");
	assert_string_equal(str(inst, "country"), "NL");

	assert_int_equal(json_array_size(json_object_get(doc, "shares")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "foreign_achievements")), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "identity_corrections")), 0);
	json_decref(doc);
}

static void test_nothing_of_another_learner(void **state)
{
	struct world *w = *state;
	json_t *doc = report(w, "operator");
	char *text = json_dumps(doc, JSON_COMPACT);

	assert_non_null(text);
	assert_null(strstr(text, BRAM));
	assert_null(strstr(text, "Bram"));
	assert_null(strstr(text, "Wezelbroek"));
	assert_null(strstr(text, "Chemistry"));
	assert_null(strstr(text, "B-1"));
	free(text);
	json_decref(doc);
}

static void test_building_it_is_an_audited_read_listed_in_it(void **state)
{
	struct world *w = *state;
	char sql[256];
	json_t *doc;

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM audit_event WHERE action = 'learner.read' AND purpose = "
	         "'access-report' AND subject = '%s'",
	         w->anna);
	assert_int_equal(reg_sql_int(w->f, sql), 0);

	doc = report(w, "operator");
	assert_int_equal(reg_sql_int(w->f, sql), 1);
	/* The report lists its own read, and the imports that wrote Anna's records. */
	assert_int_equal(accesses(doc, "operator", "learner.read", REPORT_PURPOSE), 1);
	assert_true(json_array_size(json_object_get(doc, "accesses")) >= 2);
	json_decref(doc);

	/* The learner asking: a second read, by them, listed beside the first. */
	doc = report(w, "learner:self");
	assert_int_equal(reg_sql_int(w->f, sql), 2);
	assert_int_equal(accesses(doc, "operator", "learner.read", REPORT_PURPOSE), 1);
	assert_int_equal(accesses(doc, "learner:self", "learner.read", REPORT_PURPOSE), 1);
	json_decref(doc);
}

static void test_unknown_learner(void **state)
{
	struct world *w = *state;
	long long before = reg_sql_int(w->f, "SELECT count(*) FROM audit_event");
	json_t *doc = (json_t *)1;
	struct ok_error err;

	assert_int_equal(
	        registry_report_json(&w->f->d, "0123456789abcdef01234567", "operator", &doc, &err),
	        OK_ENOTFOUND);
	assert_null(doc);
	assert_int_equal(reg_sql_int(w->f, "SELECT count(*) FROM audit_event"), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_personal_data_and_achievements, setup,
	                                        teardown),
	        cmocka_unit_test_setup_teardown(test_nothing_of_another_learner, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_building_it_is_an_audited_read_listed_in_it,
	                                        setup, teardown),
	        cmocka_unit_test_setup_teardown(test_unknown_learner, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
