/* Unit tests for the async host C API (include/kumi_async.h;
 * src/component/async_host.c, async_hstream.c, async_loop.c): host
 * functions defined with kumi_component_linker_define_async completing at
 * once and later (a libuv timer), through sync and async lowers, and
 * cancelled; plain host functions lowered async; streams and futures
 * between guest and host both ways (bytes, records), written by the host
 * at once, later from a timer and from a pipe watched by the loop; drops
 * in either order; a guest trapping with host ends open; the instance
 * freed with host ends and pending calls; several async export calls in
 * flight (kumi_component_func_call_async); and allocation failures. Every
 * run uses a counting allocator: nothing may leak. */
#define _XOPEN_SOURCE 700 /* pipe */
#include "kumi_async.h"
#include "component/inst.h"
#include "text/text.h"

#include "../test.h"

#include <unistd.h>

#include "async_host_comps.h"

/* ---- the host ----------------------------------------------------------------------------------- */

enum { NOW, TIMER, PIPE, NEVER, FAIL };

/* One host's state (env of every host function). */
typedef struct host {
  int mode;
  kumi_async_loop *loop;
  kumi_async_call *call; /* a pending slow() call */
  uint32_t x;
  int cancels;  /* on_cancel callbacks seen */
  int closed;   /* closed callbacks seen */
  int completed;
  /* consume / rec-sum */
  kumi_stream *in;
  uint32_t sum, got, want;
  kumi_async_call *in_call;
  /* produce / rec-make / fut-give */
  kumi_stream *out;
  uint32_t n, sent;
  kumi_async_watch *timer, *watch;
  int pipefd[2];
  bool drop_after_instance; /* leave out's drop to after the instance is freed */
  kumi_stream *fut;          /* read/write-via-stream: the outcome */
  uint32_t fut_err;          /* ... an error code to resolve it with (0: ok) */
  bool stream_arg;           /* run(): pass a new host stream of x bytes instead of x */
  const kumi_allocator *out_a;
} host;

static kumi_error *bad(kumi_async_call *c, const char *msg) {
  return kb_error(kumi_async_call_allocator(c), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "%s", msg);
}

static void slow_done(void *ud) {
  host *h = ud;
  h->timer = NULL;
  if (h->mode == FAIL) {
    kumi_async_call *c = h->call;
    h->call = NULL;
    kumi_async_call_fail(c, kb_error(kumi_async_call_allocator(c), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "host says no"));
    return;
  }
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, h->x * 2);
  kumi_async_call *c = h->call;
  h->call = NULL;
  h->completed++;
  kumi_async_call_return(c, &r);
}

static void slow_cancel(void *ud) {
  host *h = ud;
  h->cancels++;
  if (h->timer) kumi_async_watch_cancel(h->timer);
  h->timer = NULL;
  kumi_async_call *c = h->call;
  h->call = NULL;
  if (h->mode != NEVER) kumi_async_call_cancelled(c);
}

/* slow(x) = 2x: at once, or from a 1 ms timer. Several calls may wait on
 * timers (cb-run): each gets its own little record then. */
typedef struct pending {
  kumi_async_call *call;
  uint32_t x;
  host *h;
  kumi_async_watch *timer;
} pending;

/* (also when the instance is freed first: the timer is gone with its loop) */
static void slow_multi_cancel(void *ud) {
  pending *p = ud;
  const kumi_allocator *a = kumi_async_call_allocator(p->call);
  p->h->cancels++;
  kumi_async_watch_cancel(p->timer);
  kumi_async_call_cancelled(p->call);
  kb_free(a, p, sizeof *p);
}

static void slow_multi_done(void *ud) {
  pending *p = ud;
  const kumi_allocator *a = kumi_async_call_allocator(p->call);
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, p->x * 2);
  p->h->completed++;
  kumi_async_call_return(p->call, &r);
  kb_free(a, p, sizeof *p);
}

static kumi_error *host_slow(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1 || args[0].kind != KUMI_CV_U32) return bad(call, "slow: bad arguments");
  uint32_t x = (uint32_t)args[0].of.u;
  if (h->mode == NOW) {
    kumi_cval r = kumi_cval_int(KUMI_CV_U32, x * 2);
    h->completed++;
    kumi_async_call_return(call, &r);
    return NULL;
  }
  h->loop = kumi_async_call_loop(call);
  if (!h->loop) return kb_error_oom();
  if (h->mode == NEVER || h->call) {
    if (h->mode == NEVER) {
      h->call = call;
      kumi_async_call_on_cancel(call, slow_cancel, h);
      return NULL;
    }
    /* another call is pending: a record of its own */
    const kumi_allocator *a = kumi_async_call_allocator(call);
    pending *p = kb_alloc(a, sizeof *p);
    if (!p) return kb_error_oom();
    *p = (pending){call, x, h, NULL};
    if (!(p->timer = kumi_async_timer(h->loop, 1000000u * (1 + x % 3), slow_multi_done, p))) {
      kb_free(a, p, sizeof *p);
      return kb_error_oom();
    }
    kumi_async_call_on_cancel(call, slow_multi_cancel, p);
    return NULL;
  }
  h->call = call;
  h->x = x;
  kumi_async_call_on_cancel(call, slow_cancel, h);
  h->timer = kumi_async_timer(h->loop, 1000000u, slow_done, h);
  if (!h->timer) {
    h->call = NULL;
    return kb_error_oom();
  }
  return NULL;
}

static kumi_error *host_plain(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                              kumi_cval *result) {
  (void)env;
  (void)a;
  if (nargs != 1) return kb_error(a, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "plain: bad arguments");
  *result = kumi_cval_int(KUMI_CV_U32, args[0].of.u + 100);
  return NULL;
}

/* consume(s, n): sums bytes until n are read or the guest closes. */
static void consume_finish(host *h) {
  if (!h->in_call) return;
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, h->sum);
  kumi_async_call *c = h->in_call;
  h->in_call = NULL;
  h->completed++;
  kumi_async_call_return(c, &r);
  kumi_stream_drop(h->in);
  h->in = NULL;
}

static void consume_pull(host *h) {
  uint8_t buf[5]; /* small: several copies per guest write */
  size_t k;
  while (h->in && h->got < h->want && (k = kumi_stream_read_bytes(h->in, buf, sizeof buf)) > 0) {
    for (size_t i = 0; i < k; i++) h->sum += buf[i];
    h->got += (uint32_t)k;
  }
  if (h->got >= h->want) consume_finish(h);
}

static void consume_ready(void *ud, kumi_stream *s, size_t n) {
  (void)s;
  (void)n;
  consume_pull(ud);
}

static void consume_closed(void *ud, kumi_stream *s) {
  host *h = ud;
  (void)s;
  h->closed++;
  consume_finish(h);
}

static kumi_error *host_consume(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 2 || args[0].kind != KUMI_CV_STREAM) return bad(call, "consume: bad arguments");
  kumi_stream_ops ops = {consume_ready, consume_closed};
  h->in = kumi_stream_take(call, args[0].of.handle, &ops, h);
  if (!h->in) return bad(call, "consume: not a stream");
  h->in_call = call;
  h->sum = h->got = 0;
  h->want = (uint32_t)args[1].of.u;
  consume_pull(h); /* a write may be pending already */
  return NULL;
}

/* produce(n): bytes 1..n, then the host drops its end. */
static void produce_push(host *h);

/* Resolves h->fut with ok() or err(fut_err), then drops it. */
static void fut_outcome(host *h) {
  if (!h->fut) return;
  kumi_cval r, e = kumi_cval_int(KUMI_CV_U32, h->fut_err);
  if (kumi_cval_case(h->out_a, KUMI_CV_RESULT, h->fut_err ? 1 : 0, h->fut_err ? &e : NULL, &r))
    kumi_future_resolve(h->fut, &r);
  kumi_stream_drop(h->fut);
  h->fut = NULL;
}

static void produce_end(host *h) {
  fut_outcome(h);
  if (h->out) kumi_stream_drop(h->out);
  h->out = NULL;
  if (h->watch) kumi_async_watch_cancel(h->watch);
  h->watch = NULL;
  if (h->timer) kumi_async_watch_cancel(h->timer);
  h->timer = NULL;
  if (h->pipefd[0] >= 0) close(h->pipefd[0]);
  if (h->pipefd[1] >= 0) close(h->pipefd[1]);
  h->pipefd[0] = h->pipefd[1] = -1;
}

static void produce_timer(void *ud) {
  host *h = ud;
  h->timer = NULL;
  produce_push(h);
}

/* The pipe is readable: read(2) straight into the guest's buffer. */
static void pipe_readable(void *ud) {
  host *h = ud;
  h->watch = NULL;
  size_t n = 0;
  uint8_t *p = kumi_stream_bytes_begin(h->out, &n);
  if (p) {
    ssize_t r = read(h->pipefd[0], p, n);
    if (r > 0) {
      kumi_stream_bytes_commit(h->out, (size_t)r);
      h->sent += (uint32_t)r;
    }
  }
  if (h->sent >= h->n) produce_end(h);
}

static void pipe_fill(void *ud) {
  host *h = ud;
  h->timer = NULL;
  uint8_t buf[256];
  for (uint32_t i = 0; i < h->n && i < sizeof buf; i++) buf[i] = (uint8_t)(i + 1);
  if (write(h->pipefd[1], buf, h->n < sizeof buf ? h->n : sizeof buf) < 0) return;
}

static void produce_push(host *h) {
  if (!h->out) return;
  if (h->mode == PIPE) {
    if (!h->watch && kumi_stream_pending(h->out))
      h->watch = kumi_async_watch_fd(h->loop, h->pipefd[0], false, pipe_readable, h);
    return;
  } else {
    uint8_t buf[16];
    uint32_t m = h->n - h->sent < sizeof buf ? h->n - h->sent : (uint32_t)sizeof buf;
    for (uint32_t i = 0; i < m; i++) buf[i] = (uint8_t)(h->sent + i + 1);
    h->sent += (uint32_t)kumi_stream_write_bytes(h->out, buf, m);
  }
  if (h->sent >= h->n) produce_end(h);
}

static void produce_ready(void *ud, kumi_stream *s, size_t n) {
  host *h = ud;
  (void)s;
  (void)n;
  if (h->mode == TIMER) {
    if (!h->timer) h->timer = kumi_async_timer(h->loop, 500000u, produce_timer, h);
    return;
  }
  produce_push(h);
}

static void produce_closed(void *ud, kumi_stream *s) {
  host *h = ud;
  (void)s;
  h->closed++;
  if (!h->drop_after_instance) produce_end(h);
}

static kumi_error *host_produce(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1) return bad(call, "produce: bad arguments");
  h->loop = kumi_async_call_loop(call);
  if (!h->loop) return kb_error_oom();
  h->n = (uint32_t)args[0].of.u;
  h->sent = 0;
  kumi_stream_ops ops = {produce_ready, produce_closed};
  uint32_t handle = 0;
  h->out = kumi_stream_new(kumi_async_call_instance(call), false, &ops, h, &handle);
  if (!h->out) return kb_error_oom();
  if (h->mode == PIPE) {
    if (pipe(h->pipefd) != 0) return bad(call, "pipe");
    h->timer = kumi_async_timer(h->loop, 2000000u, pipe_fill, h);
    if (!h->timer) return kb_error_oom();
  }
  kumi_cval r = kumi_cval_handle(KUMI_CV_STREAM, handle);
  kumi_async_call_return(call, &r);
  return NULL;
}

/* fut-give() = 42, resolved at once or from a timer; the host then drops its end. */
static void fut_resolve(void *ud) {
  host *h = ud;
  h->timer = NULL;
  kumi_cval v = kumi_cval_int(KUMI_CV_U32, 42);
  kumi_future_resolve(h->out, &v);
  kumi_stream_drop(h->out);
  h->out = NULL;
}

static void fut_ready(void *ud, kumi_stream *s, size_t n) {
  host *h = ud;
  (void)s;
  (void)n;
  if (h->mode == TIMER && !h->timer) h->timer = kumi_async_timer(h->loop, 1000000u, fut_resolve, h);
}

static kumi_error *host_fgive(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  (void)args;
  if (nargs) return bad(call, "fut-give: bad arguments");
  h->loop = kumi_async_call_loop(call);
  if (!h->loop) return kb_error_oom();
  kumi_stream_ops ops = {fut_ready, NULL};
  uint32_t handle = 0;
  h->out = kumi_stream_new(kumi_async_call_instance(call), true, &ops, h, &handle);
  if (!h->out) return kb_error_oom();
  kumi_cval r = kumi_cval_handle(KUMI_CV_FUTURE, handle);
  kumi_async_call_return(call, &r);
  if (h->mode == NOW) fut_resolve(h); /* before the guest reads: the value waits */
  if (h->mode == NEVER) { /* dropped unresolved: the guest's read traps */
    kumi_stream_drop(h->out);
    h->out = NULL;
  }
  return NULL;
}

/* fut-take(f) = 2 * f's value. */
static void ftake_ready(void *ud, kumi_stream *s, size_t n) {
  host *h = ud;
  (void)n;
  kumi_cval v;
  if (kumi_stream_read_vals(s, &v, 1) != 1) return;
  kumi_cval r = kumi_cval_int(KUMI_CV_U32, (uint32_t)v.of.u * 2);
  kumi_cval_free(kumi_async_call_allocator(h->in_call), &v);
  kumi_async_call *c = h->in_call;
  h->in_call = NULL;
  kumi_async_call_return(c, &r);
  kumi_stream_drop(s);
  h->in = NULL;
}

static kumi_error *host_ftake(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1 || args[0].kind != KUMI_CV_FUTURE) return bad(call, "fut-take: bad arguments");
  kumi_stream_ops ops = {ftake_ready, NULL};
  h->in_call = call;
  h->in = kumi_stream_take(call, args[0].of.handle, &ops, h);
  if (!h->in) return bad(call, "fut-take: not a future");
  return NULL;
}

/* recs.sum(s): sum of a * b over the records. */
static void rsum_pull(host *h) {
  kumi_cval v[2];
  size_t k;
  const kumi_allocator *a = kumi_async_call_allocator(h->in_call);
  while (h->in && (k = kumi_stream_read_vals(h->in, v, 2)) > 0)
    for (size_t i = 0; i < k; i++) {
      if (v[i].kind == KUMI_CV_RECORD && v[i].of.agg.len == 2)
        h->sum += (uint32_t)v[i].of.agg.items[0].of.u * (uint32_t)v[i].of.agg.items[1].of.u;
      kumi_cval_free(a, &v[i]);
    }
}

static void rsum_ready(void *ud, kumi_stream *s, size_t n) {
  (void)s;
  (void)n;
  rsum_pull(ud);
}

static kumi_error *host_rsum(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1 || args[0].kind != KUMI_CV_STREAM) return bad(call, "sum: bad arguments");
  kumi_stream_ops ops = {rsum_ready, consume_closed};
  h->in_call = call;
  h->sum = 0;
  h->in = kumi_stream_take(call, args[0].of.handle, &ops, h);
  if (!h->in) return bad(call, "sum: not a stream");
  return NULL;
}

/* recs.make(n): records {k+1, 3} for k < n. */
static void rmake_ready(void *ud, kumi_stream *s, size_t n) {
  host *h = ud;
  while (h->sent < h->n && n > 0) {
    kumi_cval v[2];
    size_t m = 0;
    for (; m < 2 && m < n && h->sent + m < h->n; m++) {
      if (!kumi_cval_agg(h->out_a, KUMI_CV_RECORD, 2, &v[m])) break;
      v[m].of.agg.items[0] = kumi_cval_int(KUMI_CV_U32, h->sent + m + 1);
      v[m].of.agg.items[1] = kumi_cval_int(KUMI_CV_U8, 3);
    }
    size_t k = kumi_stream_write_vals(s, v, m);
    for (size_t i = k; i < m; i++) kumi_cval_free(h->out_a, &v[i]);
    if (!k) break;
    h->sent += (uint32_t)k;
    n -= k;
  }
  if (h->sent >= h->n) {
    kumi_stream_drop(s);
    h->out = NULL;
  }
}

static kumi_error *host_rmake(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1) return bad(call, "make: bad arguments");
  h->n = (uint32_t)args[0].of.u;
  h->sent = 0;
  h->out_a = kumi_async_call_allocator(call);
  kumi_stream_ops ops = {rmake_ready, produce_closed};
  uint32_t handle = 0;
  h->out = kumi_stream_new(kumi_async_call_instance(call), false, &ops, h, &handle);
  if (!h->out) return kb_error_oom();
  kumi_cval r = kumi_cval_handle(KUMI_CV_STREAM, handle);
  kumi_async_call_return(call, &r);
  return NULL;
}

/* read-via-stream(): bytes 1..10, then ok (or the error) */
static kumi_error *host_rvs(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  (void)args;
  if (nargs) return bad(call, "read-via-stream: bad arguments");
  h->loop = kumi_async_call_loop(call);
  if (!h->loop) return kb_error_oom();
  h->out_a = kumi_async_call_allocator(call);
  h->n = 10;
  h->sent = 0;
  kumi_stream_ops ops = {produce_ready, produce_closed};
  uint32_t hs = 0, hf = 0;
  kumi_component_instance *inst = kumi_async_call_instance(call);
  if (!(h->out = kumi_stream_new(inst, false, &ops, h, &hs))) return kb_error_oom();
  if (!(h->fut = kumi_stream_new(inst, true, NULL, NULL, &hf))) return kb_error_oom();
  if (h->mode == PIPE) {
    if (pipe(h->pipefd) != 0) return bad(call, "pipe");
    if (!(h->timer = kumi_async_timer(h->loop, 2000000u, pipe_fill, h))) return kb_error_oom();
  }
  kumi_cval r;
  if (!kumi_cval_agg(h->out_a, KUMI_CV_TUPLE, 2, &r)) return kb_error_oom();
  r.of.agg.items[0] = kumi_cval_handle(KUMI_CV_STREAM, hs);
  r.of.agg.items[1] = kumi_cval_handle(KUMI_CV_FUTURE, hf);
  kumi_async_call_return(call, &r);
  return NULL;
}

/* write-via-stream(data): sums the bytes; ok once the guest drops its end */
static void wvs_closed(void *ud, kumi_stream *s) {
  host *h = ud;
  h->closed++;
  kumi_stream_drop(s);
  h->in = NULL;
  fut_outcome(h);
}

static kumi_error *host_wvs(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  host *h = env;
  if (nargs != 1 || args[0].kind != KUMI_CV_STREAM) return bad(call, "write-via-stream: bad arguments");
  h->out_a = kumi_async_call_allocator(call);
  kumi_stream_ops ops = {consume_ready, wvs_closed};
  h->sum = h->got = 0;
  h->want = UINT32_MAX;
  h->in_call = NULL; /* the call returns at once; the stream stays the host's */
  if (!(h->in = kumi_stream_take(call, args[0].of.handle, &ops, h))) return bad(call, "not a stream");
  uint32_t hf = 0;
  if (!(h->fut = kumi_stream_new(kumi_async_call_instance(call), true, NULL, NULL, &hf))) return kb_error_oom();
  kumi_cval r = kumi_cval_handle(KUMI_CV_FUTURE, hf);
  kumi_async_call_return(call, &r);
  return NULL;
}

/* ---- running ------------------------------------------------------------------------------------ */

typedef struct outcome {
  kumi_error_kind kind; /* 0: returned */
  char msg[200];
  bool has_u32;
  uint32_t u32;
} outcome;

static kumi_error *define_all(kumi_component_linker *l, host *h) {
  kumi_error *e = NULL;
  if (!e) e = kumi_component_linker_define_async(l, NULL, "slow", "func(x: u32) -> u32", host_slow, h);
  if (!e) e = kumi_component_linker_define_async(l, NULL, "slow-async", "async func(x: u32) -> u32", host_slow, h);
  if (!e) e = kumi_component_linker_define_func(l, NULL, "plain", "async func(x: u32) -> u32", host_plain, h);
  if (!e) e = kumi_component_linker_define_async(l, NULL, "consume", "async func(s: stream<u8>, n: u32) -> u32", host_consume, h);
  if (!e) e = kumi_component_linker_define_async(l, NULL, "produce", "func(n: u32) -> stream<u8>", host_produce, h);
  if (!e) e = kumi_component_linker_define_async(l, NULL, "fut-give", "func() -> future<u32>", host_fgive, h);
  if (!e) e = kumi_component_linker_define_async(l, NULL, "fut-take", "async func(f: future<u32>) -> u32", host_ftake, h);
  if (!e) e = kumi_component_linker_define_async(l, "recs", "sum", NULL, host_rsum, h);
  if (!e) e = kumi_component_linker_define_async(l, "recs", "make", NULL, host_rmake, h);
  if (!e)
    e = kumi_component_linker_define_async(l, NULL, "read-via-stream",
                                           "func() -> tuple<stream<u8>, future<result<_, u32>>>", host_rvs, h);
  if (!e)
    e = kumi_component_linker_define_async(l, NULL, "write-via-stream",
                                           "func(data: stream<u8>) -> future<result<_, u32>>", host_wvs, h);
  return e;
}

static void outcome_of(outcome *o, kumi_error *err) {
  if (!err) return;
  o->kind = kumi_error_kind_of(err);
  snprintf(o->msg, sizeof o->msg, "%s", kumi_error_message(err));
  kumi_error_free(err);
}

/* Instantiates src with the host in mode, calls name(x) (times times). */
static outcome run(const kumi_allocator *a, const char *src, host *h, const char *name, uint32_t x, int times) {
  outcome o;
  memset(&o, 0, sizeof o);
  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  kumi_component_linker *l = st ? kumi_component_linker_new(eng) : NULL;
  if (!l) {
    o.kind = KUMI_ERR_OOM;
    kumi_store_free(st);
    kumi_engine_free(eng);
    return o;
  }
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_error *err = define_all(l, h);
  if (!err) err = text_parse_component(a, src, strlen(src), &bin, &len);
  comp_features feats = comp_features_all(); /* stackful lifts, sync stream copies */
  kumi_component *c = err ? NULL : comp_rt_new(eng, bin, len, &feats, &err);
  kumi_component_instance *inst = c ? kumi_component_linker_instantiate(l, st, c, &err) : NULL;
  for (int k = 0; inst && !err && k < times; k++) {
    kumi_component_func *f = kumi_component_instance_func(inst, NULL, name);
    if (!f) {
      err = kumi_error_new(st, KUMI_ERR_ARG, "no such export");
      break;
    }
    kumi_cval arg = kumi_cval_int(KUMI_CV_U32, x), r = kumi_cval_bool(false);
    if (h->stream_arg) { /* the export's argument: a stream the host writes */
      kumi_stream_ops ops = {produce_ready, produce_closed};
      uint32_t handle = 0;
      h->loop = kumi_component_instance_loop(inst);
      h->n = x;
      h->sent = 0;
      h->out = h->loop ? kumi_stream_new(inst, false, &ops, h, &handle) : NULL;
      if (!h->out) {
        err = kumi_error_new(st, KUMI_ERR_OOM, "out of memory");
        break;
      }
      if (h->mode == PIPE && (pipe(h->pipefd) != 0 || !(h->timer = kumi_async_timer(h->loop, 2000000u, pipe_fill, h)))) {
        err = kumi_error_new(st, KUMI_ERR_OOM, "pipe or timer");
        break;
      }
      arg = kumi_cval_handle(KUMI_CV_STREAM, handle);
    }
    err = kumi_component_func_call(st, f, &arg, 1, &r, 1);
    if (!err && r.kind == KUMI_CV_U32) {
      o.has_u32 = true;
      o.u32 = (uint32_t)r.of.u;
    }
    if (!err) kumi_cval_free(a, &r);
  }
  outcome_of(&o, err);
  kumi_component_instance_free(inst);
  if (h->drop_after_instance && h->out) { /* the instance went first: the drop only frees */
    kumi_stream_drop(h->out);
    h->out = NULL;
  }
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
  kumi_component_linker_free(l);
  kumi_store_free(st);
  kumi_engine_free(eng);
  return o;
}

/* A test_alloc that also records its peak of live bytes. */
typedef struct peak_alloc {
  test_alloc t;
  size_t peak;
} peak_alloc;

static void *peak_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  peak_alloc *c = ud;
  void *r = test_alloc_realloc(&c->t, p, old_size, new_size);
  if (c->t.live_bytes > c->peak) c->peak = c->t.live_bytes;
  return r;
}

static host host_init(int mode);

/* Calls name(x) times times in one instance (mode NOW; stream_arg: with
 * a new host stream as its argument each time): whether the last call
 * returned want, and the peak of live memory. */
static bool run_times(const char *name, bool stream_arg, uint32_t x, uint32_t want, int times, size_t *peak,
                      bool *clean) {
  peak_alloc pa;
  memset(&pa, 0, sizeof pa);
  pa.t.fail_after = -1;
  kumi_allocator a = {peak_realloc, &pa};
  host h = host_init(NOW);
  h.stream_arg = stream_arg;
  outcome o = run(&a, streams_src, &h, name, x, times);
  *peak = pa.peak;
  *clean = test_alloc_clean(&pa.t);
  return o.kind == 0 && o.has_u32 && o.u32 == want;
}

static bool returns(const outcome *o, uint32_t v) {
  bool ok = o->kind == 0 && o->has_u32 && o->u32 == v;
  if (!ok) fprintf(stderr, "  got kind %d \"%s\" value %u, expected %u\n", (int)o->kind, o->msg, o->u32, v);
  return ok;
}

static bool traps_with(const outcome *o, const char *text) {
  bool ok = o->kind == KUMI_ERR_TRAP && strstr(o->msg, text);
  if (!ok) fprintf(stderr, "  got kind %d \"%s\", expected a trap \"%s\"\n", (int)o->kind, o->msg, text);
  return ok;
}

static host host_init(int mode) {
  host h;
  memset(&h, 0, sizeof h);
  h.mode = mode;
  h.pipefd[0] = h.pipefd[1] = -1;
  return h;
}

/* Calls g2h-ret(n) from C: takes the stream of its result, reads what
 * the guest wrote, runs the loop (the guest drops its end). h->sum and
 * h->closed tell. */
static outcome run_ret(const kumi_allocator *a, host *h, uint32_t n) {
  outcome o;
  memset(&o, 0, sizeof o);
  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  kumi_component_linker *l = st ? kumi_component_linker_new(eng) : NULL;
  if (!l) {
    o.kind = KUMI_ERR_OOM;
    kumi_store_free(st);
    kumi_engine_free(eng);
    return o;
  }
  uint8_t *bin = NULL;
  size_t len = 0;
  kumi_error *err = define_all(l, h);
  if (!err) err = text_parse_component(a, streams_src, strlen(streams_src), &bin, &len);
  comp_features feats = comp_features_all();
  kumi_component *c = err ? NULL : comp_rt_new(eng, bin, len, &feats, &err);
  kumi_component_instance *inst = c ? kumi_component_linker_instantiate(l, st, c, &err) : NULL;
  kumi_component_func *f = inst ? kumi_component_instance_func(inst, NULL, "g2h-ret") : NULL;
  kumi_cval arg = kumi_cval_int(KUMI_CV_U32, n), r = kumi_cval_bool(false);
  if (f && !err) err = kumi_component_func_call(st, f, &arg, 1, &r, 1);
  if (f && !err) {
    kumi_stream_ops ops = {consume_ready, consume_closed};
    h->want = UINT32_MAX;
    h->in = r.kind == KUMI_CV_STREAM ? kumi_stream_take_result(inst, r.of.handle, &ops, h) : NULL;
    if (!h->in) err = kumi_error_new(st, KUMI_ERR_ARG, "no stream in the result");
    consume_pull(h); /* the guest's write was pending already */
    if (!err) err = kumi_component_instance_run(st, inst, false); /* the guest sees its write done, drops */
    o.has_u32 = true;
    o.u32 = h->sum;
  }
  outcome_of(&o, err);
  kumi_component_instance_free(inst);
  if (h->in) kumi_stream_drop(h->in);
  h->in = NULL;
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
  kumi_component_linker_free(l);
  kumi_store_free(st);
  kumi_engine_free(eng);
  return o;
}

/* ---- several calls in flight ---------------------------------------------------------------------- */

typedef struct flight {
  int done;
  uint32_t sum;
  int errors;
  const kumi_allocator *a;
} flight;

static void flight_done(void *ud, kumi_error *err, kumi_cval *result) {
  flight *f = ud;
  f->done++;
  if (err) {
    f->errors++;
    kumi_error_free(err);
    return;
  }
  if (result && result->kind == KUMI_CV_U32) f->sum += (uint32_t)result->of.u;
  if (result) kumi_cval_free(f->a, result);
}

/* Starts n calls of cb-run(1..n) and runs the loop; the sum of results. */
static outcome run_flight(const kumi_allocator *a, host *h, uint32_t n, int *done, bool free_early) {
  outcome o;
  memset(&o, 0, sizeof o);
  *done = 0;
  kumi_config cfg = {a, 0};
  kumi_engine *eng = kumi_engine_new(&cfg);
  kumi_store *st = eng ? kumi_store_new(eng, NULL) : NULL;
  kumi_component_linker *l = st ? kumi_component_linker_new(eng) : NULL;
  if (!l) {
    o.kind = KUMI_ERR_OOM;
    kumi_store_free(st);
    kumi_engine_free(eng);
    return o;
  }
  uint8_t *bin = NULL;
  size_t len = 0;
  flight fl = {0, 0, 0, a};
  kumi_error *err = define_all(l, h);
  if (!err) err = text_parse_component(a, calls_src, strlen(calls_src), &bin, &len);
  comp_features feats = comp_features_all(); /* stackful lifts, sync stream copies */
  kumi_component *c = err ? NULL : comp_rt_new(eng, bin, len, &feats, &err);
  kumi_component_instance *inst = c ? kumi_component_linker_instantiate(l, st, c, &err) : NULL;
  kumi_component_func *f = inst ? kumi_component_instance_func(inst, NULL, "cb-run") : NULL;
  uint32_t started = 0;
  for (uint32_t k = 1; f && !err && k <= n; k++) {
    kumi_cval arg = kumi_cval_int(KUMI_CV_U32, k);
    err = kumi_component_func_call_async(st, f, &arg, 1, flight_done, &fl);
    if (!err) started++;
  }
  if (inst && !err && !free_early) err = kumi_component_instance_run(st, inst, false); /* no waiting */
  if (inst && !err && !free_early) err = kumi_component_instance_run(st, inst, true);
  outcome_of(&o, err);
  kumi_component_instance_free(inst);
  if (!o.kind) {
    o.has_u32 = fl.errors == 0;
    o.u32 = fl.sum;
  }
  *done = fl.done - (int)started; /* 0: every started call's done ran once */
  kumi_component_free(c);
  if (bin) kb_free(a, bin, len);
  kumi_component_linker_free(l);
  kumi_store_free(st);
  kumi_engine_free(eng);
  return o;
}

int main(void) {
  test_alloc ta;
  kumi_allocator a = test_alloc_init(&ta, -1);
  host h;
  outcome o;

  /* (1) calls */
  static const char *const exports[] = {"sync", "sync-a", "alow", "alow-a"};
  for (int mode = NOW; mode <= TIMER; mode++)
    for (size_t i = 0; i < sizeof exports / sizeof exports[0]; i++) {
      h = host_init(mode);
      o = run(&a, calls_src, &h, exports[i], 21, 2);
      CHECKF(returns(&o, 42) && h.completed == 2, "%s completing %s: 2x (twice)", exports[i],
             mode == NOW ? "at once" : "from a timer");
      CHECK(test_alloc_clean(&ta));
    }
  static const char *const failing[] = {"sync", "sync-a", "alow"};
  for (size_t i = 0; i < sizeof failing / sizeof failing[0]; i++) {
    h = host_init(FAIL);
    o = run(&a, calls_src, &h, failing[i], 5, 1);
    CHECKF(traps_with(&o, "host says no"), "%s: kumi_async_call_fail from a timer traps the caller", failing[i]);
  }
  CHECK(test_alloc_clean(&ta));
  h = host_init(NOW);
  o = run(&a, calls_src, &h, "alow-plain", 5, 1);
  CHECKF(returns(&o, 105), "a define_func host function lowered async returns at once");
  h = host_init(TIMER);
  o = run(&a, calls_src, &h, "cancel", 5, 1);
  CHECKF(returns(&o, 4) && h.cancels == 1, "subtask.cancel: on_cancel runs, the host completes it cancelled");
  CHECK(test_alloc_clean(&ta));
  h = host_init(NEVER);
  o = run(&a, calls_src, &h, "abandon", 5, 1);
  CHECKF(returns(&o, 7) && h.cancels == 1, "the instance freed with a call pending: on_cancel runs, nothing leaks");
  CHECK(test_alloc_clean(&ta));

  /* (2) streams and futures */
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "g2h-sync", 10, 2);
  CHECKF(returns(&o, 55), "guest -> host stream<u8>, sync lower, a write pending before the call");
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "g2h-async", 12, 2);
  CHECKF(returns(&o, 78) && h.closed == 2, "guest -> host stream<u8>, async lower, ended by the guest's drop");
  CHECK(test_alloc_clean(&ta));
  static const char *const modes[] = {"at once", "from a timer", "from a pipe watch"};
  for (int mode = NOW; mode <= PIPE; mode++) {
    h = host_init(mode);
    o = run(&a, streams_src, &h, "h2g", 20, 2);
    CHECKF(returns(&o, 210), "host -> guest stream<u8> written %s, then dropped (DROPPED seen)", modes[mode]);
    CHECK(test_alloc_clean(&ta));
  }
  /* Streams with a host end, made and dropped 20,000 times in one
   * instance (the host's produce() result, an export's argument): their
   * guest ends, shared states and host ends (tokens) are freed and reused,
   * so the peak of live memory is that of 500 (slack: 16 KiB). */
  static const char *const many_names[] = {"h2g", "h2g-arg"};
  for (int k = 0; k < 2; k++) {
    size_t peak_small = 0, peak_big = 0;
    bool clean_small = false, clean_big = false;
    bool ok_small = run_times(many_names[k], k == 1, 20, 210, 500, &peak_small, &clean_small);
    bool ok_big = run_times(many_names[k], k == 1, 20, 210, 20000, &peak_big, &clean_big);
    CHECKF(ok_small && ok_big && clean_small && clean_big, "%s called 500 and 20000 times", many_names[k]);
    printf("  %s: peak live bytes %zu after 500 calls, %zu after 20000\n", many_names[k], peak_small, peak_big);
    CHECKF(peak_big <= peak_small + 16384, "memory bounded over 20000 calls of %s (peak %zu vs %zu)", many_names[k],
           peak_big, peak_small);
  }
  for (int mode = NOW; mode <= PIPE; mode++) {
    h = host_init(mode);
    h.stream_arg = true;
    o = run(&a, streams_src, &h, "h2g-arg", 20, 2);
    CHECKF(returns(&o, 210), "a host stream as an export's argument (kumi_component_func_call), written %s", modes[mode]);
    CHECK(test_alloc_clean(&ta));
  }
  h = host_init(NOW);
  o = run_ret(&a, &h, 10);
  CHECKF(returns(&o, 55) && h.closed == 1, "guest -> host: a stream in an export's result (kumi_stream_take_result)");
  CHECK(test_alloc_clean(&ta));
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "h2g-early", 20, 1);
  CHECKF(returns(&o, 28) && h.closed == 1, "the guest drops its readable end early: closed, the host drops");
  h = host_init(TIMER);
  o = run(&a, streams_src, &h, "h2g-early", 20, 1);
  CHECKF(returns(&o, 28) && h.closed == 1, "... with the host's writes from a timer");
  CHECK(test_alloc_clean(&ta));
  h = host_init(TIMER);
  h.drop_after_instance = true;
  o = run(&a, streams_src, &h, "h2g-trap", 20, 1);
  CHECKF(traps_with(&o, "unreachable") && h.closed == 1, "a guest trapping with a host end open; the drop after the instance");
  CHECK(test_alloc_clean(&ta));
  for (int mode = NOW; mode <= TIMER; mode++) {
    h = host_init(mode);
    o = run(&a, streams_src, &h, "fut-give", 0, 2);
    CHECKF(returns(&o, 42), "host -> guest future resolved %s and dropped", modes[mode]);
  }
  h = host_init(NEVER);
  o = run(&a, streams_src, &h, "fut-give", 0, 1);
  CHECKF(traps_with(&o, "without writing a value"), "a future the host dropped unresolved: the guest's read traps");
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "fut-take", 21, 2);
  CHECKF(returns(&o, 42), "guest -> host future read by the host");
  CHECK(test_alloc_clean(&ta));
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "rec-g2h", 5, 1);
  CHECKF(returns(&o, 30) && h.closed == 1, "guest -> host stream<record>: values lifted");
  h = host_init(NOW);
  o = run(&a, streams_src, &h, "rec-h2g", 7, 2);
  CHECKF(returns(&o, 84), "host -> guest stream<record>: values lowered");
  CHECK(test_alloc_clean(&ta));

  /* WASI 0.3's shapes */
  for (int mode = NOW; mode <= PIPE; mode++) {
    h = host_init(mode);
    o = run(&a, wasi_src, &h, "rvs", 0, 1);
    CHECKF(returns(&o, 55), "read-via-stream: a tuple of a stream and a future, bytes written %s, then ok", modes[mode]);
  }
  h = host_init(NOW);
  h.fut_err = 9;
  o = run(&a, wasi_src, &h, "rvs", 0, 1);
  CHECKF(returns(&o, 55 + 1009), "read-via-stream: the future resolved with an error");
  h = host_init(NOW);
  o = run(&a, wasi_src, &h, "wvs", 10, 2);
  CHECKF(returns(&o, 0) && h.sum == 55 && h.closed == 2, "write-via-stream: the host reads after its call returned");
  CHECK(test_alloc_clean(&ta));

  /* (4) several async export calls in flight */
  int done = -1;
  h = host_init(TIMER);
  o = run_flight(&a, &h, 5, &done, false);
  CHECKF(returns(&o, 30) && done == 0, "five calls in flight, completed from timers in some order");
  h = host_init(TIMER);
  o = run_flight(&a, &h, 3, &done, true);
  CHECKF(o.kind == 0 && done == 0, "the instance freed with calls in flight: each done runs (with an error)");
  CHECK(test_alloc_clean(&ta));

  /* Allocation failure anywhere: an error, never a crash or a leak. */
  static const struct { const char *src, *name; int mode; uint32_t x, want; } sweep[] = {
      {calls_src, "alow", TIMER, 21, 42},
      {streams_src, "g2h-async", NOW, 12, 78},
      {streams_src, "h2g", TIMER, 20, 210},
      {streams_src, "rec-h2g", NOW, 7, 84},
      {streams_src, "fut-give", NOW, 0, 42},
      {wasi_src, "rvs", NOW, 0, 55},
      {wasi_src, "wvs", NOW, 10, 0},
  };
  for (size_t s = 0; s < sizeof sweep / sizeof sweep[0]; s++) {
    long n = 0;
    for (long fail = 0; fail < 100000; fail++) {
      a = test_alloc_init(&ta, fail);
      h = host_init(sweep[s].mode);
      o = run(&a, sweep[s].src, &h, sweep[s].name, sweep[s].x, 1);
      if (h.out) {
        kumi_stream_drop(h.out);
        h.out = NULL;
      }
      if (h.in) { /* the call failed after take */
        kumi_stream_drop(h.in);
        h.in = NULL;
      }
      if (h.fut) {
        kumi_stream_drop(h.fut);
        h.fut = NULL;
      }
      bool clean = test_alloc_clean(&ta);
      CHECKF(clean, "%s: no leak when allocation %ld fails", sweep[s].name, fail);
      n++;
      if (!clean || o.kind == 0) break;
    }
    CHECKF(o.kind == 0 && o.u32 == sweep[s].want, "%s succeeds once allocations stop failing (%ld tries)",
           sweep[s].name, n);
  }
  long tries = 0;
  for (long fail = 0; fail < 100000; fail++) {
    a = test_alloc_init(&ta, fail);
    h = host_init(NOW);
    o = run_ret(&a, &h, 10);
    bool clean = test_alloc_clean(&ta);
    CHECKF(clean, "g2h-ret: no leak when allocation %ld fails", fail);
    tries++;
    if (!clean || o.kind == 0) break;
  }
  CHECKF(returns(&o, 55), "g2h-ret succeeds once allocations stop failing (%ld tries)", tries);
  tries = 0;
  for (long fail = 0; fail < 100000; fail++) {
    int done = -1;
    a = test_alloc_init(&ta, fail);
    h = host_init(TIMER);
    o = run_flight(&a, &h, 3, &done, false);
    bool clean = test_alloc_clean(&ta);
    CHECKF(clean && done == 0, "calls in flight: no leak, every done once, when allocation %ld fails", fail);
    tries++;
    if (!clean || o.kind == 0) break;
  }
  CHECKF(returns(&o, 12), "calls in flight succeed once allocations stop failing (%ld tries)", tries);
  return test_summary();
}
