/* Async benchmark, kumi side, host streams (bench/async/run.sh): a
 * stream<u8> of TOTAL bytes (default 1 GiB) between the host and a
 * component (host.wasm), both ways, through the host stream API of
 * include/kumi_async.h, in chunks of 4 KiB, 64 KiB and 1 MiB, in MB/s
 * beside memcpy of the same bytes in the same chunks (runs interleaved).
 *   host->guest: kumi_stream_new, the stream passed as the argument of
 *     consume(s, chunk) ("arg"), or returned by the host's async import
 *     source() that pull(chunk) calls ("import"); the host writes from its
 *     ready callback (kumi_stream_write_bytes, one chunk per guest read)
 *     and drops its end when all is written.
 *   guest->host: produce(total, chunk) passes a stream to the host's async
 *     import sink(s) (kumi_component_linker_define_async); the host takes
 *     it (kumi_stream_take), reads in its ready callback
 *     (kumi_stream_read_bytes, into one chunk-sized buffer) and completes
 *     the call with the byte count when the guest drops its end.
 * Both sides check the sequence number in the first 4 bytes of each chunk.
 * Usage: host_stream DIR   (DIR holds host.wasm); RUNS, TOTAL as
 * async_bench. */
#include "bench_util.h"

#include <kumi_async.h>

/* The host's side of one transfer. */
typedef struct hside {
  uint8_t *buf;    /* chunk bytes */
  uint32_t chunk;
  uint64_t left;   /* host->guest: bytes still to write */
  uint64_t got;    /* guest->host: bytes read */
  uint32_t seq;
  bool bad;        /* a sequence number was out of order */
  bool dropped;    /* the host's end is gone */
  kumi_async_call *call; /* guest->host: the sink call to complete */
  kumi_stream *s;
  kumi_store *st;
} hside;

/* host->guest: one chunk per guest read; the end is dropped once all is
 * written and the guest asks for more. */
static void w_ready(void *ud, kumi_stream *s, size_t n) {
  hside *h = ud;
  if (h->dropped) return;
  if (h->left == 0) {
    h->dropped = true;
    kumi_stream_drop(s);
    return;
  }
  size_t k = h->chunk < n ? h->chunk : n;
  if (k > h->left) k = (size_t)h->left;
  memcpy(h->buf, &h->seq, 4);
  size_t done = kumi_stream_write_bytes(s, h->buf, k);
  if (done) h->seq++;
  h->left -= done;
}

static void w_closed(void *ud, kumi_stream *s) {
  hside *h = ud;
  if (!h->dropped) {
    h->dropped = true;
    kumi_stream_drop(s);
  }
}

/* guest->host */
static void r_ready(void *ud, kumi_stream *s, size_t n) {
  hside *h = ud;
  (void)n;
  size_t got = kumi_stream_read_bytes(s, h->buf, h->chunk);
  if (got) {
    uint32_t seq;
    memcpy(&seq, h->buf, 4);
    if (seq != h->seq) h->bad = true;
    h->seq++;
    h->got += got;
  }
}

static void r_closed(void *ud, kumi_stream *s) {
  hside *h = ud;
  kumi_cval r = kumi_cval_int(KUMI_CV_U64, (int64_t)h->got);
  if (h->call) kumi_async_call_return(h->call, &r);
  h->call = NULL;
  h->dropped = true;
  kumi_stream_drop(s);
}

static kumi_error *sink(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  hside *h = env;
  static const kumi_stream_ops ops = {r_ready, r_closed};
  if (nargs != 1 || args[0].kind != KUMI_CV_STREAM) return kumi_error_new(h->st, KUMI_ERR_TRAP, "sink: not a stream");
  h->call = call;
  h->s = kumi_stream_take(call, args[0].of.handle, &ops, h);
  if (!h->s) return kumi_error_new(h->st, KUMI_ERR_TRAP, "sink: kumi_stream_take failed");
  return NULL;
}

static kumi_error *source(void *env, kumi_async_call *call, const kumi_cval *args, size_t nargs) {
  hside *h = env;
  static const kumi_stream_ops ops = {w_ready, w_closed};
  (void)args;
  if (nargs != 0 || h->s) return kumi_error_new(h->st, KUMI_ERR_TRAP, "source: called twice");
  uint32_t handle = 0;
  h->s = kumi_stream_new(kumi_async_call_instance(call), false, &ops, h, &handle);
  if (!h->s) return kumi_error_new(h->st, KUMI_ERR_TRAP, "source: kumi_stream_new failed");
  kumi_cval r = kumi_cval_handle(KUMI_CV_STREAM, handle);
  kumi_async_call_return(call, &r);
  return NULL;
}

typedef struct bench_host {
  kumi_engine *engine;
  kumi_component *c;
  kumi_component_linker *l;
  kumi_store *s;
  kumi_component_instance *inst;
} bench_host;

static void host_close(bench_host *b) {
  kumi_component_instance_free(b->inst);
  kumi_store_free(b->s);
  kumi_component_linker_free(b->l);
  kumi_component_free(b->c);
  kumi_engine_free(b->engine);
}

static int host_open(bench_host *b, const char *dir, hside *h) {
  char path[4096];
  snprintf(path, sizeof path, "%s/host.wasm", dir);
  memset(b, 0, sizeof *b);
  kumi_error *e = NULL;
  b->engine = kumi_engine_new(NULL);
  b->c = b->engine ? bench_load(b->engine, path) : NULL;
  b->l = b->c ? kumi_component_linker_new(b->engine) : NULL;
  if (b->l && ((e = kumi_component_linker_define_async(b->l, "kumi:bench/host", "sink", NULL, sink, h)) ||
                (e = kumi_component_linker_define_async(b->l, "kumi:bench/host", "source", NULL, source, h)))) {
    bench_fail(e, "define sink");
    host_close(b);
    return 1;
  }
  b->s = b->l ? kumi_store_new(b->engine, NULL) : NULL;
  b->inst = b->s ? kumi_component_linker_instantiate(b->l, b->s, b->c, &e) : NULL;
  if (b->inst) return 0;
  if (e) bench_fail(e, "instantiate");
  host_close(b);
  return 1;
}

enum { TO_GUEST_ARG, TO_GUEST_IMPORT, FROM_GUEST, NMODES };
static const char *const mode_label[NMODES] = {"host->guest stream<u8> (arg)", "host->guest stream<u8> (import)",
                                               "guest->host stream<u8>"};

/* Keeps the first line of e's message in why (a row's footnote); frees e. */
static void note(kumi_error *e, char *why, size_t n) {
  snprintf(why, n, "%s", kumi_error_message(e));
  why[strcspn(why, "\n")] = 0;
  kumi_error_free(e);
}

/* One transfer of total bytes in chunks; MB/s, or a negative on error
 * (why says what). */
static double transfer(const char *dir, int mode, uint64_t total, uint32_t chunk, uint8_t *buf, char *why,
                       size_t nwhy) {
  bool to_guest = mode != FROM_GUEST;
  hside h = {buf, chunk, total, 0, 0, false, false, NULL, NULL, NULL};
  bench_host b;
  if (host_open(&b, dir, &h)) return -1;
  h.st = b.s;
  const char *name = mode == TO_GUEST_ARG ? "consume" : mode == TO_GUEST_IMPORT ? "pull" : "produce";
  kumi_component_func *f = kumi_component_instance_func(b.inst, NULL, name);
  if (!f) return fprintf(stderr, "bench: host.wasm has no %s\n", name), host_close(&b), -1;
  kumi_cval args[2] = {kumi_cval_int(KUMI_CV_U64, (int64_t)total), kumi_cval_int(KUMI_CV_U32, chunk)};
  size_t nargs = 2;
  double t0 = bench_now_ns();
  if (mode == TO_GUEST_IMPORT) {
    args[0] = args[1];
    nargs = 1;
  } else if (mode == TO_GUEST_ARG) {
    static const kumi_stream_ops ops = {w_ready, w_closed};
    uint32_t handle = 0;
    h.s = kumi_stream_new(b.inst, false, &ops, &h, &handle);
    if (!h.s) return fprintf(stderr, "bench: kumi_stream_new failed\n"), host_close(&b), -1;
    args[0] = kumi_cval_handle(KUMI_CV_STREAM, handle);
  }
  kumi_cval r = kumi_cval_bool(false);
  kumi_error *e = kumi_component_func_call(b.s, f, args, nargs, &r, 1);
  double t1 = bench_now_ns();
  if (to_guest && h.s && !h.dropped) kumi_stream_drop(h.s);
  if (!to_guest && h.call) kumi_async_call_fail(h.call, kumi_error_new(b.s, KUMI_ERR_TRAP, "bench: not closed"));
  host_close(&b);
  if (e) return note(e, why, nwhy), -1;
  uint64_t moved = to_guest ? total - h.left : h.got;
  if (r.of.u != total || moved != total || h.bad) {
    snprintf(why, nwhy, "%s: %llu bytes returned, %llu moved, of %llu%s", name, (unsigned long long)r.of.u,
             (unsigned long long)moved, (unsigned long long)total, h.bad ? "; chunks out of order" : "");
    return -1;
  }
  return (double)total / ((t1 - t0) / 1e3);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *dir = argc > 1 ? argv[1] : "bench/out/async";
  int runs = bench_runs();
  uint64_t total = bench_total();
  printf("host stream: %llu bytes per run, best of %d runs; MB/s = 10^6 B/s\n", (unsigned long long)total, runs);
  printf("%-46s %12s %10s\n", "case", "MB/s", "x memcpy");
  int rc = 0;
  char why[NMODES][200] = {{0}};
  for (int k = 0; k < BENCH_NCHUNKS; k++) {
    uint32_t chunk = bench_chunks[k];
    uint8_t *src = bench_buf(chunk), *dst = bench_buf(chunk);
    if (!src || !dst) {
      free(src);
      free(dst);
      return 1;
    }
    double mc[15] = {0}, v[NMODES][15] = {{0}};
    bool ok[NMODES] = {true, true, true};
    for (int r = 0; r < runs; r++) {
      mc[r] = bench_memcpy_once(src, dst, total, chunk);
      for (int m = 0; m < NMODES; m++)
        if (ok[m] && (v[m][r] = transfer(dir, m, total, chunk, m == FROM_GUEST ? dst : src, why[m], sizeof why[m])) < 0) ok[m] = false;
    }
    free(src);
    free(dst);
    double base = bench_best(mc, runs);
    char label[80];
    snprintf(label, sizeof label, "memcpy, %u KiB chunks", chunk / 1024);
    printf("%-46s %12.0f %10.2f\n", label, base, 1.0);
    for (int m = 0; m < NMODES; m++) {
      double best = bench_best(v[m], runs);
      snprintf(label, sizeof label, "%s, %u KiB chunks", mode_label[m], chunk / 1024);
      if (ok[m]) printf("%-46s %12.0f %10.2f\n", label, best, base > 0 ? best / base : 0);
      else printf("%-46s %12s   %s\n", label, "failed", why[m]);
    }
    /* one way in is enough */
    rc |= !(ok[TO_GUEST_ARG] || ok[TO_GUEST_IMPORT]) || !ok[FROM_GUEST];
  }
  return rc;
}
