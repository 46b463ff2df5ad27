/* The key files' watch (see key_watch.h): inotify on the data folder, read by whoever asks. */
#include "depository/key_watch.h"

#include "core/buf.h"
#include "core/format.h"
#include "depository/depository.h"
#include "keys/wallet.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

/* The files depository_keys_refresh looks at, which must be plain files for a watch to open,
 * then the wallet files SD-JWT VC verification reads (keys/wallet.h), which keys_wallet_trust
 * checks itself at each look (a link among them: stat(2) at every verification). */
static const char *const watched[] = {"data.key", "issuer.key", KEYS_WALLET_KEY, KEYS_WALLET_CHAIN,
                                      KEYS_WALLET_ROOTS};
#define KEY_FILES 2 /* the first of watched: data.key and issuer.key */

/* Everything that can give a name another file or change a file's bytes or mode; IN_MODIFY
 * too, so that a writer that has not closed yet counts as a stat(2) would see it. */
#define WATCH_MASK                                                                        \
	(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE | IN_MOVED_FROM | \
	 IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)

/* Local file systems, whose every change passes through this kernel and so raises its events.
 * Not NFS, CIFS, FUSE and the like: a change made on another machine raises none here. */
static bool local_fs(long type)
{
	static const long types[] = {
	        0xEF53,     /* ext2, ext3, ext4 */
	        0x58465342, /* xfs */
	        0x9123683E, /* btrfs */
	        0x01021994, /* tmpfs */
	        0x2FC12FC1, /* zfs */
	        0xF2F52010, /* f2fs */
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (type == types[i])
			return true;
	return false;
}

/* Whether dir/name is a plain file with no other name: its changes then all pass through
 * this folder (a symbolic link's target, or another hard link, changes without an event
 * here). A file that is not there yet is fine: its creation is an event. */
static int plain_file(const char *dir, const char *name, struct ok_error *err)
{
	struct buf path;
	struct stat st;
	int rc;

	buf_init(&path, OK_PATH_MAX);
	if ((rc = ok_path_join(&path, dir, name))) {
		buf_release(&path);
		return ok_fail(err, rc, "data folder path too long");
	}
	rc = lstat(path.data, &st);
	buf_release(&path);
	if (rc != 0)
		return errno == ENOENT ? 0 : ok_fail(err, OK_EIO, "cannot look at %s", name);
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1)
		return ok_fail(err, OK_EUNSUPPORTED,
		               "%s is a link or has another name: its changes are looked for "
		               "with stat(2)",
		               name);
	return 0;
}

int depository_folder_local(const char *dir, struct ok_error *err)
{
	struct statfs fs;

	if (statfs(dir, &fs) != 0)
		return ok_fail(err, OK_EIO, "cannot look at the data folder's file system");
	if (!local_fs((long)fs.f_type))
		return ok_fail(err, OK_EUNSUPPORTED,
		               "the data folder is not on a local file system: the key files are "
		               "looked at with stat(2) at each use");
	return 0;
}

int depository_key_watch_open(struct depository_key_watch *w, const char *dir, struct ok_error *err)
{
	size_t i;
	int rc;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->changes = 1;
	if ((rc = depository_folder_local(dir, err)))
		return rc;
	for (i = 0; i < KEY_FILES; i++)
		if ((rc = plain_file(dir, watched[i], err)))
			return rc;
	w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->fd < 0)
		return ok_fail(err, OK_EIO, "cannot watch the data folder: %s", strerror(errno));
	if (inotify_add_watch(w->fd, dir, WATCH_MASK) < 0) {
		rc = ok_fail(err, OK_EIO, "cannot watch the data folder: %s", strerror(errno));
		close(w->fd);
		w->fd = -1;
		return rc;
	}
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

void depository_key_watch_close(struct depository_key_watch *w)
{
	if (w->fd < 0)
		return;
	close(w->fd);
	pthread_mutex_destroy(&w->lock);
	w->fd = -1;
}

/* Whether the events in ev[0..n) touch a key file; sets *dead when the watch itself ended. */
static bool touches_keys(const char *ev, size_t n, bool *dead)
{
	bool touched = false;
	size_t off = 0, i;

	while (off + sizeof(struct inotify_event) <= n) {
		struct inotify_event e;

		memcpy(&e, ev + off, sizeof(e));
		if (e.mask & IN_Q_OVERFLOW)
			touched = true; /* events were lost: one may have been ours */
		if (e.mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_UNMOUNT))
			*dead = touched = true;
		if (e.len && off + sizeof(e) + e.len <= n) {
			const char *name = ev + off + sizeof(e);
			for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
				if (strncmp(name, watched[i], e.len) == 0 &&
				    strlen(watched[i]) < e.len)
					touched = true;
		}
		off += sizeof(e) + e.len;
	}
	return touched;
}

uint64_t depository_key_watch_poll(struct depository_key_watch *w)
{
	/* Room for many events at once: a busy folder (the WAL's writes) queues a few per commit.
	 */
	char ev[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	const size_t one = sizeof(struct inotify_event) + NAME_MAX + 1;
	uint64_t now;
	ssize_t n;

	pthread_mutex_lock(&w->lock);
	/* Every event queued before this call is in the first read, unless it filled the buffer:
	 * then read on. */
	for (;;) {
		n = read(w->fd, ev, sizeof(ev));
		if (n > 0 && touches_keys(ev, (size_t)n, &w->dead))
			w->changes++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (size_t)n <= sizeof(ev) - one)
			break;
	}
	if (n < 0 && errno != EAGAIN)
		w->dead = true;
	if (w->dead)
		w->changes++;
	now = w->changes;
	pthread_mutex_unlock(&w->lock);
	return now;
}

int depository_wallet_trust_refresh(struct depository *d, struct ok_error *err)
{
	if (!d->key_watch)
		return keys_wallet_trust_refresh(d->dir, &d->wallet_trust, err);
	/* The count before the files: a change in between is looked at by the next call. */
	return keys_wallet_trust_refresh_watched(d->dir, &d->wallet_trust,
	                                         depository_key_watch_poll(d->key_watch), err);
}
