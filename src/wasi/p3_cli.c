/* wasi:cli@0.3.0 on the host: environment, exit, terminal-* and stdio as
 * streams, from the same kumi_wasi as preview1 and 0.2 (the stdio
 * descriptors 0, 1, 2 of its table, so output interleaves with 0.2 writes
 * in the order the guest made them). cli/types holds only a type.
 *
 * stdout/stderr write-via-stream take the guest's stream<u8> and copy
 * whatever the guest writes to the descriptor as the guest writes it; the
 * returned future resolves when the guest ends the stream (ok) or a write
 * fails (pipe, io). stdin read-via-stream returns a stream the host fills
 * from descriptor 0 when the guest reads: without blocking, watching the
 * descriptor in the instance's event loop while it has nothing; the future
 * resolves at end of file (ok) or on a read error (io). */
#define _GNU_SOURCE
#include "p3.h"
#include "wasi_share.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#define CLI(x) WASI_P3_IFACE("wasi:cli/" x)

/* wasi:cli/types error-code, in WIT order. */
enum { CLI_E_IO = 0, CLI_E_ILLEGAL_BYTE_SEQUENCE = 1, CLI_E_PIPE = 2 };

/* Bytes moved per copy. */
#define CLI_CHUNK 65536

typedef struct cli_state cli_state;

/* One stdio stream in flight: the host's end of the data stream, the
 * host's end of the future that reports how it ended. */
typedef struct cli_pipe {
  cli_state *st;
  uint32_t which; /* 0 stdin, 1 stdout, 2 stderr */
  const kumi_allocator *va; /* the store's allocator, for the future's value */
  kumi_stream *data, *done;
  kumi_async_loop *loop;
  kumi_async_watch *watch; /* stdin: waiting for descriptor 0 to be readable */
  size_t want;             /* stdin: the guest's pending read (elements) */
  bool busy, again;        /* a pump is running; another was asked for meanwhile */
  bool finishing;          /* the guest dropped the data stream while busy: end when done */
  bool done_closed;        /* the guest dropped the future */
  bool ended;              /* the data stream is over (the future may wait for the guest) */
  uint8_t *buf;            /* CLI_CHUNK bytes */
  size_t pend_off, pend_len; /* stdin: bytes read from the host but not yet taken by the guest */
  struct cli_pipe *prev, *next;
} cli_pipe;

struct cli_state {
  kumi_wasi *w;
  cli_pipe *pipes;
};

/* ---- environment -------------------------------------------------------------------- */

static kumi_error *f_get_environment(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                     kumi_cval *result) {
  (void)args, (void)nargs;
  cli_state *st = env;
  return wasi_cli_environment(st->w, a, result);
}

static kumi_error *f_get_arguments(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                   kumi_cval *result) {
  (void)args, (void)nargs;
  cli_state *st = env;
  return wasi_cli_arguments(st->w, a, result);
}

/* ---- exit ------------------------------------------------------------------------------- */

static kumi_error *f_exit(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                          kumi_cval *result) {
  (void)a, (void)result;
  cli_state *st = env;
  return wasi_p3_exit(st->w, wasi_cli_exit_status(args, nargs, false));
}

static kumi_error *f_exit_with_code(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                    kumi_cval *result) {
  (void)a, (void)result;
  cli_state *st = env;
  return wasi_p3_exit(st->w, wasi_cli_exit_status(args, nargs, true));
}

/* ---- terminals ---------------------------------------------------------------------------
 * A terminal resource carries nothing; its rep is the stdio descriptor it
 * was made for. A stream is a terminal when it is the host's descriptor
 * and isatty says so. */

static void dtor_term(void *env, uint32_t rep) { (void)env, (void)rep; }

static kumi_error *terminal(cli_state *st, const kumi_allocator *a, uint32_t which, kumi_cval *result) {
  if (!wasi_cli_is_tty(st->w, which)) return kumi_cval_case(a, KUMI_CV_OPTION, 0, NULL, result) ? NULL : kb_error_oom();
  kumi_cval h = kumi_cval_handle(KUMI_CV_OWN, which);
  return kumi_cval_case(a, KUMI_CV_OPTION, 1, &h, result) ? NULL : kb_error_oom();
}

static kumi_error *f_term_stdin(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 0, r);
}
static kumi_error *f_term_stdout(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 1, r);
}
static kumi_error *f_term_stderr(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r) {
  (void)args, (void)n;
  return terminal(env, a, 2, r);
}

/* ---- pipes: bookkeeping --------------------------------------------------------------- */

static cli_pipe *pipe_new(cli_state *st, kumi_async_call *call, uint32_t which) {
  cli_pipe *p = kb_zalloc(st->w->alloc, sizeof *p);
  if (!p) return NULL;
  p->buf = kb_alloc(st->w->alloc, CLI_CHUNK);
  if (!p->buf) {
    kb_free(st->w->alloc, p, sizeof *p);
    return NULL;
  }
  p->st = st;
  p->which = which;
  p->va = kumi_async_call_allocator(call);
  p->loop = kumi_async_call_loop(call);
  p->next = st->pipes;
  if (st->pipes) st->pipes->prev = p;
  st->pipes = p;
  return p;
}

/* Frees p and drops what it holds. With live, a watch is cancelled too;
 * without (the kumi_wasi is going, after the instances), the watches are
 * gone with their loops and a drop only frees. */
static void pipe_free(cli_pipe *p, bool live) {
  cli_state *st = p->st;
  if (p->prev) p->prev->next = p->next;
  else st->pipes = p->next;
  if (p->next) p->next->prev = p->prev;
  if (live && p->watch) kumi_async_watch_cancel(p->watch);
  if (p->data) kumi_stream_drop(p->data);
  if (p->done) kumi_stream_drop(p->done);
  kb_free(st->w->alloc, p->buf, CLI_CHUNK);
  kb_free(st->w->alloc, p, sizeof *p);
}

/* Ends the data stream: resolves the future with ok (code < 0) or
 * err(code) unless the guest dropped it, and drops the host's data end.
 * The future's end stays until the guest drops its own (the runtime keeps
 * the value only while the host's end is there); then p goes. */
static void pipe_end(cli_pipe *p, int code) {
  if (p->watch) kumi_async_watch_cancel(p->watch);
  p->watch = NULL;
  if (p->data) kumi_stream_drop(p->data);
  p->data = NULL;
  p->ended = true;
  if (p->done && !p->done_closed) {
    kumi_cval v, en, *payload = NULL;
    bool ok = true;
    if (code >= 0) {
      ok = kumi_cval_case(p->va, KUMI_CV_ENUM, (uint32_t)code, NULL, &en);
      payload = &en;
    }
    if (ok && kumi_cval_case(p->va, KUMI_CV_RESULT, code < 0 ? 0 : 1, payload, &v)) {
      kumi_future_resolve(p->done, &v);
      return;
    }
    /* Out of memory: the future goes unresolved (the guest's read of it traps). */
  }
  pipe_free(p, true);
}

/* The guest dropped the future (after reading it, or without). */
static void on_done_closed(void *ud, kumi_stream *s) {
  (void)s;
  cli_pipe *p = ud;
  p->done_closed = true;
  if (p->ended) pipe_free(p, true);
}

/* The host errno of a failed write as a wasi:cli error-code. */
static int error_code_of(int err) { return err == EPIPE ? CLI_E_PIPE : CLI_E_IO; }

/* ---- stdout, stderr ---------------------------------------------------------------------- */

/* Writes all of buf to kumi_wasi descriptor which (blocking, like 0.2's
 * blocking-write: the guest's write completes when the bytes are out).
 * 0 or a host errno; EPIPE also when the guest closed the descriptor. */
static int out_write(kumi_wasi *w, uint32_t which, const uint8_t *buf, size_t len) {
  if (which >= w->fds.len) return EPIPE;
  wasi_fd *e = &w->fds.items[which];
  switch (e->kind) {
  case WASI_FD_NULL: return 0;
  case WASI_FD_MEMOUT: return wasi_outbuf_capture(w->alloc, &w->out[e->stream], buf, len);
  case WASI_FD_HOST: break;
  case WASI_FD_FREE: return EPIPE;
  default: return EBADF;
  }
  size_t done = 0;
  while (done < len) {
    ssize_t r = write(e->host, buf + done, len - done);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        struct pollfd pf = {e->host, POLLOUT, 0};
        while (poll(&pf, 1, -1) < 0 && errno == EINTR) {}
        continue;
      }
      return errno;
    }
    done += (size_t)r;
  }
  return 0;
}

/* Copies whatever the guest has written to the descriptor. Reentrant
 * calls (a copy making the runtime tell us again) only mark `again`. */
static void out_pump(cli_pipe *p) {
  if (p->busy) {
    p->again = true;
    return;
  }
  p->busy = true;
  int err = 0;
  do {
    p->again = false;
    size_t k;
    while (!err && p->data && (k = kumi_stream_read_bytes(p->data, p->buf, CLI_CHUNK)) > 0)
      err = out_write(p->st->w, p->which, p->buf, k);
  } while (!err && p->again && !p->finishing);
  p->busy = false;
  if (err) pipe_end(p, error_code_of(err));
  else if (p->finishing) pipe_end(p, -1);
}

static void on_out_ready(void *ud, kumi_stream *s, size_t n) {
  (void)s, (void)n;
  out_pump(ud);
}

/* The guest ended its stream: everything it wrote has been copied. */
static void on_out_closed(void *ud, kumi_stream *s) {
  (void)s;
  cli_pipe *p = ud;
  if (p->busy) p->finishing = true;
  else pipe_end(p, -1);
}

static const kumi_stream_ops out_data_ops = {on_out_ready, on_out_closed};
static const kumi_stream_ops done_ops = {NULL, on_done_closed};

static kumi_error *write_via_stream(cli_state *st, uint32_t which, kumi_async_call *call, const kumi_cval *args,
                                    size_t n) {
  if (n < 1 || args[0].kind != KUMI_CV_STREAM) return wasi_p3_trap(st->w, "write-via-stream: no stream argument");
  cli_pipe *p = pipe_new(st, call, which);
  if (!p) return kb_error_oom();
  /* No pump before the future exists: setting up counts as busy. */
  p->busy = true;
  p->data = kumi_stream_take(call, args[0].of.handle, &out_data_ops, p);
  if (!p->data) {
    pipe_free(p, true);
    return wasi_p3_trap(st->w, "write-via-stream: %u is not a stream handle", args[0].of.handle);
  }
  uint32_t fh;
  p->done = kumi_stream_new(kumi_async_call_instance(call), true, &done_ops, p, &fh);
  if (!p->done) {
    pipe_free(p, true);
    return kb_error_oom();
  }
  kumi_cval r = kumi_cval_handle(KUMI_CV_FUTURE, fh);
  kumi_async_call_return(call, &r);
  p->busy = false;
  if (p->finishing) pipe_end(p, -1);
  else out_pump(p); /* a write the guest made already */
  return NULL;
}

static kumi_error *f_stdout_write(void *env, kumi_async_call *call, const kumi_cval *args, size_t n) {
  return write_via_stream(env, 1, call, args, n);
}
static kumi_error *f_stderr_write(void *env, kumi_async_call *call, const kumi_cval *args, size_t n) {
  return write_via_stream(env, 2, call, args, n);
}

/* ---- stdin ------------------------------------------------------------------------------------ */

/* Result of in_fill: bytes are in p->buf, nothing yet (a watch is set), end
 * of file, or a read error. */
enum { IN_DATA, IN_WAIT, IN_EOF, IN_ERROR };

static void on_in_readable(void *ud);

/* Reads what descriptor 0 has without blocking into p->buf (at most max). */
static int in_fill(cli_pipe *p, size_t max) {
  kumi_wasi *w = p->st->w;
  if (w->fds.len < 1) return IN_EOF;
  wasi_fd *e = &w->fds.items[0];
  if (max > CLI_CHUNK) max = CLI_CHUNK;
  switch (e->kind) {
  case WASI_FD_MEMIN: {
    size_t m = e->len - e->pos < max ? e->len - e->pos : max;
    if (m == 0) return IN_EOF;
    memcpy(p->buf, e->buf + e->pos, m);
    e->pos += m;
    p->pend_off = 0;
    p->pend_len = m;
    return IN_DATA;
  }
  case WASI_FD_HOST: break;
  default: return IN_EOF; /* the null stream, or a descriptor the guest closed */
  }
  if (e->filetype != WASI_FT_REG) {
    struct pollfd pf = {e->host, POLLIN, 0};
    int r;
    while ((r = poll(&pf, 1, 0)) < 0 && errno == EINTR) {}
    if (r == 0) goto wait;
  }
  ssize_t r;
  while ((r = read(e->host, p->buf, max)) < 0 && errno == EINTR) {}
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) goto wait;
  if (r < 0) return IN_ERROR;
  if (r == 0) return IN_EOF;
  p->pend_off = 0;
  p->pend_len = (size_t)r;
  return IN_DATA;
wait:
  if (!p->watch) p->watch = kumi_async_watch_fd(p->loop, e->host, false, on_in_readable, p);
  return p->watch ? IN_WAIT : IN_ERROR;
}

/* Answers the guest's pending read from what is buffered or readable now. */
static void in_pump(cli_pipe *p) {
  if (p->busy) {
    p->again = true;
    return;
  }
  p->busy = true;
  int end = -2; /* -2: go on; -1: end ok; else an error code */
  do {
    p->again = false;
    while (p->want > 0 && end == -2) {
      if (p->pend_len == 0) {
        if (p->watch) break; /* the loop tells us when there is more */
        int r = in_fill(p, p->want);
        if (r == IN_WAIT) break;
        if (r == IN_EOF) end = -1;
        else if (r == IN_ERROR) end = CLI_E_IO;
        if (r != IN_DATA) break;
      }
      /* The runtime may tell us of the guest's next read inside the copy:
       * clear want first so that the news is not lost. */
      p->want = 0;
      size_t k = kumi_stream_write_bytes(p->data, p->buf + p->pend_off, p->pend_len);
      p->pend_off += k;
      p->pend_len -= k;
      if (!kumi_stream_open(p->data)) end = -1;
    }
  } while (p->again && end == -2 && !p->finishing);
  p->busy = false;
  if (end == -2 && p->finishing) end = -1;
  if (end != -2) pipe_end(p, end);
}

static void on_in_readable(void *ud) {
  cli_pipe *p = ud;
  p->watch = NULL;
  in_pump(p);
}

static void on_in_ready(void *ud, kumi_stream *s, size_t n) {
  cli_pipe *p = ud;
  if (n == 0) { /* a zero-length read: answered at once, with nothing */
    kumi_stream_write_bytes(s, p->buf, 0);
    return;
  }
  p->want = n;
  in_pump(p);
}

/* The guest dropped the stream: it wants no more input. */
static void on_in_closed(void *ud, kumi_stream *s) {
  (void)s;
  cli_pipe *p = ud;
  if (p->busy) p->finishing = true; /* the running pump ends it */
  else pipe_end(p, -1);
}

static const kumi_stream_ops in_data_ops = {on_in_ready, on_in_closed};

static kumi_error *f_stdin_read(void *env, kumi_async_call *call, const kumi_cval *args, size_t n) {
  (void)args, (void)n;
  cli_state *st = env;
  const kumi_allocator *a = kumi_async_call_allocator(call);
  cli_pipe *p = pipe_new(st, call, 0);
  if (!p) return kb_error_oom();
  p->busy = true;
  kumi_component_instance *inst = kumi_async_call_instance(call);
  uint32_t sh, fh;
  p->data = kumi_stream_new(inst, false, &in_data_ops, p, &sh);
  p->done = p->data ? kumi_stream_new(inst, true, &done_ops, p, &fh) : NULL;
  kumi_cval r;
  if (!p->done || !kumi_cval_agg(a, KUMI_CV_TUPLE, 2, &r)) {
    pipe_free(p, true);
    return kb_error_oom();
  }
  r.of.agg.items[0] = kumi_cval_handle(KUMI_CV_STREAM, sh);
  r.of.agg.items[1] = kumi_cval_handle(KUMI_CV_FUTURE, fh);
  kumi_async_call_return(call, &r);
  p->busy = false;
  if (p->finishing) pipe_end(p, -1);
  else if (p->want) in_pump(p);
  return NULL;
}

/* ---- registration ------------------------------------------------------------------------ */

static void cli_free(void *state) {
  cli_state *st = state;
  /* The instances are gone by now (the kumi_wasi outlives them) and
   * told us of their going, so nothing should be left; what is, is only
   * freed. */
  while (st->pipes) pipe_free(st->pipes, false);
  kb_free(st->w->alloc, st, sizeof *st);
}

kumi_error *wasi_p3_add_cli(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part) {
  cli_state *st = kb_zalloc(w->alloc, sizeof *st);
  if (!st) return kb_error_oom();
  st->w = w;
  part->state = st;
  part->free = cli_free;
  static const struct {
    const char *iface, *name;
    kumi_component_host_fn fn;
  } fns[] = {
      {CLI("environment"), "get-environment", f_get_environment},
      {CLI("environment"), "get-arguments", f_get_arguments},
      {CLI("environment"), "get-initial-cwd", wasi_cli_initial_cwd},
      {CLI("exit"), "exit", f_exit},
      {CLI("exit"), "exit-with-code", f_exit_with_code},
      {CLI("terminal-stdin"), "get-terminal-stdin", f_term_stdin},
      {CLI("terminal-stdout"), "get-terminal-stdout", f_term_stdout},
      {CLI("terminal-stderr"), "get-terminal-stderr", f_term_stderr},
  };
  static const struct {
    const char *iface, *name;
    kumi_component_async_fn fn;
  } afns[] = {
      {CLI("stdin"), "read-via-stream", f_stdin_read},
      {CLI("stdout"), "write-via-stream", f_stdout_write},
      {CLI("stderr"), "write-via-stream", f_stderr_write},
  };
  kumi_error *e;
  if ((e = kumi_component_linker_define_resource(l, CLI("terminal-input"), "terminal-input", dtor_term, st)) ||
      (e = kumi_component_linker_define_resource(l, CLI("terminal-output"), "terminal-output", dtor_term, st)))
    return e;
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++)
    if ((e = kumi_component_linker_define_func(l, fns[i].iface, fns[i].name, NULL, fns[i].fn, st))) return e;
  for (size_t i = 0; i < sizeof afns / sizeof afns[0]; i++)
    if ((e = kumi_component_linker_define_async(l, afns[i].iface, afns[i].name, NULL, afns[i].fn, st))) return e;
  return NULL;
}
