/* Reading and writing the data folder's key files (see keyfile.h). */
#include "registry/keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_write_atomic(const char *path, const void *data, size_t n, unsigned mode, int exclusive,
                      struct ok_error *err)
{
	char tmp[4096];
	const char *p = data;
	int fd, rc = 0;

	if (exclusive && access(path, F_OK) == 0)
		return ok_fail(err, OK_EEXIST, "%s already exists", path);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return ok_fail(err, OK_EINPUT, "path too long: %s", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO, "cannot write %s: %s",
		               tmp, strerror(errno));
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = ok_fail(err, errno == ENOSPC ? OK_EDISKFULL : OK_EIO,
			             "cannot write %s: %s", tmp, strerror(errno));
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (!rc && fsync(fd) != 0)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (close(fd) != 0 && !rc)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", tmp, strerror(errno));
	if (!rc && rename(tmp, path) != 0)
		rc = ok_fail(err, OK_EIO, "cannot write %s: %s", path, strerror(errno));
	if (rc)
		unlink(tmp);
	return rc;
}

int keyfile_create(const char *path, struct ok_error *err)
{
	unsigned char key[32];
	char hex[65];
	char line[80];
	int n, rc;

	randombytes_buf(key, sizeof(key));
	sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
	n = snprintf(line, sizeof(line), "1 %s\n", hex);
	rc = file_write_atomic(path, line, (size_t)n, 0600, 1, err);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(hex, sizeof(hex));
	sodium_memzero(line, sizeof(line));
	return rc;
}

int keyfile_read(const char *path, uint32_t *id, unsigned char key[32], struct ok_error *err)
{
	char line[256];
	FILE *f;
	struct stat st;
	int found = 0;
	size_t lineno = 0;

	f = fopen(path, "re");
	if (!f)
		return ok_fail(err, errno == ENOENT ? OK_ENOTFOUND : OK_EIO, "cannot read %s: %s",
		               path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return ok_fail(err, OK_EAUTH,
		               "%s is readable by others (mode %03o); make it 0600 first", path,
		               (unsigned)(st.st_mode & 0777));
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned long kid;
		char *hex, *end;
		size_t bin_len;

		lineno++;
		if (line[0] == '\n' || line[0] == '#')
			continue;
		kid = strtoul(line, &end, 10);
		if (end == line || *end != ' ' || kid == 0 || kid > UINT32_MAX)
			goto bad;
		hex = end + 1;
		hex[strcspn(hex, "\r\n")] = '\0';
		if (strlen(hex) != 64 ||
		    sodium_hex2bin(key, 32, hex, 64, NULL, &bin_len, NULL) != 0 || bin_len != 32)
			goto bad;
		*id = (uint32_t)kid;
		found = 1;
	}
	sodium_memzero(line, sizeof(line));
	fclose(f);
	if (!found)
		return ok_fail(err, OK_EINPUT, "%s holds no key", path);
	return 0;
bad:
	sodium_memzero(line, sizeof(line));
	fclose(f);
	ok_fail(err, OK_EINPUT, "%s line %zu: expected \"ID HEX\" with a 64-digit key", path,
	        lineno);
	ok_error_locate(err, path, lineno);
	return OK_EINPUT;
}
