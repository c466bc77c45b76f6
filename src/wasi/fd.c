/* fd_*: descriptor operations other than reading and writing data
 * (fd_io.c) and reading directories (readdir.c). */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Host offsets are signed 64-bit; WASI file sizes are unsigned. */
#define WASI_OFF_MAX ((uint64_t)INT64_MAX)

wasi_errno wasi_fd_advise(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_ADVISE, &e);
  if (err) return err;
  uint64_t off = WASI_ARG_I64(1), len = WASI_ARG_I64(2);
  uint32_t advice = WASI_ARG_I32(3);
  static const int host_advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  if (advice > 5 || off > WASI_OFF_MAX || len > WASI_OFF_MAX) return WASI_EINVAL;
  if (e->kind != WASI_FD_HOST) return WASI_ESPIPE;
  if (e->filetype == WASI_FT_DIR) return WASI_EBADF;
  /* Advice is only advice: the host may not take it for every kind of
   * file, and that is not the guest's problem. */
  int r = posix_fadvise(e->host, (off_t)off, (off_t)len, host_advice[advice]);
  if (r == ESPIPE) return WASI_ESPIPE;
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_allocate(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_ALLOCATE, &e);
  if (err) return err;
  uint64_t off = WASI_ARG_I64(1), len = WASI_ARG_I64(2);
  if (off > WASI_OFF_MAX || len > WASI_OFF_MAX - off) return WASI_EFBIG;
  if (e->kind != WASI_FD_HOST) return WASI_ESPIPE;
  if (e->filetype == WASI_FT_DIR) return WASI_EBADF;
  if (len == 0) return WASI_EINVAL;
  int r = posix_fallocate(e->host, (off_t)off, (off_t)len);
  if (r == EOPNOTSUPP) {
    /* A filesystem without fallocate: grow the file the plain way. */
    struct stat st;
    if (fstat(e->host, &st) != 0) return wasi_errno_last();
    if ((uint64_t)st.st_size < off + len && ftruncate(e->host, (off_t)(off + len)) != 0) return wasi_errno_last();
    return WASI_ESUCCESS;
  }
  return wasi_errno_from_host(r);
}

wasi_errno wasi_fd_close(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  wasi_fd_release(c->w, e);
  return WASI_ESUCCESS;
}

static wasi_errno sync_fd(wasi_call *c, uint32_t fd, uint64_t right, bool data_only) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, fd, right, &e);
  if (err) return err;
  if (e->kind != WASI_FD_HOST) return WASI_ESUCCESS;
  int r = data_only ? fdatasync(e->host) : fsync(e->host);
  /* Pipes, terminals and sockets have nothing to flush to stable storage. */
  if (r != 0 && errno == EINVAL && e->filetype != WASI_FT_REG && e->filetype != WASI_FT_DIR) return WASI_ESUCCESS;
  return r == 0 ? WASI_ESUCCESS : wasi_errno_last();
}

wasi_errno wasi_fd_datasync(wasi_call *c, const kumi_val *a) { return sync_fd(c, WASI_ARG_I32(0), WASI_R_FD_DATASYNC, true); }
wasi_errno wasi_fd_sync(wasi_call *c, const kumi_val *a) { return sync_fd(c, WASI_ARG_I32(0), WASI_R_FD_SYNC, false); }

wasi_errno wasi_fd_fdstat_get(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  uint8_t *p = wasi_mem_at(&c->mem, WASI_ARG_I32(1), 24);
  if (!p) return WASI_EFAULT;
  memset(p, 0, 24);
  p[0] = e->filetype;
  wasi_put_u16(p + 2, e->fdflags);
  wasi_put_u64(p + 8, e->base);
  wasi_put_u64(p + 16, e->inheriting);
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_fdstat_set_flags(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_FDSTAT_SET_FLAGS, &e);
  if (err) return err;
  uint32_t flags = WASI_ARG_I32(1);
  if (flags > 31) return WASI_EINVAL;
  /* The synchronous-write flags are fixed at open on POSIX hosts. */
  if ((flags ^ e->fdflags) & (WASI_FDF_DSYNC | WASI_FDF_RSYNC | WASI_FDF_SYNC)) return WASI_ENOTSUP;
  if (e->kind == WASI_FD_HOST) {
    int fl = fcntl(e->host, F_GETFL);
    if (fl < 0) return wasi_errno_last();
    fl &= ~(O_APPEND | O_NONBLOCK);
    if (flags & WASI_FDF_APPEND) fl |= O_APPEND;
    if (flags & WASI_FDF_NONBLOCK) fl |= O_NONBLOCK;
    if (fcntl(e->host, F_SETFL, fl) != 0) return wasi_errno_last();
  }
  e->fdflags = (uint16_t)flags;
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_fdstat_set_rights(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  uint64_t base = WASI_ARG_I64(1), inh = WASI_ARG_I64(2);
  /* Rights can only be dropped, never gained. */
  if ((base & ~e->base) || (inh & ~e->inheriting)) return WASI_ENOTCAPABLE;
  e->base = base;
  e->inheriting = inh;
  return WASI_ESUCCESS;
}

static uint64_t stat_ns(const struct timespec *ts) {
  if (ts->tv_sec < 0) return 0;
  return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

wasi_errno wasi_store_filestat(const wasi_mem *m, uint32_t ptr, const struct stat *st) {
  uint8_t *p = wasi_mem_at(m, ptr, 64);
  if (!p) return WASI_EFAULT;
  memset(p, 0, 64);
  wasi_put_u64(p + 0, (uint64_t)st->st_dev);
  wasi_put_u64(p + 8, (uint64_t)st->st_ino);
  p[16] = wasi_filetype_from_mode(st->st_mode);
  wasi_put_u64(p + 24, (uint64_t)st->st_nlink);
  wasi_put_u64(p + 32, st->st_size < 0 ? 0 : (uint64_t)st->st_size);
  wasi_put_u64(p + 40, stat_ns(&st->st_atim));
  wasi_put_u64(p + 48, stat_ns(&st->st_mtim));
  wasi_put_u64(p + 56, stat_ns(&st->st_ctim));
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_filestat_get(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_FILESTAT_GET, &e);
  if (err) return err;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(1), 64)) return WASI_EFAULT;
  struct stat st;
  memset(&st, 0, sizeof st);
  if (e->kind == WASI_FD_HOST) {
    if (fstat(e->host, &st) != 0) return wasi_errno_last();
  } else {
    /* Host-less streams look like an empty pipe. */
    st.st_mode = S_IFIFO;
    st.st_nlink = 1;
  }
  err = wasi_store_filestat(&c->mem, WASI_ARG_I32(1), &st);
  if (!err && e->kind == WASI_FD_HOST && e->filetype != WASI_FT_UNKNOWN) {
    /* Keep the type we report consistent with fd_fdstat_get (sockets). */
    c->mem.base[WASI_ARG_I32(1) + 16] = e->filetype;
  }
  return err;
}

wasi_errno wasi_fd_filestat_set_size(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_FILESTAT_SET_SIZE, &e);
  if (err) return err;
  uint64_t size = WASI_ARG_I64(1);
  if (size > WASI_OFF_MAX) return WASI_EFBIG;
  if (e->kind != WASI_FD_HOST) return WASI_EINVAL;
  return ftruncate(e->host, (off_t)size) == 0 ? WASI_ESUCCESS : wasi_errno_last();
}

wasi_errno wasi_times_from_flags(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]) {
  if (fst > 15) return WASI_EINVAL;
  if ((fst & WASI_FST_ATIM) && (fst & WASI_FST_ATIM_NOW)) return WASI_EINVAL;
  if ((fst & WASI_FST_MTIM) && (fst & WASI_FST_MTIM_NOW)) return WASI_EINVAL;
  uint64_t v[2] = {atim, mtim};
  uint32_t set[2] = {WASI_FST_ATIM, WASI_FST_MTIM}, now[2] = {WASI_FST_ATIM_NOW, WASI_FST_MTIM_NOW};
  for (int i = 0; i < 2; i++) {
    if (fst & now[i]) {
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = UTIME_NOW;
    } else if (fst & set[i]) {
      ts[i].tv_sec = (time_t)(v[i] / 1000000000u);
      ts[i].tv_nsec = (long)(v[i] % 1000000000u);
    } else {
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = UTIME_OMIT;
    }
  }
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_filestat_set_times(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_FILESTAT_SET_TIMES, &e);
  if (err) return err;
  struct timespec ts[2];
  if ((err = wasi_times_from_flags(WASI_ARG_I64(1), WASI_ARG_I64(2), WASI_ARG_I32(3), ts))) return err;
  if (e->kind != WASI_FD_HOST) return WASI_ESUCCESS;
  return futimens(e->host, ts) == 0 ? WASI_ESUCCESS : wasi_errno_last();
}

wasi_errno wasi_fd_prestat_get(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  if (!e->preopen) return WASI_EBADF;
  uint8_t *p = wasi_mem_at(&c->mem, WASI_ARG_I32(1), 8);
  if (!p) return WASI_EFAULT;
  memset(p, 0, 8);
  p[0] = 0; /* preopentype dir */
  wasi_put_u32(p + 4, (uint32_t)e->preopen_len);
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_prestat_dir_name(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  if (!e->preopen) return WASI_EBADF;
  uint32_t len = WASI_ARG_I32(2);
  if (len < e->preopen_len) return WASI_ENAMETOOLONG;
  uint8_t *p = wasi_mem_at(&c->mem, WASI_ARG_I32(1), e->preopen_len);
  if (!p) return WASI_EFAULT;
  memcpy(p, e->preopen, e->preopen_len);
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_renumber(wasi_call *c, const kumi_val *a) {
  uint32_t from = WASI_ARG_I32(0), to = WASI_ARG_I32(1);
  wasi_fd *src, *dst;
  wasi_errno err = wasi_fd_get(c->w, from, 0, &src);
  if (err) return err;
  if ((err = wasi_fd_get(c->w, to, 0, &dst))) return err;
  if (from == to) return WASI_ESUCCESS;
  wasi_fd_release(c->w, dst);
  *dst = *src;
  memset(src, 0, sizeof *src);
  src->kind = WASI_FD_FREE;
  src->host = -1;
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_seek(wasi_call *c, const kumi_val *a) {
  int64_t off = (int64_t)WASI_ARG_I64(1);
  uint32_t whence = WASI_ARG_I32(2);
  /* Asking where we are needs only the tell right. */
  uint64_t need = (off == 0 && whence == 1) ? WASI_R_FD_TELL : WASI_R_FD_SEEK;
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), 0, &e);
  if (err) return err;
  if ((e->base & need) == 0) return WASI_ENOTCAPABLE;
  if (whence > 2) return WASI_EINVAL;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(3), 8)) return WASI_EFAULT;
  if (e->kind != WASI_FD_HOST) return WASI_ESPIPE;
  if (e->filetype == WASI_FT_DIR) return WASI_EISDIR;
  static const int host_whence[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  off_t r = lseek(e->host, (off_t)off, host_whence[whence]);
  if (r < 0) return wasi_errno_last();
  return wasi_store_u64(&c->mem, WASI_ARG_I32(3), (uint64_t)r);
}

wasi_errno wasi_fd_tell(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_TELL, &e);
  if (err) return err;
  if (!wasi_mem_at(&c->mem, WASI_ARG_I32(1), 8)) return WASI_EFAULT;
  if (e->kind != WASI_FD_HOST) return WASI_ESPIPE;
  if (e->filetype == WASI_FT_DIR) return WASI_EISDIR;
  off_t r = lseek(e->host, 0, SEEK_CUR);
  if (r < 0) return wasi_errno_last();
  return wasi_store_u64(&c->mem, WASI_ARG_I32(1), (uint64_t)r);
}
