/* wasi:filesystem (WASI 0.2): registration, the descriptor methods that do
 * not take a path, directory-entry streams, preopens and error codes. The
 * *-at methods are in p2_fs_path.c; the model is described in p2_fs.h. */
#define _GNU_SOURCE
#include "p2_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* Host offsets are signed 64-bit; WASI file sizes are unsigned. */
#define FS_OFF_MAX ((uint64_t)INT64_MAX)
/* The most one `read` call returns: a short read is allowed, and the
 * result is a list of component values, so it is kept modest. */
#define FS_READ_MAX ((uint64_t)1 << 20)

/* Private state: the key of metadata hashes, so that hashes do not simply
 * reveal host inode numbers. */
typedef struct fs_state {
  uint64_t key[2];
} fs_state;

/* An open directory-entry-stream: its own host descriptor, read lazily. */
typedef struct dirstream {
  DIR *d;
} dirstream;

/* ---- error codes and types ------------------------------------------------------- */

uint32_t wasi_p2_fs_error_code(wasi_errno e) {
  switch (e) {
  case WASI_EACCES: return WASI_P2_EC_ACCESS;
  case WASI_EAGAIN: return WASI_P2_EC_WOULD_BLOCK;
  case WASI_EALREADY: return WASI_P2_EC_ALREADY;
  case WASI_EBADF: return WASI_P2_EC_BAD_DESCRIPTOR;
  case WASI_EBUSY: return WASI_P2_EC_BUSY;
  case WASI_EDEADLK: return WASI_P2_EC_DEADLOCK;
  case WASI_EDQUOT: return WASI_P2_EC_QUOTA;
  case WASI_EEXIST: return WASI_P2_EC_EXIST;
  case WASI_EFBIG: return WASI_P2_EC_FILE_TOO_LARGE;
  case WASI_EILSEQ: return WASI_P2_EC_ILLEGAL_BYTE_SEQUENCE;
  case WASI_EINPROGRESS: return WASI_P2_EC_IN_PROGRESS;
  case WASI_EINTR: return WASI_P2_EC_INTERRUPTED;
  case WASI_EINVAL: return WASI_P2_EC_INVALID;
  case WASI_EISDIR: return WASI_P2_EC_IS_DIRECTORY;
  case WASI_ELOOP: return WASI_P2_EC_LOOP;
  case WASI_EMLINK: return WASI_P2_EC_TOO_MANY_LINKS;
  case WASI_EMSGSIZE: return WASI_P2_EC_MESSAGE_SIZE;
  case WASI_ENAMETOOLONG: return WASI_P2_EC_NAME_TOO_LONG;
  case WASI_ENODEV: return WASI_P2_EC_NO_DEVICE;
  case WASI_ENOENT: return WASI_P2_EC_NO_ENTRY;
  case WASI_ENOLCK: return WASI_P2_EC_NO_LOCK;
  case WASI_ENOMEM: return WASI_P2_EC_INSUFFICIENT_MEMORY;
  case WASI_ENOSPC: return WASI_P2_EC_INSUFFICIENT_SPACE;
  case WASI_ENOTDIR: return WASI_P2_EC_NOT_DIRECTORY;
  case WASI_ENOTEMPTY: return WASI_P2_EC_NOT_EMPTY;
  case WASI_ENOTRECOVERABLE: return WASI_P2_EC_NOT_RECOVERABLE;
  case WASI_ENOTSUP:
  case WASI_ENOSYS: return WASI_P2_EC_UNSUPPORTED;
  case WASI_ENOTTY: return WASI_P2_EC_NO_TTY;
  case WASI_ENXIO: return WASI_P2_EC_NO_SUCH_DEVICE;
  case WASI_EOVERFLOW: return WASI_P2_EC_OVERFLOW;
  case WASI_EPERM:
  case WASI_ENOTCAPABLE: return WASI_P2_EC_NOT_PERMITTED;
  case WASI_EPIPE: return WASI_P2_EC_PIPE;
  case WASI_EROFS: return WASI_P2_EC_READ_ONLY;
  case WASI_ESPIPE: return WASI_P2_EC_INVALID_SEEK;
  case WASI_ETXTBSY: return WASI_P2_EC_TEXT_FILE_BUSY;
  case WASI_EXDEV: return WASI_P2_EC_CROSS_DEVICE;
  default: return WASI_P2_EC_IO;
  }
}

uint32_t wasi_p2_fs_type_of_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return WASI_P2_DT_REGULAR_FILE;
  case S_IFDIR: return WASI_P2_DT_DIRECTORY;
  case S_IFLNK: return WASI_P2_DT_SYMBOLIC_LINK;
  case S_IFCHR: return WASI_P2_DT_CHARACTER_DEVICE;
  case S_IFBLK: return WASI_P2_DT_BLOCK_DEVICE;
  case S_IFIFO: return WASI_P2_DT_FIFO;
  case S_IFSOCK: return WASI_P2_DT_SOCKET;
  default: return WASI_P2_DT_UNKNOWN;
  }
}

/* ---- arguments and results --------------------------------------------------------- */

bool wasi_p2_fs_args(const kumi_cval *args, size_t nargs, const char *sig) {
  size_t n = strlen(sig);
  if (nargs != n || (n && !args)) return false;
  for (size_t i = 0; i < n; i++) {
    kumi_cvalkind k = args[i].kind;
    bool ok;
    switch (sig[i]) {
    case 'h': ok = k == KUMI_CV_BORROW || k == KUMI_CV_OWN; break;
    case 's': ok = k == KUMI_CV_STRING; break;
    case 'f': ok = k == KUMI_CV_FLAGS; break;
    case 'u': ok = k == KUMI_CV_U64; break;
    case 'e': ok = k == KUMI_CV_ENUM; break;
    case 'v': ok = k == KUMI_CV_VARIANT; break;
    case 'l': ok = k == KUMI_CV_LIST; break;
    default: ok = false; break;
    }
    if (!ok) return false;
  }
  return true;
}

kumi_error *wasi_p2_fs_bad_args(wasi_p2 *p, const char *fn) {
  return wasi_p2_trap(p, "wasi:filesystem: %s called with arguments of the wrong type", fn);
}

kumi_error *wasi_p2_fs_ok(const kumi_allocator *a, kumi_cval *payload, kumi_cval *res) {
  if (wasi_p2_ok(a, payload, res)) return NULL;
  if (payload) kumi_cval_free(a, payload);
  return kb_error_oom();
}

kumi_error *wasi_p2_fs_err(const kumi_allocator *a, wasi_errno e, kumi_cval *res) {
  kumi_cval code;
  if (!kumi_cval_case(a, KUMI_CV_ENUM, wasi_p2_fs_error_code(e), NULL, &code)) return kb_error_oom();
  if (wasi_p2_err(a, &code, res)) return NULL;
  kumi_cval_free(a, &code);
  return kb_error_oom();
}

kumi_error *wasi_p2_fs_unit(const kumi_allocator *a, wasi_errno e, kumi_cval *res) {
  return e ? wasi_p2_fs_err(a, e, res) : wasi_p2_fs_ok(a, NULL, res);
}

/* ---- descriptors -------------------------------------------------------------------- */

wasi_errno wasi_p2_fs_desc(wasi_p2 *p, const kumi_cval *h, wasi_fd **out) {
  if (h->kind != KUMI_CV_BORROW && h->kind != KUMI_CV_OWN) return WASI_EBADF;
  wasi_errno err = wasi_fd_get(p->w, h->of.handle, 0, out);
  if (err) return err;
  /* Descriptors are made only from host files and directories; the stdio
   * slots are never handed out as reps. */
  return (*out)->kind == WASI_FD_HOST ? WASI_ESUCCESS : WASI_EBADF;
}

wasi_errno wasi_p2_fs_dir(wasi_p2 *p, const kumi_cval *h, wasi_fd **out) {
  wasi_errno err = wasi_p2_fs_desc(p, h, out);
  if (err) return err;
  return (*out)->filetype == WASI_FT_DIR ? WASI_ESUCCESS : WASI_ENOTDIR;
}

bool wasi_p2_fs_can_mutate(const wasi_fd *dir) { return (dir->base & WASI_R_PATH_CREATE_FILE) != 0; }

/* A descriptor that is not a directory, with preview1 right `need` (0:
 * none): a directory or a missing right is bad-descriptor, as the data
 * methods of a descriptor opened without read or write are. */
static wasi_errno file_desc(wasi_p2 *p, const kumi_cval *h, uint64_t need, wasi_fd **out) {
  wasi_errno err = wasi_p2_fs_desc(p, h, out);
  if (err) return err;
  if ((*out)->filetype == WASI_FT_DIR) return WASI_EBADF;
  if (((*out)->base & need) != need) return WASI_EBADF;
  return WASI_ESUCCESS;
}

static uint32_t desc_flags(const wasi_fd *e) {
  uint32_t f = 0;
  if (e->filetype == WASI_FT_DIR) {
    f |= WASI_P2_DF_READ;
    if (wasi_p2_fs_can_mutate(e)) f |= WASI_P2_DF_MUTATE_DIRECTORY;
  } else {
    if (e->base & WASI_R_FD_READ) f |= WASI_P2_DF_READ;
    if (e->base & WASI_R_FD_WRITE) f |= WASI_P2_DF_WRITE;
  }
  if (e->fdflags & WASI_FDF_SYNC) f |= WASI_P2_DF_FILE_INTEGRITY_SYNC;
  if (e->fdflags & WASI_FDF_DSYNC) f |= WASI_P2_DF_DATA_INTEGRITY_SYNC;
  if (e->fdflags & WASI_FDF_RSYNC) f |= WASI_P2_DF_REQUESTED_WRITE_SYNC;
  return f;
}

static bool datetime_option(const kumi_allocator *a, const struct timespec *ts, kumi_cval *out) {
  if (ts->tv_sec < 0) return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, out);
  kumi_cval dt;
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, &dt)) return false;
  dt.of.agg.items[0] = kumi_cval_int(KUMI_CV_U64, (int64_t)ts->tv_sec);
  dt.of.agg.items[1] = kumi_cval_int(KUMI_CV_U32, ts->tv_nsec);
  if (kumi_cval_case(a, KUMI_CV_OPTION, 1, &dt, out)) return true;
  kumi_cval_free(a, &dt);
  return false;
}

bool wasi_p2_fs_stat_record(const kumi_allocator *a, const struct stat *st, kumi_cval *out) {
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 6, out)) return false;
  kumi_cval *f = out->of.agg.items;
  if (!kumi_cval_case(a, KUMI_CV_ENUM, wasi_p2_fs_type_of_mode(st->st_mode), NULL, &f[0])) goto oom;
  f[1] = kumi_cval_int(KUMI_CV_U64, (int64_t)st->st_nlink);
  f[2] = kumi_cval_int(KUMI_CV_U64, st->st_size < 0 ? 0 : (int64_t)st->st_size);
  if (!datetime_option(a, &st->st_atim, &f[3]) || !datetime_option(a, &st->st_mtim, &f[4]) ||
      !datetime_option(a, &st->st_ctim, &f[5]))
    goto oom;
  return true;
oom:
  kumi_cval_free(a, out);
  return false;
}

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9u;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebu;
  x ^= x >> 31;
  return x;
}

bool wasi_p2_fs_hash_record(wasi_p2 *p, const kumi_allocator *a, const struct stat *st, kumi_cval *out) {
  const fs_state *s = p->fs;
  uint64_t k0 = s ? s->key[0] : 0, k1 = s ? s->key[1] : 0;
  uint64_t dev = (uint64_t)st->st_dev, ino = (uint64_t)st->st_ino;
  if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, out)) return false;
  out->of.agg.items[0] = kumi_cval_int(KUMI_CV_U64, (int64_t)mix64(mix64(ino ^ k0) ^ dev));
  out->of.agg.items[1] = kumi_cval_int(KUMI_CV_U64, (int64_t)mix64(mix64(dev ^ k1) ^ ino));
  return true;
}

wasi_errno wasi_p2_fs_times(const kumi_cval *atim, const kumi_cval *mtim, struct timespec ts[2]) {
  const kumi_cval *v[2] = {atim, mtim};
  for (int i = 0; i < 2; i++) {
    if (v[i]->kind != KUMI_CV_VARIANT) return WASI_EINVAL;
    switch (v[i]->of.var.index) {
    case WASI_P2_TS_NO_CHANGE:
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = UTIME_OMIT;
      break;
    case WASI_P2_TS_NOW:
      ts[i].tv_sec = 0;
      ts[i].tv_nsec = UTIME_NOW;
      break;
    case WASI_P2_TS_TIMESTAMP: {
      /* seconds: u64 (0.2's datetime) or s64 (0.3's instant) */
      const kumi_cval *d = v[i]->of.var.payload;
      if (!d || d->kind != KUMI_CV_RECORD || d->of.agg.len != 2 ||
          (d->of.agg.items[0].kind != KUMI_CV_U64 && d->of.agg.items[0].kind != KUMI_CV_S64) ||
          d->of.agg.items[1].kind != KUMI_CV_U32)
        return WASI_EINVAL;
      bool is_signed = d->of.agg.items[0].kind == KUMI_CV_S64;
      uint64_t sec = d->of.agg.items[0].of.u, ns = d->of.agg.items[1].of.u;
      if (ns >= 1000000000u) return WASI_EINVAL;
      if (!is_signed && sec > (uint64_t)INT64_MAX) return WASI_EOVERFLOW;
      ts[i].tv_sec = is_signed ? (time_t)d->of.agg.items[0].of.s : (time_t)sec;
      ts[i].tv_nsec = (long)ns;
      break;
    }
    default: return WASI_EINVAL;
    }
  }
  return WASI_ESUCCESS;
}

/* ---- the descriptor methods --------------------------------------------------------- */

#define FS_FN(name) \
  static kumi_error *name(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *res)
#define FS_ARGS(sig, what) \
  do { \
    if (!wasi_p2_fs_args(args, n, sig)) return wasi_p2_fs_bad_args(p, what); \
  } while (0)

static kumi_error *stream_result(const kumi_allocator *a, int host_err, uint32_t rep, kumi_cval *res) {
  if (host_err) return wasi_p2_fs_err(a, wasi_errno_from_host(host_err), res);
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, rep);
  return wasi_p2_fs_ok(a, &h, res);
}

FS_FN(d_read_via_stream) {
  wasi_p2 *p = env;
  FS_ARGS("hu", "read-via-stream");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_READ, &e);
  if (err) return wasi_p2_fs_err(a, err, res);
  uint32_t rep = 0;
  int he = wasi_p2_input_stream_new(p, e->host, args[1].of.u, &rep);
  return stream_result(a, he, rep, res);
}

FS_FN(d_write_via_stream) {
  wasi_p2 *p = env;
  FS_ARGS("hu", "write-via-stream");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_WRITE, &e);
  if (err) return wasi_p2_fs_err(a, err, res);
  uint32_t rep = 0;
  int he = wasi_p2_output_stream_new(p, e->host, args[1].of.u, false, &rep);
  return stream_result(a, he, rep, res);
}

FS_FN(d_append_via_stream) {
  wasi_p2 *p = env;
  FS_ARGS("h", "append-via-stream");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_WRITE, &e);
  if (err) return wasi_p2_fs_err(a, err, res);
  uint32_t rep = 0;
  int he = wasi_p2_output_stream_new(p, e->host, 0, true, &rep);
  return stream_result(a, he, rep, res);
}

FS_FN(d_advise) {
  wasi_p2 *p = env;
  FS_ARGS("huue", "advise");
  static const int host_advice[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                    POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], 0, &e);
  uint64_t off = args[1].of.u, len = args[2].of.u;
  uint32_t advice = args[3].of.var.index;
  if (!err && (advice > 5 || off > FS_OFF_MAX || len > FS_OFF_MAX)) err = WASI_EINVAL;
  /* Advice is only advice: a host that cannot take it (a pipe) is not
   * the guest's problem. */
  if (!err) (void)posix_fadvise(e->host, (off_t)off, (off_t)len, host_advice[advice]);
  return wasi_p2_fs_unit(a, err, res);
}

static wasi_errno do_sync(wasi_p2 *p, const kumi_cval *h, bool data_only) {
  wasi_fd *e;
  wasi_errno err = wasi_p2_fs_desc(p, h, &e);
  if (err) return err;
  int r = data_only ? fdatasync(e->host) : fsync(e->host);
  /* Pipes and character devices have nothing to flush to stable storage. */
  if (r != 0 && errno == EINVAL && e->filetype != WASI_FT_REG && e->filetype != WASI_FT_DIR) return WASI_ESUCCESS;
  return r == 0 ? WASI_ESUCCESS : wasi_errno_last();
}

FS_FN(d_sync_data) {
  wasi_p2 *p = env;
  FS_ARGS("h", "sync-data");
  return wasi_p2_fs_unit(a, do_sync(p, &args[0], true), res);
}

FS_FN(d_sync) {
  wasi_p2 *p = env;
  FS_ARGS("h", "sync");
  return wasi_p2_fs_unit(a, do_sync(p, &args[0], false), res);
}

FS_FN(d_get_flags) {
  wasi_p2 *p = env;
  FS_ARGS("h", "get-flags");
  wasi_fd *e;
  wasi_errno err = wasi_p2_fs_desc(p, &args[0], &e);
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval f = kumi_cval_flags(desc_flags(e));
  return wasi_p2_fs_ok(a, &f, res);
}

FS_FN(d_get_type) {
  wasi_p2 *p = env;
  FS_ARGS("h", "get-type");
  wasi_fd *e;
  struct stat st;
  wasi_errno err = wasi_p2_fs_desc(p, &args[0], &e);
  if (!err && fstat(e->host, &st) != 0) err = wasi_errno_last();
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval t;
  if (!kumi_cval_case(a, KUMI_CV_ENUM, wasi_p2_fs_type_of_mode(st.st_mode), NULL, &t)) return kb_error_oom();
  return wasi_p2_fs_ok(a, &t, res);
}

FS_FN(d_set_size) {
  wasi_p2 *p = env;
  FS_ARGS("hu", "set-size");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_WRITE, &e);
  if (!err && args[1].of.u > FS_OFF_MAX) err = WASI_EFBIG;
  if (!err && ftruncate(e->host, (off_t)args[1].of.u) != 0) err = wasi_errno_last();
  return wasi_p2_fs_unit(a, err, res);
}

FS_FN(d_set_times) {
  wasi_p2 *p = env;
  FS_ARGS("hvv", "set-times");
  wasi_fd *e;
  struct timespec ts[2];
  wasi_errno err = wasi_p2_fs_desc(p, &args[0], &e);
  if (!err) err = wasi_p2_fs_times(&args[1], &args[2], ts);
  /* A directory's metadata is what mutate-directory guards. */
  if (!err && e->filetype == WASI_FT_DIR && !wasi_p2_fs_can_mutate(e)) err = WASI_EROFS;
  if (!err && futimens(e->host, ts) != 0) err = wasi_errno_last();
  return wasi_p2_fs_unit(a, err, res);
}

FS_FN(d_read) {
  wasi_p2 *p = env;
  FS_ARGS("huu", "read");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_READ, &e);
  uint64_t len = args[1].of.u, off = args[2].of.u;
  if (!err && off > FS_OFF_MAX) err = WASI_EINVAL;
  if (err) return wasi_p2_fs_err(a, err, res);
  if (len > FS_READ_MAX) len = FS_READ_MAX;
  uint8_t *buf = kb_alloc(p->alloc, len ? (size_t)len : 1);
  if (!buf) return wasi_p2_fs_err(a, WASI_ENOMEM, res);
  ssize_t got;
  do got = pread(e->host, buf, (size_t)len, (off_t)off);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    err = wasi_errno_last();
    kb_free(p->alloc, buf, len ? (size_t)len : 1);
    return wasi_p2_fs_err(a, err, res);
  }
  kumi_cval tup;
  bool ok = kumi_cval_agg(a, KUMI_CV_TUPLE, 2, &tup);
  if (ok) ok = kumi_cval_agg(a, KUMI_CV_LIST, (size_t)got, &tup.of.agg.items[0]);
  if (ok) {
    for (ssize_t i = 0; i < got; i++) tup.of.agg.items[0].of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, buf[i]);
    /* End of file is a read that returns nothing. */
    tup.of.agg.items[1] = kumi_cval_bool(got == 0);
  }
  kb_free(p->alloc, buf, len ? (size_t)len : 1);
  if (!ok) {
    kumi_cval_free(a, &tup);
    return kb_error_oom();
  }
  return wasi_p2_fs_ok(a, &tup, res);
}

FS_FN(d_write) {
  wasi_p2 *p = env;
  FS_ARGS("hlu", "write");
  const kumi_cval *list = &args[1];
  for (size_t i = 0; i < list->of.agg.len; i++)
    if (list->of.agg.items[i].kind != KUMI_CV_U8) return wasi_p2_fs_bad_args(p, "write");
  wasi_fd *e;
  wasi_errno err = file_desc(p, &args[0], WASI_R_FD_WRITE, &e);
  uint64_t off = args[2].of.u;
  size_t len = list->of.agg.len;
  if (!err && (off > FS_OFF_MAX || len > FS_OFF_MAX - off)) err = WASI_EFBIG;
  if (err) return wasi_p2_fs_err(a, err, res);
  uint8_t *buf = kb_alloc(p->alloc, len ? len : 1);
  if (!buf) return wasi_p2_fs_err(a, WASI_ENOMEM, res);
  for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)list->of.agg.items[i].of.u;
  size_t done = 0;
  while (done < len) {
    ssize_t w = pwrite(e->host, buf + done, len - done, (off_t)(off + done));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      if (done == 0) err = wasi_errno_last();
      break;
    }
    if (w == 0) break;
    done += (size_t)w;
  }
  kb_free(p->alloc, buf, len ? len : 1);
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval nw = kumi_cval_int(KUMI_CV_U64, (int64_t)done);
  return wasi_p2_fs_ok(a, &nw, res);
}

FS_FN(d_stat) {
  wasi_p2 *p = env;
  FS_ARGS("h", "stat");
  wasi_fd *e;
  struct stat st;
  wasi_errno err = wasi_p2_fs_desc(p, &args[0], &e);
  if (!err && fstat(e->host, &st) != 0) err = wasi_errno_last();
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval rec;
  if (!wasi_p2_fs_stat_record(a, &st, &rec)) return kb_error_oom();
  return wasi_p2_fs_ok(a, &rec, res);
}

FS_FN(d_is_same_object) {
  wasi_p2 *p = env;
  FS_ARGS("hh", "is-same-object");
  wasi_fd *x, *y;
  struct stat sx, sy;
  bool same = !wasi_p2_fs_desc(p, &args[0], &x) && !wasi_p2_fs_desc(p, &args[1], &y) && fstat(x->host, &sx) == 0 &&
              fstat(y->host, &sy) == 0 && sx.st_dev == sy.st_dev && sx.st_ino == sy.st_ino;
  (void)a;
  *res = kumi_cval_bool(same);
  return NULL;
}

FS_FN(d_metadata_hash) {
  wasi_p2 *p = env;
  FS_ARGS("h", "metadata-hash");
  wasi_fd *e;
  struct stat st;
  wasi_errno err = wasi_p2_fs_desc(p, &args[0], &e);
  if (!err && fstat(e->host, &st) != 0) err = wasi_errno_last();
  if (err) return wasi_p2_fs_err(a, err, res);
  kumi_cval h;
  if (!wasi_p2_fs_hash_record(p, a, &st, &h)) return kb_error_oom();
  return wasi_p2_fs_ok(a, &h, res);
}

/* ---- directory-entry streams ---------------------------------------------------------- */

static void dirstream_free(wasi_p2 *p, void *obj) {
  dirstream *s = obj;
  if (s->d) closedir(s->d);
  kb_free(p->alloc, s, sizeof *s);
}

void wasi_p2_fs_dirstream_dtor(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  void *obj = wasi_p2_table_take(&p->dirstreams, rep);
  if (obj) dirstream_free(p, obj);
}

FS_FN(d_read_directory) {
  wasi_p2 *p = env;
  FS_ARGS("h", "read-directory");
  wasi_fd *e;
  wasi_errno err = wasi_p2_fs_dir(p, &args[0], &e);
  if (err) return wasi_p2_fs_err(a, err, res);
  /* A descriptor of the stream's own: the directory's offset is not shared
   * and the stream outlives the descriptor. */
  int fd;
  do fd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return wasi_p2_fs_err(a, wasi_errno_last(), res);
  dirstream *s = kb_zalloc(p->alloc, sizeof *s);
  if (!s) {
    close(fd);
    return wasi_p2_fs_err(a, WASI_ENOMEM, res);
  }
  s->d = fdopendir(fd);
  if (!s->d) {
    err = wasi_errno_last();
    close(fd);
    kb_free(p->alloc, s, sizeof *s);
    return wasi_p2_fs_err(a, err, res);
  }
  uint32_t rep;
  if (!wasi_p2_table_add(p, &p->dirstreams, s, &rep)) {
    dirstream_free(p, s);
    return wasi_p2_fs_err(a, WASI_ENOMEM, res);
  }
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, rep);
  kumi_error *ke = wasi_p2_fs_ok(a, &h, res);
  if (ke) wasi_p2_fs_dirstream_dtor(p, rep);
  return ke;
}

uint32_t wasi_p2_fs_dirent_type(DIR *d, const struct dirent *de) {
  switch (de->d_type) {
  case DT_REG: return WASI_P2_DT_REGULAR_FILE;
  case DT_DIR: return WASI_P2_DT_DIRECTORY;
  case DT_LNK: return WASI_P2_DT_SYMBOLIC_LINK;
  case DT_CHR: return WASI_P2_DT_CHARACTER_DEVICE;
  case DT_BLK: return WASI_P2_DT_BLOCK_DEVICE;
  case DT_FIFO: return WASI_P2_DT_FIFO;
  case DT_SOCK: return WASI_P2_DT_SOCKET;
  default: {
    /* The filesystem did not say: ask, without following a link. */
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WASI_P2_DT_UNKNOWN;
    return wasi_p2_fs_type_of_mode(st.st_mode);
  }
  }
}

FS_FN(ds_read_directory_entry) {
  wasi_p2 *p = env;
  FS_ARGS("h", "read-directory-entry");
  dirstream *s = wasi_p2_table_get(&p->dirstreams, args[0].of.handle);
  if (!s || !s->d) return wasi_p2_fs_err(a, WASI_EBADF, res);
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(s->d);
    if (!de) {
      if (errno) return wasi_p2_fs_err(a, wasi_errno_last(), res);
      kumi_cval none;
      if (!kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, &none)) return kb_error_oom();
      return wasi_p2_fs_ok(a, &none, res);
    }
    /* WASI 0.2 leaves out "." and "..". */
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    size_t len = strlen(de->d_name);
    if (!kb_utf8_valid((const uint8_t *)de->d_name, len)) return wasi_p2_fs_err(a, WASI_EILSEQ, res);
    kumi_cval ent, some;
    if (!kumi_cval_agg(a, KUMI_CV_RECORD, 2, &ent)) return kb_error_oom();
    if (!kumi_cval_case(a, KUMI_CV_ENUM, wasi_p2_fs_dirent_type(s->d, de), NULL, &ent.of.agg.items[0]) ||
        !kumi_cval_string(a, de->d_name, len, &ent.of.agg.items[1])) {
      kumi_cval_free(a, &ent);
      return kb_error_oom();
    }
    if (!kumi_cval_case(a, KUMI_CV_OPTION, 1, &ent, &some)) {
      kumi_cval_free(a, &ent);
      return kb_error_oom();
    }
    return wasi_p2_fs_ok(a, &some, res);
  }
}

void wasi_p2_fs_descriptor_dtor(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  wasi_fd *e;
  if (wasi_fd_get(p->w, rep, 0, &e) || e->kind != WASI_FD_HOST) return;
  /* A preopen may have several handles (one per get-directories call) and
   * is the preview1 table's: it lives until kumi_wasi_free. */
  if (e->preopen) return;
  wasi_fd_release(p->w, e);
}

/* ---- free functions ----------------------------------------------------------------------- */

FS_FN(fs_filesystem_error_code) {
  wasi_p2 *p = env;
  FS_ARGS("h", "filesystem-error-code");
  int he = 0;
  kumi_cval code;
  if (!wasi_p2_error_host_errno(p, args[0].of.handle, &he) || he == 0) {
    if (!kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, res)) return kb_error_oom();
    return NULL;
  }
  if (!kumi_cval_case(a, KUMI_CV_ENUM, wasi_p2_fs_error_code(wasi_errno_from_host(he)), NULL, &code))
    return kb_error_oom();
  if (!kumi_cval_case(a, KUMI_CV_OPTION, 1, &code, res)) {
    kumi_cval_free(a, &code);
    return kb_error_oom();
  }
  return NULL;
}

FS_FN(fs_get_directories) {
  wasi_p2 *p = env;
  FS_ARGS("", "get-directories");
  kumi_wasi *w = p->w;
  size_t count = 0;
  for (size_t i = 0; i < w->fds.len; i++) {
    const wasi_fd *e = &w->fds.items[i];
    if (e->kind == WASI_FD_HOST && e->filetype == WASI_FT_DIR && e->preopen) count++;
  }
  if (!kumi_cval_agg(a, KUMI_CV_LIST, count, res)) return kb_error_oom();
  size_t k = 0;
  for (size_t i = 0; i < w->fds.len && k < count; i++) {
    const wasi_fd *e = &w->fds.items[i];
    if (!(e->kind == WASI_FD_HOST && e->filetype == WASI_FT_DIR && e->preopen)) continue;
    kumi_cval *t = &res->of.agg.items[k++];
    if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, t)) goto oom;
    t->of.agg.items[0] = kumi_cval_handle(KUMI_CV_OWN, (uint32_t)i);
    if (!kumi_cval_string(a, e->preopen, e->preopen_len, &t->of.agg.items[1])) goto oom;
  }
  return NULL;
oom:
  kumi_cval_free(a, res);
  return kb_error_oom();
}

/* ---- registration ------------------------------------------------------------------------- */

static const wasi_p2_fs_func fs_funcs[] = {
    {WASI_P2_FS_TYPES, "[method]descriptor.read-via-stream", d_read_via_stream},
    {WASI_P2_FS_TYPES, "[method]descriptor.write-via-stream", d_write_via_stream},
    {WASI_P2_FS_TYPES, "[method]descriptor.append-via-stream", d_append_via_stream},
    {WASI_P2_FS_TYPES, "[method]descriptor.advise", d_advise},
    {WASI_P2_FS_TYPES, "[method]descriptor.sync-data", d_sync_data},
    {WASI_P2_FS_TYPES, "[method]descriptor.get-flags", d_get_flags},
    {WASI_P2_FS_TYPES, "[method]descriptor.get-type", d_get_type},
    {WASI_P2_FS_TYPES, "[method]descriptor.set-size", d_set_size},
    {WASI_P2_FS_TYPES, "[method]descriptor.set-times", d_set_times},
    {WASI_P2_FS_TYPES, "[method]descriptor.read", d_read},
    {WASI_P2_FS_TYPES, "[method]descriptor.write", d_write},
    {WASI_P2_FS_TYPES, "[method]descriptor.read-directory", d_read_directory},
    {WASI_P2_FS_TYPES, "[method]descriptor.sync", d_sync},
    {WASI_P2_FS_TYPES, "[method]descriptor.create-directory-at", wasi_p2_fs_create_directory_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.stat", d_stat},
    {WASI_P2_FS_TYPES, "[method]descriptor.stat-at", wasi_p2_fs_stat_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.set-times-at", wasi_p2_fs_set_times_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.link-at", wasi_p2_fs_link_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.open-at", wasi_p2_fs_open_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.readlink-at", wasi_p2_fs_readlink_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.remove-directory-at", wasi_p2_fs_remove_directory_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.rename-at", wasi_p2_fs_rename_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.symlink-at", wasi_p2_fs_symlink_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.unlink-file-at", wasi_p2_fs_unlink_file_at},
    {WASI_P2_FS_TYPES, "[method]descriptor.is-same-object", d_is_same_object},
    {WASI_P2_FS_TYPES, "[method]descriptor.metadata-hash", d_metadata_hash},
    {WASI_P2_FS_TYPES, "[method]descriptor.metadata-hash-at", wasi_p2_fs_metadata_hash_at},
    {WASI_P2_FS_TYPES, "[method]directory-entry-stream.read-directory-entry", ds_read_directory_entry},
    {WASI_P2_FS_TYPES, "filesystem-error-code", fs_filesystem_error_code},
    {WASI_P2_FS_PREOPENS, "get-directories", fs_get_directories},
};

kumi_component_host_fn wasi_p2_fs_find(const char *name) {
  for (size_t i = 0; i < sizeof fs_funcs / sizeof fs_funcs[0]; i++)
    if (!strcmp(fs_funcs[i].name, name)) return fs_funcs[i].fn;
  return NULL;
}

static void fs_free(wasi_p2 *p) {
  kb_free(p->alloc, p->fs, sizeof(fs_state));
  p->fs = NULL;
}

bool wasi_p2_fs_init(wasi_p2 *p) {
  p->dirstreams.free_obj = dirstream_free;
  if (p->fs) return true;
  fs_state *s = kb_zalloc(p->alloc, sizeof *s);
  if (!s) return false;
  /* Without randomness the hashes are still consistent, only guessable. */
  if (getrandom(s->key, sizeof s->key, GRND_NONBLOCK) != (ssize_t)sizeof s->key) {
    s->key[0] = 0x6b756d69u;
    s->key[1] = 0x66730a00u;
  }
  p->fs = s;
  p->fs_free = fs_free;
  return true;
}

kumi_error *wasi_p2_add_filesystem(kumi_component_linker *l, wasi_p2 *p) {
  if (!wasi_p2_fs_init(p)) return kb_error_oom();
  kumi_error *err = kumi_component_linker_define_resource(l, WASI_P2_FS_TYPES, "descriptor",
                                                          wasi_p2_fs_descriptor_dtor, p);
  if (!err)
    err = kumi_component_linker_define_resource(l, WASI_P2_FS_TYPES, "directory-entry-stream",
                                                wasi_p2_fs_dirstream_dtor, p);
  for (size_t i = 0; !err && i < sizeof fs_funcs / sizeof fs_funcs[0]; i++)
    err = wasi_p2_define(l, fs_funcs[i].iface, fs_funcs[i].name, fs_funcs[i].fn, p);
  return err;
}
