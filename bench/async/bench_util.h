/* Helpers shared by the async benchmark drivers (async_bench.c,
 * host_stream.c): a clock, file loading, the median of repeated runs, the
 * memcpy baseline and error printing. Header-only; each driver is one
 * translation unit. */
#ifndef BENCH_ASYNC_UTIL_H
#define BENCH_ASYNC_UTIL_H

#define _POSIX_C_SOURCE 200809L
#include <kumi.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* 1 GiB by default; MB/s below are 10^6 bytes per second. */
#define BENCH_TOTAL ((uint64_t)1 << 30)
#define BENCH_NCHUNKS 3
static const uint32_t bench_chunks[BENCH_NCHUNKS] = {4096, 65536, 1048576};

static inline double bench_now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static inline int bench_fail(kumi_error *e, const char *what) {
  fprintf(stderr, "bench: %s: ", what);
  kumi_error_print(e, stderr);
  kumi_error_free(e);
  return 1;
}

static inline uint8_t *bench_read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0, k;
  do {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) break;
      buf = nb;
    }
    k = fread(buf + n, 1, cap - n, f);
    n += k;
  } while (k > 0);
  fclose(f);
  *len = n;
  return buf;
}

static inline kumi_component *bench_load(kumi_engine *engine, const char *path) {
  size_t len = 0;
  uint8_t *bytes = bench_read_all(path, &len);
  if (!bytes) {
    fprintf(stderr, "bench: cannot read %s\n", path);
    return NULL;
  }
  kumi_error *e = NULL;
  kumi_component *c = kumi_component_new(engine, bytes, len, &e);
  free(bytes);
  if (!c) bench_fail(e, path);
  return c;
}

/* RUNS from the environment (default 3, at most 15). */
static inline int bench_runs(void) {
  const char *r = getenv("RUNS");
  int n = r ? atoi(r) : 3;
  return n < 1 ? 1 : n > 15 ? 15 : n;
}

/* TOTAL bytes from the environment (default BENCH_TOTAL), a multiple of
 * 1 MiB so that every chunk size divides it. */
static inline uint64_t bench_total(void) {
  const char *t = getenv("TOTAL");
  uint64_t n = t ? strtoull(t, NULL, 10) : BENCH_TOTAL;
  n &= ~(uint64_t)0xfffff;
  return n ? n : BENCH_TOTAL;
}

/* The larger of v[0..n) (the best of repeated runs: on a shared machine
 * the fastest run is the one least disturbed). */
static inline double bench_best(const double *v, int n) {
  double m = v[0];
  for (int i = 1; i < n; i++)
    if (v[i] > m) m = v[i];
  return m;
}

/* Two page-aligned buffers of chunk bytes each (the guests' buffers are
 * at 64 KiB in their memories), NULL on OOM; free with free(). */
static inline uint8_t *bench_buf(uint32_t chunk) {
  uint8_t *b = aligned_alloc(4096, ((size_t)chunk + 4095) / 4096 * 4096);
  if (b) memset(b, 'a', chunk);
  return b;
}

/* The baseline: total bytes moved by memcpy in chunk-sized copies between
 * two chunk-sized buffers (as the stream copies between two reused
 * buffers), a sequence number stored before and checked after each copy
 * as the guests do. One run, in MB/s; 0 on failure. */
static inline double bench_memcpy_once(uint8_t *src, uint8_t *dst, uint64_t total, uint32_t chunk) {
  uint64_t k = total / chunk;
  double t0 = bench_now_ns();
  for (uint32_t i = 0; i < k; i++) {
    memcpy(src, &i, 4);
    memcpy(dst, src, chunk);
    __asm__ volatile("" ::"r"(dst) : "memory"); /* the copy is observed */
    uint32_t seq;
    memcpy(&seq, dst, 4);
    if (seq != i) return 0;
  }
  return (double)total / ((bench_now_ns() - t0) / 1e3);
}

#endif
