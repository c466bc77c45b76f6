/* wasi:io@0.2.12 on the host: error, poll (pollables that block in the
 * operating system with ppoll) and streams (input-stream, output-stream)
 * over the kumi_wasi stdio descriptors and over files (p2.h). */
#define _GNU_SOURCE
#include "p2.h"
#include "wasi_share.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IO_ERROR WASI_P2_IFACE("wasi:io/error")
#define IO_POLL WASI_P2_IFACE("wasi:io/poll")
#define IO_STREAMS WASI_P2_IFACE("wasi:io/streams")

/* The most one read returns, and what check-write grants: big enough for
 * throughput, small enough that a list<u8> of it is cheap to build. */
#define IO_CHUNK ((size_t)1 << 16)
/* The most write-zeroes writes in one call. */
#define IO_ZEROES_MAX ((uint64_t)1 << 24)

/* ---- objects --------------------------------------------------------------------- */

static void free_stream(wasi_p2 *p, void *obj) {
  wasi_p2_stream *s = obj;
  if (s->kind == WASI_P2_STREAM_FILE && s->fd >= 0) close(s->fd);
  kb_free(p->alloc, s, sizeof *s);
}

static void free_error(wasi_p2 *p, void *obj) {
  wasi_p2_error *e = obj;
  if (e->msg) kb_free(p->alloc, e->msg, strlen(e->msg) + 1);
  kb_free(p->alloc, e, sizeof *e);
}

static void free_pollable(wasi_p2 *p, void *obj) { kb_free(p->alloc, obj, sizeof(wasi_p2_pollable)); }

static int new_stream(wasi_p2 *p, wasi_p2_stream_kind kind, bool output, int fd, uint64_t offset, bool append,
                      uint32_t stdio, uint32_t *rep) {
  wasi_p2_stream *s = kb_zalloc(p->alloc, sizeof *s);
  if (!s) return ENOMEM;
  s->kind = kind;
  s->output = output;
  s->stdio = stdio;
  s->fd = -1;
  s->offset = offset;
  s->append = append;
  if (kind == WASI_P2_STREAM_FILE) {
    s->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (s->fd < 0) {
      int err = errno;
      kb_free(p->alloc, s, sizeof *s);
      return err;
    }
  }
  if (!wasi_p2_table_add(p, output ? &p->outputs : &p->inputs, s, rep)) {
    free_stream(p, s);
    return ENOMEM;
  }
  return 0;
}

int wasi_p2_input_stream_new(wasi_p2 *p, int fd, uint64_t offset, uint32_t *rep) {
  return new_stream(p, WASI_P2_STREAM_FILE, false, fd, offset, false, 0, rep);
}

int wasi_p2_output_stream_new(wasi_p2 *p, int fd, uint64_t offset, bool append, uint32_t *rep) {
  return new_stream(p, WASI_P2_STREAM_FILE, true, fd, offset, append, 0, rep);
}

int wasi_p2_stdio_stream_new(wasi_p2 *p, uint32_t which, uint32_t *rep) {
  return new_stream(p, WASI_P2_STREAM_STDIO, which != 0, -1, 0, false, which, rep);
}

bool wasi_p2_error_new(wasi_p2 *p, int host_errno, const char *msg, uint32_t *rep) {
  if (!msg) msg = host_errno ? strerror(host_errno) : "error";
  wasi_p2_error *e = kb_zalloc(p->alloc, sizeof *e);
  if (!e) return false;
  e->host_errno = host_errno;
  e->msg = kb_strndup(p->alloc, msg, strlen(msg));
  if (!e->msg || !wasi_p2_table_add(p, &p->errors, e, rep)) {
    free_error(p, e);
    return false;
  }
  return true;
}

bool wasi_p2_error_host_errno(wasi_p2 *p, uint32_t rep, int *host_errno) {
  wasi_p2_error *e = wasi_p2_table_get(&p->errors, rep);
  if (!e || !e->host_errno) return false;
  *host_errno = e->host_errno;
  return true;
}

static bool new_pollable(wasi_p2 *p, const wasi_p2_pollable *src, uint32_t *rep) {
  wasi_p2_pollable *q = kb_alloc(p->alloc, sizeof *q);
  if (!q) return false;
  *q = *src;
  if (!wasi_p2_table_add(p, &p->pollables, q, rep)) {
    free_pollable(p, q);
    return false;
  }
  return true;
}

bool wasi_p2_pollable_ready_new(wasi_p2 *p, uint32_t *rep) {
  wasi_p2_pollable q;
  memset(&q, 0, sizeof q);
  q.kind = WASI_P2_POLL_READY;
  return new_pollable(p, &q, rep);
}

bool wasi_p2_pollable_timer_new(wasi_p2 *p, uint64_t deadline, uint32_t *rep) {
  wasi_p2_pollable q;
  memset(&q, 0, sizeof q);
  q.kind = WASI_P2_POLL_TIMER;
  q.deadline = deadline;
  return new_pollable(p, &q, rep);
}

/* Destructors: the guest dropped its last handle. */
static void dtor_stream_in(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  void *s = wasi_p2_table_take(&p->inputs, rep);
  if (s) free_stream(p, s);
}
static void dtor_stream_out(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  void *s = wasi_p2_table_take(&p->outputs, rep);
  if (s) free_stream(p, s);
}
static void dtor_error(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  void *e = wasi_p2_table_take(&p->errors, rep);
  if (e) free_error(p, e);
}
static void dtor_pollable(void *env, uint32_t rep) {
  wasi_p2 *p = env;
  void *q = wasi_p2_table_take(&p->pollables, rep);
  if (q) free_pollable(p, q);
}

/* ---- the data path ------------------------------------------------------------------ */

static uint64_t mono_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The kumi_wasi descriptor behind a stdio stream, or NULL when the guest
 * closed it through preview1 (then the stream is closed too). */
static wasi_fd *stdio_fd(wasi_p2 *p, const wasi_p2_stream *s) {
  if (s->stdio >= p->w->fds.len) return NULL;
  wasi_fd *e = &p->w->fds.items[s->stdio];
  return e->kind == WASI_FD_FREE ? NULL : e;
}

/* The host descriptor a stream waits on, or -1 when it is always ready. */
static int stream_wait_fd(wasi_p2 *p, const wasi_p2_stream *s) {
  if (s->kind != WASI_P2_STREAM_STDIO) return -1;
  wasi_fd *e = stdio_fd(p, s);
  if (!e || e->kind != WASI_FD_HOST) return -1;
  return e->filetype == WASI_FT_REG ? -1 : e->host;
}

/* Waits until fd is ready for events, at most timeout_ms (-1: forever).
 * True when ready (or in error: the next call will report it). */
static bool wait_fd(int fd, short events, int timeout_ms) {
  struct pollfd pf = {fd, events, 0};
  int r;
  do r = poll(&pf, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r != 0;
}

/* Result of the data functions: 0 done, IO_CLOSED end of stream, else a
 * host errno (the operation failed). */
#define IO_CLOSED (-1)

/* Reads up to len bytes into buf. Without blocking, returns 0 with *n = 0
 * when nothing is there yet; with it, waits for at least one byte. */
static int stream_read(wasi_p2 *p, wasi_p2_stream *s, uint8_t *buf, size_t len, bool blocking, size_t *n) {
  *n = 0;
  if (s->closed) return IO_CLOSED;
  if (len == 0) return 0;
  ssize_t r;
  if (s->kind == WASI_P2_STREAM_FILE) {
    if (s->offset > (uint64_t)INT64_MAX) return EINVAL;
    do r = pread(s->fd, buf, len, (off_t)s->offset);
    while (r < 0 && errno == EINTR);
    if (r < 0) return errno;
    if (r == 0) return IO_CLOSED; /* a later read may see more: not sticky for files */
    s->offset += (uint64_t)r;
    *n = (size_t)r;
    return 0;
  }
  wasi_fd *e = stdio_fd(p, s);
  if (!e) return IO_CLOSED;
  switch (e->kind) {
  case WASI_FD_MEMIN: {
    size_t m = e->len - e->pos < len ? e->len - e->pos : len;
    if (m == 0) {
      s->closed = true;
      return IO_CLOSED;
    }
    memcpy(buf, e->buf + e->pos, m);
    e->pos += m;
    *n = m;
    return 0;
  }
  case WASI_FD_HOST:
    if (!blocking && e->filetype != WASI_FT_REG && !wait_fd(e->host, POLLIN, 0)) return 0;
    for (;;) {
      r = read(e->host, buf, len);
      if (r >= 0 || errno != EINTR) break;
    }
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!blocking) return 0;
      wait_fd(e->host, POLLIN, -1);
      do r = read(e->host, buf, len);
      while (r < 0 && errno == EINTR);
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    }
    if (r < 0) return errno;
    if (r == 0) {
      s->closed = true;
      return IO_CLOSED;
    }
    *n = (size_t)r;
    return 0;
  default: /* the null stream, or an output descriptor: end of file */
    s->closed = true;
    return IO_CLOSED;
  }
}

int wasi_outbuf_capture(const kumi_allocator *al, wasi_outbuf *o, const uint8_t *buf, size_t len) {
  size_t room = o->max - o->len, want = len < room ? len : room;
  if (o->len + want > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + want) cap = cap > SIZE_MAX / 2 ? o->len + want : cap * 2;
    if (cap > o->max) cap = o->max;
    uint8_t *nb = kb_realloc(al, o->buf, o->cap, cap);
    if (!nb) return ENOMEM;
    o->buf = nb;
    o->cap = cap;
  }
  if (want) memcpy(o->buf + o->len, buf, want);
  o->len += want;
  return want < len ? EFBIG : 0;
}

/* Writes all of buf (blocking). */
static int stream_write(wasi_p2 *p, wasi_p2_stream *s, const uint8_t *buf, size_t len) {
  if (s->closed) return IO_CLOSED;
  int fd;
  bool positional = false;
  if (s->kind == WASI_P2_STREAM_FILE) {
    fd = s->fd;
    if (s->append) {
      struct stat st;
      if (fstat(fd, &st) != 0) return errno;
      s->offset = (uint64_t)st.st_size;
    }
    positional = true;
  } else {
    wasi_fd *e = stdio_fd(p, s);
    if (!e) return IO_CLOSED;
    switch (e->kind) {
    case WASI_FD_NULL: return 0;
    case WASI_FD_MEMOUT: return wasi_outbuf_capture(p->alloc, &p->w->out[e->stream], buf, len);
    case WASI_FD_HOST: fd = e->host; break;
    default: return EBADF;
    }
  }
  size_t done = 0;
  while (done < len) {
    ssize_t r;
    if (positional) {
      if (s->offset > (uint64_t)INT64_MAX) return EFBIG;
      r = pwrite(fd, buf + done, len - done, (off_t)s->offset);
    } else {
      r = write(fd, buf + done, len - done);
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        wait_fd(fd, POLLOUT, -1);
        continue;
      }
      if (errno == EPIPE) {
        s->closed = true;
        return IO_CLOSED;
      }
      return errno;
    }
    done += (size_t)r;
    if (positional) s->offset += (uint64_t)r;
  }
  return 0;
}

/* ---- results ---------------------------------------------------------------------------- */

static wasi_p2_stream *get_stream(wasi_p2 *p, const kumi_cval *self, bool output) {
  if (self->kind != KUMI_CV_BORROW && self->kind != KUMI_CV_OWN) return NULL;
  return wasi_p2_table_get(output ? &p->outputs : &p->inputs, self->of.handle);
}

static kumi_error *bad_handle(wasi_p2 *p, const char *what) { return wasi_p2_trap(p, "unknown %s handle", what); }

/* *result = err(stream-error): closed, or last-operation-failed(error). */
static kumi_error *stream_error(wasi_p2 *p, const kumi_allocator *a, int code, kumi_cval *result) {
  kumi_cval se, *payload = NULL, h;
  if (code != IO_CLOSED) {
    uint32_t rep;
    if (!wasi_p2_error_new(p, code, NULL, &rep)) return kb_error_oom();
    h = kumi_cval_handle(KUMI_CV_OWN, rep);
    payload = &h;
  }
  if (!kumi_cval_case(a, KUMI_CV_VARIANT, code == IO_CLOSED ? 1 : 0, payload, &se)) return kb_error_oom();
  if (!wasi_p2_err(a, &se, result)) {
    kumi_cval_free(a, &se);
    return kb_error_oom();
  }
  return NULL;
}

static kumi_error *ok_u64(const kumi_allocator *a, uint64_t v, kumi_cval *result) {
  kumi_cval n = kumi_cval_int(KUMI_CV_U64, (int64_t)v);
  return wasi_p2_ok(a, &n, result) ? NULL : kb_error_oom();
}

static kumi_error *ok_unit(const kumi_allocator *a, kumi_cval *result) {
  return wasi_p2_ok(a, NULL, result) ? NULL : kb_error_oom();
}

/* ok(list<u8>) of buf[0..n). */
static kumi_error *ok_bytes(const kumi_allocator *a, const uint8_t *buf, size_t n, kumi_cval *result) {
  kumi_cval list;
  if (!kumi_cval_agg(a, KUMI_CV_LIST, n, &list)) return kb_error_oom();
  for (size_t i = 0; i < n; i++) list.of.agg.items[i] = kumi_cval_int(KUMI_CV_U8, buf[i]);
  if (!wasi_p2_ok(a, &list, result)) {
    kumi_cval_free(a, &list);
    return kb_error_oom();
  }
  return NULL;
}

static size_t clamp(uint64_t len) { return len < IO_CHUNK ? (size_t)len : IO_CHUNK; }

/* ---- wasi:io/error ------------------------------------------------------------------------ */

static kumi_error *f_error_debug(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                 kumi_cval *result) {
  wasi_p2 *p = env;
  wasi_p2_error *e = n >= 1 ? wasi_p2_table_get(&p->errors, args[0].of.handle) : NULL;
  if (!e) return bad_handle(p, "error");
  return kumi_cval_string(a, e->msg, strlen(e->msg), result) ? NULL : kb_error_oom();
}

/* ---- wasi:io/poll --------------------------------------------------------------------------- */

static wasi_p2_pollable *get_pollable(wasi_p2 *p, const kumi_cval *v) {
  if (v->kind != KUMI_CV_BORROW && v->kind != KUMI_CV_OWN) return NULL;
  return wasi_p2_table_get(&p->pollables, v->of.handle);
}

/* The host descriptor an FD pollable waits on; -1 when its stream is gone
 * (then it is ready). */
static int pollable_fd(wasi_p2 *p, const wasi_p2_pollable *q) {
  const wasi_p2_stream *s = wasi_p2_table_get(q->output ? &p->outputs : &p->inputs, q->stream);
  if (s != q->obj || !s) return -1;
  return stream_wait_fd(p, s);
}

/* Waits until at least one of qs[0..n) is ready (block: else checks once)
 * and sets ready[i]. Returns how many are ready. */
static size_t poll_list(wasi_p2 *p, wasi_p2_pollable *const *qs, size_t n, bool *ready, struct pollfd *pfs,
                        bool block) {
  for (;;) {
    uint64_t now = mono_now(), soonest = UINT64_MAX;
    size_t nready = 0, npf = 0;
    for (size_t i = 0; i < n; i++) {
      const wasi_p2_pollable *q = qs[i];
      ready[i] = false;
      pfs[i].fd = -1;
      pfs[i].events = 0;
      pfs[i].revents = 0;
      switch (q->kind) {
      case WASI_P2_POLL_READY: ready[i] = true; break;
      case WASI_P2_POLL_TIMER:
        if (q->deadline <= now) ready[i] = true;
        else if (q->deadline < soonest) soonest = q->deadline;
        break;
      case WASI_P2_POLL_FD: {
        int fd = pollable_fd(p, q);
        if (fd < 0) ready[i] = true;
        else {
          pfs[i].fd = fd;
          pfs[i].events = q->write ? POLLOUT : POLLIN;
          npf++;
        }
        break;
      }
      }
      if (ready[i]) nready++;
    }
    bool wait = block && nready == 0;
    struct timespec ts = {0, 0}, *tp = &ts;
    if (wait) {
      if (soonest == UINT64_MAX) tp = NULL;
      else {
        uint64_t d = soonest - now;
        ts.tv_sec = (time_t)(d / 1000000000u);
        ts.tv_nsec = (long)(d % 1000000000u);
      }
    }
    if (npf || (wait && tp)) {
      int r = ppoll(pfs, (nfds_t)n, tp, NULL);
      if (r < 0 && errno != EINTR) return nready; /* cannot wait: report what is ready */
      if (r > 0)
        for (size_t i = 0; i < n; i++)
          if (pfs[i].fd >= 0 && pfs[i].revents) {
            ready[i] = true;
            nready++;
          }
      if (wait && nready == 0) {
        now = mono_now();
        for (size_t i = 0; i < n; i++)
          if (qs[i]->kind == WASI_P2_POLL_TIMER && qs[i]->deadline <= now) {
            ready[i] = true;
            nready++;
          }
      }
    } else if (wait) {
      /* Nothing could ever become ready (no descriptors, no timers). */
      return 0;
    }
    if (nready || !block) return nready;
  }
}

static kumi_error *f_poll(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                          kumi_cval *result) {
  wasi_p2 *p = env;
  if (nargs < 1 || args[0].kind != KUMI_CV_LIST) return wasi_p2_trap(p, "poll: bad arguments");
  size_t n = args[0].of.agg.len;
  if (n == 0) return wasi_p2_trap(p, "poll: the list of pollables is empty");
  if (n > UINT32_MAX) return wasi_p2_trap(p, "poll: too many pollables");
  wasi_p2_pollable **qs = kb_alloc(p->alloc, n * sizeof *qs);
  bool *ready = kb_alloc(p->alloc, n * sizeof *ready);
  struct pollfd *pfs = kb_alloc(p->alloc, n * sizeof *pfs);
  kumi_error *err = NULL;
  if (!qs || !ready || !pfs) {
    err = kb_error_oom();
    goto done;
  }
  for (size_t i = 0; i < n; i++)
    if (!(qs[i] = get_pollable(p, &args[0].of.agg.items[i]))) {
      err = bad_handle(p, "pollable");
      goto done;
    }
  size_t nready = poll_list(p, qs, n, ready, pfs, true);
  if (!kumi_cval_agg(a, KUMI_CV_LIST, nready, result)) {
    err = kb_error_oom();
    goto done;
  }
  for (size_t i = 0, k = 0; i < n && k < nready; i++)
    if (ready[i]) result->of.agg.items[k++] = kumi_cval_int(KUMI_CV_U32, (int64_t)i);
done:
  if (qs) kb_free(p->alloc, qs, n * sizeof *qs);
  if (ready) kb_free(p->alloc, ready, n * sizeof *ready);
  if (pfs) kb_free(p->alloc, pfs, n * sizeof *pfs);
  return err;
}

static kumi_error *f_pollable_ready(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                    kumi_cval *result) {
  (void)a;
  wasi_p2 *p = env;
  wasi_p2_pollable *q = nargs >= 1 ? get_pollable(p, &args[0]) : NULL;
  if (!q) return bad_handle(p, "pollable");
  bool ready;
  struct pollfd pf;
  poll_list(p, &q, 1, &ready, &pf, false);
  *result = kumi_cval_bool(ready);
  return NULL;
}

static kumi_error *f_pollable_block(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                    kumi_cval *result) {
  (void)a;
  (void)result;
  wasi_p2 *p = env;
  wasi_p2_pollable *q = nargs >= 1 ? get_pollable(p, &args[0]) : NULL;
  if (!q) return bad_handle(p, "pollable");
  bool ready;
  struct pollfd pf;
  poll_list(p, &q, 1, &ready, &pf, true);
  return NULL;
}

/* ---- wasi:io/streams: input-stream -------------------------------------------------------------- */

static kumi_error *do_read(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                           kumi_cval *result, bool blocking) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 2 ? get_stream(p, &args[0], false) : NULL;
  if (!s) return bad_handle(p, "input-stream");
  size_t want = clamp(args[1].of.u), n = 0;
  uint8_t *buf = want ? kb_alloc(p->alloc, want) : NULL;
  if (want && !buf) return kb_error_oom();
  int code = stream_read(p, s, buf, want, blocking, &n);
  kumi_error *e = code ? stream_error(p, a, code, result) : ok_bytes(a, buf, n, result);
  if (buf) kb_free(p->alloc, buf, want);
  return e;
}

static kumi_error *f_read(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  return do_read(env, a, args, n, r, false);
}
static kumi_error *f_blocking_read(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  return do_read(env, a, args, n, r, true);
}

static kumi_error *do_skip(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                           kumi_cval *result, bool blocking) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 2 ? get_stream(p, &args[0], false) : NULL;
  if (!s) return bad_handle(p, "input-stream");
  size_t want = clamp(args[1].of.u), n = 0;
  uint8_t *buf = want ? kb_alloc(p->alloc, want) : NULL;
  if (want && !buf) return kb_error_oom();
  int code = stream_read(p, s, buf, want, blocking, &n);
  if (buf) kb_free(p->alloc, buf, want);
  return code ? stream_error(p, a, code, result) : ok_u64(a, n, result);
}

static kumi_error *f_skip(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  return do_skip(env, a, args, n, r, false);
}
static kumi_error *f_blocking_skip(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  return do_skip(env, a, args, n, r, true);
}

static kumi_error *subscribe(wasi_p2 *p, const kumi_cval *self, bool output, kumi_cval *result) {
  wasi_p2_stream *s = get_stream(p, self, output);
  if (!s) return bad_handle(p, output ? "output-stream" : "input-stream");
  wasi_p2_pollable q;
  memset(&q, 0, sizeof q);
  q.kind = stream_wait_fd(p, s) >= 0 ? WASI_P2_POLL_FD : WASI_P2_POLL_READY;
  q.write = output;
  q.output = output;
  q.stream = self->of.handle;
  q.obj = s;
  uint32_t rep;
  if (!new_pollable(p, &q, &rep)) return kb_error_oom();
  *result = kumi_cval_handle(KUMI_CV_OWN, rep);
  return NULL;
}

static kumi_error *f_in_subscribe(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  if (n < 1) return bad_handle(env, "input-stream");
  return subscribe(env, &args[0], false, r);
}

/* ---- wasi:io/streams: output-stream ------------------------------------------------------------- */

static kumi_error *f_out_subscribe(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)a;
  if (n < 1) return bad_handle(env, "output-stream");
  return subscribe(env, &args[0], true, r);
}

static kumi_error *f_check_write(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                 kumi_cval *result) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 1 ? get_stream(p, &args[0], true) : NULL;
  if (!s) return bad_handle(p, "output-stream");
  if (s->closed) return stream_error(p, a, IO_CLOSED, result);
  return ok_u64(a, IO_CHUNK, result);
}

/* The bytes of a list<u8> argument, copied into a new buffer. */
static kumi_error *list_bytes(wasi_p2 *p, const kumi_cval *v, uint8_t **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (v->kind != KUMI_CV_LIST) return wasi_p2_trap(p, "expected list<u8>");
  size_t n = v->of.agg.len;
  if (!n) return NULL;
  uint8_t *b = kb_alloc(p->alloc, n);
  if (!b) return kb_error_oom();
  for (size_t i = 0; i < n; i++) b[i] = (uint8_t)v->of.agg.items[i].of.u;
  *out = b;
  *len = n;
  return NULL;
}

static kumi_error *do_write(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 2 ? get_stream(p, &args[0], true) : NULL;
  if (!s) return bad_handle(p, "output-stream");
  uint8_t *buf;
  size_t len;
  kumi_error *e = list_bytes(p, &args[1], &buf, &len);
  if (e) return e;
  int code = stream_write(p, s, buf, len);
  if (buf) kb_free(p->alloc, buf, len);
  return code ? stream_error(p, a, code, result) : ok_unit(a, result);
}

static kumi_error *do_flush(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                            kumi_cval *result) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 1 ? get_stream(p, &args[0], true) : NULL;
  if (!s) return bad_handle(p, "output-stream");
  /* Writes go straight to the host: nothing is buffered here. */
  return s->closed ? stream_error(p, a, IO_CLOSED, result) : ok_unit(a, result);
}

static kumi_error *do_write_zeroes(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                   kumi_cval *result) {
  wasi_p2 *p = env;
  wasi_p2_stream *s = nargs >= 2 ? get_stream(p, &args[0], true) : NULL;
  if (!s) return bad_handle(p, "output-stream");
  uint64_t left = args[1].of.u;
  static const uint8_t zeros[4096];
  /* The guest may only ask for what check-write granted; far more than
   * that fails instead of writing for hours. */
  if (left > IO_ZEROES_MAX) return stream_error(p, a, EFBIG, result);
  int code = 0;
  while (left && !code) {
    size_t k = left < sizeof zeros ? (size_t)left : sizeof zeros;
    code = stream_write(p, s, zeros, k);
    left -= k;
  }
  if (!left && !code && s->closed) code = IO_CLOSED;
  return code ? stream_error(p, a, code, result) : ok_unit(a, result);
}

static kumi_error *do_splice(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                             kumi_cval *result, bool blocking) {
  wasi_p2 *p = env;
  wasi_p2_stream *out = nargs >= 3 ? get_stream(p, &args[0], true) : NULL;
  wasi_p2_stream *in = nargs >= 3 ? get_stream(p, &args[1], false) : NULL;
  if (!out) return bad_handle(p, "output-stream");
  if (!in) return bad_handle(p, "input-stream");
  if (out->closed) return stream_error(p, a, IO_CLOSED, result);
  size_t want = clamp(args[2].of.u), n = 0;
  uint8_t *buf = want ? kb_alloc(p->alloc, want) : NULL;
  if (want && !buf) return kb_error_oom();
  int code = stream_read(p, in, buf, want, blocking, &n);
  if (!code && n) code = stream_write(p, out, buf, n);
  if (buf) kb_free(p->alloc, buf, want);
  return code ? stream_error(p, a, code, result) : ok_u64(a, n, result);
}

static kumi_error *f_splice(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  return do_splice(env, a, args, n, r, false);
}
static kumi_error *f_blocking_splice(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n,
                                     kumi_cval *r) {
  return do_splice(env, a, args, n, r, true);
}

/* ---- registration ---------------------------------------------------------------------------- */

static const wasi_p2_fn io_fns[] = {
    {IO_ERROR, "[method]error.to-debug-string", f_error_debug},
    {IO_POLL, "[method]pollable.ready", f_pollable_ready},
    {IO_POLL, "[method]pollable.block", f_pollable_block},
    {IO_POLL, "poll", f_poll},
    {IO_STREAMS, "[method]input-stream.read", f_read},
    {IO_STREAMS, "[method]input-stream.blocking-read", f_blocking_read},
    {IO_STREAMS, "[method]input-stream.skip", f_skip},
    {IO_STREAMS, "[method]input-stream.blocking-skip", f_blocking_skip},
    {IO_STREAMS, "[method]input-stream.subscribe", f_in_subscribe},
    {IO_STREAMS, "[method]output-stream.check-write", f_check_write},
    {IO_STREAMS, "[method]output-stream.write", do_write},
    {IO_STREAMS, "[method]output-stream.blocking-write-and-flush", do_write},
    {IO_STREAMS, "[method]output-stream.flush", do_flush},
    {IO_STREAMS, "[method]output-stream.blocking-flush", do_flush},
    {IO_STREAMS, "[method]output-stream.subscribe", f_out_subscribe},
    {IO_STREAMS, "[method]output-stream.write-zeroes", do_write_zeroes},
    {IO_STREAMS, "[method]output-stream.blocking-write-zeroes-and-flush", do_write_zeroes},
    {IO_STREAMS, "[method]output-stream.splice", f_splice},
    {IO_STREAMS, "[method]output-stream.blocking-splice", f_blocking_splice},
};

const wasi_p2_fn *wasi_p2_io_fns(size_t *n) {
  *n = sizeof io_fns / sizeof io_fns[0];
  return io_fns;
}

void wasi_p2_io_init(wasi_p2 *p) {
  p->inputs.free_obj = free_stream;
  p->outputs.free_obj = free_stream;
  p->errors.free_obj = free_error;
  p->pollables.free_obj = free_pollable;
}

kumi_error *wasi_p2_add_io(kumi_component_linker *l, wasi_p2 *p) {
  kumi_error *e;
  if ((e = kumi_component_linker_define_resource(l, IO_ERROR, "error", dtor_error, p)) ||
      (e = kumi_component_linker_define_resource(l, IO_POLL, "pollable", dtor_pollable, p)) ||
      (e = kumi_component_linker_define_resource(l, IO_STREAMS, "input-stream", dtor_stream_in, p)) ||
      (e = kumi_component_linker_define_resource(l, IO_STREAMS, "output-stream", dtor_stream_out, p)))
    return e;
  for (size_t i = 0; i < sizeof io_fns / sizeof io_fns[0]; i++)
    if ((e = wasi_p2_define(l, io_fns[i].iface, io_fns[i].name, io_fns[i].fn, p))) return e;
  return NULL;
}
