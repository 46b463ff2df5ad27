/* The key files' shared change count (see key_epoch.h): the first page of keys.epoch, mapped
 * shared by every process of the data folder. */
#include "depository/key_epoch.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/format.h"
#include "depository/key_watch.h"

#define EPOCH_BYTES 4096

int depository_key_epoch_open(struct depository_key_epoch *e, const char *dir, struct ok_error *err)
{
	struct buf path;
	struct stat st;
	void *map;
	int fd, rc;

	e->count = NULL;
	/* Another machine's processes (a network file system) would map other memory. */
	if ((rc = depository_folder_local(dir, err)))
		return rc;
	buf_init(&path, OK_PATH_MAX);
	if ((rc = ok_path_join(&path, dir, DEPOSITORY_KEY_EPOCH_FILE))) {
		buf_release(&path);
		return ok_fail(err, rc, "data folder path too long");
	}
	fd = open(path.data, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	buf_release(&path);
	if (fd < 0)
		return ok_fail(err, errno == EACCES || errno == EROFS ? OK_EUNSUPPORTED : OK_EIO,
		               "cannot open %s: %s", DEPOSITORY_KEY_EPOCH_FILE, strerror(errno));
	/* Grown to one page by whichever process comes first; growing it again to the same size
	 * keeps its bytes. A file with another name (a hard link) is refused: its count could be
	 * moved or reset through that name. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    (st.st_size < EPOCH_BYTES && ftruncate(fd, EPOCH_BYTES) != 0)) {
		rc = ok_fail(err, OK_EUNSUPPORTED, "%s is not a plain file of one page",
		             DEPOSITORY_KEY_EPOCH_FILE);
		close(fd);
		return rc;
	}
	map = mmap(NULL, EPOCH_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return ok_fail(err, OK_EIO, "cannot map %s: %s", DEPOSITORY_KEY_EPOCH_FILE,
		               strerror(errno));
	e->count = map;
	return 0;
}

void depository_key_epoch_close(struct depository_key_epoch *e)
{
	if (e->count)
		munmap(e->count, EPOCH_BYTES);
	e->count = NULL;
}

uint64_t depository_key_epoch_read(const struct depository_key_epoch *e)
{
	return e->count ? __atomic_load_n(e->count, __ATOMIC_ACQUIRE) : 0;
}

void depository_key_epoch_bump(struct depository_key_epoch *e)
{
	/* After the key file's rename (a system call, so its effects come first): whoever reads
	 * the new count looks at the files and finds the new one. */
	if (e->count)
		__atomic_add_fetch(e->count, 1, __ATOMIC_SEQ_CST);
}
