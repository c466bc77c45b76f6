/* Canonical ABI micro-benchmark: lowers and lifts a
 * list<record{id: u32, name: string, score: f64}> of 10^5 elements, and
 * stores (transcodes) and loads a 1 MB string for every pair of source and
 * destination encodings, against a plain memcpy of the same bytes. Then a
 * component-to-component call A -> B (two memories) through kumi_cval trees
 * (abi_canon_lower_call around abi_canon_lift_call) against the fused
 * transfer (abi_fuse_call), in ns per call, with a guest that returns a
 * value prepared in its memory (so the time is the transfer's).
 *
 *   cmake --build build && cc -O2 -Iinclude -Isrc bench/abi_bench.c build/libkumi.a -luv -lm -o /tmp/abi_bench
 *   /tmp/abi_bench          (or `/tmp/abi_bench calls`: only the calls)
 */
#define _POSIX_C_SOURCE 200809L
#include "component/abi.h"
#include "component/abi_fuse.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

typedef struct mem {
  uint8_t *data;
  uint64_t size, next;
} mem;

static kumi_error *bump(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                        uint64_t *ret) {
  mem *m = ud;
  if (old_ptr && new_size < old_size) {
    *ret = (old_ptr + align - 1) / align * align;
    return NULL;
  }
  uint64_t p = (m->next + align - 1) / align * align;
  if (p + new_size > m->size) return kb_error(NULL, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "out of memory");
  m->next = p + new_size;
  if (old_size) memmove(m->data + p, m->data + old_ptr, (size_t)old_size);
  *ret = p;
  return NULL;
}

static abi_cx make_cx(mem *m, const comp_types *ts, uint8_t enc) {
  abi_cx cx;
  memset(&cx, 0, sizeof cx);
  cx.alloc = kb_default_allocator();
  cx.ts = ts;
  cx.encoding = enc;
  cx.mem = m->data;
  cx.mem_size = m->size;
  cx.hooks.realloc = bump;
  cx.hooks.ud = m;
  return cx;
}

static void die(kumi_error *e) {
  if (!e) return;
  fprintf(stderr, "error: %s\n", kumi_error_message(e));
  exit(1);
}

static const char *enc_name(uint8_t e) { return e == ABI_UTF8 ? "utf8" : e == ABI_UTF16 ? "utf16" : "latin1+utf16"; }


/* ---- a call from A into B: cval path against fused ---- */

/* CPU time of this thread: the machine may be shared. */
static double cpu_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

typedef struct callbench {
  abi_cx *a, *b; /* the contexts of the path being timed */
  const comp_type *ft;
  uint64_t bresult; /* B's result: a pointer to it in B's memory (or the flat value) */
  int posts;
} callbench;

static kumi_error *b_core(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  (void)args;
  (void)nargs;
  callbench *c = ud;
  if (nresults) results[0] = kumi_val_i32((int32_t)c->bresult);
  return NULL;
}

static kumi_error *b_post(void *ud, const kumi_val *args, size_t nargs, kumi_val *results, size_t nresults) {
  (void)args;
  (void)nargs;
  (void)results;
  (void)nresults;
  ((callbench *)ud)->posts++;
  return NULL;
}

static kumi_error *b_host(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result) {
  (void)nargs;
  callbench *c = ud;
  return abi_canon_lift_call(c->b, c->ft, args, result, b_core, b_post, c);
}

/* Times one call of ft with argument value arg and result value res, both
 * ways; reports ns per call. */
static void bench_call(const comp_types *ts, const comp_type *ft, const kumi_cval *arg, const kumi_cval *res,
                       uint8_t enca, uint8_t encb, const char *label, int iters) {
  const kumi_allocator *al = kb_default_allocator();
  mem am = {calloc(1, 8u << 20), 8u << 20, 16}, bm = {calloc(1, 8u << 20), 8u << 20, 16};
  abi_cx a = make_cx(&am, ts, enca), b = make_cx(&bm, ts, encb);
  /* A's arguments and return area; B's result, stored once */
  abi_vals args = {0};
  comp_vt pt = ft->fields[0].type;
  die(abi_lower_flat_values(&a, ABI_MAX_FLAT_PARAMS, &pt, arg, 1, NULL, &args));
  uint64_t retptr;
  die(abi_realloc(&a, 0, 0, 8, abi_size(ts, ft->result, false), &retptr));
  kb_vec_push(al, &args, kumi_val_i32((int32_t)retptr));
  uint64_t rptr;
  die(abi_realloc(&b, 0, 0, 8, abi_size(ts, ft->result, false), &rptr));
  die(abi_store(&b, ft->result, res, rptr));
  uint64_t abase = am.next, bbase = bm.next;
  callbench c = {&a, &b, ft, rptr, 0};
  double best[2] = {1e30, 1e30};
  for (int way = 0; way < 2; way++) {
    for (int r = 0; r < 5; r++) {
      double t0 = cpu_now();
      for (int i = 0; i < iters; i++) {
        am.next = abase;
        bm.next = bbase;
        if (way == 0) {
          abi_vals out = {0};
          die(abi_canon_lower_call(&a, ft, args.items, args.len, &out, b_host, &c));
          kb_vec_free(al, &out);
        } else {
          abi_fuse_callee fns = {NULL, b_core, NULL, b_post, NULL, &c};
          die(abi_fuse_call(&a, &b, ft, ft, args.items, args.len, NULL, 0, &fns));
        }
      }
      double t = (cpu_now() - t0) / iters;
      if (t < best[way]) best[way] = t;
    }
    kumi_cval got;
    die(abi_load(&a, ft->result, retptr, &got));
    if (!kumi_cval_equal(&got, res)) {
      fprintf(stderr, "%s: the result differs\n", label);
      exit(1);
    }
    kumi_cval_free(al, &got);
  }
  printf("  %-44s cval %10.0f ns/call   fused %10.0f ns/call   x%.2f\n", label, best[0], best[1],
         best[0] / best[1]);
  kb_vec_free(al, &args);
  free(am.data);
  free(bm.data);
}

static void fused_calls(comp_types *ts, abi_typestr_cx *p) {
  const kumi_allocator *a = kb_default_allocator();
  char err[200];
  const char *fs = "func(s: string) -> string";
  const char *fl = "func(xs: list<record{id: u32, name: string, score: f64}>) -> "
                   "list<record{id: u32, name: string, score: f64}>";
  comp_tid fsid, flid;
  if (!abi_typestr_parse_func(p, fs, strlen(fs), &fsid, err, sizeof err) ||
      !abi_typestr_parse_func(p, fl, strlen(fl), &flid, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    exit(1);
  }
  printf("a call from component A into component B (two memories), argument and result, CPU time:\n");
  size_t sizes[2] = {16, 64 * 1024};
  for (int k = 0; k < 2; k++) {
    char *text = malloc(sizes[k]);
    for (size_t i = 0; i < sizes[k]; i++) text[i] = (char)('a' + i % 26);
    kumi_cval s;
    kumi_cval_string(a, text, sizes[k], &s);
    static const uint8_t pairs[3][2] = {{ABI_UTF8, ABI_UTF8}, {ABI_UTF8, ABI_UTF16}, {ABI_UTF16, ABI_LATIN1_UTF16}};
    for (int q = 0; q < 3; q++) {
      char label[100];
      snprintf(label, sizeof label, "string of %zu B, %s -> %s", sizes[k], enc_name(pairs[q][0]),
               enc_name(pairs[q][1]));
      bench_call(ts, comp_ty(ts, fsid), &s, &s, pairs[q][0], pairs[q][1], label, k ? 200 : 200000);
    }
    kumi_cval_free(a, &s);
    free(text);
  }
  size_t lens[2] = {10, 1000};
  for (int k = 0; k < 2; k++) {
    kumi_cval list;
    kumi_cval_agg(a, KUMI_CV_LIST, lens[k], &list);
    for (size_t i = 0; i < lens[k]; i++) {
      kumi_cval *r = &list.of.agg.items[i];
      char name[32];
      int n = snprintf(name, sizeof name, "element-%zu", i);
      kumi_cval_agg(a, KUMI_CV_RECORD, 3, r);
      r->of.agg.items[0] = kumi_cval_int(KUMI_CV_U32, (int64_t)i);
      kumi_cval_string(a, name, (size_t)n, &r->of.agg.items[1]);
      r->of.agg.items[2] = kumi_cval_f64(0x3ff8000000000000ull);
    }
    char label[100];
    snprintf(label, sizeof label, "list<record{u32, string, f64}> of %zu, utf8", lens[k]);
    bench_call(ts, comp_ty(ts, flid), &list, &list, ABI_UTF8, ABI_UTF8, label, k ? 200 : 20000);
    kumi_cval_free(a, &list);
  }
}

/* `abi_bench calls` runs only the component-to-component calls. */
int main(int argc, char **argv) {
  const kumi_allocator *a = kb_default_allocator();
  comp_types ts;
  comp_types_init(&ts, a);
  abi_typestr_cx p;
  abi_typestr_init(&p, &ts);
  if (argc > 1 && strcmp(argv[1], "calls") == 0) {
    fused_calls(&ts, &p);
    abi_typestr_free(&p);
    comp_types_free(&ts);
    return 0;
  }
  const char *tstr = "list<record{id: u32, name: string, score: f64}>";
  comp_vt vt;
  char err[200];
  if (!abi_typestr_parse(&p, tstr, strlen(tstr), &vt, err, sizeof err)) return 1;

  /* ---- the list of records ---- */
  enum { N = 100000 };
  kumi_cval list;
  kumi_cval_agg(a, KUMI_CV_LIST, N, &list);
  size_t str_bytes = 0;
  for (size_t i = 0; i < N; i++) {
    kumi_cval *r = &list.of.agg.items[i];
    char name[32];
    int n = snprintf(name, sizeof name, "element-%zu", i);
    kumi_cval_agg(a, KUMI_CV_RECORD, 3, r);
    r->of.agg.items[0] = kumi_cval_int(KUMI_CV_U32, (int64_t)i);
    kumi_cval_string(a, name, (size_t)n, &r->of.agg.items[1]);
    r->of.agg.items[2] = kumi_cval_f64(0x3ff8000000000000ull);
    str_bytes += (size_t)n;
  }
  mem m = {calloc(1, 64u << 20), 64u << 20, 16};
  int runs = 5;
  double best_lower = 1e30, best_lift = 1e30, best_copy = 1e30;
  size_t bytes = N * 24 + str_bytes;
  uint8_t *copy_dst = malloc(bytes);
  for (int r = 0; r < runs; r++) {
    m.next = 16;
    abi_cx cx = make_cx(&m, &ts, ABI_UTF8);
    abi_vals fv = {0};
    double t0 = now();
    die(abi_lower_flat(&cx, vt, &list, &fv));
    double t1 = now();
    abi_iter it = {fv.items, fv.len, 0};
    kumi_cval back;
    die(abi_lift_flat(&cx, vt, &it, &back));
    double t2 = now();
    memcpy(copy_dst, m.data + 16, bytes);
    double t3 = now();
    if (!kumi_cval_equal(&back, &list)) return fprintf(stderr, "round trip differs\n"), 1;
    kumi_cval_free(a, &back);
    kb_vec_free(a, &fv);
    if (t1 - t0 < best_lower) best_lower = t1 - t0;
    if (t2 - t1 < best_lift) best_lift = t2 - t1;
    if (t3 - t2 < best_copy) best_copy = t3 - t2;
  }
  printf("%s, %d elements (%zu bytes in memory)\n", tstr, N, bytes);
  printf("  lower %8.1f ns/element   lift %8.1f ns/element   memcpy %6.2f ns/element\n", best_lower / N,
         best_lift / N, best_copy / N);
  kumi_cval_free(a, &list);

  /* ---- a 1 MB string in every encoding pair ---- */
  enum { SZ = 1 << 20 };
  /* mostly ASCII with some Latin-1 and some wider characters */
  char *text = malloc(SZ + 8);
  size_t tn = 0;
  for (size_t i = 0; tn < SZ - 4; i++) {
    if (i % 64 == 63) text[tn++] = (char)0xC3, text[tn++] = (char)0xA9;             /* é */
    else if (i % 512 == 511) text[tn++] = (char)0xE6, text[tn++] = (char)0x97, text[tn++] = (char)0xA5; /* 日 */
    else text[tn++] = (char)('a' + i % 26);
  }
  printf("a %zu-byte UTF-8 string (ASCII, some Latin-1, some CJK)\n", tn);
  uint8_t *copy2 = malloc(4 * SZ);
  double best_memcpy = 1e30;
  for (int r = 0; r < runs; r++) {
    double t0 = now();
    memcpy(copy2, text, tn);
    double t1 = now();
    if (t1 - t0 < best_memcpy) best_memcpy = t1 - t0;
  }
  printf("  memcpy                              %6.3f ns/byte\n", best_memcpy / (double)tn);
  for (uint8_t src = 0; src < 3; src++) {
    /* the source string: stored once from UTF-8 into a component using src */
    m.next = 16;
    abi_cx scx = make_cx(&m, &ts, src);
    abi_str s8 = {(const uint8_t *)text, ABI_UTF8, false, tn};
    uint64_t sptr, sunits;
    die(abi_store_string_range(&scx, &s8, &sptr, &sunits));
    uint64_t sbytes = src == ABI_UTF8 ? sunits : (sunits & 0x80000000u) || src == ABI_UTF16 ? 2 * (sunits & 0x7fffffffu) : sunits;
    uint8_t *sbuf = malloc(sbytes + 1);
    memcpy(sbuf, m.data + sptr, sbytes);
    for (uint8_t dst = 0; dst < 3; dst++) {
      double best = 1e30, best_load = 1e30;
      for (int r = 0; r < runs; r++) {
        m.next = 16;
        abi_cx cx = make_cx(&m, &ts, dst);
        abi_str s = {sbuf, src, false, sunits};
        uint64_t ptr, units;
        double t0 = now();
        die(abi_store_string_range(&cx, &s, &ptr, &units));
        double t1 = now();
        kumi_cval v;
        die(abi_load_string_range(&cx, ptr, units, &v));
        double t2 = now();
        if (v.of.str.len != tn || memcmp(v.of.str.ptr, text, tn) != 0) return fprintf(stderr, "string differs\n"), 1;
        kumi_cval_free(a, &v);
        if (t1 - t0 < best) best = t1 - t0;
        if (t2 - t1 < best_load) best_load = t2 - t1;
      }
      printf("  %-12s -> %-12s store %6.3f ns/byte   load (lift to UTF-8) %6.3f ns/byte\n", enc_name(src),
             enc_name(dst), best / (double)tn, best_load / (double)tn);
    }
    free(sbuf);
  }
  free(text);
  free(copy2);
  free(copy_dst);
  free(m.data);
  fused_calls(&ts, &p);
  abi_typestr_free(&p);
  comp_types_free(&ts);
  return 0;
}
