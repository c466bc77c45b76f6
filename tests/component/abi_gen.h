/* Generators shared by the Canonical ABI property tests (test_abi_roundtrip.c,
 * test_fuse.c): a xorshift random source, random WIT-like type strings for
 * abi_typestr_parse, random values of a type, and a guest memory with a
 * bump realloc. Header-only; each test program gets its own rng state. */
#ifndef KUMI_TESTS_COMPONENT_ABI_GEN_H
#define KUMI_TESTS_COMPONENT_ABI_GEN_H

#include "component/abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- random ---------------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static inline uint64_t rnd(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static inline uint32_t below(uint32_t n) { return (uint32_t)(rnd() % n); }

typedef KB_VEC(char) sbuf;
static inline void sput(sbuf *b, const char *s) {
  size_t n = strlen(s);
  if (!kb_vec_reserve(kb_default_allocator(), b, n + 1)) abort();
  memcpy(b->items + b->len, s, n + 1);
  b->len += n;
}

static const char *const prims[] = {"bool", "s8",  "u8",  "s16", "u16",  "s32",   "u32",
                                    "s64",  "u64", "f32", "f64", "char", "string"};
static const char *const keys[] = {"bool", "s8", "u32", "s64", "char", "string"};

static inline void gen_type(sbuf *b, int depth) {
  char tmp[64];
  if (depth <= 0 || below(10) < 4) {
    sput(b, prims[below(13)]);
    return;
  }
  switch (below(11)) {
  case 0: sput(b, "list<"); gen_type(b, depth - 1); sput(b, ">"); break;
  case 1:
    sput(b, "list<");
    gen_type(b, depth - 1);
    snprintf(tmp, sizeof tmp, ", %u>", 1 + below(3));
    sput(b, tmp);
    break;
  case 2: {
    sput(b, "tuple<");
    uint32_t n = 1 + below(3);
    for (uint32_t i = 0; i < n; i++) {
      if (i) sput(b, ", ");
      gen_type(b, depth - 1);
    }
    sput(b, ">");
    break;
  }
  case 3: sput(b, "option<"); gen_type(b, depth - 1); sput(b, ">"); break;
  case 4:
    switch (below(4)) {
    case 0: sput(b, "result"); break;
    case 1: sput(b, "result<"); gen_type(b, depth - 1); sput(b, ">"); break;
    case 2: sput(b, "result<_, "); gen_type(b, depth - 1); sput(b, ">"); break;
    default: sput(b, "result<"); gen_type(b, depth - 1); sput(b, ", "); gen_type(b, depth - 1); sput(b, ">"); break;
    }
    break;
  case 5: {
    sput(b, "record{");
    uint32_t n = 1 + below(4);
    for (uint32_t i = 0; i < n; i++) {
      snprintf(tmp, sizeof tmp, "%sf%u: ", i ? ", " : "", i);
      sput(b, tmp);
      gen_type(b, depth - 1);
    }
    sput(b, "}");
    break;
  }
  case 6: {
    sput(b, "variant{");
    uint32_t n = 1 + below(4);
    for (uint32_t i = 0; i < n; i++) {
      snprintf(tmp, sizeof tmp, "%s%s%u", i ? ", " : "", i == 1 ? "none-" : "c", i);
      sput(b, tmp);
      if (below(3)) {
        sput(b, "(");
        gen_type(b, depth - 1);
        sput(b, ")");
      }
    }
    sput(b, "}");
    break;
  }
  case 7: {
    /* sometimes more than 256 cases: a 2-byte discriminant */
    uint32_t n = below(5) ? 1 + below(4) : 300;
    sput(b, "enum{");
    for (uint32_t i = 0; i < n; i++) {
      snprintf(tmp, sizeof tmp, "%s%s", i ? ", " : "", i == 0 ? "true" : "");
      sput(b, tmp);
      if (i) {
        snprintf(tmp, sizeof tmp, "e%u", i);
        sput(b, tmp);
      }
    }
    sput(b, "}");
    break;
  }
  case 8: {
    uint32_t n = 1 + below(32);
    sput(b, "flags{");
    for (uint32_t i = 0; i < n; i++) {
      snprintf(tmp, sizeof tmp, "%sg%u", i ? ", " : "", i);
      sput(b, tmp);
    }
    sput(b, "}");
    break;
  }
  case 9:
    sput(b, "map<");
    sput(b, keys[below(6)]);
    sput(b, ", ");
    gen_type(b, depth - 1);
    sput(b, ">");
    break;
  default: sput(b, prims[below(13)]); break;
  }
}

static inline size_t put_utf8(char *o, uint32_t c) {
  if (c < 0x80) { o[0] = (char)c; return 1; }
  if (c < 0x800) { o[0] = (char)(0xC0 | c >> 6); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | c >> 12); o[1] = (char)(0x80 | (c >> 6 & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | c >> 18); o[1] = (char)(0x80 | (c >> 12 & 0x3F)); o[2] = (char)(0x80 | (c >> 6 & 0x3F));
  o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static inline uint32_t gen_char(void) {
  switch (below(5)) {
  case 0: return below(0x80);
  case 1: return 0x80 + below(0x80);
  case 2: return 0x100 + below(0xD700);
  case 3: return 0x10000 + below(0x100000);
  default: return 0x20 + below(0x5f);
  }
}

static inline uint32_t gen_float32(void) {
  switch (below(6)) {
  case 0: return 0x7fc00000u; /* the one NaN */
  case 1: return 0x80000000u;
  case 2: return 0x7f800000u;
  default: {
    uint32_t b = (uint32_t)rnd();
    if ((b & 0x7f800000u) == 0x7f800000u && (b & 0x7fffffu)) b = 0x7fc00000u;
    return b;
  }
  }
}

static inline uint64_t gen_float64(void) {
  switch (below(6)) {
  case 0: return 0x7ff8000000000000ull;
  case 1: return 0xfff0000000000000ull;
  case 2: return 0x3ff0000000000000ull;
  default: {
    uint64_t b = rnd();
    if ((b & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (b & 0xfffffffffffffull)) b = 0x7ff8000000000000ull;
    return b;
  }
  }
}

static inline void gen_value(const comp_types *ts, comp_vt vt, kumi_cval *out, int budget) {
  const comp_type *t;
  const kumi_allocator *a = kb_default_allocator();
  switch (abi_resolve(ts, vt, &t)) {
  case COMP_BOOL: *out = kumi_cval_bool(below(2)); return;
  case COMP_S8: *out = kumi_cval_int(KUMI_CV_S8, (int64_t)rnd()); return;
  case COMP_U8: *out = kumi_cval_int(KUMI_CV_U8, (int64_t)rnd()); return;
  case COMP_S16: *out = kumi_cval_int(KUMI_CV_S16, (int64_t)rnd()); return;
  case COMP_U16: *out = kumi_cval_int(KUMI_CV_U16, (int64_t)rnd()); return;
  case COMP_S32: *out = kumi_cval_int(KUMI_CV_S32, (int64_t)rnd()); return;
  case COMP_U32: *out = kumi_cval_int(KUMI_CV_U32, (int64_t)rnd()); return;
  case COMP_S64: *out = kumi_cval_int(KUMI_CV_S64, (int64_t)rnd()); return;
  case COMP_U64: *out = kumi_cval_int(KUMI_CV_U64, (int64_t)rnd()); return;
  case COMP_F32: *out = kumi_cval_f32(gen_float32()); return;
  case COMP_F64: *out = kumi_cval_f64(gen_float64()); return;
  case COMP_CHAR: *out = kumi_cval_char(gen_char()); return;
  case COMP_STRING: {
    char buf[200];
    size_t n = 0, len = below(4) ? below(12) : below(40);
    bool latin = below(2);
    for (size_t i = 0; i < len; i++) n += put_utf8(buf + n, latin ? below(0x100) : gen_char());
    kumi_cval_string(a, buf, n, out);
    return;
  }
  default: break;
  }
  switch (t->dkind) {
  case 0x70: case 0x67: case 0x63: {
    size_t n = t->dkind == 0x67 ? t->len : budget > 0 ? below(4) : 0;
    kumi_cval_agg(a, t->dkind == 0x63 ? KUMI_CV_MAP : KUMI_CV_LIST, n, out);
    for (size_t i = 0; i < n; i++) {
      if (t->dkind == 0x63) {
        kumi_cval *kv = &out->of.agg.items[i];
        kumi_cval_agg(a, KUMI_CV_TUPLE, 2, kv);
        gen_value(ts, t->a, &kv->of.agg.items[0], budget - 1);
        gen_value(ts, t->b, &kv->of.agg.items[1], budget - 1);
      } else {
        gen_value(ts, t->a, &out->of.agg.items[i], budget - 1);
      }
    }
    return;
  }
  case 0x72: case 0x6f:
    kumi_cval_agg(a, t->dkind == 0x72 ? KUMI_CV_RECORD : KUMI_CV_TUPLE, t->n, out);
    for (uint32_t i = 0; i < t->n; i++) gen_value(ts, t->fields[i].type, &out->of.agg.items[i], budget - 1);
    return;
  case 0x71: case 0x6d: case 0x6b: case 0x6a: {
    kumi_cvalkind k = t->dkind == 0x71 ? KUMI_CV_VARIANT : t->dkind == 0x6d ? KUMI_CV_ENUM
                      : t->dkind == 0x6b ? KUMI_CV_OPTION : KUMI_CV_RESULT;
    uint32_t c = below(abi_ncases(t));
    comp_vt ct;
    if (abi_case_type(t, c, &ct)) {
      kumi_cval p;
      gen_value(ts, ct, &p, budget - 1);
      kumi_cval_case(a, k, c, &p, out);
    } else {
      kumi_cval_case(a, k, c, NULL, out);
    }
    return;
  }
  case 0x6e:
    *out = kumi_cval_flags((uint32_t)rnd() & (t->n >= 32 ? UINT32_MAX : (1u << t->n) - 1));
    return;
  default: *out = kumi_cval_bool(false); return;
  }
}

/* ---- a guest memory with a bump realloc --------------------------------------------- */

typedef struct mem {
  uint8_t *data;
  uint64_t size, next;
} mem;

static inline kumi_error *bump(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                        uint64_t *ret) {
  mem *m = ud;
  if (old_ptr && new_size < old_size) {
    *ret = (old_ptr + align - 1) / align * align;
    return NULL;
  }
  uint64_t p = (m->next + align - 1) / align * align;
  if (p + new_size > m->size) return kb_error(kb_default_allocator(), KUMI_ERR_TRAP, KUMI_NO_OFFSET, "out of memory");
  m->next = p + new_size;
  if (old_size) memmove(m->data + p, m->data + old_ptr, (size_t)old_size);
  *ret = p;
  return NULL;
}

static inline abi_cx make_cx(mem *m, const comp_types *ts, const kumi_allocator *a, bool mem64, uint8_t enc) {
  abi_cx cx;
  memset(&cx, 0, sizeof cx);
  cx.alloc = a;
  cx.ts = ts;
  cx.mem64 = mem64;
  cx.encoding = enc;
  cx.mem = m->data;
  cx.mem_size = m->size;
  cx.hooks.realloc = bump;
  cx.hooks.ud = m;
  return cx;
}

#endif
