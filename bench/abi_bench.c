/* Canonical ABI micro-benchmark: lowers and lifts a
 * list<record{id: u32, name: string, score: f64}> of 10^5 elements, and
 * stores (transcodes) and loads a 1 MB string for every pair of source and
 * destination encodings, against a plain memcpy of the same bytes.
 *
 *   cmake --build build && cc -O2 -Iinclude -Isrc bench/abi_bench.c build/libkumi.a -lm -o /tmp/abi_bench
 *   /tmp/abi_bench
 */
#define _POSIX_C_SOURCE 200809L
#include "component/abi.h"

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

int main(void) {
  const kumi_allocator *a = kb_default_allocator();
  comp_types ts;
  comp_types_init(&ts, a);
  abi_typestr_cx p;
  abi_typestr_init(&p, &ts);
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
  abi_typestr_free(&p);
  comp_types_free(&ts);
  return 0;
}
