/* wasi p3 filesystem: wasi:filesystem@0.3.0 (types, preopens) for
 * components, built on the 0.2 host (p2_fs.h).
 *
 * A descriptor is the very object 0.2 and preview1 use: its rep is its
 * index in the kumi_wasi descriptor table, the resource's destructor is
 * 0.2's, and every path goes through the same sandbox (wasi_path_resolve).
 * The methods whose 0.3 shape is 0.2's with other value types (every
 * method but the stream ones) call the 0.2 host function and convert its
 * arguments and result (error-code and descriptor-type became variants
 * with an `other` case, would-block and unknown went; instants have signed
 * seconds). Those are `async func`s that complete before they return: the
 * file system does not block in a way worth a thread.
 *
 * The stream methods (p3_fs_stream.c) move bytes and directory entries
 * through the host's ends of streams (kumi_async.h) as the guest reads or
 * writes, and report the outcome in a future<result<_, error-code>>.
 *
 * Split: p3_fs.c (registration, conversions, the converted 0.2 methods),
 * p3_fs_stream.c (read-via-stream, write-via-stream, append-via-stream,
 * read-directory). */
#ifndef KUMI_WASI_P3_FS_H
#define KUMI_WASI_P3_FS_H

#include "p2_fs.h"
#include "p3.h"

#define WASI_P3_FS_TYPES WASI_P3_IFACE("wasi:filesystem/types")
#define WASI_P3_FS_PREOPENS WASI_P3_IFACE("wasi:filesystem/preopens")

/* error-code's last case: other(option<string>). */
#define WASI_P3_EC_OTHER 36u
/* descriptor-type's last case: other(option<string>). */
#define WASI_P3_DT_OTHER 7u

typedef struct wasi_p3_fs_op wasi_p3_fs_op;
typedef struct wasi_p3_fs_env wasi_p3_fs_env;

/* The filesystem part's state (wasi_p3_part.state). */
typedef struct wasi_p3_fs {
  kumi_wasi *w;
  wasi_p2 *p2; /* the 0.2 state of w: descriptors' dtor, metadata-hash key */
  const kumi_allocator *alloc; /* w->alloc */
  wasi_p3_fs_env *envs;        /* one per converted 0.2 method */
  size_t nenvs;
  wasi_p3_fs_op *ops; /* stream operations in flight (p3_fs_stream.c) */
} wasi_p3_fs;

/* ---- conversions (p3_fs.c) ----------------------------------------------------------- */
/* The 0.3 error-code value for a preview1 errno; false on OOM. */
bool wasi_p3_fs_error_code(const kumi_allocator *a, wasi_errno e, kumi_cval *out);
/* The 0.3 descriptor-type value of a 0.2 descriptor-type case; false on OOM. */
bool wasi_p3_fs_type(const kumi_allocator *a, uint32_t p2_type, kumi_cval *out);
/* result<_, error-code>: ok when e is 0; false on OOM. */
bool wasi_p3_fs_unit(const kumi_allocator *a, wasi_errno e, kumi_cval *out);

/* ---- the stream methods (p3_fs_stream.c), env the wasi_p3_fs ------------------------- */
kumi_error *wasi_p3_fs_read_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs);
kumi_error *wasi_p3_fs_write_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs);
kumi_error *wasi_p3_fs_append_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs);
kumi_error *wasi_p3_fs_read_directory(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs);
/* Drops the host ends and frees every operation still in flight. */
void wasi_p3_fs_ops_free(wasi_p3_fs *s);

#endif
