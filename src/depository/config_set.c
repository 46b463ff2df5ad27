/* One setting of config.json changed in place, the rest kept as it is: written to a new file
 * beside it (a name of its own, made exclusively, never through a link), given the old file's
 * mode, renamed over it and the folder synced, so that a reader sees the old file or the new
 * one, also after a crash. */
#include "depository/depository.h"

#include "core/format.h"

#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int depository_config_set_bool(const char *dir, const char *name, bool value, struct ok_error *err)
{
	struct buf path, tmp;
	json_error_t jerr;
	json_t *config = NULL;
	struct stat st;
	char tmp_name[64];
	int fd = -1, dfd, rc = 0;

	buf_init(&path, OK_PATH_MAX);
	buf_init(&tmp, OK_PATH_MAX);
	/* Two writers at once each have their own; the last rename wins whole. */
	if (ok_format(tmp_name, sizeof(tmp_name), "config.json.%08x.new", randombytes_random()) ||
	    ok_path_join(&path, dir, "config.json") || ok_path_join(&tmp, dir, tmp_name)) {
		rc = ok_fail(err, OK_EINPUT, "the data folder's path is too long");
		goto out;
	}
	config = json_load_file(path.data, JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(config)) {
		rc = ok_fail(err, OK_EINPUT, "%s: %s (line %d)", path.data, jerr.text, jerr.line);
		goto out;
	}
	if (json_object_set_new(config, name, json_boolean(value)) != 0) {
		rc = ok_fail(err, OK_ENOMEM, "out of memory");
		goto out;
	}
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	/* The operator's mode stays (0600 unless they chose otherwise). */
	if (fd >= 0 && stat(path.data, &st) == 0 && fchmod(fd, st.st_mode & 07777) != 0) {
		rc = ok_fail(err, OK_EIO, "cannot write %s", tmp.data);
		goto out;
	}
	if (fd < 0 || json_dumpfd(config, fd, JSON_INDENT(2)) != 0 || write(fd, "\n", 1) != 1 ||
	    fsync(fd) != 0) {
		rc = ok_fail(err, OK_EIO, "cannot write %s", tmp.data);
		goto out;
	}
	if (close(fd) != 0) {
		fd = -1;
		rc = ok_fail(err, OK_EIO, "cannot write %s", tmp.data);
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path.data) != 0) {
		rc = ok_fail(err, OK_EIO, "cannot replace %s", path.data);
		goto out;
	}
	/* The rename itself is durable only once the folder is. */
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot sync %s", dir);
	if (dfd >= 0)
		close(dfd);
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.data);
	json_decref(config);
	buf_release(&path);
	buf_release(&tmp);
	return rc;
}
