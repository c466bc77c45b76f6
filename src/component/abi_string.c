/* Canonical ABI strings: load_string_from_range (decode and validate
 * utf8 / utf16 / latin1+utf16 into a UTF-8 kumi_cval) and
 * store_string_into_range with the spec's exact sequence of realloc calls
 * for every source/destination encoding pair (CanonicalABI.md, store_string
 * and its helpers). */
#include "abi.h"
#include "abi_bits.h"

#define REALLOC_I32_MAX ((uint64_t)UINT32_MAX)

static uint64_t tag_of(bool mem64) { return (uint64_t)1 << (mem64 ? 63 : 31); }

/* ---- decoding ---------------------------------------------------------------- */

/* A source of code points. */
typedef struct cpsrc {
  const uint8_t *p;
  uint64_t n, i; /* in bytes */
  uint8_t form;  /* 0 utf8, 1 utf16, 2 latin1 */
} cpsrc;

/* The next code point: 1 ok, 0 end, -1 invalid. */
static int cp_next(cpsrc *s, uint32_t *cp) {
  if (s->i >= s->n) return 0;
  const uint8_t *p = s->p + s->i;
  uint64_t left = s->n - s->i;
  if (s->form == 2) {
    *cp = p[0];
    s->i++;
    return 1;
  }
  if (s->form == 1) {
    if (left < 2) return -1;
    uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8;
    if (u < 0xD800 || u > 0xDFFF) {
      *cp = u;
      s->i += 2;
      return 1;
    }
    if (u >= 0xDC00 || left < 4) return -1;
    uint32_t l = (uint32_t)p[2] | (uint32_t)p[3] << 8;
    if (l < 0xDC00 || l > 0xDFFF) return -1;
    *cp = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
    s->i += 4;
    return 1;
  }
  uint8_t b = p[0];
  if (b < 0x80) {
    *cp = b;
    s->i++;
    return 1;
  }
  uint32_t n, c, min;
  if (b >= 0xC2 && b <= 0xDF) n = 1, c = b & 0x1F, min = 0x80;
  else if (b >= 0xE0 && b <= 0xEF) n = 2, c = b & 0x0F, min = 0x800;
  else if (b >= 0xF0 && b <= 0xF4) n = 3, c = b & 0x07, min = 0x10000;
  else return -1;
  if (left < n + 1) return -1;
  for (uint32_t k = 1; k <= n; k++) {
    if ((p[k] & 0xC0) != 0x80) return -1;
    c = c << 6 | (p[k] & 0x3F);
  }
  if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return -1;
  *cp = c;
  s->i += n + 1;
  return 1;
}

/* Well-formed UTF-8, skipping ASCII 8 bytes at a time. */
static bool utf8_ok(const uint8_t *p, uint64_t n) {
  cpsrc s = {p, n, 0, 0};
  uint32_t cp;
  while (s.i < n) {
    while (s.i + 8 <= n) {
      uint64_t w;
      memcpy(&w, p + s.i, 8);
      if (w & 0x8080808080808080ull) break;
      s.i += 8;
    }
    if (s.i >= n) break;
    if (p[s.i] < 0x80) {
      s.i++;
      continue;
    }
    if (cp_next(&s, &cp) < 0) return false;
  }
  return true;
}

static size_t utf8_put(uint8_t *o, uint32_t c) {
  if (c < 0x80) {
    o[0] = (uint8_t)c;
    return 1;
  }
  if (c < 0x800) {
    o[0] = (uint8_t)(0xC0 | c >> 6);
    o[1] = (uint8_t)(0x80 | (c & 0x3F));
    return 2;
  }
  if (c < 0x10000) {
    o[0] = (uint8_t)(0xE0 | c >> 12);
    o[1] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
    o[2] = (uint8_t)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (uint8_t)(0xF0 | c >> 18);
  o[1] = (uint8_t)(0x80 | (c >> 12 & 0x3F));
  o[2] = (uint8_t)(0x80 | (c >> 6 & 0x3F));
  o[3] = (uint8_t)(0x80 | (c & 0x3F));
  return 4;
}

static size_t utf16_put(uint8_t *o, uint32_t c) {
  if (c < 0x10000) {
    o[0] = (uint8_t)c;
    o[1] = (uint8_t)(c >> 8);
    return 2;
  }
  uint32_t v = c - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
  o[0] = (uint8_t)hi;
  o[1] = (uint8_t)(hi >> 8);
  o[2] = (uint8_t)lo;
  o[3] = (uint8_t)(lo >> 8);
  return 4;
}

/* A string value of n already-validated UTF-8 bytes. */
static bool make_str(const abi_cx *cx, const uint8_t *b, size_t n, kumi_cval *out) {
  char *p = kb_alloc(cx->alloc, n + 1);
  if (!p) return false;
  if (n) memcpy(p, b, n);
  p[n] = 0;
  *out = kumi_cval_bool(false);
  out->kind = KUMI_CV_STRING;
  out->of.str.ptr = p;
  out->of.str.len = n;
  return true;
}

/* The checks of load_string_from_range up to the decoding: the length
 * limit, alignment and bounds; the byte length and the form (0 utf8, 1
 * utf16, 2 latin1) of the string. */
static kumi_error *string_range(abi_cx *cx, uint64_t ptr, uint64_t tagged, uint64_t *blen_out, uint8_t *form_out) {
  uint64_t tag = tag_of(cx->mem64), blen;
  uint64_t align = 1;
  uint8_t form;
  switch (cx->encoding) {
  case ABI_UTF8: blen = tagged; form = 0; break;
  case ABI_UTF16:
    align = 2;
    form = 1;
    if (tagged > ABI_MAX_BYTE_LENGTH) return abi_trap(cx, "string byte length exceeds the limit");
    blen = 2 * tagged;
    break;
  default:
    align = 2;
    if (tagged & tag) {
      form = 1;
      if ((tagged ^ tag) > ABI_MAX_BYTE_LENGTH) return abi_trap(cx, "string byte length exceeds the limit");
      blen = 2 * (tagged ^ tag);
    } else {
      form = 2;
      blen = tagged;
    }
    break;
  }
  if (blen > ABI_MAX_BYTE_LENGTH) return abi_trap(cx, "string byte length exceeds the limit");
  if (ptr % align) return abi_trap(cx, "unaligned string pointer");
  if (!abi_in_range(cx, ptr, blen)) return abi_trap(cx, "string out of bounds");
  *blen_out = blen;
  *form_out = form;
  return NULL;
}

kumi_error *abi_check_string_range(abi_cx *cx, uint64_t ptr, uint64_t tagged) {
  uint64_t blen = 0;
  uint8_t form = 0;
  kumi_error *err = string_range(cx, ptr, tagged, &blen, &form);
  if (err) return err;
  const uint8_t *src = cx->mem + ptr;
  if (form == 0) return utf8_ok(src, blen) ? NULL : abi_trap(cx, "invalid UTF-8 string");
  if (form == 1) {
    /* what cp_next accepts: surrogates only in high-low pairs */
    for (uint64_t i = 0; i < blen; i += 2) {
      uint32_t u = (uint32_t)src[i] | (uint32_t)src[i + 1] << 8;
      if (u - 0xD800u >= 0x800u) continue;
      if (u >= 0xDC00 || blen - i < 4) return abi_trap(cx, "invalid UTF-16 string");
      uint32_t l = (uint32_t)src[i + 2] | (uint32_t)src[i + 3] << 8;
      if (l - 0xDC00u >= 0x400u) return abi_trap(cx, "invalid UTF-16 string");
      i += 2;
    }
  }
  return NULL;
}

kumi_error *abi_load_string_range(abi_cx *cx, uint64_t ptr, uint64_t tagged, kumi_cval *out) {
  uint64_t blen = 0;
  uint8_t form = 0;
  *out = kumi_cval_bool(false);
  kumi_error *range_err = string_range(cx, ptr, tagged, &blen, &form);
  if (range_err) return range_err;
  const uint8_t *src = cx->mem + ptr;
  if (form == 0) {
    if (!utf8_ok(src, blen)) return abi_trap(cx, "invalid UTF-8 string");
    if (!make_str(cx, src, (size_t)blen, out)) return kb_error_oom();
    return NULL;
  }
  /* utf16: at most 3 UTF-8 bytes per code unit; latin1: 2 per byte. */
  size_t cap = form == 1 ? (size_t)(blen / 2 * 3) : (size_t)(blen * 2);
  uint8_t *buf = kb_alloc(cx->alloc, cap + 1);
  if (!buf) return kb_error_oom();
  cpsrc s = {src, blen, 0, form};
  size_t n = 0;
  uint32_t cp;
  int r;
  while ((r = cp_next(&s, &cp)) > 0) n += utf8_put(buf + n, cp);
  kumi_error *err = NULL;
  if (r < 0) err = abi_trap(cx, "invalid UTF-16 string");
  else if (!make_str(cx, buf, n, out)) err = kb_error_oom();
  kb_free(cx->alloc, buf, cap + 1);
  return err;
}

/* ---- storing ------------------------------------------------------------------- */

typedef struct st {
  abi_cx *cx;
  cpsrc src;
  uint64_t units; /* source code units (tag removed) */
  uint64_t ptr;
  /* A source in another context's memory (abi_store_string_from): looked
   * up again after every realloc, which may run code that moves it. */
  abi_cx *src_cx;
  uint64_t src_ptr;
  bool checked; /* the source is known to be well-formed */
} st;

static kumi_error *st_realloc(st *s, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size) {
  if (new_size > REALLOC_I32_MAX) return abi_trap(s->cx, "string too large to store");
  kumi_error *e = abi_realloc(s->cx, old_ptr, old_size, align, new_size, &s->ptr);
  if (e || !s->src_cx) return e;
  abi_cx *sc = s->src_cx;
  if (sc->hooks.memory) sc->hooks.memory(sc->hooks.ud, &sc->mem, &sc->mem_size);
  if (!abi_in_range(sc, s->src_ptr, s->src.n)) return abi_trap(sc, "string out of bounds");
  s->src.p = sc->mem + s->src_ptr;
  return NULL;
}

static kumi_error *st_check(st *s, uint64_t align, uint64_t len) {
  if (align > 1 && s->ptr % align) return abi_trap(s->cx, "unaligned pointer returned by realloc");
  if (!abi_in_range(s->cx, s->ptr, len)) return abi_trap(s->cx, "realloc returned an out-of-bounds pointer");
  return NULL;
}

static kumi_error *bad_src(st *s) { return abi_trap(s->cx, "invalid source string"); }

/* store_string_copy: exact size, one allocation. */
static kumi_error *store_copy(st *s, uint64_t unit, uint64_t align, uint8_t dst_form, uint64_t *units) {
  uint64_t blen = unit * s->units;
  kumi_error *e = st_realloc(s, 0, 0, align, blen);
  if (!e) e = st_check(s, align, blen);
  if (e) return e;
  uint8_t *o = s->cx->mem + s->ptr;
  if (s->src.form == dst_form && s->src.n == blen) {
    /* same encoding: validate (unless already checked), then copy */
    if (s->checked) {
    } else if (dst_form == 0) {
      if (!utf8_ok(s->src.p, s->src.n)) return bad_src(s);
    } else if (dst_form == 1) {
      cpsrc v = s->src;
      uint32_t cp;
      int r;
      while ((r = cp_next(&v, &cp)) > 0) {
      }
      if (r < 0) return bad_src(s);
    }
    if (blen) memcpy(o, s->src.p, (size_t)blen);
  } else {
    uint64_t n = 0;
    uint32_t cp;
    int r;
    while ((r = cp_next(&s->src, &cp)) > 0) {
      if (n + (dst_form == 1 ? (cp >= 0x10000 ? 4 : 2) : 1) > blen) return bad_src(s);
      if (dst_form == 1) n += utf16_put(o + n, cp);
      else o[n++] = (uint8_t)cp;
    }
    if (r < 0 || n != blen) return bad_src(s);
  }
  *units = s->units;
  return NULL;
}

/* store_utf16_to_utf8 / store_latin1_to_utf8. */
static kumi_error *store_to_utf8(st *s, uint64_t worst, uint64_t *units) {
  kumi_error *e = st_realloc(s, 0, 0, 1, s->units);
  if (!e) e = st_check(s, 1, s->units);
  if (e) return e;
  uint64_t i = 0;
  uint32_t cp;
  int r;
  while ((r = cp_next(&s->src, &cp)) > 0) {
    if (cp < 0x80) {
      if (i >= s->units) return bad_src(s);
      s->cx->mem[s->ptr + i++] = (uint8_t)cp;
      continue;
    }
    e = st_realloc(s, s->ptr, s->units, 1, worst);
    if (!e) e = st_check(s, 1, worst);
    if (e) return e;
    uint64_t n = i;
    do {
      if (n + 4 > worst && n + (cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4) > worst) return bad_src(s);
      n += utf8_put(s->cx->mem + s->ptr + n, cp);
    } while ((r = cp_next(&s->src, &cp)) > 0);
    if (r < 0) return bad_src(s);
    if (worst > n) {
      e = st_realloc(s, s->ptr, worst, 1, n);
      if (!e) e = st_check(s, 1, n);
      if (e) return e;
    }
    *units = n;
    return NULL;
  }
  if (r < 0) return bad_src(s);
  *units = i;
  return NULL;
}

static kumi_error *store_utf8_to_utf16(st *s, uint64_t *units) {
  uint64_t worst = 2 * s->units;
  kumi_error *e = st_realloc(s, 0, 0, 2, worst);
  if (!e) e = st_check(s, 2, worst);
  if (e) return e;
  uint64_t n = 0;
  uint32_t cp;
  int r;
  while ((r = cp_next(&s->src, &cp)) > 0) {
    if (n + (cp >= 0x10000 ? 4 : 2) > worst) return bad_src(s);
    n += utf16_put(s->cx->mem + s->ptr + n, cp);
  }
  if (r < 0) return bad_src(s);
  if (n < worst) {
    e = st_realloc(s, s->ptr, worst, 2, n);
    if (!e) e = st_check(s, 2, n);
    if (e) return e;
  }
  *units = n / 2;
  return NULL;
}

static kumi_error *store_to_latin1_or_utf16(st *s, uint64_t *units) {
  kumi_error *e = st_realloc(s, 0, 0, 2, s->units);
  if (!e) e = st_check(s, 2, s->units);
  if (e) return e;
  uint64_t dst = 0;
  uint32_t cp;
  int r;
  while ((r = cp_next(&s->src, &cp)) > 0) {
    if (cp < 0x100) {
      if (dst >= s->units) return bad_src(s);
      s->cx->mem[s->ptr + dst++] = (uint8_t)cp;
      continue;
    }
    uint64_t worst = 2 * s->units;
    e = st_realloc(s, s->ptr, s->units, 2, worst);
    if (!e) e = st_check(s, 2, worst);
    if (e) return e;
    uint8_t *m = s->cx->mem + s->ptr;
    for (uint64_t j = dst; j-- > 0;) {
      m[2 * j] = m[j];
      m[2 * j + 1] = 0;
    }
    uint64_t n = 2 * dst;
    do {
      if (n + (cp >= 0x10000 ? 4 : 2) > worst) return bad_src(s);
      n += utf16_put(m + n, cp);
    } while ((r = cp_next(&s->src, &cp)) > 0);
    if (r < 0) return bad_src(s);
    if (worst > n) {
      e = st_realloc(s, s->ptr, worst, 2, n);
      if (!e) e = st_check(s, 2, n);
      if (e) return e;
    }
    *units = n / 2 | tag_of(s->cx->mem64);
    return NULL;
  }
  if (r < 0) return bad_src(s);
  if (dst < s->units) {
    e = st_realloc(s, s->ptr, s->units, 2, dst);
    if (!e) e = st_check(s, 2, dst);
    if (e) return e;
  }
  *units = dst;
  return NULL;
}

static kumi_error *store_probably_utf16(st *s, uint64_t *units) {
  uint64_t blen = 2 * s->units;
  kumi_error *e = st_realloc(s, 0, 0, 2, blen);
  if (!e) e = st_check(s, 2, blen);
  if (e) return e;
  uint8_t *m = s->cx->mem + s->ptr;
  uint64_t n = 0;
  bool wide = false;
  uint32_t cp;
  int r;
  while ((r = cp_next(&s->src, &cp)) > 0) {
    if (n + (cp >= 0x10000 ? 4 : 2) > blen) return bad_src(s);
    n += utf16_put(m + n, cp);
    if (cp >= 0x100) wide = true;
  }
  if (r < 0) return bad_src(s);
  if (wide) {
    *units = n / 2 | tag_of(s->cx->mem64);
    return NULL;
  }
  uint64_t l1 = n / 2;
  for (uint64_t i = 0; i < l1; i++) m[i] = m[2 * i];
  e = st_realloc(s, s->ptr, blen, 1, l1);
  if (!e) e = st_check(s, 1, l1);
  if (e) return e;
  *units = l1;
  return NULL;
}

static kumi_error *store_range(st *sp, const abi_str *src, uint64_t *ptr, uint64_t *tagged_units);

kumi_error *abi_store_string_range(abi_cx *cx, const abi_str *src, uint64_t *ptr, uint64_t *tagged_units) {
  st s;
  memset(&s, 0, sizeof s);
  s.cx = cx;
  return store_range(&s, src, ptr, tagged_units);
}

kumi_error *abi_store_string_from(abi_cx *dst, abi_cx *src, uint64_t src_ptr, uint64_t src_tagged, bool checked,
                                  uint64_t *ptr, uint64_t *tagged_units) {
  st s;
  memset(&s, 0, sizeof s);
  s.cx = dst;
  s.src_cx = src;
  s.src_ptr = src_ptr;
  s.checked = checked;
  *ptr = 0;
  *tagged_units = 0;
  abi_str str = {NULL, src->encoding, src->mem64, src_tagged};
  /* the source range, as load_string_from_range checks it */
  uint64_t blen;
  uint8_t form;
  kumi_error *e = string_range(src, src_ptr, src_tagged, &blen, &form);
  if (e) return e;
  str.bytes = src->mem + src_ptr;
  return store_range(&s, &str, ptr, tagged_units);
}

static kumi_error *store_range(st *sp, const abi_str *src, uint64_t *ptr, uint64_t *tagged_units) {
  st s = *sp;
  abi_cx *cx = s.cx;
  uint64_t stag = tag_of(src->mem64);
  uint8_t simple; /* 0 utf8, 1 utf16, 2 latin1 */
  if (src->encoding == ABI_LATIN1_UTF16) {
    simple = (src->tagged_units & stag) ? 1 : 2;
    s.units = simple == 1 ? src->tagged_units ^ stag : src->tagged_units;
  } else {
    simple = src->encoding == ABI_UTF16 ? 1 : 0;
    s.units = src->tagged_units;
  }
  if (s.units > REALLOC_I32_MAX) return abi_trap(cx, "string too large to store");
  s.src.p = src->bytes;
  s.src.n = simple == 1 ? 2 * s.units : s.units;
  s.src.form = simple;
  kumi_error *e;
  switch (cx->encoding) {
  case ABI_UTF8:
    e = simple == 0 ? store_copy(&s, 1, 1, 0, tagged_units)
        : simple == 1 ? store_to_utf8(&s, s.units * 3, tagged_units)
                      : store_to_utf8(&s, s.units * 2, tagged_units);
    break;
  case ABI_UTF16:
    e = simple == 0 ? store_utf8_to_utf16(&s, tagged_units) : store_copy(&s, 2, 2, 1, tagged_units);
    break;
  default:
    if (src->encoding != ABI_LATIN1_UTF16) e = store_to_latin1_or_utf16(&s, tagged_units);
    else if (simple == 2) e = store_copy(&s, 1, 2, 2, tagged_units);
    else e = store_probably_utf16(&s, tagged_units);
    break;
  }
  *ptr = s.ptr;
  return e;
}
