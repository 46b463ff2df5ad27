/* Unit tests for audit actors: each kind's text is exactly what the audit log has always held
 * (stored logs, the access report and `audit show --actor` match on it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "audit/actor.h"

static void each_kind_formats_as_before(void **state)
{
	char out[AUDIT_ACTOR_SIZE];
	struct audit_actor op = {AUDIT_ACTOR_OPERATOR, NULL, NULL};
	struct audit_actor status = {AUDIT_ACTOR_SYSTEM, AUDIT_SYSTEM_STATUS, NULL};
	struct audit_actor leak = {AUDIT_ACTOR_SYSTEM, AUDIT_SYSTEM_LEAK, NULL};

	(void)state;
	assert_string_equal(audit_actor_format(&op, out), "operator");
	assert_string_equal(audit_actor_institution_key("21PB", "0190a1b2c3d4e5f6a7b8c9d0", out),
	                    "institution:21PB/key:0190a1b2c3d4e5f6a7b8c9d0");
	assert_string_equal(audit_actor_key("0190a1b2c3d4e5f6a7b8c9d0", out),
	                    "key:0190a1b2c3d4e5f6a7b8c9d0");
	assert_string_equal(audit_actor_learner("0190a1b2c3d4e5f6a7b8c9d1", out),
	                    "learner:0190a1b2c3d4e5f6a7b8c9d1");
	assert_string_equal(audit_actor_share("0190a1b2c3d4e5f6a7b8c9d2", out),
	                    "share:0190a1b2c3d4e5f6a7b8c9d2");
	assert_string_equal(audit_actor_format(&status, out), "depository");
	assert_string_equal(audit_actor_format(&leak, out), "leak-detection");
}

static void long_text_is_cut_to_an_events_size(void **state)
{
	char out[AUDIT_ACTOR_SIZE], id[400];

	(void)state;
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	audit_actor_learner(id, out);
	assert_int_equal(strlen(out), AUDIT_TEXT_MAX);
	assert_memory_equal(out, "learner:aaa", 11);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(each_kind_formats_as_before),
	        cmocka_unit_test(long_text_is_cut_to_an_events_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
