/* Async benchmark, kumi side, component parts (bench/async/run.sh):
 *   - a stream<u8> of TOTAL bytes (default 1 GiB) between two components
 *     (pipe.wasm), in chunks of 4 KiB, 64 KiB and 1 MiB, in MB/s beside
 *     memcpy of the same bytes in the same chunks (runs interleaved);
 *   - async call round trips in ns (calls.wasm): the host calling a sync
 *     export and a callback-lifted async export that returns at once; a
 *     component calling another's sync export (sync lower), async export
 *     through `canon lower ... async` returning at once, and one that
 *     yields first (subtask, waitable set, SUBTASK event, subtask.drop).
 * Usage: async_bench DIR   (DIR holds pipe.wasm and calls.wasm)
 *   RUNS (default 3): runs per case, the best is shown; TOTAL: bytes;
 *   CALLS (default 1000000): sync calls per run; ASYNC_CALLS (default
 *   100000): async calls per run (fewer: kumi keeps every finished async
 *   call's task until the instance is freed, see README.md). */
#include "bench_util.h"

typedef struct bench_inst {
  kumi_engine *engine;
  kumi_component *c;
  kumi_store *s;
  kumi_component_instance *inst;
} bench_inst;

static void close_inst(bench_inst *b) {
  kumi_component_instance_free(b->inst);
  kumi_store_free(b->s);
  kumi_component_free(b->c);
  kumi_engine_free(b->engine);
}

static int open_inst(bench_inst *b, const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  memset(b, 0, sizeof *b);
  b->engine = kumi_engine_new(NULL);
  b->c = b->engine ? bench_load(b->engine, path) : NULL;
  b->s = b->c ? kumi_store_new(b->engine, NULL) : NULL;
  kumi_error *e = NULL;
  b->inst = b->s ? kumi_component_instantiate(b->s, b->c, &e) : NULL;
  if (b->inst) return 0;
  if (e) bench_fail(e, "instantiate");
  close_inst(b);
  return 1;
}

/* f(args) -> u32 or u64 into *out; nonzero on error (printed). */
static int call1(bench_inst *b, kumi_component_func *f, const kumi_cval *args, size_t nargs, uint64_t *out) {
  kumi_cval r = kumi_cval_bool(false);
  kumi_error *e = kumi_component_func_call(b->s, f, args, nargs, &r, 1);
  if (e) return bench_fail(e, "call");
  *out = r.of.u;
  return 0;
}

/* One pipe run: MB/s, or a negative on error (printed). */
static double pipe_once(bench_inst *b, kumi_component_func *f, uint64_t total, uint32_t chunk) {
  kumi_cval args[2] = {kumi_cval_int(KUMI_CV_U64, (int64_t)total), kumi_cval_int(KUMI_CV_U32, chunk)};
  uint64_t got = 0;
  double t0 = bench_now_ns();
  if (call1(b, f, args, 2, &got)) return -1;
  double t1 = bench_now_ns();
  if (got != total) {
    fprintf(stderr, "bench: pipe moved %llu bytes, not %llu\n", (unsigned long long)got, (unsigned long long)total);
    return -1;
  }
  return (double)total / ((t1 - t0) / 1e3);
}

static int bench_pipe(const char *dir, uint64_t total, int runs) {
  bench_inst b;
  if (open_inst(&b, dir, "pipe.wasm")) return 1;
  kumi_component_func *f = kumi_component_instance_func(b.inst, NULL, "pipe");
  if (!f) return fprintf(stderr, "bench: pipe.wasm has no pipe export\n"), close_inst(&b), 1;
  printf("%-46s %12s %10s\n", "case", "MB/s", "x memcpy");
  bool ok = true;
  for (int k = 0; k < BENCH_NCHUNKS && ok; k++) {
    uint32_t chunk = bench_chunks[k];
    uint8_t *src = bench_buf(chunk), *dst = bench_buf(chunk);
    double mc[15] = {0}, v[15] = {0};
    for (int r = 0; r < runs && ok; r++) {
      mc[r] = src && dst ? bench_memcpy_once(src, dst, total, chunk) : 0;
      ok = (v[r] = pipe_once(&b, f, total, chunk)) >= 0;
    }
    free(src);
    free(dst);
    double m = bench_best(mc, runs), p = bench_best(v, runs);
    char label[80];
    snprintf(label, sizeof label, "memcpy, %u KiB chunks", chunk / 1024);
    printf("%-46s %12.0f %10.2f\n", label, m, 1.0);
    snprintf(label, sizeof label, "comp->comp stream<u8>, %u KiB chunks", chunk / 1024);
    if (ok) printf("%-46s %12.0f %10.2f\n", label, p, m > 0 ? p / m : 0);
    else printf("%-46s %12s\n", label, "failed");
  }
  close_inst(&b);
  return !ok;
}

/* ns per call (best of runs) of n calls, on a new instance of calls.wasm:
 * made by the guest export name(n), or, when host is set, by n host calls
 * of name(x) chaining x = name(x). A new instance per run (the runtime
 * keeps per-instance state of finished async calls). Negative on error. */
static double time_calls(const char *dir, const char *name, bool host, uint32_t n, int runs) {
  double v[15] = {0};
  /* the guest loops return the sum of i + 1 for i < n, mod 2^32 */
  uint32_t want = host ? n : (uint32_t)((uint64_t)n * (n + 1) / 2);
  for (int r = 0; r < runs; r++) {
    bench_inst b;
    if (open_inst(&b, dir, "calls.wasm")) return -1;
    kumi_component_func *f = kumi_component_instance_func(b.inst, NULL, name);
    if (!f) return fprintf(stderr, "bench: no export %s\n", name), close_inst(&b), -1;
    uint64_t got = 0;
    double t0 = bench_now_ns();
    if (host) {
      for (uint32_t i = 0; i < n; i++) {
        kumi_cval x = kumi_cval_int(KUMI_CV_U32, (int64_t)got);
        if (call1(&b, f, &x, 1, &got)) return close_inst(&b), -1;
      }
    } else {
      kumi_cval x = kumi_cval_int(KUMI_CV_U32, n);
      if (call1(&b, f, &x, 1, &got)) return close_inst(&b), -1;
    }
    v[r] = n / (bench_now_ns() - t0); /* calls per ns: the best run is the largest */
    close_inst(&b);
    if ((uint32_t)got != want) {
      fprintf(stderr, "bench: %s returned %llu, expected %u\n", name, (unsigned long long)got, want);
      return -1;
    }
  }
  return 1 / bench_best(v, runs);
}

static uint32_t env_u32(const char *name, uint32_t dflt) {
  const char *s = getenv(name);
  long v = s ? atol(s) : 0;
  return v > 0 && v <= 100000000 ? (uint32_t)v : dflt;
}

static int bench_calls(const char *dir, int runs) {
  uint32_t n = env_u32("CALLS", 1000000), na = env_u32("ASYNC_CALLS", 100000);
  static const struct {
    const char *label, *name;
    bool host, async;
  } cases[] = {
      {"host->guest sync export", "inc", true, false},
      {"host->guest async export, returns at once", "now", true, true},
      {"comp->comp sync lower of sync lift", "loop-sync", false, false},
      {"comp->comp async lower, returns at once", "loop-now", false, true},
      {"comp->comp async lower + wait (subtask)", "loop-yield", false, true},
  };
  printf("\n%-46s %12s %10s %10s\n", "case", "ns/call", "x sync", "calls/run");
  double sync = 0;
  int rc = 0;
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    uint32_t calls = cases[i].async ? na : n;
    double ns = time_calls(dir, cases[i].name, cases[i].host, calls, runs);
    if (ns < 0) {
      printf("%-46s %12s\n", cases[i].label, "failed");
      rc = 1;
      continue;
    }
    if (!cases[i].async) sync = ns;
    printf("%-46s %12.1f %10.2f %10u\n", cases[i].label, ns, sync > 0 ? ns / sync : 0, calls);
  }
  return rc;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  const char *dir = argc > 1 ? argv[1] : "bench/out/async";
  int runs = bench_runs();
  uint64_t total = bench_total();
  printf("stream: %llu bytes per run, best of %d runs; MB/s = 10^6 B/s\n", (unsigned long long)total, runs);
  int rc = bench_pipe(dir, total, runs);
  rc |= bench_calls(dir, runs);
  return rc;
}
