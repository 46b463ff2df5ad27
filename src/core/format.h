/* Text into fixed-size fields and file paths, where a silent cut would be a wrong value.
 *
 * Invariants:
 * - ok_format either writes the whole text or fails with OK_ETOOBIG and leaves "" (never a
 *   prefix that could pass for the real value).
 * - A path is built in a struct buf of the caller, sized to fit: no fixed path buffers, so a long
 *   data folder name is an error of the file system (ENAMETOOLONG), never a cut.
 */
#ifndef OK_CORE_FORMAT_H
#define OK_CORE_FORMAT_H

#include <stddef.h>

#include "core/buf.h"

/* The cap for a path buffer: far above any PATH_MAX, so only a broken caller reaches it. */
#define OK_PATH_MAX ((size_t)64 << 10)

/*
 * snprintf that treats a cut as an error: writes fmt into out (cap bytes, cap > 0) and returns 0,
 * or OK_ETOOBIG (out holds "") when it does not fit, or OK_EINTERNAL on an encoding error.
 */
int ok_format(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)))
__attribute__((warn_unused_result));

/*
 * Copies the string in the char array src into the char array dst, which is at least as large, so
 * no cut can happen; the compiler checks both the sizes and that neither is a pointer. For copies
 * between fields of the same kind (an id into an id, a name into a name).
 */
#define OK_COPY_ARRAY(dst, src)                                                                  \
	do {                                                                                     \
		_Static_assert(                                                                  \
		        !__builtin_types_compatible_p(__typeof__(dst), __typeof__(&(dst)[0])) && \
		                !__builtin_types_compatible_p(__typeof__(src),                   \
		                                              __typeof__(&(src)[0])),            \
		        "OK_COPY_ARRAY takes arrays, not pointers");                             \
		_Static_assert(sizeof(dst) >= sizeof(src), "OK_COPY_ARRAY would cut");           \
		ok_copy_bounded((dst), (src), sizeof(src));                                      \
	} while (0)

/* The copy of OK_COPY_ARRAY: at most n - 1 bytes of src and a NUL (dst holds at least n). */
void ok_copy_bounded(char *dst, const char *src, size_t n);

/*
 * Sets path (initialised by the caller, e.g. buf_init(&path, OK_PATH_MAX)) to "dir/name",
 * replacing what it held; returns 0, OK_ETOOBIG or OK_ENOMEM. The caller releases path.
 */
int ok_path_join(struct buf *path, const char *dir, const char *name)
        __attribute__((warn_unused_result));

#endif
