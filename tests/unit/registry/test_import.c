/* Unit tests for the importer: add, unchanged, updated; learners; dry run and strict; mixed
 * good and bad rows with line numbers; batches; nothing personal in the database file. */
#include "registry_test.h"

#define ROW_R1                                                                       \
	"R1,1234-5678-2,Anna,de Vries,2000-01-02,course,Databases,ICT.DB,,7.5,8,NL " \
	"1-10,2021-01-15,nl\n"
#define ROW_R2                                                   \
	"R2,123456782,Anna,de Vries,2000-01-02,degree,Bachelor " \
	"HBO-ICT,30020,6,240,,,2022-07-01,nl\n"
#define ROW_R3 "R3,987654329,Łukasz,Müller-Dağ,1999-03-04,exam,Rekenen 2F,,,,,,2020-05-05,\n"

static const char base_csv[] = REG_CSV_HEADER ROW_R1 ROW_R2 ROW_R3;

static long long count(struct reg_fixture *f, const char *table)
{
	char sql[128];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", table);
	return reg_sql_int(f, sql);
}

static void add_then_unchanged_then_updated(void **state)
{
	struct reg_fixture *f = *state;
	struct store_achievement a;
	struct import_report r;
	struct ok_error err;
	const char *changed = REG_CSV_HEADER
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,course,Databases,ICT.DB,,7.5,9,NL 1-10,"
	        "2021-01-15,nl\n" ROW_R2 ROW_R3;

	assert_int_equal(reg_import(f, "21PB", base_csv, false, false, 0, NULL, &r, &err), 0);
	assert_int_equal(r.read, 3);
	assert_int_equal(r.added, 3);
	assert_int_equal(r.learners_added, 2);
	assert_true(r.stored);
	assert_int_equal(count(f, "achievement"), 3);
	assert_int_equal(count(f, "learner"), 2);

	assert_int_equal(store_achievement_find(f->d.store, "21PB", "R1", &a, &err), 0);
	assert_string_equal(a.kind, "course");
	assert_string_equal(a.title, "Databases");
	assert_int_equal(a.credits_centi, 750);
	assert_string_equal(a.grade, "8");
	assert_string_equal(a.status, "active");
	assert_int_equal(a.version, 1);
	assert_int_equal(store_achievement_find(f->d.store, "21PB", "R2", &a, &err), 0);
	assert_int_equal(a.eqf_level, 6);
	assert_int_equal(a.credits_centi, 24000);

	/* The same file again changes nothing. */
	reg_import_expect(f, base_csv, 0, 0, 3, 0);
	assert_int_equal(count(f, "achievement_history"), 0);

	/* A changed grade is an update, with the previous version kept. */
	reg_import_expect(f, changed, 0, 1, 2, 0);
	assert_int_equal(store_achievement_find(f->d.store, "21PB", "R1", &a, &err), 0);
	assert_string_equal(a.grade, "9");
	assert_int_equal(a.version, 2);
	assert_int_equal(count(f, "achievement"), 3);
	assert_int_equal(count(f, "achievement_history"), 1);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement_history WHERE grade = "
	                                "'8' AND version = 1 AND reason = 're-registration'"),
	                 1);
	reg_import_expect(f, changed, 0, 0, 3, 0);

	/* Back to the first grade: another update, another history row. */
	reg_import_expect(f, base_csv, 0, 1, 2, 0);
	assert_int_equal(count(f, "achievement_history"), 2);
}

static void every_column_takes_part_in_change_detection(void **state)
{
	static const char *const variants[] = {
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases,ICT.DB,,7.5,8,NL 1-10,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB,,7.5,8,NL 1-10,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,,7.5,8,NL 1-10,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.5,8,NL 1-10,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.51,8,NL 1-10,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.51,8,ECTS,"
	        "2021-01-15,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.51,8,ECTS,"
	        "2021-01-16,nl\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.51,8,ECTS,"
	        "2021-01-16,en\n",
	        "R1,1234-5678-2,Anna,de Vries,2000-01-02,exam,Databases 2,ICT.DB2,5,7.51,8,ECTS,"
	        "2021-01-16,\n",
	};
	struct reg_fixture *f = *state;
	char csv[512];
	size_t i;

	reg_import_expect(f, REG_CSV_HEADER ROW_R1, 1, 0, 0, 0);
	for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		snprintf(csv, sizeof(csv), "%s%s", REG_CSV_HEADER, variants[i]);
		reg_import_expect(f, csv, 0, 1, 0, 0);
		reg_import_expect(f, csv, 0, 0, 1, 0);
	}
	assert_int_equal(count(f, "achievement_history"),
	                 (long long)(sizeof(variants) / sizeof(variants[0])));
}

/* Rows of reg_import_on_reject's kind: what the importer reported, kept by the test. */
struct seen_rejections {
	size_t count;
	size_t line;
	char field[OK_ERROR_FIELD_MAX];
	char message[OK_ERROR_MESSAGE_MAX];
};

static void keep_rejection(void *ctx, const struct csv_row *row, const struct ok_error *e)
{
	struct seen_rejections *s = ctx;

	(void)row;
	s->count++;
	s->line = e->line;
	snprintf(s->field, sizeof(s->field), "%s", e->field);
	snprintf(s->message, sizeof(s->message), "%s", e->message);
}

static void learner_names_that_differ_are_an_identity_conflict(void **state)
{
	struct reg_fixture *f = *state;
	struct learner_view v;
	struct ok_error err;
	static const struct {
		const char *row;
		const char *field;
	} cases[] = {
	        {"R3,987654329,Łukasz Jan,Müller-Dağ,1999-03-04,exam,Rekenen 2F,,,,,,2020-05-05,\n",
	         "given_names"},
	        {"R3,987654329,Łukasz,Müller-Dağ-Kowalski,1999-03-04,exam,Rekenen 2F,,,,,,"
	         "2020-05-05,\n",
	         "family_name"},
	        {"R9,987654329,Łukasz,Müller-Dağ,1999-03-05,exam,Rekenen 3F,,,,,,2020-05-05,\n",
	         "birth_date"},
	};
	size_t i;

	reg_import_expect(f, base_csv, 3, 0, 0, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char csv[1024];
		struct seen_rejections seen = {0};
		struct import_options o = {.institution = "21PB",
		                           .actor = "operator",
		                           .on_reject = keep_rejection,
		                           .ctx = &seen};
		struct csv_memory_source src;
		struct import_report r;

		snprintf(csv, sizeof(csv), "%s%s%s", REG_CSV_HEADER, ROW_R1, cases[i].row);
		src = (struct csv_memory_source){csv, strlen(csv), 0};
		assert_int_equal(
		        registry_import_csv(&f->d, &o, "t.csv", csv_read_memory, &src, &r, &err),
		        0);
		assert_int_equal(r.rejected, 1);
		assert_int_equal(r.unchanged, 1);
		assert_int_equal(seen.count, 1);
		assert_int_equal(seen.line, 3);
		assert_string_equal(seen.field, cases[i].field);
		assert_non_null(strstr(seen.message, "identity conflict"));
		/* The registered values are never shown. */
		assert_null(strstr(seen.message, "Łukasz"));
		assert_null(strstr(seen.message, "Müller"));
		assert_null(strstr(seen.message, "1999-03-04"));
	}
	assert_int_equal(count(f, "learner"), 2);
	assert_int_equal(count(f, "achievement"), 3);
	assert_int_equal(
	        registry_learner_read(&f->d, "987654329", NULL, "operator", "test", &v, &err), 0);
	assert_string_equal(v.data.given_names, "Łukasz");
	assert_string_equal(v.data.family_name, "Müller-Dağ");
	assert_string_equal(v.data.birth_date, "1999-03-04");

	/* Within one file too: the second row of a learner must agree with the first. */
	{
		const char *two = REG_CSV_HEADER
		        "N1,111222333,Otto,Anders,1990-01-01,exam,A,,,,,,2020-05-05,\n"
		        "N2,111222333,Otto,Andersen,1990-01-01,exam,B,,,,,,2020-05-05,\n";
		struct import_report r;

		assert_int_equal(reg_import(f, "21PB", two, false, false, 0, NULL, &r, &err), 0);
		assert_int_equal(r.added, 1);
		assert_int_equal(r.rejected, 1);
	}
}

/* The bulk path holds a batch and writes its new learners apart from its records: the outcome,
 * the rejections (in the input's order, with the column named as row by row) and the audit
 * trail are those of the row-by-row decisions, within one batch and across batches. */
static void rows_decided_in_holds(void **state, size_t batch_rows, size_t hold_rows)
{
	struct reg_fixture *f = *state;
	const char *csv = REG_CSV_HEADER                                           /* line 1 */
	        "N1,111222333,Otto,Anders,1990-01-01,exam,A,,,,,,2020-05-05,\n"    /* 2: new */
	        "N2,123456782,Anna,de Vries,2000-01-02,exam,B,,,,,,2020-05-05,\n"  /* 3: new */
	        "N3,111222333,Otto,Andersen,1990-01-01,exam,C,,,,,,2020-05-05,\n"  /* 4 */
	        "N4,987654329,Jan,Bos,2000-02-30,exam,D,,,,,,2020-05-05,\n"        /* 5 */
	        "N5,987654329,Jan,Bos,2000-02-03,exam,E,,,,,,2020-05-05,\n"        /* 6: new */
	        "N6,123456782,Anna,de Vries,2000-01-02,exam,F,,,,,,2020-05-05,\n"  /* 7 */
	        "N7,123456782,Anna,de Vries,1999-01-02,exam,G,,,,,,2020-05-05,\n"; /* 8 */
	static const struct {
		size_t line;
		const char *field;
	} want[] = {{4, "family_name"}, {5, "birth_date"}, {8, "birth_date"}};
	struct import_report r;
	struct reg_rejects rej;
	struct ok_error err;
	size_t i;

	memset(&rej, 0, sizeof(rej));
	{
		struct import_options o = {.institution = "21PB",
		                           .actor = "operator",
		                           .batch_rows = batch_rows,
		                           .hold_rows = hold_rows,
		                           .on_reject = reg_on_reject,
		                           .ctx = &rej};
		struct csv_memory_source src = {csv, strlen(csv), 0};

		ok_error_clear(&err);
		assert_int_equal(
		        registry_import_csv(&f->d, &o, "test.csv", csv_read_memory, &src, &r, &err),
		        0);
		assert_int_equal(r.added, 4);
		assert_int_equal(r.learners_added, 3);
		assert_int_equal(r.rejected, 3);
		assert_int_equal(rej.n, 3);
		for (i = 0; i < 3; i++) {
			if (rej.lines[i] != want[i].line || strcmp(rej.fields[i], want[i].field))
				fail_msg("batch %zu, hold %zu, rejection %zu: line %zu \"%s\", "
				         "expected %zu \"%s\" (%s)",
				         batch_rows, hold_rows, i, rej.lines[i], rej.fields[i],
				         want[i].line, want[i].field, rej.messages[i]);
		}
		assert_int_equal(count(f, "learner"), 3);
		assert_int_equal(count(f, "achievement"), 4);
		/* Every record names a learner that was written, and every learner written is in
		 * the audit trail. */
		assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM achievement WHERE learner_id "
		                                "NOT IN (SELECT id FROM learner)"),
		                 0);
		assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM learner WHERE id NOT IN "
		                                "(SELECT subject FROM audit_event WHERE action = "
		                                "'learner.write')"),
		                 0);
	}
}

static void rows_decided_in_batches(void **state, size_t batch_rows)
{
	rows_decided_in_holds(state, batch_rows, 0);
}

static void a_batch_keeps_the_rows_decisions(void **state)
{
	rows_decided_in_batches(state, 0);
}

static void batches_of_one_row_keep_the_rows_decisions(void **state)
{
	rows_decided_in_batches(state, 1);
}

static void batches_of_three_rows_keep_the_rows_decisions(void **state)
{
	rows_decided_in_batches(state, 3);
}

/* A batch (one transaction) written in several holds: a later hold finds the learners and the
 * records an earlier hold of the same open transaction wrote. */
static void one_batch_written_in_holds_of_one_row_keeps_the_rows_decisions(void **state)
{
	rows_decided_in_holds(state, 100, 1);
}

static void one_batch_written_in_holds_of_two_rows_keeps_the_rows_decisions(void **state)
{
	rows_decided_in_holds(state, 100, 2);
}

static void batches_of_five_written_in_holds_of_three_keep_the_rows_decisions(void **state)
{
	rows_decided_in_holds(state, 5, 3);
}

static void a_dry_run_stores_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct ok_error err;
	long long events = count(f, "audit_event");

	assert_int_equal(reg_import(f, "21PB", base_csv, true, false, 0, NULL, &r, &err), 0);
	assert_int_equal(r.read, 3);
	assert_int_equal(r.added, 3);
	assert_false(r.stored);
	assert_int_equal(count(f, "achievement"), 0);
	assert_int_equal(count(f, "learner"), 0);
	assert_int_equal(count(f, "audit_event"), events);

	/* Over stored data: counts as a real run would, changes nothing. */
	reg_import_expect(f, base_csv, 3, 0, 0, 0);
	events = count(f, "audit_event");
	{
		const char *changed = REG_CSV_HEADER
		        "R1,1234-5678-2,Anna,de Vries,2000-01-02,course,Databases,ICT.DB,,7.5,9,NL "
		        "1-10,2021-01-15,nl\n" ROW_R2 ROW_R3;
		struct store_achievement a;

		assert_int_equal(reg_import(f, "21PB", changed, true, false, 0, NULL, &r, &err), 0);
		assert_int_equal(r.updated, 1);
		assert_int_equal(r.unchanged, 2);
		assert_false(r.stored);
		assert_int_equal(store_achievement_find(f->d.store, "21PB", "R1", &a, &err), 0);
		assert_string_equal(a.grade, "8");
	}
	assert_int_equal(count(f, "achievement_history"), 0);
	assert_int_equal(count(f, "audit_event"), events);
}

static void strict_with_a_rejection_stores_nothing(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct reg_rejects rej;
	struct ok_error err;
	const char *csv = REG_CSV_HEADER ROW_R1
	        "R9,111222333,Bad,Row,2000-01-02,course,X,,,7;5,,,2021-01-01,nl\n" ROW_R3;

	assert_int_equal(reg_import(f, "21PB", csv, false, true, 0, &rej, &r, &err), 0);
	assert_int_equal(r.read, 3);
	assert_int_equal(r.rejected, 1);
	assert_false(r.stored);
	assert_int_equal(rej.n, 1);
	assert_int_equal(rej.lines[0], 3);
	assert_string_equal(rej.fields[0], "credits");
	assert_int_equal(count(f, "achievement"), 0);
	assert_int_equal(count(f, "learner"), 0);

	/* Strict and all good: stored. */
	assert_int_equal(reg_import(f, "21PB", base_csv, false, true, 0, &rej, &r, &err), 0);
	assert_int_equal(r.added, 3);
	assert_int_equal(rej.n, 0);
	assert_true(r.stored);
	assert_int_equal(count(f, "achievement"), 3);
}

static void mixed_rows_are_counted_and_rejections_located(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct reg_rejects rej;
	struct ok_error err;
	/* Line numbers are those where a record starts. */
	const char *csv = REG_CSV_HEADER                                      /* line 1 */
	        ROW_R1                                                        /* 2: good */
	        "B1,1234,Jan,Bos,2000-01-02,course,X,,,7,5,,,2021-01-01,nl\n" /* 3: 15 fields */
	        "B2,1234 5678,Jan,Bos,2000-01-02,course,X,,,\"7,5\",,,2021-01-01,nl\n" /* 4 */
	        "G2,5555-6666-3,Jan,Bos,2000-01-02,module,\"Multi\n" /* 5: a line break in the title
	                                                              */
	        "line title? no: refused\",,,,,,2021-01-01,nl\n"
	        "G3,5555-6666-3,Jan,Bos,2000-01-02,module,\"Quoted, with "
	        "comma\",,,,,,2021-02-01,nl\n"
	        "B3,5555-6666-3,Jan,Bos,2000-02-30,module,X,,,,,,2021-02-01,nl\n" /* 8 */
	        "\n"                                                              /* 9: blank */
	        "B4,5555-6666-3,Jan,,2000-01-02,module,X,,,,,,2021-02-01,nl\n"    /* 10 */
	        "B5,5555-6666-3,Jan,Bos,2000-01-02,certificate,X,,,,,,2021-02-01,nl\n" /* 11 */
	        "B6,5555-6666-3,Jan,Bos,2000-01-02,module,X,,,,,,2999-02-01,nl\n"      /* 12 */
	        "B7,5555-6666-3,Jan,Bos,2000-01-02,diploma,X,,,,,,2021-02-01,nl\n"     /* 13 */
	        "B8,5555-6666-3,Jan,Bos,2000-01-02,module,X,,,,8,,2021-02-01,nl\n"     /* 14 */
	        "B9,5555-6666-3,Jan,Bos,2000-01-02,module,X,,,,,,2021-02-01,xx\n"      /* 15 */
	        "G4,5555-6666-3,Jan,Bos,2000-01-02,module,Y,,,,,,2021-02-01,NL\n";     /* 16 */
	static const struct {
		size_t line;
		const char *field;
	} want[] = {{3, ""},
	            {4, "credits"},
	            {5, "title"},
	            {8, "birth_date"},
	            {10, "family_name"},
	            {11, "kind"},
	            {12, "awarded_on"},
	            {13, "eqf_level"},
	            {14, "grading_scheme"},
	            {15, "language"}};
	size_t i, nwant = sizeof(want) / sizeof(want[0]);

	assert_int_equal(reg_import(f, "21PB", csv, false, false, 0, &rej, &r, &err), 0);
	assert_int_equal(r.rejected, nwant);
	assert_int_equal(r.added, 3);
	assert_int_equal(r.read, nwant + 3);
	assert_true(r.stored);
	assert_int_equal(rej.n, nwant);
	for (i = 0; i < nwant; i++) {
		if (rej.lines[i] != want[i].line)
			fail_msg("rejection %zu: line %zu, expected %zu (%s: %s)", i, rej.lines[i],
			         want[i].line, rej.fields[i], rej.messages[i]);
		if (want[i].field[0] && strcmp(rej.fields[i], want[i].field) != 0)
			fail_msg("line %zu: field \"%s\", expected \"%s\" (%s)", want[i].line,
			         rej.fields[i], want[i].field, rej.messages[i]);
		assert_null(strstr(rej.messages[i], "Bos"));
		assert_null(strstr(rej.messages[i], "5555"));
		assert_null(strstr(rej.messages[i], "2000-"));
	}
	assert_int_equal(count(f, "achievement"), 3);
	{
		struct store_achievement a;

		assert_int_equal(store_achievement_find(f->d.store, "21PB", "G3", &a, &err), 0);
		assert_string_equal(a.title, "Quoted, with comma");
		assert_int_equal(store_achievement_find(f->d.store, "21PB", "G4", &a, &err), 0);
		assert_string_equal(a.language, "nl");
	}
	/* Again: the good rows are unchanged, the bad ones rejected again. */
	assert_int_equal(reg_import(f, "21PB", csv, false, false, 0, &rej, &r, &err), 0);
	assert_int_equal(r.unchanged, 3);
	assert_int_equal(r.rejected, nwant);
}

static void file_level_problems_are_errors(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct ok_error err;

	assert_int_equal(reg_import(f, "21PB", "", false, false, 0, NULL, &r, &err), OK_EINPUT);
	assert_int_equal(reg_import(f, "21PB",
	                            "record_id,national_id,given_names,birth_date,kind,title,"
	                            "awarded_on\nR1,1234,A,2000-01-01,exam,X,2020-01-01\n",
	                            false, false, 0, NULL, &r, &err),
	                 OK_EINPUT);
	assert_string_equal(err.field, "family_name");
	assert_int_equal(
	        reg_import(f, "21PB", REG_CSV_HEADER "R1,12\n", false, false, 0, NULL, &r, &err),
	        0); /* a row with too few fields is a row error */
	assert_int_equal(r.rejected, 1);
	assert_int_equal(count(f, "achievement"), 0);

	/* An unknown institution. */
	ok_error_clear(&err);
	assert_int_equal(reg_import(f, "99XX", base_csv, false, false, 0, NULL, &r, &err),
	                 OK_ENOTFOUND);
	assert_string_equal(err.field, "institution");
	assert_int_equal(count(f, "achievement"), 0);
	{
		struct importer *imp = (struct importer *)0x1;
		struct import_options o = {.institution = "99XX", .actor = "operator"};

		assert_int_equal(importer_begin(&imp, &f->d, &o, &err), OK_ENOTFOUND);
		assert_null(imp);
	}
}

static void batches_commit_as_they_go(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct ok_error err;
	struct buf csv;
	int i;

	buf_init(&csv, 0);
	assert_int_equal(buf_addstr(&csv, REG_CSV_HEADER), 0);
	for (i = 0; i < 5; i++)
		assert_int_equal(buf_addf(&csv,
		                          "B%d,DE10000%d,Anna,Jansen,2001-01-01,exam,Exam %d,,,,,,"
		                          "2021-01-01,nl\n",
		                          i, i, i),
		                 0);
	assert_int_equal(reg_import(f, "21PB", csv.data, false, false, 2, NULL, &r, &err), 0);
	assert_int_equal(r.added, 5);
	assert_int_equal(count(f, "achievement"), 5);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'import.batch'"),
	                 3);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'learner.write'"),
	                 5);
	/* No personal data in the audit details. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE detail LIKE "
	                                "'%Jansen%' OR detail LIKE '%10000%' OR subject LIKE "
	                                "'%10000%'"),
	                 0);
	buf_release(&csv);
}

static void record_ids_are_per_institution(void **state)
{
	struct reg_fixture *f = *state;
	struct import_report r;
	struct ok_error err;

	reg_add_institution(f, "25BE");
	reg_import_expect(f, base_csv, 3, 0, 0, 0);
	assert_int_equal(reg_import(f, "25BE", base_csv, false, false, 0, NULL, &r, &err), 0);
	assert_int_equal(r.added, 3);
	assert_int_equal(r.learners_added, 0); /* the same learners */
	assert_int_equal(count(f, "achievement"), 6);
	assert_int_equal(count(f, "learner"), 2);
}

static void nothing_personal_is_readable_in_the_database_files(void **state)
{
	static const char *const secrets[] = {"123456782", "987654329",  "1234-5678-2",
	                                      "de Vries",  "Müller-Dağ", "Łukasz",
	                                      "Anna,",     "2000-01-02", "1999-03-04"};
	struct reg_fixture *f = *state;
	char wal[160];
	size_t i;

	reg_import_expect(f, base_csv, 3, 0, 0, 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->db);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		if (reg_file_contains(f->db, secrets[i]) || reg_file_contains(wal, secrets[i]))
			fail_msg("\"%s\" is readable in the database", secrets[i]);
	}
	assert_true(reg_file_contains(f->db, "Databases") || reg_file_contains(wal, "Databases"));
	reg_fixture_close(f);
	for (i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++)
		if (reg_file_contains(f->db, secrets[i]))
			fail_msg("\"%s\" is readable in the closed database", secrets[i]);
}

static void the_importer_api_takes_registrations_directly(void **state)
{
	struct reg_fixture *f = *state;
	struct import_options o = {.institution = "21PB", .actor = "institution:21PB"};
	struct importer *imp;
	struct registration reg;
	struct import_report r;
	struct ok_error err, row_err;
	struct reg_rejects rej;

	memset(&rej, 0, sizeof(rej));
	o.on_reject = reg_on_reject;
	o.ctx = &rej;
	assert_int_equal(importer_begin(&imp, &f->d, &o, &err), 0);
	model_registration_init(&reg);
	assert_int_equal(model_registration_set(&reg, REG_RECORD_ID, "API-1", 5, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_NATIONAL_ID, "AB-1234", 7, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_FAMILY_NAME, "Smit", 4, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_BIRTH_DATE, "2001-01-01", 10, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_KIND, "exam", 4, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_TITLE, "Rekenen", 7, &err), 0);
	assert_int_equal(model_registration_set(&reg, REG_AWARDED_ON, "2020-01-01", 10, &err), 0);
	assert_int_equal(importer_add(imp, &reg, &err), 0);
	ok_error_clear(&row_err);
	ok_fail_field(&row_err, OK_EINPUT, "credits", "credits must be 0-600");
	row_err.line = 7;
	assert_int_equal(importer_reject(imp, NULL, &row_err, &err), 0);
	assert_int_equal(importer_finish(imp, &r, &err), 0);
	assert_int_equal(r.read, 2);
	assert_int_equal(r.added, 1);
	assert_int_equal(r.rejected, 1);
	assert_int_equal(rej.n, 1);
	assert_int_equal(rej.lines[0], 7);
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_event WHERE action = "
	                                "'import.batch' AND actor = 'institution:21PB'"),
	                 1);

	/* An aborted import keeps nothing of its open batch. */
	assert_int_equal(importer_begin(&imp, &f->d, &o, &err), 0);
	snprintf(reg.achievement.record_id, sizeof(reg.achievement.record_id), "API-2");
	assert_int_equal(importer_add(imp, &reg, &err), 0);
	importer_abort(imp, &r);
	assert_false(r.stored);
	assert_int_equal(count(f, "achievement"), 1);
}

int main(void)
{
#define T(name)  cmocka_unit_test_setup_teardown(name, reg_setup, reg_teardown)
#define TP(name) cmocka_unit_test_setup_teardown(name, reg_setup_pg, reg_teardown)
	const struct CMUnitTest tests[] = {
	        T(add_then_unchanged_then_updated),
	        T(every_column_takes_part_in_change_detection),
	        T(learner_names_that_differ_are_an_identity_conflict),
	        T(a_batch_keeps_the_rows_decisions),
	        T(batches_of_one_row_keep_the_rows_decisions),
	        T(batches_of_three_rows_keep_the_rows_decisions),
	        T(one_batch_written_in_holds_of_one_row_keeps_the_rows_decisions),
	        T(one_batch_written_in_holds_of_two_rows_keeps_the_rows_decisions),
	        T(batches_of_five_written_in_holds_of_three_keep_the_rows_decisions),
	        T(a_dry_run_stores_nothing),
	        T(strict_with_a_rejection_stores_nothing),
	        T(mixed_rows_are_counted_and_rejections_located),
	        T(file_level_problems_are_errors),
	        T(batches_commit_as_they_go),
	        T(record_ids_are_per_institution),
	        T(nothing_personal_is_readable_in_the_database_files),
	        T(the_importer_api_takes_registrations_directly),
	};
	/* The bulk path's decisions, batches and holds on PostgreSQL (its own bulk path). */
	const struct CMUnitTest on_pg[] = {
	        TP(a_batch_keeps_the_rows_decisions),
	        TP(batches_of_three_rows_keep_the_rows_decisions),
	        TP(one_batch_written_in_holds_of_one_row_keeps_the_rows_decisions),
	        TP(batches_of_five_written_in_holds_of_three_keep_the_rows_decisions),
	};
	int failed;
#undef T
#undef TP
	failed = cmocka_run_group_tests_name("registry/import", tests, NULL, NULL);
	if (pg_test_base())
		failed += cmocka_run_group_tests_name("registry/import on PostgreSQL", on_pg, NULL,
		                                      NULL);
	else
		printf("registry/import on PostgreSQL: skipped (OORKONDE_TEST_PG is not set)\n");
	return failed;
}
