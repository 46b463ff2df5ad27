/* Tells a server's depositories when data.key or issuer.key of their folder changed, so that
 * depository_keys_refresh looks at the files (two stat(2)) only after a change instead of at
 * every look (it polls the watch only when a look is due: DEPOSITORY_KEYS_LOOK_MS in
 * depository.h); and when one of the wallet files did (wallet.key, wallet-chain.pem,
 * wallet-roots.pem), so that SD-JWT VC verification looks at those (three stat(2)) only then
 * (depository_wallet_trust_refresh).
 *
 * Invariants: the count only grows; it moves past any value a caller saw once an event about
 * either key file (a rename over it, a write closed, a removal, a chmod) was queued before the
 * caller's next depository_key_watch_poll, which reads the queue itself (inotify, non-blocking):
 * a rotation by another process that has returned is seen by the next request, not a moment
 * later. A watch that stops working (the folder moved or removed, the event queue overflowed)
 * moves the count on every poll, so every refresh looks at the files again, as without one.
 * Where the kernel cannot tell (a network file system, whose changes made on another machine
 * raise no event here; a key file that is a symbolic link or has other names) no watch opens.
 * A wallet file that is a link or has other names does not stop the watch: keys_wallet_trust
 * finds it when it reads the files, and then looks at them at every verification.
 */
#ifndef OK_DEPOSITORY_KEY_WATCH_H
#define OK_DEPOSITORY_KEY_WATCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"

struct depository_key_watch {
	pthread_mutex_t lock; /* one reader of the queue at a time, with the count */
	int fd;               /* the inotify instance, non-blocking; -1 when closed */
	uint64_t changes;     /* starts at 1, so that a depository's first refresh looks */
	bool dead;            /* the watch no longer reports: every poll counts a change */
};

/* 0 when dir is on a local file system, whose every change passes through this kernel;
 * OK_EUNSUPPORTED (NFS, CIFS, FUSE and the like) or OK_EIO, with the reason. */
int depository_folder_local(const char *dir, struct ok_error *err);

/*
 * Starts watching dir's key files. OK_EUNSUPPORTED when this folder cannot be watched (the
 * message says why; the caller goes on without a watch), OK_EIO when inotify fails.
 */
int depository_key_watch_open(struct depository_key_watch *w, const char *dir,
                              struct ok_error *err);
void depository_key_watch_close(struct depository_key_watch *w);
/* The count of changes so far, after taking in the events queued until now. Thread-safe; only
 * for a watch that opened. */
uint64_t depository_key_watch_poll(struct depository_key_watch *w);

struct depository;
/*
 * Brings d->wallet_trust up to date with the wallet files (keys_wallet_trust_refresh): with
 * d->key_watch set, one poll of the watch, and the files looked at only after it saw a change
 * (or where keys_wallet_trust found a link among them); without a watch, three stat(2).
 */
int depository_wallet_trust_refresh(struct depository *d, struct ok_error *err);

#endif
