/* wasi:filesystem@0.3.0: the methods that move data through streams
 * (read-via-stream, write-via-stream, append-via-stream, read-directory).
 *
 * Each call makes an operation: the host's end of the data stream, the
 * host's end of the future that reports the outcome, and what the data
 * comes from or goes to (its own duplicate of the file's host descriptor,
 * or its own directory stream, so it outlives the descriptor as 0.2's
 * streams do). Copies happen in the stream's ready callback, when the
 * guest reads or writes: reads are positional (pread at the operation's
 * offset), so a copy the guest takes only in part loses nothing. At the
 * end of the data, on an error, or when the guest drops its end of the
 * data stream, the future is resolved and the data stream's host end is
 * dropped (the future's when the guest drops its end). A failure found at
 * the call (a bad descriptor) resolves the future at once; the data
 * stream then ends at the guest's first copy. The call's result reaches
 * the guest after the host function returns, so nothing in it may be
 * dropped before. */
#define _GNU_SOURCE
#include "p3_fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The most bytes one copy moves, and the most directory entries. */
#define OP_CHUNK ((size_t)64 * 1024)
#define OP_ENTRIES ((size_t)64)

typedef enum { OP_READ, OP_WRITE, OP_APPEND, OP_DIR } op_kind;

struct wasi_p3_fs_op {
  wasi_p3_fs *s;
  wasi_p3_fs_op *next, **pprev; /* in s->ops */
  op_kind kind;
  const kumi_allocator *va; /* the store's: values handed to the runtime */
  kumi_stream *data, *fut;  /* the host's ends (NULL once dropped) */
  int fd;                   /* READ/WRITE/APPEND: owned; -1 none */
  DIR *dir;                 /* DIR: owned */
  uint64_t offset;          /* READ/WRITE: where the next copy goes */
  uint8_t *buf;             /* READ/WRITE/APPEND: OP_CHUNK bytes */
  kumi_cval *pend;          /* DIR: entries read but not yet taken by the guest */
  size_t npend, pend_off;
  wasi_errno dir_err;       /* DIR: the error that ends the entries once pend is sent */
  /* A failure found at the call: the future is resolved with it at once,
   * the data stream ends at the guest's first copy (its handle must
   * still be valid when the call's result reaches the guest). */
  wasi_errno fail;
  bool resolved; /* the future has its value */
  bool finished; /* and the data stream is dropped */
};

/* ---- the operation's life ------------------------------------------------------------- */

static void pend_free(wasi_p3_fs_op *op) {
  for (size_t i = op->pend_off; i < op->npend; i++) kumi_cval_free(op->va, &op->pend[i]);
  if (op->pend) kb_free(op->s->alloc, op->pend, OP_ENTRIES * sizeof *op->pend);
  op->pend = NULL;
  op->npend = op->pend_off = 0;
}

/* Drops the data stream's host end and what the data came from. */
static void op_end_data(wasi_p3_fs_op *op) {
  if (op->data) kumi_stream_drop(op->data);
  op->data = NULL;
  if (op->fd >= 0) close(op->fd);
  op->fd = -1;
  if (op->dir) closedir(op->dir);
  op->dir = NULL;
  pend_free(op);
  if (op->buf) kb_free(op->s->alloc, op->buf, OP_CHUNK);
  op->buf = NULL;
}

static void op_free(wasi_p3_fs_op *op) {
  op_end_data(op);
  if (op->fut) kumi_stream_drop(op->fut);
  if (op->pprev) {
    *op->pprev = op->next;
    if (op->next) op->next->pprev = op->pprev;
  }
  kb_free(op->s->alloc, op, sizeof *op);
}

/* Resolves the future with ok (e 0) or err(e), once. The value waits in
 * the runtime until the guest reads it. */
static void op_resolve(wasi_p3_fs_op *op, wasi_errno e) {
  if (op->resolved) return;
  op->resolved = true;
  if (op->fut && kumi_stream_open(op->fut)) {
    kumi_cval v;
    /* Out of memory for the value: the future stays unresolved and the
     * guest's read of it waits until the instance goes; nothing better
     * is left. */
    if (wasi_p3_fs_unit(op->va, e, &v)) kumi_future_resolve(op->fut, &v);
  }
}

/* The data is over: resolves the future (unless it already is) and drops
 * the data stream. The future's host end stays until the guest drops its
 * end (a host end dropped before the guest read the value would take the
 * value with it); then the operation is freed (fut_closed). */
static void op_finish(wasi_p3_fs_op *op, wasi_errno e) {
  if (op->finished) return;
  op->finished = true;
  op_resolve(op, e);
  op_end_data(op);
  if (!op->fut) op_free(op);
}

static wasi_p3_fs_op *op_new(wasi_p3_fs *s, op_kind kind, const kumi_allocator *va) {
  wasi_p3_fs_op *op = kb_zalloc(s->alloc, sizeof *op);
  if (!op) return NULL;
  op->s = s;
  op->kind = kind;
  op->va = va;
  op->fd = -1;
  op->next = s->ops;
  if (s->ops) s->ops->pprev = &op->next;
  s->ops = op;
  op->pprev = &s->ops;
  return op;
}

void wasi_p3_fs_ops_free(wasi_p3_fs *s) {
  while (s->ops) op_free(s->ops);
}

/* ---- callbacks --------------------------------------------------------------------------- */

/* The guest wants up to n more bytes: one chunk from the file. */
static void read_ready(void *ud, kumi_stream *st, size_t n) {
  wasi_p3_fs_op *op = ud;
  if (op->fail) {
    op_finish(op, op->fail);
    return;
  }
  /* A zero-length read completes at once (the host is ready). */
  if (n == 0) {
    kumi_stream_write_bytes(st, op->buf, 0);
    return;
  }
  if (n > OP_CHUNK) n = OP_CHUNK;
  if (op->offset > (uint64_t)INT64_MAX) {
    op_finish(op, WASI_EOVERFLOW);
    return;
  }
  ssize_t got;
  do got = pread(op->fd, op->buf, n, (off_t)op->offset);
  while (got < 0 && errno == EINTR);
  if (got < 0) {
    op_finish(op, wasi_errno_last());
    return;
  }
  /* End of file: the guest sees its end of the stream dropped. */
  if (got == 0) {
    op_finish(op, WASI_ESUCCESS);
    return;
  }
  op->offset += kumi_stream_write_bytes(st, op->buf, (size_t)got);
}

/* Writes all of buf at the operation's offset (or the end of the file). */
static wasi_errno write_all(wasi_p3_fs_op *op, const uint8_t *buf, size_t len) {
  if (op->kind == OP_APPEND) {
    struct stat sb;
    if (fstat(op->fd, &sb) != 0) return wasi_errno_last();
    op->offset = (uint64_t)sb.st_size;
  }
  size_t done = 0;
  while (done < len) {
    if (op->offset > (uint64_t)INT64_MAX - (len - done)) return WASI_EFBIG;
    ssize_t w = pwrite(op->fd, buf + done, len - done, (off_t)op->offset);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return wasi_errno_last();
    if (w == 0) return WASI_EIO;
    done += (size_t)w;
    op->offset += (uint64_t)w;
  }
  return WASI_ESUCCESS;
}

/* The guest has n bytes pending for the file. */
static void write_ready(void *ud, kumi_stream *st, size_t n) {
  wasi_p3_fs_op *op = ud;
  if (op->fail) {
    op_finish(op, op->fail);
    return;
  }
  size_t got = kumi_stream_read_bytes(st, op->buf, n < OP_CHUNK ? n : OP_CHUNK);
  if (!got) return; /* (a zero-length write completed in the call) */
  wasi_errno e = write_all(op, op->buf, got);
  if (e) op_finish(op, e);
}

/* The guest dropped its end of the data stream: reading, it wants no
 * more; writing, it has written everything. Either way the outcome is
 * known. */
static void data_closed(void *ud, kumi_stream *st) {
  wasi_p3_fs_op *op = ud;
  (void)st;
  op_finish(op, op->fail);
}

/* The guest dropped the future's readable end (usually after reading
 * it): once the data is over too, the operation is done. */
static void fut_closed(void *ud, kumi_stream *st) {
  wasi_p3_fs_op *op = ud;
  (void)st;
  kumi_stream_drop(op->fut);
  op->fut = NULL;
  if (op->finished) op_free(op);
}

/* One directory entry record; false on OOM. */
static bool entry_value(wasi_p3_fs_op *op, const struct dirent *de, size_t len, kumi_cval *out) {
  if (!kumi_cval_agg(op->va, KUMI_CV_RECORD, 2, out)) return false;
  if (wasi_p3_fs_type(op->va, wasi_p2_fs_dirent_type(op->dir, de), &out->of.agg.items[0]) &&
      kumi_cval_string(op->va, de->d_name, len, &out->of.agg.items[1]))
    return true;
  kumi_cval_free(op->va, out);
  return false;
}

/* Reads up to max entries into op->pend (none at the end). An error
 * leaves the entries read before it in op->pend. */
static wasi_errno dir_fill(wasi_p3_fs_op *op, size_t max) {
  if (!op->pend) {
    op->pend = kb_zalloc(op->s->alloc, OP_ENTRIES * sizeof *op->pend);
    if (!op->pend) return WASI_ENOMEM;
  }
  op->npend = op->pend_off = 0;
  if (max > OP_ENTRIES) max = OP_ENTRIES;
  while (op->npend < max) {
    errno = 0;
    struct dirent *de = readdir(op->dir);
    if (!de) return errno ? wasi_errno_last() : WASI_ESUCCESS;
    /* "." and ".." are not entries in WASI. */
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    size_t len = strlen(de->d_name);
    if (!kb_utf8_valid((const uint8_t *)de->d_name, len)) return WASI_EILSEQ;
    if (!entry_value(op, de, len, &op->pend[op->npend])) return WASI_ENOMEM;
    op->npend++;
  }
  return WASI_ESUCCESS;
}

/* The guest wants up to n more entries. */
static void dir_ready(void *ud, kumi_stream *st, size_t n) {
  wasi_p3_fs_op *op = ud;
  if (op->fail) {
    op_finish(op, op->fail);
    return;
  }
  if (n == 0) {
    kumi_stream_write_vals(st, NULL, 0);
    return;
  }
  if (op->pend_off >= op->npend) {
    /* An error after some entries: those go first, the error after. */
    if (op->dir_err) {
      op_finish(op, op->dir_err);
      return;
    }
    wasi_errno e = dir_fill(op, n);
    if (op->npend == 0) {
      op_finish(op, e);
      return;
    }
    op->dir_err = e;
  }
  op->pend_off += kumi_stream_write_vals(st, op->pend + op->pend_off, op->npend - op->pend_off);
}

static const kumi_stream_ops read_ops = {read_ready, data_closed};
static const kumi_stream_ops write_ops = {write_ready, data_closed};
static const kumi_stream_ops dir_ops = {dir_ready, data_closed};
static const kumi_stream_ops fut_ops = {NULL, fut_closed};

/* ---- the methods -------------------------------------------------------------------------- */

/* The file behind handle h, with preview1 right need; a directory is
 * bad-descriptor, as for 0.2's streams. */
static wasi_errno file_of(wasi_p3_fs *s, const kumi_cval *h, uint64_t need, wasi_fd **out) {
  wasi_errno e = wasi_p2_fs_desc(s->p2, h, out);
  if (e) return e;
  if ((*out)->filetype == WASI_FT_DIR || ((*out)->base & need) != need) return WASI_EBADF;
  return WASI_ESUCCESS;
}

static wasi_errno dup_fd(int fd, int *out) {
  *out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  return *out < 0 ? wasi_errno_last() : WASI_ESUCCESS;
}

static kumi_error *bad_args(wasi_p3_fs *s, const char *fn) {
  return wasi_p3_trap(s->w, "wasi:filesystem: %s called with arguments of the wrong type", fn);
}

/* Returns tuple<stream, future> for a new operation (read-via-stream,
 * read-directory) and finishes it at once when it failed at the call. */
static kumi_error *return_pair(kumi_async_call *call, wasi_p3_fs_op *op, uint32_t hd, uint32_t hf) {
  const kumi_allocator *a = kumi_async_call_allocator(call);
  kumi_cval tup;
  if (!kumi_cval_agg(a, KUMI_CV_TUPLE, 2, &tup)) {
    op_free(op);
    return kb_error_oom();
  }
  tup.of.agg.items[0] = kumi_cval_handle(KUMI_CV_STREAM, hd);
  tup.of.agg.items[1] = kumi_cval_handle(KUMI_CV_FUTURE, hf);
  if (op->fail) op_resolve(op, op->fail);
  kumi_async_call_return(call, &tup);
  return NULL;
}

/* A new operation with a new stream (ops) and a new future. */
static wasi_p3_fs_op *op_with_pair(wasi_p3_fs *s, kumi_async_call *call, op_kind kind, const kumi_stream_ops *ops,
                                   uint32_t *hd, uint32_t *hf) {
  kumi_component_instance *inst = kumi_async_call_instance(call);
  wasi_p3_fs_op *op = op_new(s, kind, kumi_async_call_allocator(call));
  if (!op) return NULL;
  op->data = kumi_stream_new(inst, false, ops, op, hd);
  if (op->data) op->fut = kumi_stream_new(inst, true, &fut_ops, op, hf);
  if (!op->fut) {
    op_free(op);
    return NULL;
  }
  return op;
}

kumi_error *wasi_p3_fs_read_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_fs *s = env;
  if (!wasi_p2_fs_args(args, nargs, "hu")) return bad_args(s, "read-via-stream");
  uint32_t hd = 0, hf = 0;
  wasi_p3_fs_op *op = op_with_pair(s, call, OP_READ, &read_ops, &hd, &hf);
  if (!op) return kb_error_oom();
  wasi_fd *e;
  op->offset = args[1].of.u;
  op->fail = file_of(s, &args[0], WASI_R_FD_READ, &e);
  /* An offset past what the host can address is invalid (as pread's). */
  if (!op->fail && op->offset > (uint64_t)INT64_MAX) op->fail = WASI_EINVAL;
  if (!op->fail) op->fail = dup_fd(e->host, &op->fd);
  if (!op->fail && !(op->buf = kb_alloc(s->alloc, OP_CHUNK))) op->fail = WASI_ENOMEM;
  return return_pair(call, op, hd, hf);
}

kumi_error *wasi_p3_fs_read_directory(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_fs *s = env;
  if (!wasi_p2_fs_args(args, nargs, "h")) return bad_args(s, "read-directory");
  uint32_t hd = 0, hf = 0;
  wasi_p3_fs_op *op = op_with_pair(s, call, OP_DIR, &dir_ops, &hd, &hf);
  if (!op) return kb_error_oom();
  wasi_fd *e;
  op->fail = wasi_p2_fs_dir(s->p2, &args[0], &e);
  if (!op->fail) {
    /* A directory stream of its own: the descriptor's offset is not
     * shared and the stream outlives the descriptor. */
    int fd;
    do fd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) op->fail = wasi_errno_last();
    else if (!(op->dir = fdopendir(fd))) {
      op->fail = wasi_errno_last();
      close(fd);
    }
  }
  return return_pair(call, op, hd, hf);
}

/* write-via-stream (append false: at offset) and append-via-stream. */
static kumi_error *write_stream(wasi_p3_fs *s, kumi_async_call *call, const kumi_cval *args, bool append,
                                uint64_t offset) {
  kumi_component_instance *inst = kumi_async_call_instance(call);
  const kumi_allocator *a = kumi_async_call_allocator(call);
  wasi_p3_fs_op *op = op_new(s, append ? OP_APPEND : OP_WRITE, a);
  if (!op) return kb_error_oom();
  op->offset = offset;
  uint32_t hf = 0;
  op->fut = kumi_stream_new(inst, true, &fut_ops, op, &hf);
  if (!op->fut) {
    op_free(op);
    return kb_error_oom();
  }
  op->data = kumi_stream_take(call, args[1].of.handle, &write_ops, op);
  if (!op->data) {
    op_free(op);
    return wasi_p3_trap(s->w, "wasi:filesystem: %s: not a stream", append ? "append-via-stream" : "write-via-stream");
  }
  wasi_fd *e;
  op->fail = file_of(s, &args[0], WASI_R_FD_WRITE, &e);
  if (!op->fail && !append && offset > (uint64_t)INT64_MAX) op->fail = WASI_EFBIG;
  if (!op->fail) op->fail = dup_fd(e->host, &op->fd);
  if (!op->fail && !(op->buf = kb_alloc(s->alloc, OP_CHUNK))) op->fail = WASI_ENOMEM;
  if (op->fail) op_resolve(op, op->fail);
  kumi_cval h = kumi_cval_handle(KUMI_CV_FUTURE, hf);
  kumi_async_call_return(call, &h);
  return NULL;
}

kumi_error *wasi_p3_fs_write_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_fs *s = env;
  if (nargs != 3 || !args || (args[0].kind != KUMI_CV_BORROW && args[0].kind != KUMI_CV_OWN) ||
      args[1].kind != KUMI_CV_STREAM || args[2].kind != KUMI_CV_U64)
    return bad_args(s, "write-via-stream");
  return write_stream(s, call, args, false, args[2].of.u);
}

kumi_error *wasi_p3_fs_append_via_stream(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  wasi_p3_fs *s = env;
  if (nargs != 2 || !args || (args[0].kind != KUMI_CV_BORROW && args[0].kind != KUMI_CV_OWN) ||
      args[1].kind != KUMI_CV_STREAM)
    return bad_args(s, "append-via-stream");
  return write_stream(s, call, args, true, 0);
}
