/* path_*: operations on names beneath a directory descriptor. Every path
 * goes through wasi_path_resolve (path.c, the sandbox); the operation
 * itself then names only the last component relative to the resolved
 * directory, never letting the kernel follow a link. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The directory descriptor fd with rights `need`: ERRNO_NOTDIR for a
 * descriptor that is not a directory, before its rights are looked at. */
static wasi_errno get_dir(wasi_call *c, uint32_t fd, uint64_t need, wasi_fd **out) {
  wasi_errno err = wasi_fd_get(c->w, fd, 0, out);
  if (err) return err;
  if ((*out)->kind != WASI_FD_HOST || (*out)->filetype != WASI_FT_DIR) return WASI_ENOTDIR;
  if (((*out)->base & need) != need) return WASI_ENOTCAPABLE;
  return WASI_ESUCCESS;
}

/* A path that ended in '/' must name a directory (the resolver already
 * followed a final link in that case). */
static wasi_errno check_slash(const wasi_path *p) {
  if (!p->slash) return WASI_ESUCCESS;
  struct stat st;
  if (fstatat(p->dir, p->name, &st, AT_SYMLINK_NOFOLLOW) != 0) return wasi_errno_last();
  return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

static wasi_errno resolve(wasi_call *c, const wasi_fd *d, uint32_t ptr, uint32_t len, bool follow, wasi_path *p) {
  return wasi_path_from_guest(c->w, &c->mem, d->host, ptr, len, follow, p);
}

wasi_errno wasi_path_create_directory(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_CREATE_DIRECTORY, &d);
  if (err || (err = resolve(c, d, WASI_ARG_I32(1), WASI_ARG_I32(2), false, &p))) return err;
  if (mkdirat(p.dir, wasi_path_name_slash(&p), 0777) != 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p);
  return err;
}

wasi_errno wasi_path_filestat_get(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_FILESTAT_GET, &d);
  if (err) return err;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(4), 64)) return WASI_EFAULT;
  if ((err = resolve(c, d, WASI_ARG_I32(2), WASI_ARG_I32(3), WASI_ARG_I32(1) & WASI_LOOKUP_FOLLOW, &p))) return err;
  struct stat st;
  if (fstatat(p.dir, p.name, &st, AT_SYMLINK_NOFOLLOW) != 0) err = wasi_errno_last();
  else if (p.slash && !S_ISDIR(st.st_mode)) err = WASI_ENOTDIR;
  else err = wasi_store_filestat(&c->mem, WASI_ARG_I32(4), &st);
  wasi_path_free(c->w, &p);
  return err;
}

wasi_errno wasi_path_filestat_set_times(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  struct timespec ts[2];
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_FILESTAT_SET_TIMES, &d);
  if (err) return err;
  if ((err = wasi_times_from_flags(WASI_ARG_I64(4), WASI_ARG_I64(5), WASI_ARG_I32(6), ts))) return err;
  if ((err = resolve(c, d, WASI_ARG_I32(2), WASI_ARG_I32(3), WASI_ARG_I32(1) & WASI_LOOKUP_FOLLOW, &p))) return err;
  if (!(err = check_slash(&p)) && utimensat(p.dir, p.name, ts, AT_SYMLINK_NOFOLLOW) != 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p);
  return err;
}

wasi_errno wasi_path_link(wasi_call *c, const kumi_val *a) {
  wasi_fd *d1, *d2;
  wasi_path p1, p2;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_LINK_SOURCE, &d1);
  if (err || (err = get_dir(c, WASI_ARG_I32(4), WASI_R_PATH_LINK_TARGET, &d2))) return err;
  if ((err = resolve(c, d1, WASI_ARG_I32(2), WASI_ARG_I32(3), WASI_ARG_I32(1) & WASI_LOOKUP_FOLLOW, &p1))) return err;
  if ((err = resolve(c, d2, WASI_ARG_I32(5), WASI_ARG_I32(6), false, &p2))) {
    wasi_path_free(c->w, &p1);
    return err;
  }
  if (!(err = check_slash(&p1)) && linkat(p1.dir, p1.name, p2.dir, wasi_path_name_slash(&p2), 0) != 0)
    err = wasi_errno_last();
  wasi_path_free(c->w, &p1);
  wasi_path_free(c->w, &p2);
  return err;
}

wasi_errno wasi_path_open(wasi_call *c, const kumi_val *a) {
  uint32_t dirfd = WASI_ARG_I32(0), lookup = WASI_ARG_I32(1), oflags = WASI_ARG_I32(4), fdflags = WASI_ARG_I32(7);
  uint64_t base = WASI_ARG_I64(5), inh = WASI_ARG_I64(6);
  uint32_t out_ptr = WASI_ARG_I32(8);
  wasi_fd *d;
  wasi_errno err = get_dir(c, dirfd, WASI_R_PATH_OPEN, &d);
  if (err) return err;
  if (oflags > 15 || fdflags > 31) return WASI_EINVAL;
  uint64_t need = 0;
  if (oflags & WASI_O_CREAT) need |= WASI_R_PATH_CREATE_FILE;
  if (oflags & WASI_O_TRUNC) need |= WASI_R_PATH_FILESTAT_SET_SIZE;
  if ((d->base & need) != need) return WASI_ENOTCAPABLE;
  if (!wasi_mem_at(&c->mem, out_ptr, 4)) return WASI_EFAULT;
  /* The new descriptor gets what was asked for, as far as the directory
   * may pass it on. */
  base &= d->inheriting;
  inh &= d->inheriting;

  int flags = O_CLOEXEC | O_NOCTTY | O_NOFOLLOW;
  bool want_dir = oflags & WASI_O_DIRECTORY;
  bool rd = base & (WASI_R_FD_READ | WASI_R_FD_READDIR);
  bool wr = base & (WASI_R_FD_WRITE | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_SET_SIZE);
  if (fdflags & WASI_FDF_APPEND) wr = true;
  /* A directory opened for writing is EISDIR, from the kernel. */
  flags |= wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (want_dir) flags |= O_DIRECTORY;
  if (oflags & WASI_O_CREAT) flags |= O_CREAT;
  if (oflags & WASI_O_EXCL) flags |= O_EXCL;
  if (oflags & WASI_O_TRUNC) flags |= O_TRUNC;
  if (fdflags & WASI_FDF_APPEND) flags |= O_APPEND;
  if (fdflags & WASI_FDF_NONBLOCK) flags |= O_NONBLOCK;
  if (fdflags & WASI_FDF_DSYNC) flags |= O_DSYNC;
  if (fdflags & WASI_FDF_SYNC) flags |= O_SYNC;
  if (fdflags & WASI_FDF_RSYNC) flags |= O_RSYNC;

  uint32_t slot;
  if ((err = wasi_fd_alloc(c->w, &slot))) return err;
  d = &c->w->fds.items[dirfd]; /* the table may have moved */
  wasi_path p;
  bool follow = lookup & WASI_LOOKUP_FOLLOW;
  if ((err = resolve(c, d, WASI_ARG_I32(2), WASI_ARG_I32(3), follow, &p))) return err;
  if (p.slash) flags |= O_DIRECTORY;
  int fd;
  do fd = openat(p.dir, p.name, flags, 0666);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p);
  if (err) return err;

  struct stat st;
  if (fstat(fd, &st) != 0) {
    err = wasi_errno_last();
    close(fd);
    return err;
  }
  wasi_fd *e = &c->w->fds.items[slot];
  memset(e, 0, sizeof *e);
  e->kind = WASI_FD_HOST;
  e->host = fd;
  e->own = true;
  e->filetype = wasi_filetype_from_mode(st.st_mode);
  e->base = base & wasi_rights_for_type(e->filetype);
  e->inheriting = e->filetype == WASI_FT_DIR ? inh : 0;
  e->fdflags = (uint16_t)fdflags;
  return wasi_store_u32(&c->mem, out_ptr, slot);
}

wasi_errno wasi_path_readlink(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  uint32_t buf = WASI_ARG_I32(3), buf_len = WASI_ARG_I32(4), used_ptr = WASI_ARG_I32(5);
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_READLINK, &d);
  if (err) return err;
  uint8_t *out = wasi_mem_at(&c->mem, buf, buf_len);
  if (!out || !wasi_mem_at(&c->mem, used_ptr, 4)) return WASI_EFAULT;
  if ((err = resolve(c, d, WASI_ARG_I32(1), WASI_ARG_I32(2), false, &p))) return err;
  if (!(err = check_slash(&p))) {
    /* readlinkat with a zero-length buffer is EINVAL; use a byte of ours
     * to tell "is a link" from errors, and report 0 bytes. */
    char one;
    ssize_t n = readlinkat(p.dir, p.name, buf_len ? (char *)out : &one, buf_len ? buf_len : 1);
    if (n < 0) err = wasi_errno_last();
    else err = wasi_store_u32(&c->mem, used_ptr, buf_len ? (uint32_t)n : 0);
  }
  wasi_path_free(c->w, &p);
  return err;
}

wasi_errno wasi_path_remove_directory(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_REMOVE_DIRECTORY, &d);
  if (err || (err = resolve(c, d, WASI_ARG_I32(1), WASI_ARG_I32(2), false, &p))) return err;
  if (unlinkat(p.dir, wasi_path_name_slash(&p), AT_REMOVEDIR) != 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p);
  return err;
}

wasi_errno wasi_path_rename(wasi_call *c, const kumi_val *a) {
  wasi_fd *d1, *d2;
  wasi_path p1, p2;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_RENAME_SOURCE, &d1);
  if (err || (err = get_dir(c, WASI_ARG_I32(3), WASI_R_PATH_RENAME_TARGET, &d2))) return err;
  if ((err = resolve(c, d1, WASI_ARG_I32(1), WASI_ARG_I32(2), false, &p1))) return err;
  if ((err = resolve(c, d2, WASI_ARG_I32(4), WASI_ARG_I32(5), false, &p2))) {
    wasi_path_free(c->w, &p1);
    return err;
  }
  if (renameat(p1.dir, wasi_path_name_slash(&p1), p2.dir, wasi_path_name_slash(&p2)) != 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p1);
  wasi_path_free(c->w, &p2);
  return err;
}

wasi_errno wasi_path_symlink(wasi_call *c, const kumi_val *a) {
  uint32_t tptr = WASI_ARG_I32(0), tlen = WASI_ARG_I32(1);
  wasi_fd *d;
  wasi_path p;
  wasi_errno err = get_dir(c, WASI_ARG_I32(2), WASI_R_PATH_SYMLINK, &d);
  if (err) return err;
  const uint8_t *t = wasi_mem_at(&c->mem, tptr, tlen);
  if (!t) return WASI_EFAULT;
  if (tlen == 0) return WASI_ENOENT;
  if (memchr(t, 0, tlen)) return WASI_EINVAL;
  if (!kb_utf8_valid(t, tlen)) return WASI_EILSEQ;
  /* A link to an absolute path could never be followed inside the sandbox
   * and would point host programs at host files: refuse it. */
  if (t[0] == '/') return WASI_EPERM;
  char *target = kb_strndup(c->w->alloc, (const char *)t, tlen);
  if (!target) return WASI_ENOMEM;
  if (!(err = resolve(c, d, WASI_ARG_I32(3), WASI_ARG_I32(4), false, &p))) {
    if (symlinkat(target, p.dir, wasi_path_name_slash(&p)) != 0) err = wasi_errno_last();
    wasi_path_free(c->w, &p);
  }
  kb_free(c->w->alloc, target, (size_t)tlen + 1);
  return err;
}

wasi_errno wasi_path_unlink_file(wasi_call *c, const kumi_val *a) {
  wasi_fd *d;
  wasi_path p;
  wasi_errno err = get_dir(c, WASI_ARG_I32(0), WASI_R_PATH_UNLINK_FILE, &d);
  if (err || (err = resolve(c, d, WASI_ARG_I32(1), WASI_ARG_I32(2), false, &p))) return err;
  if (unlinkat(p.dir, wasi_path_name_slash(&p), 0) != 0) err = wasi_errno_last();
  wasi_path_free(c->w, &p);
  return err;
}
