/* Values of wast2json manifests. Numbers are decimal strings holding the
 * unsigned two's-complement integer or the float's bit pattern, so every
 * comparison here is on bits. */
#include "wast.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *cli_wast_kind_name(kumi_valkind k) {
  switch (k) {
  case KUMI_I32: return "i32";
  case KUMI_I64: return "i64";
  case KUMI_F32: return "f32";
  case KUMI_F64: return "f64";
  case KUMI_V128: return "v128";
  case KUMI_FUNCREF: return "funcref";
  case KUMI_EXTERNREF: return "externref";
  }
  return "?";
}

/* exnref (exception handling): kumi passes one as a KUMI_EXTERNREF holding
 * an opaque exception pointer (kumi.h). Scripts can only write null, or
 * leave the value out for "any non-null". Returns false unless t is
 * "exnref"; then *null says which. */
static bool exnref_of(const char *t, const char *s, bool *null) {
  if (strcmp(t, "exnref") != 0) return false;
  *null = s && strcmp(s, "null") == 0;
  return true;
}

/* The kind named by a JSON "type", or -1 for types we do not run. */
static int kind_of(const char *t) {
  static const struct {
    const char *name;
    kumi_valkind kind;
  } kinds[] = {{"i32", KUMI_I32},         {"i64", KUMI_I64},          {"f32", KUMI_F32}, {"f64", KUMI_F64},
               {"v128", KUMI_V128},       {"funcref", KUMI_FUNCREF}, {"externref", KUMI_EXTERNREF}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strcmp(t, kinds[i].name) == 0) return (int)kinds[i].kind;
  return -1;
}

/* Parses an unsigned decimal that must fit in `bits` bits. */
static bool parse_u(const char *s, unsigned bits, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return false;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || !end || *end) return false;
  if (bits < 64 && v >> bits) return false;
  *out = (uint64_t)v;
  return true;
}

static const char *type_of(const cJSON *v) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "type");
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

static const char *value_of(const cJSON *v) {
  const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "value");
  return cJSON_IsString(t) ? t->valuestring : NULL;
}

/* ---- v128: {"type": "v128", "lane_type": "i16", "value": ["1", ...]} ---- */

/* Lane width in bits of a lane_type (i8 i16 i32 i64 f32 f64), 0 if none;
 * *fp tells float lanes. */
static unsigned lane_bits(const cJSON *v, bool *fp) {
  const cJSON *lt = cJSON_GetObjectItemCaseSensitive(v, "lane_type");
  const char *s = cJSON_IsString(lt) ? lt->valuestring : "";
  *fp = s[0] == 'f';
  if (s[0] != 'i' && s[0] != 'f') return 0;
  if (strcmp(s + 1, "8") == 0 && !*fp) return 8;
  if (strcmp(s + 1, "16") == 0 && !*fp) return 16;
  if (strcmp(s + 1, "32") == 0) return 32;
  if (strcmp(s + 1, "64") == 0) return 64;
  return 0;
}

/* The lanes array when it has 128 / bits string entries, else NULL. */
static const cJSON *v128_lanes(const cJSON *v, unsigned bits) {
  const cJSON *lanes = cJSON_GetObjectItemCaseSensitive(v, "value");
  if (!bits || !cJSON_IsArray(lanes) || cJSON_GetArraySize(lanes) != (int)(128 / bits)) return NULL;
  const cJSON *l;
  cJSON_ArrayForEach(l, lanes) {
    if (!cJSON_IsString(l)) return NULL;
  }
  return lanes;
}

static bool is_nan_pattern(const char *s) { return strcmp(s, "nan:canonical") == 0 || strcmp(s, "nan:arithmetic") == 0; }

/* Lane i (bits wide) of a little-endian v128. */
static uint64_t lane_get(const uint8_t *b, unsigned bits, unsigned i) {
  uint64_t x = 0;
  for (unsigned k = 0; k < bits / 8; k++) x |= (uint64_t)b[i * (bits / 8) + k] << (8 * k);
  return x;
}

static void lane_set(uint8_t *b, unsigned bits, unsigned i, uint64_t x) {
  for (unsigned k = 0; k < bits / 8; k++) b[i * (bits / 8) + k] = (uint8_t)(x >> (8 * k));
}

/* An exact v128 (every lane a number). */
static bool v128_exact(const cJSON *v, kumi_val *out) {
  bool fp;
  unsigned bits = lane_bits(v, &fp);
  const cJSON *lanes = v128_lanes(v, bits);
  memset(out, 0, sizeof *out);
  out->kind = KUMI_V128;
  if (!lanes) return false;
  unsigned i = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, lanes) {
    uint64_t u;
    if (!parse_u(l->valuestring, bits, &u)) return false;
    lane_set(out->of.v128, bits, i++, u);
  }
  return true;
}

/* Float bits match a NaN pattern: canonical (only the quiet bit set in the
 * payload, either sign) or arithmetic (any NaN with the quiet bit set). */
static bool nan_matches(const char *s, unsigned bits, uint64_t got) {
  uint64_t mag = bits == 32 ? got & 0x7fffffffu : got & 0x7fffffffffffffffull;
  uint64_t quiet = bits == 32 ? 0x7fc00000u : 0x7ff8000000000000ull;
  if (strcmp(s, "nan:canonical") == 0) return mag == quiet;
  if (strcmp(s, "nan:arithmetic") == 0) return (mag & quiet) == quiet;
  return false;
}

/* Checks the lanes of an expected v128: numbers, or NaN patterns in float
 * lanes. */
static bool v128_expect_ok(const cJSON *v) {
  bool fp;
  unsigned bits = lane_bits(v, &fp);
  const cJSON *lanes = v128_lanes(v, bits);
  if (!lanes) return false;
  const cJSON *l;
  cJSON_ArrayForEach(l, lanes) {
    uint64_t u;
    if (!(fp && is_nan_pattern(l->valuestring)) && !parse_u(l->valuestring, bits, &u)) return false;
  }
  return true;
}

static bool v128_match(const cJSON *v, const uint8_t *got) {
  bool fp;
  unsigned bits = lane_bits(v, &fp);
  const cJSON *lanes = v128_lanes(v, bits);
  if (!lanes) return false;
  unsigned i = 0;
  const cJSON *l;
  cJSON_ArrayForEach(l, lanes) {
    uint64_t g = lane_get(got, bits, i++), u;
    if (fp && is_nan_pattern(l->valuestring)) {
      if (!nan_matches(l->valuestring, bits, g)) return false;
    } else if (!parse_u(l->valuestring, bits, &u) || u != g) {
      return false;
    }
  }
  return true;
}

/* Exact value of kind k from string s ("null" for references). */
static bool exact(kumi_valkind k, const char *s, kumi_val *out) {
  uint64_t u = 0;
  memset(out, 0, sizeof *out);
  out->kind = k;
  switch (k) {
  case KUMI_I32:
    if (!parse_u(s, 32, &u)) return false;
    out->of.i32 = (int32_t)(uint32_t)u;
    return true;
  case KUMI_I64:
    if (!parse_u(s, 64, &u)) return false;
    out->of.i64 = (int64_t)u;
    return true;
  case KUMI_F32:
    if (!parse_u(s, 32, &u)) return false;
    out->of.f32_bits = (uint32_t)u;
    return true;
  case KUMI_F64:
    if (!parse_u(s, 64, &u)) return false;
    out->of.f64_bits = u;
    return true;
  case KUMI_FUNCREF:
    /* Scripts can only write a null funcref as a value. */
    if (!s || strcmp(s, "null") != 0) return false;
    out->of.funcref = NULL;
    return true;
  case KUMI_EXTERNREF:
    if (s && strcmp(s, "null") == 0) {
      out->of.externref = NULL;
      return true;
    }
    if (!parse_u(s, 64, &u) || u == UINT64_MAX) return false;
    out->of.externref = cli_wast_externref(u);
    return true;
  case KUMI_V128: return false;
  }
  return false;
}

wast_valres cli_wast_arg(const cJSON *v, kumi_val *out, const char **why) {
  const char *t = type_of(v);
  if (!t) {
    *why = "value without a type";
    return WAST_VAL_BAD;
  }
  bool null;
  if (exnref_of(t, value_of(v), &null)) {
    if (!null) {
      *why = "malformed argument value";
      return WAST_VAL_BAD;
    }
    memset(out, 0, sizeof *out);
    out->kind = KUMI_EXTERNREF;
    return WAST_VAL_OK;
  }
  int k = kind_of(t);
  if (k < 0) {
    *why = "value type of a later proposal";
    return WAST_VAL_UNSUPPORTED;
  }
  if (k == KUMI_V128 ? !v128_exact(v, out) : !exact((kumi_valkind)k, value_of(v), out)) {
    *why = "malformed argument value";
    return WAST_VAL_BAD;
  }
  return WAST_VAL_OK;
}

wast_valres cli_wast_expect_check(const cJSON *v, const char **why) {
  const char *t = type_of(v);
  if (!t) {
    *why = "expected value without a type";
    return WAST_VAL_BAD;
  }
  if (strcmp(t, "either") == 0) {
    const cJSON *vs = cJSON_GetObjectItemCaseSensitive(v, "values");
    if (!cJSON_IsArray(vs) || cJSON_GetArraySize(vs) == 0) {
      *why = "malformed either value";
      return WAST_VAL_BAD;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, vs) {
      wast_valres r = cli_wast_expect_check(e, why);
      if (r != WAST_VAL_OK) return r;
    }
    return WAST_VAL_OK;
  }
  bool null;
  if (exnref_of(t, value_of(v), &null)) {
    if (null || !value_of(v)) return WAST_VAL_OK;
    *why = "malformed expected value";
    return WAST_VAL_BAD;
  }
  int k = kind_of(t);
  if (k < 0) {
    *why = "value type of a later proposal";
    return WAST_VAL_UNSUPPORTED;
  }
  if (k == KUMI_V128) {
    if (v128_expect_ok(v)) return WAST_VAL_OK;
    *why = "malformed expected v128 value";
    return WAST_VAL_BAD;
  }
  const char *s = value_of(v);
  kumi_val tmp;
  if (!s) {
    /* Only references may leave out the value: "any non-null". */
    if (k == KUMI_FUNCREF || k == KUMI_EXTERNREF) return WAST_VAL_OK;
  } else if ((k == KUMI_F32 || k == KUMI_F64) &&
             (strcmp(s, "nan:canonical") == 0 || strcmp(s, "nan:arithmetic") == 0)) {
    return WAST_VAL_OK;
  } else if (exact((kumi_valkind)k, s, &tmp)) {
    return WAST_VAL_OK;
  }
  *why = "malformed expected value";
  return WAST_VAL_BAD;
}

bool cli_wast_match(const cJSON *expected, const kumi_val *got) {
  const char *t = type_of(expected);
  if (!t) return false;
  if (strcmp(t, "either") == 0) {
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(expected, "values")) {
      if (cli_wast_match(e, got)) return true;
    }
    return false;
  }
  bool null;
  if (exnref_of(t, value_of(expected), &null))
    return got->kind == KUMI_EXTERNREF && (null ? got->of.externref == NULL : got->of.externref != NULL);
  int k = kind_of(t);
  if (k < 0 || got->kind != (kumi_valkind)k) return false;
  if (k == KUMI_V128) return v128_match(expected, got->of.v128);
  const char *s = value_of(expected);
  if (!s) {
    if (k == KUMI_FUNCREF) return got->of.funcref != NULL;
    if (k == KUMI_EXTERNREF) return got->of.externref != NULL;
    return false;
  }
  /* Canonical NaN: only the quiet bit set in the payload, either sign.
   * Arithmetic NaN: any NaN whose quiet bit is set. */
  if (k == KUMI_F32 && strncmp(s, "nan:", 4) == 0) {
    uint32_t b = got->of.f32_bits & 0x7fffffffu;
    if (strcmp(s, "nan:canonical") == 0) return b == 0x7fc00000u;
    if (strcmp(s, "nan:arithmetic") == 0) return (b & 0x7fc00000u) == 0x7fc00000u;
    return false;
  }
  if (k == KUMI_F64 && strncmp(s, "nan:", 4) == 0) {
    uint64_t b = got->of.f64_bits & 0x7fffffffffffffffull;
    if (strcmp(s, "nan:canonical") == 0) return b == 0x7ff8000000000000ull;
    if (strcmp(s, "nan:arithmetic") == 0) return (b & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
    return false;
  }
  kumi_val want;
  if (!exact((kumi_valkind)k, s, &want)) return false;
  switch (want.kind) {
  case KUMI_I32: return (uint32_t)got->of.i32 == (uint32_t)want.of.i32;
  case KUMI_I64: return got->of.i64 == want.of.i64;
  case KUMI_F32: return got->of.f32_bits == want.of.f32_bits;
  case KUMI_F64: return got->of.f64_bits == want.of.f64_bits;
  case KUMI_FUNCREF: return got->of.funcref == want.of.funcref;
  case KUMI_EXTERNREF: return got->of.externref == want.of.externref;
  case KUMI_V128: return false;
  }
  return false;
}

void cli_wast_format_val(char *buf, size_t n, const kumi_val *v) {
  switch (v->kind) {
  case KUMI_I32: snprintf(buf, n, "i32 %" PRId32, v->of.i32); return;
  case KUMI_I64: snprintf(buf, n, "i64 %" PRId64, v->of.i64); return;
  case KUMI_F32: {
    float f;
    memcpy(&f, &v->of.f32_bits, sizeof f);
    snprintf(buf, n, "f32 %.9g (0x%08" PRIx32 ")", (double)f, v->of.f32_bits);
    return;
  }
  case KUMI_F64: {
    double d;
    memcpy(&d, &v->of.f64_bits, sizeof d);
    snprintf(buf, n, "f64 %.17g (0x%016" PRIx64 ")", d, v->of.f64_bits);
    return;
  }
  case KUMI_FUNCREF:
    if (!v->of.funcref) snprintf(buf, n, "funcref null");
    else snprintf(buf, n, "funcref %p", (void *)v->of.funcref);
    return;
  case KUMI_EXTERNREF: {
    uintptr_t p = (uintptr_t)v->of.externref;
    if (!p) snprintf(buf, n, "externref null");
    else if (p <= (uintptr_t)UINT32_MAX) snprintf(buf, n, "externref %" PRIuPTR, p - 1);
    else snprintf(buf, n, "externref %p", v->of.externref);
    return;
  }
  case KUMI_V128:
    snprintf(buf, n, "v128 i32x4 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32,
             (uint32_t)lane_get(v->of.v128, 32, 0), (uint32_t)lane_get(v->of.v128, 32, 1),
             (uint32_t)lane_get(v->of.v128, 32, 2), (uint32_t)lane_get(v->of.v128, 32, 3));
    return;
  }
  snprintf(buf, n, "value of unknown kind %d", (int)v->kind);
}

void cli_wast_format_expected(char *buf, size_t n, const cJSON *v) {
  const char *t = type_of(v);
  if (!t) {
    snprintf(buf, n, "?");
    return;
  }
  if (strcmp(t, "either") == 0) {
    size_t used = (size_t)snprintf(buf, n, "either(");
    const cJSON *e;
    bool first = true;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "values")) {
      if (used >= n) break;
      char one[96];
      cli_wast_format_expected(one, sizeof one, e);
      used += (size_t)snprintf(buf + used, n - used, "%s%s", first ? "" : " | ", one);
      first = false;
    }
    if (used < n) snprintf(buf + used, n - used, ")");
    return;
  }
  if (strcmp(t, "v128") == 0) {
    /* As written: "v128 i16x8 1 2 ..." with NaN patterns kept. */
    const cJSON *lt = cJSON_GetObjectItemCaseSensitive(v, "lane_type");
    bool fp;
    unsigned bits = lane_bits(v, &fp);
    size_t used = (size_t)snprintf(buf, n, "v128 %sx%u", cJSON_IsString(lt) ? lt->valuestring : "?", bits ? 128 / bits : 0);
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(v, "value")) {
      if (used >= n) break;
      used += (size_t)snprintf(buf + used, n - used, " %s", cJSON_IsString(l) ? l->valuestring : "?");
    }
    return;
  }
  const char *s = value_of(v);
  int k = kind_of(t);
  kumi_val val;
  if (k >= 0 && s && exact((kumi_valkind)k, s, &val)) cli_wast_format_val(buf, n, &val);
  else if (s) snprintf(buf, n, "%s %s", t, s);
  else snprintf(buf, n, "%s non-null", t);
}
