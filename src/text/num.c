/* Literal tokens to values. The lexer has already checked the syntax
 * (digits, underscores, hex prefixes), so these only convert and range-check.
 * Floats: decimal and hexadecimal literals go straight to the target width
 * with strtof/strtod (correctly rounded in glibc), never through a wider
 * type, so f32 constants are not double-rounded. */
#include "lex.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdlib.h>

static const char out_of_range[] = "constant out of range";

static int digit_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Magnitude of an unsigned literal (decimal or 0x hex, with underscores).
 * Returns false on overflow of 64 bits or a stray character. */
static bool magnitude(const uint8_t *s, size_t n, uint64_t *out) {
  unsigned base = 10;
  if (n > 2 && s[0] == '0' && s[1] == 'x') {
    base = 16;
    s += 2;
    n -= 2;
  }
  if (n == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '_') continue;
    int d = digit_value(s[i]);
    if (d < 0 || (unsigned)d >= base) return false;
    if (v > (UINT64_MAX - (uint64_t)d) / base) return false;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return true;
}

const char *text_nat(const uint8_t *s, size_t n, unsigned bits, uint64_t *out) {
  uint64_t v;
  if (n == 0 || s[0] == '+' || s[0] == '-') return "malformed number";
  if (!magnitude(s, n, &v)) return out_of_range;
  if (bits < 64 && v >> bits) return out_of_range;
  *out = v;
  return NULL;
}

const char *text_int(const uint8_t *s, size_t n, unsigned bits, uint64_t *out) {
  bool neg = false;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  uint64_t v;
  if (!magnitude(s, n, &v)) return out_of_range;
  uint64_t mask = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
  if (neg) {
    if (v > ((uint64_t)1 << (bits - 1))) return out_of_range;
    v = (0 - v) & mask;
  } else if (v > mask) {
    return out_of_range;
  }
  *out = v;
  return NULL;
}

/* The special forms inf, nan, nan:0x...: true if s is one (after the sign),
 * with the bits in *out. mant_bits is 23 or 52. */
static const char *special_float(const uint8_t *s, size_t n, unsigned mant_bits, unsigned exp_bits, bool *matched,
                                 uint64_t *out) {
  bool neg = false;
  *matched = false;
  if (n > 0 && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    s++;
    n--;
  }
  uint64_t sign = (uint64_t)neg << (mant_bits + exp_bits);
  uint64_t exp = (((uint64_t)1 << exp_bits) - 1) << mant_bits;
  if (n == 3 && memcmp(s, "inf", 3) == 0) {
    *matched = true;
    *out = sign | exp;
    return NULL;
  }
  if (n == 3 && memcmp(s, "nan", 3) == 0) {
    *matched = true;
    *out = sign | exp | ((uint64_t)1 << (mant_bits - 1));
    return NULL;
  }
  if (n > 4 && memcmp(s, "nan:", 4) == 0) {
    *matched = true;
    uint64_t payload;
    if (!magnitude(s + 4, n - 4, &payload)) return out_of_range;
    if (payload == 0 || payload >> mant_bits) return out_of_range;
    *out = sign | exp | payload;
    return NULL;
  }
  return NULL;
}

/* Copies the literal without underscores, NUL-terminated, with the decimal
 * point of the current C locale (strtod honours LC_NUMERIC). */
static char *clean_copy(const kumi_allocator *a, const uint8_t *s, size_t n, size_t *cap) {
  const char *dp = localeconv()->decimal_point;
  size_t dplen = dp && *dp ? strlen(dp) : 1;
  *cap = n * dplen + 1;
  char *buf = kb_alloc(a, *cap);
  if (!buf) return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '_') continue;
    if (s[i] == '.' && dp && *dp) {
      memcpy(buf + o, dp, dplen);
      o += dplen;
    } else {
      buf[o++] = (char)s[i];
    }
  }
  buf[o] = 0;
  return buf;
}

const char *text_f32(const kumi_allocator *a, const uint8_t *s, size_t n, uint32_t *out) {
  bool matched;
  uint64_t bits;
  const char *why = special_float(s, n, 23, 8, &matched, &bits);
  if (matched) {
    if (!why) *out = (uint32_t)bits;
    return why;
  }
  size_t cap;
  char *buf = clean_copy(a, s, n, &cap);
  if (!buf) return "out of memory";
  char *end;
  float f = strtof(buf, &end);
  bool ok = *end == 0;
  kb_free(a, buf, cap);
  if (!ok) return "malformed number";
  if (isinf(f)) return out_of_range;
  memcpy(out, &f, 4);
  return NULL;
}

const char *text_f64(const kumi_allocator *a, const uint8_t *s, size_t n, uint64_t *out) {
  bool matched;
  uint64_t bits;
  const char *why = special_float(s, n, 52, 11, &matched, &bits);
  if (matched) {
    if (!why) *out = bits;
    return why;
  }
  size_t cap;
  char *buf = clean_copy(a, s, n, &cap);
  if (!buf) return "out of memory";
  char *end;
  double d = strtod(buf, &end);
  bool ok = *end == 0;
  kb_free(a, buf, cap);
  if (!ok) return "malformed number";
  if (isinf(d)) return out_of_range;
  memcpy(out, &d, 8);
  return NULL;
}

/* ---- byte buffer ---- */

void tb_init(text_buf *b, const kumi_allocator *a) {
  b->alloc = a;
  b->data = NULL;
  b->len = b->cap = 0;
  b->oom = false;
}

void tb_free(text_buf *b) {
  kb_free(b->alloc, b->data, b->cap);
  b->data = NULL;
  b->len = b->cap = 0;
}

static bool reserve(text_buf *b, size_t n) {
  if (b->oom) return false;
  if (b->len + n <= b->cap) return true;
  size_t ncap = b->cap ? b->cap : 64;
  while (ncap < b->len + n) {
    if (ncap > SIZE_MAX / 2) {
      b->oom = true;
      return false;
    }
    ncap *= 2;
  }
  uint8_t *p = kb_realloc(b->alloc, b->data, b->cap, ncap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->data = p;
  b->cap = ncap;
  return true;
}

void tb_byte(text_buf *b, uint8_t v) {
  if (reserve(b, 1)) b->data[b->len++] = v;
}

void tb_bytes(text_buf *b, const void *p, size_t n) {
  if (n && reserve(b, n)) {
    memcpy(b->data + b->len, p, n);
    b->len += n;
  }
}

void tb_u64(text_buf *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    tb_byte(b, byte | (v ? 0x80 : 0));
  } while (v);
}

void tb_u32(text_buf *b, uint32_t v) { tb_u64(b, v); }

void tb_s64(text_buf *b, int64_t v) {
  for (;;) {
    uint8_t byte = (uint8_t)(v & 0x7F);
    v = v < 0 ? ~(~v >> 7) : v >> 7; /* floor division, without relying on >> of negatives */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    tb_byte(b, byte | (done ? 0 : 0x80));
    if (done) return;
  }
}

void tb_s32(text_buf *b, int32_t v) { tb_s64(b, v); }

void tb_fixed(text_buf *b, uint64_t v, unsigned nbytes) {
  for (unsigned i = 0; i < nbytes; i++) tb_byte(b, (uint8_t)(v >> (8 * i)));
}

void tb_name(text_buf *b, const void *p, size_t n) {
  tb_u32(b, (uint32_t)n);
  tb_bytes(b, p, n);
}

void tb_blob(text_buf *b, const text_buf *b2) {
  if (b2->oom) b->oom = true;
  tb_u32(b, (uint32_t)b2->len);
  tb_bytes(b, b2->data, b2->len);
}
