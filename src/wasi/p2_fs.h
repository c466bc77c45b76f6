/* wasi p2 filesystem: wasi:filesystem/types and wasi:filesystem/preopens
 * (WASI 0.2) over the preview1 descriptor table.
 *
 * A descriptor's rep is its index in the kumi_wasi descriptor table, so the
 * preopened directories are the very objects preview1 uses, and every path
 * goes through the preview1 sandbox (wasi_path_resolve: no escape by "..",
 * absolute paths, symbolic links or races). The guest-visible
 * descriptor-flags are kept in the preview1 rights: read = fd_read (files)
 * or any directory, write = fd_write, mutate-directory = the path-creating
 * rights of a directory; the sync flags are the fdflags of preview1.
 * A preopen is never closed by a resource drop (get-directories may hand
 * out several handles to it); kumi_wasi_free closes it.
 *
 * Split: p2_fs.c (registration, descriptor methods, directory streams,
 * preopens, error codes), p2_fs_path.c (the *-at methods). */
#ifndef KUMI_WASI_P2_FS_H
#define KUMI_WASI_P2_FS_H

#include "p2.h"

#include <dirent.h>
#include <sys/stat.h>

#define WASI_P2_FS_TYPES WASI_P2_IFACE("wasi:filesystem/types")
#define WASI_P2_FS_PREOPENS WASI_P2_IFACE("wasi:filesystem/preopens")

/* error-code, in WIT order (the enum's case indices). */
enum {
  WASI_P2_EC_ACCESS, WASI_P2_EC_WOULD_BLOCK, WASI_P2_EC_ALREADY, WASI_P2_EC_BAD_DESCRIPTOR, WASI_P2_EC_BUSY,
  WASI_P2_EC_DEADLOCK, WASI_P2_EC_QUOTA, WASI_P2_EC_EXIST, WASI_P2_EC_FILE_TOO_LARGE,
  WASI_P2_EC_ILLEGAL_BYTE_SEQUENCE, WASI_P2_EC_IN_PROGRESS, WASI_P2_EC_INTERRUPTED, WASI_P2_EC_INVALID,
  WASI_P2_EC_IO, WASI_P2_EC_IS_DIRECTORY, WASI_P2_EC_LOOP, WASI_P2_EC_TOO_MANY_LINKS, WASI_P2_EC_MESSAGE_SIZE,
  WASI_P2_EC_NAME_TOO_LONG, WASI_P2_EC_NO_DEVICE, WASI_P2_EC_NO_ENTRY, WASI_P2_EC_NO_LOCK,
  WASI_P2_EC_INSUFFICIENT_MEMORY, WASI_P2_EC_INSUFFICIENT_SPACE, WASI_P2_EC_NOT_DIRECTORY, WASI_P2_EC_NOT_EMPTY,
  WASI_P2_EC_NOT_RECOVERABLE, WASI_P2_EC_UNSUPPORTED, WASI_P2_EC_NO_TTY, WASI_P2_EC_NO_SUCH_DEVICE,
  WASI_P2_EC_OVERFLOW, WASI_P2_EC_NOT_PERMITTED, WASI_P2_EC_PIPE, WASI_P2_EC_READ_ONLY, WASI_P2_EC_INVALID_SEEK,
  WASI_P2_EC_TEXT_FILE_BUSY, WASI_P2_EC_CROSS_DEVICE,
};
/* descriptor-type, in WIT order. */
enum {
  WASI_P2_DT_UNKNOWN, WASI_P2_DT_BLOCK_DEVICE, WASI_P2_DT_CHARACTER_DEVICE, WASI_P2_DT_DIRECTORY, WASI_P2_DT_FIFO,
  WASI_P2_DT_SYMBOLIC_LINK, WASI_P2_DT_REGULAR_FILE, WASI_P2_DT_SOCKET,
};
/* descriptor-flags, path-flags and open-flags: bit i is label i. */
enum {
  WASI_P2_DF_READ = 1, WASI_P2_DF_WRITE = 2, WASI_P2_DF_FILE_INTEGRITY_SYNC = 4, WASI_P2_DF_DATA_INTEGRITY_SYNC = 8,
  WASI_P2_DF_REQUESTED_WRITE_SYNC = 16, WASI_P2_DF_MUTATE_DIRECTORY = 32,
};
enum { WASI_P2_PF_SYMLINK_FOLLOW = 1 };
enum { WASI_P2_OF_CREATE = 1, WASI_P2_OF_DIRECTORY = 2, WASI_P2_OF_EXCLUSIVE = 4, WASI_P2_OF_TRUNCATE = 8 };
/* new-timestamp cases. */
enum { WASI_P2_TS_NO_CHANGE, WASI_P2_TS_NOW, WASI_P2_TS_TIMESTAMP };

/* The error-code case for a preview1 errno (io for one with no match). */
uint32_t wasi_p2_fs_error_code(wasi_errno e);
/* The descriptor-type of a host st_mode. */
uint32_t wasi_p2_fs_type_of_mode(unsigned mode);
/* The descriptor-type of directory entry de of d (d_type, else an lstat
 * of the name); also used by wasi:filesystem 0.3's read-directory. */
uint32_t wasi_p2_fs_dirent_type(DIR *d, const struct dirent *de);

/* One host function of the filesystem half. */
typedef struct wasi_p2_fs_func {
  const char *iface; /* WASI_P2_FS_TYPES or WASI_P2_FS_PREOPENS */
  const char *name;  /* as the component imports it: "[method]descriptor.open-at" */
  kumi_component_host_fn fn;
} wasi_p2_fs_func;
/* The function named `name` (in either interface), NULL if none; for tests
 * that call the functions directly with kumi_cval arguments. */
kumi_component_host_fn wasi_p2_fs_find(const char *name);
/* The resource destructors (what a dropped handle runs); env is the wasi_p2. */
void wasi_p2_fs_descriptor_dtor(void *env, uint32_t rep);
void wasi_p2_fs_dirstream_dtor(void *env, uint32_t rep);
/* Makes the private state and hooks of the filesystem half in p (done by
 * wasi_p2_add_filesystem; tests that call the functions directly call it
 * themselves). false on OOM. */
bool wasi_p2_fs_init(wasi_p2 *p);

/* ---- shared by p2_fs.c and p2_fs_path.c ------------------------------------------ */

/* Checks the lifted arguments against a signature string, one letter an
 * argument: 'h' own/borrow handle, 's' string, 'f' flags, 'u' u64, 'e'
 * enum, 'v' variant, 'l' list. */
bool wasi_p2_fs_args(const kumi_cval *args, size_t nargs, const char *sig);
/* A trap for arguments that do not have the WIT's shape. */
kumi_error *wasi_p2_fs_bad_args(wasi_p2 *p, const char *fn);
/* The open host descriptor (file or directory) behind a handle argument:
 * WASI_EBADF when there is none. */
wasi_errno wasi_p2_fs_desc(wasi_p2 *p, const kumi_cval *h, wasi_fd **out);
/* The same, and it must be a directory (WASI_ENOTDIR). */
wasi_errno wasi_p2_fs_dir(wasi_p2 *p, const kumi_cval *h, wasi_fd **out);
/* Whether a directory descriptor may change what is beneath it. */
bool wasi_p2_fs_can_mutate(const wasi_fd *dir);
/* The two timespecs for futimens/utimensat from two new-timestamp values
 * (seconds u64, or s64 as wasi:filesystem 0.3's instant has them);
 * WASI_EINVAL for nanoseconds past a second. */
wasi_errno wasi_p2_fs_times(const kumi_cval *atim, const kumi_cval *mtim, struct timespec ts[2]);
/* Results. Each sets *res and returns NULL, or an out-of-memory error.
 * ok: result::ok(payload) (payload NULL for result<_, E>; moved, freed on
 * failure); err: result::err(error-code for e); unit: ok() when e is 0,
 * else err(e). */
kumi_error *wasi_p2_fs_ok(const kumi_allocator *a, kumi_cval *payload, kumi_cval *res);
kumi_error *wasi_p2_fs_err(const kumi_allocator *a, wasi_errno e, kumi_cval *res);
kumi_error *wasi_p2_fs_unit(const kumi_allocator *a, wasi_errno e, kumi_cval *res);
/* A descriptor-stat record for a host stat (moved into *out); false on OOM. */
bool wasi_p2_fs_stat_record(const kumi_allocator *a, const struct stat *st, kumi_cval *out);
/* A metadata-hash-value record for a host stat; false on OOM. */
bool wasi_p2_fs_hash_record(wasi_p2 *p, const kumi_allocator *a, const struct stat *st, kumi_cval *out);

/* The *-at methods (p2_fs_path.c), as host functions. */
kumi_error *wasi_p2_fs_create_directory_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                           kumi_cval *res);
kumi_error *wasi_p2_fs_stat_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *res);
kumi_error *wasi_p2_fs_set_times_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                    kumi_cval *res);
kumi_error *wasi_p2_fs_link_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *res);
kumi_error *wasi_p2_fs_open_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *res);
kumi_error *wasi_p2_fs_readlink_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                   kumi_cval *res);
kumi_error *wasi_p2_fs_remove_directory_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                           kumi_cval *res);
kumi_error *wasi_p2_fs_rename_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                 kumi_cval *res);
kumi_error *wasi_p2_fs_symlink_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                  kumi_cval *res);
kumi_error *wasi_p2_fs_unlink_file_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                      kumi_cval *res);
kumi_error *wasi_p2_fs_metadata_hash_at(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                        kumi_cval *res);

#endif
