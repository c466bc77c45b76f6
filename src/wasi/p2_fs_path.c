/* wasi:filesystem (WASI 0.2): the descriptor methods that take a path.
 * Every path goes through wasi_path_resolve (path.c, the preview1
 * sandbox); the operation then names only the last component relative to
 * the resolved directory and never lets the kernel follow a link, exactly
 * as preview1's path_* functions do (path_ops.c). A directory without
 * mutate-directory refuses every change beneath it with read-only, as the
 * WIT says ("if they would otherwise succeed": the path is resolved
 * first, so an escape is still not-permitted). */
#define _GNU_SOURCE
#include "p2_fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FS_FN(name) \
  kumi_error *name(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *res)
#define FS_ARGS(sig, what) \
  do { \
    if (!wasi_p2_fs_args(args, n, sig)) return wasi_p2_fs_bad_args(p, what); \
  } while (0)

static wasi_errno resolve(wasi_p2 *p, const wasi_fd *dir, const kumi_cval *path, bool follow, wasi_path *out) {
  return wasi_path_resolve(p->w, dir->host, path->of.str.ptr, path->of.str.len, follow, out);
}

/* A path that ended in '/' must name a directory (the resolver already
 * followed a final link in that case). */
static wasi_errno check_slash(const wasi_path *p) {
  if (!p->slash) return WASI_ESUCCESS;
  struct stat st;
  if (fstatat(p->dir, p->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return wasi_errno_last();
  return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

/* The error for a change beneath dir: read-only without mutate-directory. */
static wasi_errno may_mutate(const wasi_fd *dir) { return wasi_p2_fs_can_mutate(dir) ? WASI_ESUCCESS : WASI_EROFS; }

/* One-path operations that change the directory: the kernel call gets the
 * resolved directory and the last name (with its trailing '/' back). */
typedef enum { OP_MKDIR, OP_RMDIR, OP_UNLINK } path_op;

static wasi_errno one_path_op(wasi_p2 *p, const kumi_cval *args, path_op op) {
  wasi_fd *d;
  wasi_path path;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (err || (err = resolve(p, d, &args[1], false, &path))) return err;
  const char *name = wasi_path_name_slash(&path);
  if (!(err = may_mutate(d))) {
    int r = op == OP_MKDIR ? mkdirat(path.dir, name, 0777)
                           : unlinkat(path.dir, name, op == OP_RMDIR ? AT_REMOVEDIR : 0);
    if (r != 0) err = wasi_errno_last();
  }
  wasi_path_free(p->w, &path);
  return err;
}

FS_FN(wasi_p2_fs_create_directory_at) {
  wasi_p2 *p = env;
  FS_ARGS("hs", "create-directory-at");
  return wasi_p2_fs_unit(a, one_path_op(p, args, OP_MKDIR), res);
}

FS_FN(wasi_p2_fs_remove_directory_at) {
  wasi_p2 *p = env;
  FS_ARGS("hs", "remove-directory-at");
  return wasi_p2_fs_unit(a, one_path_op(p, args, OP_RMDIR), res);
}

FS_FN(wasi_p2_fs_unlink_file_at) {
  wasi_p2 *p = env;
  FS_ARGS("hs", "unlink-file-at");
  return wasi_p2_fs_unit(a, one_path_op(p, args, OP_UNLINK), res);
}

/* stat of path beneath handle args[0] with path-flags args[1]. */
static wasi_errno stat_path(wasi_p2 *p, const kumi_cval *args, struct stat *st) {
  wasi_fd *d;
  wasi_path path;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (err) return err;
  if ((err = resolve(p, d, &args[2], args[1].of.flags & WASI_P2_PF_SYMLINK_FOLLOW, &path))) return err;
  if (fstatat(path.dir, path.name, st, AT_SYMLINK_NOFOLLOW) != 0) err = wasi_errno_last();
  else if (path.slash && !S_ISDIR(st->st_mode)) err = WASI_ENOTDIR;
  wasi_path_free(p->w, &path);
  return err;
}

FS_FN(wasi_p2_fs_stat_at) {
  wasi_p2 *p = env;
  FS_ARGS("hfs", "stat-at");
  struct stat st;
  wasi_errno err = stat_path(p, args, &st);
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval rec;
  if (!wasi_p2_fs_stat_record(a, &st, &rec)) return kb_error_oom();
  return wasi_p2_fs_ok(a, &rec, res);
}

FS_FN(wasi_p2_fs_metadata_hash_at) {
  wasi_p2 *p = env;
  FS_ARGS("hfs", "metadata-hash-at");
  struct stat st;
  wasi_errno err = stat_path(p, args, &st);
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval rec;
  if (!wasi_p2_fs_hash_record(p, a, &st, &rec)) return kb_error_oom();
  return wasi_p2_fs_ok(a, &rec, res);
}

FS_FN(wasi_p2_fs_set_times_at) {
  wasi_p2 *p = env;
  FS_ARGS("hfsvv", "set-times-at");
  wasi_fd *d;
  wasi_path path;
  struct timespec ts[2];
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (!err) err = wasi_p2_fs_times(&args[3], &args[4], ts);
  if (!err && !(err = resolve(p, d, &args[2], args[1].of.flags & WASI_P2_PF_SYMLINK_FOLLOW, &path))) {
    if (!(err = check_slash(&path)) && !(err = may_mutate(d)) &&
        utimensat(path.dir, path.name, ts, AT_SYMLINK_NOFOLLOW) != 0)
      err = wasi_errno_last();
    wasi_path_free(p->w, &path);
  }
  return wasi_p2_fs_unit(a, err, res);
}

FS_FN(wasi_p2_fs_link_at) {
  wasi_p2 *p = env;
  FS_ARGS("hfshs", "link-at");
  wasi_fd *d1, *d2;
  wasi_path p1, p2;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d1);
  if (!err) err = wasi_p2_fs_dir(p, &args[3], &d2);
  if (!err) err = resolve(p, d1, &args[2], args[1].of.flags & WASI_P2_PF_SYMLINK_FOLLOW, &p1);
  if (err) return wasi_p2_fs_err(a, err, res);
  if ((err = resolve(p, d2, &args[4], false, &p2))) {
    wasi_path_free(p->w, &p1);
    return wasi_p2_fs_err(a, err, res);
  }
  if (!(err = check_slash(&p1)) && !(err = may_mutate(d2)) &&
      linkat(p1.dir, p1.name, p2.dir, wasi_path_name_slash(&p2), 0) != 0)
    err = wasi_errno_last();
  wasi_path_free(p->w, &p1);
  wasi_path_free(p->w, &p2);
  return wasi_p2_fs_unit(a, err, res);
}

FS_FN(wasi_p2_fs_rename_at) {
  wasi_p2 *p = env;
  FS_ARGS("hshs", "rename-at");
  wasi_fd *d1, *d2;
  wasi_path p1, p2;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d1);
  if (!err) err = wasi_p2_fs_dir(p, &args[2], &d2);
  if (!err) err = resolve(p, d1, &args[1], false, &p1);
  if (err) return wasi_p2_fs_err(a, err, res);
  if ((err = resolve(p, d2, &args[3], false, &p2))) {
    wasi_path_free(p->w, &p1);
    return wasi_p2_fs_err(a, err, res);
  }
  if (!(err = may_mutate(d1)) && !(err = may_mutate(d2)) &&
      renameat(p1.dir, wasi_path_name_slash(&p1), p2.dir, wasi_path_name_slash(&p2)) != 0)
    err = wasi_errno_last();
  wasi_path_free(p->w, &p1);
  wasi_path_free(p->w, &p2);
  return wasi_p2_fs_unit(a, err, res);
}

FS_FN(wasi_p2_fs_symlink_at) {
  wasi_p2 *p = env;
  FS_ARGS("hss", "symlink-at");
  wasi_fd *d;
  wasi_path path;
  const kumi_cval *t = &args[1];
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (!err && t->of.str.len == 0) err = WASI_ENOENT;
  if (!err && memchr(t->of.str.ptr, 0, t->of.str.len)) err = WASI_EINVAL;
  /* A link to an absolute path could never be followed inside the sandbox
   * and would point host programs at host files: refuse it. */
  if (!err && t->of.str.ptr[0] == '/') err = WASI_EPERM;
  if (err) return wasi_p2_fs_err(a, err, res);
  char *target = kb_strndup(p->alloc, t->of.str.ptr, t->of.str.len);
  if (!target) return wasi_p2_fs_err(a, WASI_ENOMEM, res);
  if (!(err = resolve(p, d, &args[2], false, &path))) {
    if (!(err = may_mutate(d)) && symlinkat(target, path.dir, wasi_path_name_slash(&path)) != 0)
      err = wasi_errno_last();
    wasi_path_free(p->w, &path);
  }
  kb_free(p->alloc, target, t->of.str.len + 1);
  return wasi_p2_fs_unit(a, err, res);
}

/* Reads the target of link `name` in dir into a new string value. */
static wasi_errno read_link(wasi_p2 *p, const kumi_allocator *a, int dir, const char *name, kumi_cval *out) {
  for (size_t cap = 256;; cap *= 2) {
    char *buf = kb_alloc(p->alloc, cap);
    if (!buf) return WASI_ENOMEM;
    ssize_t got = readlinkat(dir, name, buf, cap);
    if (got < 0 || (size_t)got < cap) {
      wasi_errno err = WASI_ESUCCESS;
      if (got < 0) err = wasi_errno_last();
      /* An absolute target is the host's business, not the guest's. */
      else if (got > 0 && buf[0] == '/') err = WASI_EPERM;
      else if (!kb_utf8_valid((const uint8_t *)buf, (size_t)got)) err = WASI_EILSEQ;
      else if (!kumi_cval_string(a, buf, (size_t)got, out)) err = WASI_ENOMEM;
      kb_free(p->alloc, buf, cap);
      return err;
    }
    kb_free(p->alloc, buf, cap);
    if (cap >= ((size_t)1 << 16)) return WASI_ENAMETOOLONG;
  }
}

FS_FN(wasi_p2_fs_readlink_at) {
  wasi_p2 *p = env;
  FS_ARGS("hs", "readlink-at");
  wasi_fd *d;
  wasi_path path;
  kumi_cval s = kumi_cval_bool(false);
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (!err && !(err = resolve(p, d, &args[1], false, &path))) {
    if (!(err = check_slash(&path))) err = read_link(p, a, path.dir, path.name, &s);
    wasi_path_free(p->w, &path);
  }
  if (err) return wasi_p2_fs_err(a, err, res);
  return wasi_p2_fs_ok(a, &s, res);
}

/* ---- open-at ------------------------------------------------------------------------ */

/* Opens path beneath the directory in slot dir_slot; *out gets the new slot. */
static wasi_errno open_at(wasi_p2 *p, uint32_t dir_slot, uint32_t pflags, const kumi_cval *path, uint32_t oflags,
                          uint32_t dflags, uint32_t *out) {
  kumi_wasi *w = p->w;
  wasi_fd *d = &w->fds.items[dir_slot];
  bool mut = wasi_p2_fs_can_mutate(d);
  if (!mut && ((dflags & (WASI_P2_DF_WRITE | WASI_P2_DF_MUTATE_DIRECTORY)) ||
               (oflags & (WASI_P2_OF_CREATE | WASI_P2_OF_TRUNCATE))))
    return WASI_EROFS;
  bool rd = dflags & WASI_P2_DF_READ, wr = dflags & WASI_P2_DF_WRITE;
  int flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  /* A directory opened for writing is is-directory, from the kernel. */
  flags |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & WASI_P2_OF_DIRECTORY) flags |= O_DIRECTORY;
  if (oflags & WASI_P2_OF_CREATE) flags |= O_CREAT;
  if (oflags & WASI_P2_OF_EXCLUSIVE) flags |= O_EXCL;
  if (oflags & WASI_P2_OF_TRUNCATE) flags |= O_TRUNC;
  if (dflags & WASI_P2_DF_FILE_INTEGRITY_SYNC) flags |= O_SYNC;
  if (dflags & WASI_P2_DF_DATA_INTEGRITY_SYNC) flags |= O_DSYNC;
  if (dflags & WASI_P2_DF_REQUESTED_WRITE_SYNC) flags |= O_RSYNC;

  uint32_t slot;
  wasi_errno err = wasi_fd_alloc(w, &slot);
  if (err) return err;
  d = &w->fds.items[dir_slot]; /* the table may have moved */
  wasi_path rp;
  if ((err = resolve(p, d, path, pflags & WASI_P2_PF_SYMLINK_FOLLOW, &rp))) return err;
  if (rp.slash) flags |= O_DIRECTORY;
  int fd;
  do fd = openat(rp.dir, rp.name, flags, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) err = wasi_errno_last();
  wasi_path_free(w, &rp);
  if (err) return err;
  struct stat st;
  if (fstat(fd, &st) != 0) {
    err = wasi_errno_last();
    close(fd);
    return err;
  }
  wasi_fd *e = &w->fds.items[slot];
  memset(e, 0, sizeof *e);
  e->kind = WASI_FD_HOST;
  e->host = fd;
  e->own = true;
  e->filetype = wasi_filetype_from_mode(st.st_mode);
  if (e->filetype == WASI_FT_DIR) {
    /* A directory opened beneath another may do what that one may. */
    e->base = d->base & WASI_RIGHTS_DIR;
    e->inheriting = d->inheriting;
  } else {
    e->base = wasi_rights_for_type(e->filetype);
    if (!rd) e->base &= ~(WASI_R_FD_READ | WASI_R_FD_READDIR);
    if (!wr) e->base &= ~(WASI_R_FD_WRITE | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_SET_SIZE);
  }
  if (dflags & WASI_P2_DF_FILE_INTEGRITY_SYNC) e->fdflags |= WASI_FDF_SYNC;
  if (dflags & WASI_P2_DF_DATA_INTEGRITY_SYNC) e->fdflags |= WASI_FDF_DSYNC;
  if (dflags & WASI_P2_DF_REQUESTED_WRITE_SYNC) e->fdflags |= WASI_FDF_RSYNC;
  *out = slot;
  return WASI_ESUCCESS;
}

FS_FN(wasi_p2_fs_open_at) {
  wasi_p2 *p = env;
  FS_ARGS("hfsff", "open-at");
  wasi_fd *d;
  uint32_t slot = 0;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &d);
  if (!err) err = open_at(p, args[0].of.handle, args[1].of.flags, &args[2], args[3].of.flags, args[4].of.flags, &slot);
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, slot);
  kumi_error *ke = wasi_p2_fs_ok(a, &h, res);
  if (ke) wasi_fd_release(p->w, &p->w->fds.items[slot]);
  return ke;
}
