/* libFuzzer target for the key files data.key and issuer.key (keyfile_read_all): the bytes are
 * written to a 0600 file and read. Keys read are 1..KEYFILE_MAX_KEYS with distinct non-zero ids;
 * written back (keyfile_write_all) they read back the same; and a comment line in front (the
 * input itself, its newlines made spaces) changes nothing. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keys/keyfile.h"

static char dir[256], in_path[300], out_path[300];

static void rm_dir(void)
{
	unlink(in_path);
	unlink(out_path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/oorkonde-fuzz-keyfile.XXXXXX", base);
	if (!mkdtemp(dir))
		abort();
	snprintf(in_path, sizeof(in_path), "%s/in.key", dir);
	snprintf(out_path, sizeof(out_path), "%s/out.key", dir);
	atexit(rm_dir);
	return 0;
}

static void put(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (na && write(fd, a, na) != (ssize_t)na) ||
	    (nb && write(fd, b, nb) != (ssize_t)nb) || close(fd) != 0)
		abort();
}

static bool same(const struct keyfile_keys *a, const struct keyfile_keys *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (a->keys[i].id != b->keys[i].id || memcmp(a->keys[i].key, b->keys[i].key, 32))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyfile_keys k, back;
	struct ok_error err;
	char *comment;
	int rc, rc2;

	ok_error_clear(&err);
	put(in_path, data, size, NULL, 0);
	rc = keyfile_read_all(in_path, &k, NULL, &err);
	if (rc == 0) {
		if (k.count < 1 || k.count > KEYFILE_MAX_KEYS)
			abort();
		for (size_t i = 0; i < k.count; i++) {
			if (k.keys[i].id == 0)
				abort();
			for (size_t j = 0; j < i; j++)
				if (k.keys[i].id == k.keys[j].id)
					abort();
		}
		if (keyfile_write_all(out_path, &k, &err) != 0 ||
		    keyfile_read_all(out_path, &back, NULL, &err) != 0 || !same(&k, &back))
			abort();
		keyfile_keys_release(&back);
	} else if (rc != OK_EINPUT && rc != OK_ELIMIT) {
		abort();
	}

	/* "#" + the input on one line + "\n" + the input: the same keys, or the same refusal. */
	comment = malloc(size + 2);
	if (!comment)
		abort();
	comment[0] = '#';
	for (size_t i = 0; i < size; i++)
		comment[i + 1] = data[i] == '\n' ? ' ' : (char)data[i];
	comment[size + 1] = '\n';
	put(in_path, comment, size + 2, data, size);
	free(comment);
	rc2 = keyfile_read_all(in_path, &back, NULL, &err);
	if (rc2 != rc || (rc == 0 && !same(&k, &back)))
		abort();
	keyfile_keys_release(&back);
	keyfile_keys_release(&k);
	return 0;
}
