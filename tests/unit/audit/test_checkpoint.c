/* Unit tests for audit checkpoints in a data folder: every N events in the store and the file,
 * none left behind by a rolled-back transaction, filing once committed, making one by hand,
 * and verify finding a cut tail, a rewritten chain and a forged checkpoint. */
#include "registry/registry_test.h"
#include "audit/txn.h"

#include "audit/log.h"
#include "audit/checkpoint.h"
#include "store/audit.h"
#include "core/clock.h"

#include <jansson.h>

/* Sets audit_checkpoint_every in config.json and reopens the depository. */
static void set_every(struct reg_fixture *f, long every)
{
	char path[160];
	json_t *config;

	snprintf(path, sizeof(path), "%s/config.json", f->dir);
	config = json_load_file(path, 0, NULL);
	assert_non_null(config);
	json_object_set_new(config, "audit_checkpoint_every", json_integer(every));
	assert_int_equal(json_dump_file(config, path, 0), 0);
	json_decref(config);
	reg_fixture_reopen(f);
	assert_int_equal(f->d.audit_checkpoint_every, every);
}

static void append(struct reg_fixture *f, int n, bool own)
{
	struct ok_error err;
	int i;

	/* audit_record joins the transaction the test opened, or makes its own. */
	assert_true(own != store_in_transaction(f->d.store));
	for (i = 0; i < n; i++)
		if (audit_record(&f->d, "operator", "test.event", "", "audit", "", &err))
			fail_msg("audit_record: %s", err.message);
}

/* The number of lines of the checkpoint file (0 when it does not exist). */
static int file_lines(const struct reg_fixture *f)
{
	char path[160];
	FILE *fp;
	int ch, n = 0;

	snprintf(path, sizeof(path), "%s/%s", f->dir, CHECKPOINT_FILE);
	fp = fopen(path, "r");
	if (!fp)
		return 0;
	while ((ch = fgetc(fp)) != EOF)
		n += ch == '\n';
	fclose(fp);
	return n;
}

static void verify(struct reg_fixture *f, struct audit_check *r)
{
	struct ok_error err;

	if (audit_log_verify(&f->d, r, &err))
		fail_msg("audit_log_verify: %s", err.message);
}

static void default_is_ten_thousand(void **state)
{
	struct reg_fixture *f = *state;

	assert_int_equal(f->d.audit_checkpoint_every, CHECKPOINT_EVERY_DEFAULT);
	assert_int_equal(CHECKPOINT_EVERY_DEFAULT, 10000);
}

static void bad_setting_is_refused(void **state)
{
	struct reg_fixture *f = *state;
	struct depository d;
	struct ok_error err;
	char path[160];
	FILE *fp;

	reg_fixture_close(f);
	snprintf(path, sizeof(path), "%s/config.json", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("{\"store\": \"sqlite:oorkonde.db\", \"audit_checkpoint_every\": -5}", fp);
	fclose(fp);
	assert_int_equal(depository_open(&d, f->dir, &err), OK_EINPUT);
	assert_string_equal(err.field, "audit_checkpoint_every");
}

static void every_n_events_in_store_and_file(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_check r;

	set_every(f, 5);
	append(f, 12, true);
	/* 12 events plus institution.add and key.create of the setup: 14; checkpoints at 5, 10. */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_checkpoint"), 2);
	assert_int_equal(reg_sql_int(f, "SELECT max(seq) FROM audit_checkpoint"), 10);
	assert_int_equal(file_lines(f), 2);
	verify(f, &r);
	assert_true(r.intact);
	assert_int_equal(r.events, 14);
	assert_int_equal(r.checkpoints, 2);
	assert_int_equal(r.checkpoints_unfiled, 0);
}

static void batch_checkpoint_is_filed_after_commit(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	struct audit_check r;

	set_every(f, 4);
	assert_int_equal(store_begin(f->d.store, &err), 0);
	append(f, 7, false); /* events 3-9: checkpoints at 4 and 8, inside the transaction */
	assert_int_equal(file_lines(f), 0);
	assert_int_equal(store_commit(f->d.store, &err), 0);
	/* Committed but not filed until the next flush (an append outside a transaction). */
	assert_int_equal(file_lines(f), 0);
	verify(f, &r);
	assert_true(r.intact);
	assert_int_equal(r.checkpoints, 2);
	assert_int_equal(r.checkpoints_unfiled, 2);
	append(f, 1, true);
	assert_int_equal(file_lines(f), 2);
	/* Closing files them too. */
	assert_int_equal(store_begin(f->d.store, &err), 0);
	append(f, 4, false); /* 11-14: a checkpoint at 12 */
	assert_int_equal(store_commit(f->d.store, &err), 0);
	reg_fixture_close(f);
	assert_int_equal(file_lines(f), 3);
}

static void rollback_leaves_no_checkpoint(void **state)
{
	struct reg_fixture *f = *state;
	struct ok_error err;
	struct audit_check r;

	set_every(f, 3);
	assert_int_equal(store_begin(f->d.store, &err), 0);
	append(f, 5, false); /* events 3-7: a checkpoint at 3 and 6, then rolled back */
	store_rollback(f->d.store);
	append(f, 1, true);                 /* a flush: nothing committed to file */
	assert_int_equal(file_lines(f), 1); /* only event 3's, made by this own transaction */
	assert_int_equal(reg_sql_int(f, "SELECT count(*) FROM audit_checkpoint"), 1);
	append(f, 4, true); /* 4-7: a checkpoint at 6 */
	verify(f, &r);
	assert_true(r.intact);
	assert_int_equal(r.events, 7);
	assert_int_equal(r.checkpoints, 2);
	assert_int_equal(file_lines(f), 2);
}

static void by_hand(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_checkpoint c, again;
	struct ok_error err;
	bool made;

	set_every(f, 0);
	append(f, 3, true);
	assert_int_equal(audit_checkpoints_make(&f->d, &c, &made, &err), 0);
	assert_true(made);
	assert_int_equal(c.seq, 5);
	{
		struct audit_checkpoint_keys keys;
		assert_int_equal(audit_checkpoints_keys_load(&f->d, &keys, &err), 0);
		assert_int_equal(keys.count, 1);
		assert_true(audit_checkpoints_trusted(&f->d, &keys, &c));
	}
	assert_int_equal(file_lines(f), 1);
	/* The same head again: nothing new. */
	assert_int_equal(audit_checkpoints_make(&f->d, &again, &made, &err), 0);
	assert_false(made);
	assert_int_equal(again.seq, 5);
	assert_memory_equal(again.signature, c.signature, sizeof(c.signature));
	assert_int_equal(file_lines(f), 1);
}

static void empty_log_has_nothing_to_sign(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_checkpoint c;
	struct ok_error err;
	bool made;

	assert_int_equal(audit_checkpoints_make(&f->d, &c, &made, &err), OK_ENOTFOUND);
	assert_false(made);
}

static void cut_tail_is_found(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_check r;

	set_every(f, 5);
	append(f, 13, true); /* 15 events, checkpoints at 5, 10, 15 */
	reg_fixture_close(f);
	reg_sql_int(f, "DELETE FROM audit_event WHERE seq > 11");
	reg_fixture_reopen(f);
	verify(f, &r);
	assert_false(r.intact);
	assert_true(r.cut);
	assert_int_equal(r.broken_seq, 12);
	assert_non_null(strstr(r.why, "cut after event 11"));
	assert_non_null(strstr(r.why, "checkpoint at 15"));

	/* Removing the checkpoint rows too: the file still knows. */
	reg_fixture_close(f);
	reg_sql_int(f, "DELETE FROM audit_checkpoint WHERE seq > 10");
	reg_fixture_reopen(f);
	verify(f, &r);
	assert_true(r.cut);
	assert_non_null(strstr(r.why, CHECKPOINT_FILE " line 3"));
}

static void rewritten_chain_is_found(void **state)
{
	struct reg_fixture *f = *state;
	struct store *s;
	struct audit_event e;
	unsigned char head[AUDIT_HASH_BYTES] = {0};
	struct audit_check r;
	struct ok_error err;
	int64_t seq;

	set_every(f, 4);
	append(f, 6, true); /* 8 events, checkpoints at 4 and 8 */
	/* Rewrite the whole chain with a changed event 6 and fresh hashes, as someone with the
	 * database but not the issuer key could. */
	reg_fixture_close(f);
	reg_sql_int(f, "DELETE FROM audit_event");
	assert_int_equal(store_open(&s, f->db, false, &err), 0);
	assert_int_equal(store_begin(s, &err), 0);
	for (seq = 0; seq < 8; seq++) {
		audit_event_init(&e, "operator", seq == 5 ? "other.event" : "test.event", "",
		                 "audit", "");
		audit_event_link(&e, seq, head);
		memcpy(head, e.hash, sizeof(head));
		assert_int_equal(store_audit_insert(s, &e, &err), 0);
	}
	assert_int_equal(store_commit(s, &err), 0);
	store_close(s);
	reg_fixture_reopen(f);
	verify(f, &r);
	assert_false(r.intact);
	assert_false(r.cut);
	/* The first checkpoint (4) does not match either: the times differ from the original
	 * events'. What verify can say is "between the last matching checkpoint and this one". */
	assert_int_equal(r.broken_seq, 1);
	assert_non_null(strstr(r.why, "recomputed"));
}

static void forged_checkpoint_is_found(void **state)
{
	struct reg_fixture *f = *state;
	unsigned char other[32];
	struct audit_checkpoint c;
	struct audit_check r;
	struct ok_error err;

	set_every(f, 0);
	append(f, 3, true);
	/* A checkpoint signed by some other key, put in the store behind the depository's back. */
	memset(&c, 0, sizeof(c));
	c.seq = 5;
	c.at_ms = ok_now_ms();
	assert_int_equal(store_audit_head(f->d.store, &c.seq, c.head, &err), 0);
	c.key_id = 1;
	memset(other, 9, sizeof(other));
	audit_checkpoint_sign(&c, other);
	assert_true(audit_checkpoint_valid(&c));
	{
		struct audit_checkpoint_keys keys;
		assert_int_equal(audit_checkpoints_keys_load(&f->d, &keys, &err), 0);
		assert_false(audit_checkpoints_trusted(&f->d, &keys, &c));
	}
	assert_int_equal(store_begin(f->d.store, &err), 0);
	assert_int_equal(store_checkpoint_add(f->d.store, &c, &err), 0);
	assert_int_equal(store_commit(f->d.store, &err), 0);
	verify(f, &r);
	assert_false(r.intact);
	assert_int_equal(r.broken_seq, 0);
	assert_non_null(strstr(r.why, "signature"));
}

static void damaged_file_line_is_found(void **state)
{
	struct reg_fixture *f = *state;
	struct audit_check r;
	char path[160], want[32];
	FILE *fp;

	set_every(f, 2);
	append(f, 4, true);
	/* The lines there are, and the damaged one after them. */
	snprintf(want, sizeof(want), "line %d ", file_lines(f) + 1);
	snprintf(path, sizeof(path), "%s/%s", f->dir, CHECKPOINT_FILE);
	fp = fopen(path, "a");
	assert_non_null(fp);
	fputs("v1 8 1 1 0000\n", fp);
	fclose(fp);
	verify(f, &r);
	assert_false(r.intact);
	assert_non_null(strstr(r.why, want));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(default_is_ten_thousand, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(bad_setting_is_refused, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(every_n_events_in_store_and_file, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(batch_checkpoint_is_filed_after_commit, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(rollback_leaves_no_checkpoint, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(by_hand, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(empty_log_has_nothing_to_sign, reg_setup_bare,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(cut_tail_is_found, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(rewritten_chain_is_found, reg_setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(forged_checkpoint_is_found, reg_setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(damaged_file_line_is_found, reg_setup,
	                                        reg_teardown),
	};
	return cmocka_run_group_tests_name("audit/checkpoint", tests, NULL, NULL);
}
