/* Core values as command-line text, shared by `kumi run` and `kumi wast`.
 * Printing is exact: integers in signed decimal, floats in the shortest
 * decimal that reads back to the same bits, NaNs with their payload when it
 * is not the canonical one. A v128 is a shape word and its lanes
 * ("i32x4 1 2 3 4"; value_v128.h). */
#include "cli.h"
#include "value_v128.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ------------------------------------------------------------------- */

/* Parses an unsigned magnitude in decimal or 0x hex; false on junk or
 * overflow of 64 bits. */
static bool parse_magnitude(const char *s, uint64_t *out) {
  unsigned base = 10;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
  }
  if (!*s) return false;
  uint64_t v = 0;
  for (; *s; s++) {
    unsigned d;
    if (*s == '_') continue; /* digit separators, as in the text format */
    if (*s >= '0' && *s <= '9') d = (unsigned)(*s - '0');
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = (unsigned)(*s - 'a' + 10);
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = (unsigned)(*s - 'A' + 10);
    else return false;
    if (v > (UINT64_MAX - d) / base) return false;
    v = v * base + d;
  }
  *out = v;
  return true;
}

/* An integer of `bits` bits given signed (-2^(bits-1) ..) or unsigned
 * (.. 2^bits - 1); the result is the two's complement bit pattern. */
static bool parse_int(const char *s, unsigned bits, uint64_t *out) {
  bool neg = false;
  if (*s == '-' || *s == '+') neg = *s++ == '-';
  uint64_t mag;
  if (!parse_magnitude(s, &mag)) return false;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  if (neg) {
    if (mag > (UINT64_C(1) << (bits - 1))) return false;
    *out = (0 - mag) & umax;
  } else {
    if (mag > umax) return false;
    *out = mag;
  }
  return true;
}

/* An f32 or f64 bit pattern. Accepts inf, nan, nan:0xPAYLOAD (each with an
 * optional sign) and decimal or hex floats, rounded to nearest. */
static bool parse_float(const char *s, bool is_f32, uint64_t *out) {
  unsigned mant_bits = is_f32 ? 23 : 52;
  uint64_t sign = is_f32 ? UINT64_C(1) << 31 : UINT64_C(1) << 63;
  uint64_t exp_all = is_f32 ? UINT64_C(0xff) << 23 : UINT64_C(0x7ff) << 52;
  uint64_t mant_mask = (UINT64_C(1) << mant_bits) - 1;
  bool neg = false;
  const char *p = s;
  if (*p == '-' || *p == '+') neg = *p++ == '-';
  if (strcmp(p, "inf") == 0 || strcmp(p, "infinity") == 0) {
    *out = (neg ? sign : 0) | exp_all;
    return true;
  }
  if (strcmp(p, "nan") == 0) {
    *out = (neg ? sign : 0) | exp_all | (UINT64_C(1) << (mant_bits - 1));
    return true;
  }
  if (strncmp(p, "nan:0x", 6) == 0) {
    uint64_t payload;
    if (!parse_magnitude(p + 4, &payload) || payload == 0 || payload > mant_mask) return false;
    *out = (neg ? sign : 0) | exp_all | payload;
    return true;
  }
  /* Only digits, '.', exponents and hex digits reach strtod, so it cannot
   * pick up its own spellings (e.g. "nan(...)") or locale forms. */
  if (!*p || strspn(p, "0123456789abcdefABCDEFxXpP.+-_") != strlen(p)) return false;
  char buf[256];
  size_t n = 0;
  if (neg) buf[n++] = '-';
  for (const char *q = p; *q; q++) {
    if (*q == '_') continue;
    if (n + 1 >= sizeof buf) return false;
    buf[n++] = *q;
  }
  buf[n] = 0;
  char *end;
  errno = 0;
  if (is_f32) {
    float f = strtof(buf, &end);
    if (*end) return false;
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    *out = b;
  } else {
    double d = strtod(buf, &end);
    if (*end) return false;
    uint64_t b;
    memcpy(&b, &d, sizeof b);
    *out = b;
  }
  /* Overflow to infinity is an error: "inf" must be said explicitly. */
  if ((*out & exp_all) == exp_all) return false;
  return true;
}

bool cli_parse_val(kumi_valkind t, const char *s, kumi_val *out) {
  uint64_t bits;
  memset(out, 0, sizeof *out);
  out->kind = t;
  switch (t) {
  case KUMI_I32:
    if (!parse_int(s, 32, &bits)) return false;
    out->of.i32 = (int32_t)(uint32_t)bits;
    return true;
  case KUMI_I64:
    if (!parse_int(s, 64, &bits)) return false;
    out->of.i64 = (int64_t)bits;
    return true;
  case KUMI_F32:
    if (!parse_float(s, true, &bits)) return false;
    out->of.f32_bits = (uint32_t)bits;
    return true;
  case KUMI_F64:
    if (!parse_float(s, false, &bits)) return false;
    out->of.f64_bits = bits;
    return true;
  case KUMI_FUNCREF:
  case KUMI_EXTERNREF:
    /* Only null can be written: a reference has no text of its own. */
    return strcmp(s, "null") == 0;
  case KUMI_V128: return cli_parse_v128(s, out->of.v128);
  }
  return false;
}

/* ---- v128 ---------------------------------------------------------------------------- */

static const struct {
  const char *name;
  unsigned lanes;
} v128_shapes[] = {
    [CLI_V128_I8X16] = {"i8x16", 16}, [CLI_V128_I16X8] = {"i16x8", 8}, [CLI_V128_I32X4] = {"i32x4", 4},
    [CLI_V128_I64X2] = {"i64x2", 2},  [CLI_V128_F32X4] = {"f32x4", 4}, [CLI_V128_F64X2] = {"f64x2", 2},
};

bool cli_v128_shape_of(const char *word, cli_v128_shape *out) {
  for (size_t i = 0; i < sizeof v128_shapes / sizeof v128_shapes[0]; i++) {
    if (strcmp(word, v128_shapes[i].name) == 0) {
      *out = (cli_v128_shape)i;
      return true;
    }
  }
  return false;
}

unsigned cli_v128_lanes(cli_v128_shape s) { return v128_shapes[s].lanes; }

static bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

/* Copies the next blank-separated token of *s into buf (NUL-terminated) and
 * advances *s past it; false at the end of the text or when the token does
 * not fit. */
static bool next_token(const char **s, char *buf, size_t cap) {
  const char *p = *s;
  while (is_blank(*p)) p++;
  size_t n = 0;
  while (*p && !is_blank(*p)) {
    if (n + 1 >= cap) return false;
    buf[n++] = *p++;
  }
  buf[n] = 0;
  *s = p;
  return n > 0;
}

bool cli_parse_v128(const char *s, uint8_t out[16]) {
  char tok[256];
  cli_v128_shape shape;
  if (!next_token(&s, tok, sizeof tok) || !cli_v128_shape_of(tok, &shape)) return false;
  unsigned lanes = v128_shapes[shape].lanes, width = 16 / lanes;
  uint8_t bytes[16];
  for (unsigned i = 0; i < lanes; i++) {
    uint64_t bits;
    if (!next_token(&s, tok, sizeof tok)) return false;
    bool ok = shape == CLI_V128_F32X4   ? parse_float(tok, true, &bits)
              : shape == CLI_V128_F64X2 ? parse_float(tok, false, &bits)
                                        : parse_int(tok, width * 8, &bits);
    if (!ok) return false;
    for (unsigned b = 0; b < width; b++) bytes[i * width + b] = (uint8_t)(bits >> (8 * b));
  }
  while (is_blank(*s)) s++;
  if (*s) return false; /* more lanes than the shape has */
  memcpy(out, bytes, sizeof bytes);
  return true;
}

/* ---- printing --------------------------------------------------------------------- */

static void print_f32(FILE *f, uint32_t b) {
  const char *sign = b >> 31 ? "-" : "";
  uint32_t exp = (b >> 23) & 0xff, mant = b & 0x7fffff;
  if (exp == 0xff) {
    if (!mant) fprintf(f, "%sinf", sign);
    else if (mant == 0x400000) fprintf(f, "%snan", sign);
    else fprintf(f, "%snan:0x%x", sign, (unsigned)mant);
    return;
  }
  float v;
  memcpy(&v, &b, sizeof v);
  char buf[64];
  for (int prec = 1; prec <= 9; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
    float back = strtof(buf, NULL);
    uint32_t bb;
    memcpy(&bb, &back, sizeof bb);
    if (bb == b) break;
  }
  fputs(buf, f);
}

static void print_f64(FILE *f, uint64_t b) {
  const char *sign = b >> 63 ? "-" : "";
  uint64_t exp = (b >> 52) & 0x7ff, mant = b & ((UINT64_C(1) << 52) - 1);
  if (exp == 0x7ff) {
    if (!mant) fprintf(f, "%sinf", sign);
    else if (mant == UINT64_C(1) << 51) fprintf(f, "%snan", sign);
    else fprintf(f, "%snan:0x%llx", sign, (unsigned long long)mant);
    return;
  }
  double v;
  memcpy(&v, &b, sizeof v);
  char buf[64];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, v);
    double back = strtod(buf, NULL);
    uint64_t bb;
    memcpy(&bb, &back, sizeof bb);
    if (bb == b) break;
  }
  fputs(buf, f);
}

void cli_print_val(FILE *f, const kumi_val *v) {
  switch (v->kind) {
  case KUMI_I32: fprintf(f, "%d", (int)v->of.i32); break;
  case KUMI_I64: fprintf(f, "%lld", (long long)v->of.i64); break;
  case KUMI_F32: print_f32(f, v->of.f32_bits); break;
  case KUMI_F64: print_f64(f, v->of.f64_bits); break;
  case KUMI_V128: cli_print_v128(f, v->of.v128, CLI_V128_DEFAULT_SHAPE); break;
  case KUMI_FUNCREF:
    if (v->of.funcref) fputs("funcref", f);
    else fputs("null", f);
    break;
  case KUMI_EXTERNREF:
    if (v->of.externref) fprintf(f, "externref %p", v->of.externref);
    else fputs("null", f);
    break;
  }
}

void cli_print_v128(FILE *f, const uint8_t v[16], cli_v128_shape s) {
  unsigned lanes = v128_shapes[s].lanes, width = 16 / lanes;
  fputs(v128_shapes[s].name, f);
  for (unsigned i = 0; i < lanes; i++) {
    uint64_t bits = 0;
    for (unsigned b = 0; b < width; b++) bits |= (uint64_t)v[i * width + b] << (8 * b);
    fputc(' ', f);
    switch (s) {
    case CLI_V128_I8X16: fprintf(f, "%d", (int)(int8_t)(uint8_t)bits); break;
    case CLI_V128_I16X8: fprintf(f, "%d", (int)(int16_t)(uint16_t)bits); break;
    case CLI_V128_I32X4: fprintf(f, "%d", (int)(int32_t)(uint32_t)bits); break;
    case CLI_V128_I64X2: fprintf(f, "%lld", (long long)(int64_t)bits); break;
    case CLI_V128_F32X4: print_f32(f, (uint32_t)bits); break;
    case CLI_V128_F64X2: print_f64(f, bits); break;
    }
  }
}
