/* Unit tests of the key files' watch (depository/key_watch.h): a rotation's rename, a chmod or a
 * write is seen by the very next poll, other files change nothing, a refresh with the watch reads
 * a rotated issuer.key (at once after a key command's wait, depository_keys_replaced; within
 * the look interval when changed by hand), and links and a folder that went away fall back to
 * looking every time. */
#include "registry/registry_test.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "depository/key_watch.h"
#include "keys/keyfile.h"

static void path_in(const struct reg_fixture *f, const char *name, char *out, size_t cap)
{
	assert_true(snprintf(out, cap, "%s/%s", f->dir, name) < (int)cap);
}

static void write_text(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_true(fputs(text, fp) >= 0);
	assert_int_equal(fclose(fp), 0);
}

/* What `keys rotate-issuer-key` does to the file: a new key appended, written by rename; then,
 * unless by hand, the wait for every process's next look (depository_keys_replaced). */
static void rotate_issuer_key_by(struct reg_fixture *f, bool by_hand)
{
	struct keyfile_keys k;
	struct ok_error err;
	char path[160];
	uint32_t id;

	path_in(f, "issuer.key", path, sizeof(path));
	assert_int_equal(keyfile_read_all(path, &k, NULL, &err), 0);
	assert_int_equal(keyfile_keys_add_random(&k, 0, &id, &err), 0);
	assert_int_equal(keyfile_write_all(path, &k, &err), 0);
	keyfile_keys_release(&k);
	if (!by_hand)
		depository_keys_replaced(&f->d);
}

static void rotate_issuer_key(struct reg_fixture *f)
{
	rotate_issuer_key_by(f, false);
}

static int setup(void **state)
{
	struct ok_error err;

	if (reg_setup_empty(state))
		return -1;
	return depository_create(((struct reg_fixture *)*state)->dir, "diploma.example.nl", &err);
}

static void key_file_changes_are_seen_at_the_next_poll(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_watch w;
	struct ok_error err;
	char path[160];
	uint64_t c;

	assert_int_equal(depository_key_watch_open(&w, f->dir, &err), 0);
	c = depository_key_watch_poll(&w);
	assert_int_equal(depository_key_watch_poll(&w), c);

	/* Other files of the folder (the database's, a temporary file) change nothing. */
	path_in(f, "notes.txt", path, sizeof(path));
	write_text(path, "x");
	path_in(f, "issuer.key.tmp", path, sizeof(path));
	write_text(path, "x");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(depository_key_watch_poll(&w), c);

	/* A rotation's rename, with no pause in between. */
	rotate_issuer_key(f);
	assert_true(depository_key_watch_poll(&w) > c);
	c = depository_key_watch_poll(&w);
	assert_int_equal(depository_key_watch_poll(&w), c);

	/* A change of mode, and a write in place, of data.key. */
	path_in(f, "data.key", path, sizeof(path));
	assert_int_equal(chmod(path, 0400), 0);
	assert_true(depository_key_watch_poll(&w) > c);
	c = depository_key_watch_poll(&w);
	{
		int fd = open(path, O_WRONLY | O_APPEND);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, "\n", 1), 1);
		/* Seen while the writer still holds it open, as stat(2) would. */
		assert_true(depository_key_watch_poll(&w) > c);
		c = depository_key_watch_poll(&w);
		assert_int_equal(close(fd), 0);
	}
	assert_int_equal(chmod(path, 0600), 0);
	assert_true(depository_key_watch_poll(&w) > c);
	depository_key_watch_close(&w);
}

/* f's depository opened with watch w (as a server's pool sets it), its keys looked at once. */
static void open_watched(struct reg_fixture *f, struct depository_key_watch *w)
{
	struct ok_error err;

	assert_int_equal(depository_open(&f->d, f->dir, &err), 0);
	f->open = true;
	assert_int_equal(depository_key_watch_open(w, f->dir, &err), 0);
	f->d.key_watch = w;
	assert_int_equal(depository_keys_refresh(&f->d, &err), 0);
}

static void refresh_with_a_watch_reads_a_rotated_key(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_watch w;
	struct ok_error err;

	open_watched(f, &w);
	assert_int_equal(f->d.issuer_key_id, 1);
	assert_int_equal(depository_keys_refresh(&f->d, &err), 0);

	rotate_issuer_key(f);
	assert_int_equal(depository_keys_refresh(&f->d, &err), 0);
	assert_int_equal(f->d.issuer_key_id, 2);
	assert_int_equal(f->d.issuer_key_count, 2);
	assert_string_equal(f->d.issuer_vm, "did:web:diploma.example.nl#key-2");

	/* Once more, after a quiet spell: the watch still reports. */
	assert_int_equal(depository_keys_refresh(&f->d, &err), 0);
	rotate_issuer_key(f);
	assert_int_equal(depository_keys_refresh(&f->d, &err), 0);
	assert_int_equal(f->d.issuer_key_id, 3);
	reg_fixture_close(f);
	depository_key_watch_close(&w);
}

/* With a watch as well: a change by hand is looked for (one poll) at most every
 * DEPOSITORY_KEYS_LOOK_MS, between those looks a refresh makes no system call; a key command
 * waits that interval out. */
static void a_change_by_hand_is_seen_within_the_look_interval(void **state)
{
	struct reg_fixture *f = *state;
	const struct timespec wait = {0, (DEPOSITORY_KEYS_LOOK_MS + 20) * 1000000L};
	struct depository_key_watch w;
	struct ok_error err;

	open_watched(f, &w);
	rotate_issuer_key_by(f, true);
	assert_int_equal(nanosleep(&wait, NULL), 0);
	assert_int_equal(depository_issuer_keys_refresh(&f->d, &err), 0);
	assert_int_equal(f->d.issuer_key_id, 2);
	/* As a key command does it: seen at the next refresh. */
	rotate_issuer_key(f);
	assert_int_equal(depository_issuer_keys_refresh(&f->d, &err), 0);
	assert_int_equal(f->d.issuer_key_id, 3);
	reg_fixture_close(f);
	depository_key_watch_close(&w);
}

static void linked_key_files_are_not_watched(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_watch w;
	struct ok_error err;
	char path[160], other[200];

	/* A second name for data.key (its changes through that name raise no event here). */
	path_in(f, "data.key", path, sizeof(path));
	assert_true(snprintf(other, sizeof(other), "%s/data.key.copy", f->base) <
	            (int)sizeof(other));
	assert_int_equal(link(path, other), 0);
	assert_int_equal(depository_key_watch_open(&w, f->dir, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "data.key"));
	assert_int_equal(unlink(other), 0);

	/* issuer.key as a symbolic link to a file elsewhere. */
	path_in(f, "issuer.key", path, sizeof(path));
	assert_true(snprintf(other, sizeof(other), "%s/issuer.key.real", f->base) <
	            (int)sizeof(other));
	assert_int_equal(rename(path, other), 0);
	assert_int_equal(symlink(other, path), 0);
	assert_int_equal(depository_key_watch_open(&w, f->dir, &err), OK_EUNSUPPORTED);
	assert_non_null(strstr(err.message, "issuer.key"));
}

static void a_folder_moved_away_makes_every_poll_a_change(void **state)
{
	struct reg_fixture *f = *state;
	struct depository_key_watch w;
	struct ok_error err;
	char moved[200];
	uint64_t c;

	assert_int_equal(depository_key_watch_open(&w, f->dir, &err), 0);
	c = depository_key_watch_poll(&w);
	assert_true(snprintf(moved, sizeof(moved), "%s/moved", f->base) < (int)sizeof(moved));
	assert_int_equal(rename(f->dir, moved), 0);
	assert_true(depository_key_watch_poll(&w) > c);
	c = depository_key_watch_poll(&w);
	assert_true(depository_key_watch_poll(&w) > c);
	assert_int_equal(rename(moved, f->dir), 0);
	depository_key_watch_close(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(key_file_changes_are_seen_at_the_next_poll, setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(refresh_with_a_watch_reads_a_rotated_key, setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(a_change_by_hand_is_seen_within_the_look_interval,
	                                        setup, reg_teardown),
	        cmocka_unit_test_setup_teardown(linked_key_files_are_not_watched, setup,
	                                        reg_teardown),
	        cmocka_unit_test_setup_teardown(a_folder_moved_away_makes_every_poll_a_change,
	                                        setup, reg_teardown),
	};
	return cmocka_run_group_tests_name("depository/key_watch", tests, NULL, NULL);
}
