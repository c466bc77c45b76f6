/* Component values of the manifests and actions on component instances
 * (see wast_comp.h). A JSON value is read with the type the function
 * declares (field, case and flag names come from the type), so the
 * manifest's own "type" tag is only checked for its shape. */
#include "wast_comp.h"

#include "component/abi.h"
#include "component/inst.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct jcx {
  const kumi_allocator *a;
  const comp_types *ts;
  char *why;
  size_t whylen;
  bool unsupported;
} jcx;

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static bool bad(jcx *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->why, c->whylen, fmt, ap);
  va_end(ap);
  return false;
}

static bool parse_int(const char *s, bool is_signed, int64_t *out) {
  if (!s || !*s) return false;
  char *end = NULL;
  errno = 0;
  if (is_signed) {
    long long v = strtoll(s, &end, 10);
    *out = (int64_t)v;
  } else {
    if (*s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    *out = (int64_t)(uint64_t)v;
  }
  return errno == 0 && end && *end == 0;
}

static const cJSON *jval(const cJSON *j) { return cJSON_GetObjectItemCaseSensitive(j, "value"); }

/* The index of a label among t's fields, or -1. */
static int64_t label_index(const comp_type *t, const char *name) {
  size_t n = strlen(name);
  for (uint32_t i = 0; i < t->n; i++)
    if (t->fields[i].name.len == n && memcmp(t->fields[i].name.s, name, n) == 0) return i;
  return -1;
}

static bool to_cval(jcx *c, comp_vt t, const cJSON *j, kumi_cval *out, uint32_t depth);

static bool prim_to_cval(jcx *c, uint8_t p, const cJSON *v, kumi_cval *out) {
  int64_t x;
  switch (p) {
  case COMP_BOOL:
    if (!cJSON_IsBool(v)) return bad(c, "expected a bool");
    *out = kumi_cval_bool(cJSON_IsTrue(v));
    return true;
  case COMP_S8: case COMP_S16: case COMP_S32: case COMP_S64:
  case COMP_U8: case COMP_U16: case COMP_U32: case COMP_U64: {
    bool sg = p == COMP_S8 || p == COMP_S16 || p == COMP_S32 || p == COMP_S64;
    if (!cJSON_IsString(v) || !parse_int(v->valuestring, sg, &x)) return bad(c, "bad integer");
    kumi_cvalkind k = p == COMP_S8 ? KUMI_CV_S8 : p == COMP_S16 ? KUMI_CV_S16 : p == COMP_S32 ? KUMI_CV_S32
                      : p == COMP_S64 ? KUMI_CV_S64 : p == COMP_U8 ? KUMI_CV_U8 : p == COMP_U16 ? KUMI_CV_U16
                      : p == COMP_U32 ? KUMI_CV_U32 : KUMI_CV_U64;
    *out = kumi_cval_int(k, x);
    return true;
  }
  case COMP_F32: case COMP_F64:
    if (!cJSON_IsString(v)) return bad(c, "bad float");
    if (strncmp(v->valuestring, "nan:", 4) == 0) {
      c->unsupported = true;
      return bad(c, "NaN patterns in component values");
    }
    if (!parse_int(v->valuestring, false, &x)) return bad(c, "bad float bits");
    *out = p == COMP_F32 ? kumi_cval_f32((uint32_t)x) : kumi_cval_f64((uint64_t)x);
    return true;
  case COMP_CHAR: {
    if (!cJSON_IsString(v)) return bad(c, "bad char");
    kumi_cval s;
    if (!kumi_cval_string(c->a, v->valuestring, strlen(v->valuestring), &s)) return bad(c, "bad char");
    /* one scalar value, decoded from UTF-8 */
    const unsigned char *b = (const unsigned char *)s.of.str.ptr;
    size_t n = s.of.str.len;
    uint32_t ch = 0;
    size_t len = n == 0 ? 0 : b[0] < 0x80 ? 1 : b[0] < 0xe0 ? 2 : b[0] < 0xf0 ? 3 : 4;
    if (len && len == n) {
      ch = len == 1 ? b[0] : (uint32_t)(b[0] & (0x7f >> len));
      for (size_t i = 1; i < len; i++) ch = (ch << 6) | (b[i] & 0x3f);
    }
    kumi_cval_free(c->a, &s);
    if (!len || len != n) return bad(c, "a char must be one scalar value");
    *out = kumi_cval_char(ch);
    return true;
  }
  case COMP_STRING:
    if (!cJSON_IsString(v)) return bad(c, "bad string");
    if (!kumi_cval_string(c->a, v->valuestring, strlen(v->valuestring), out)) return bad(c, "bad string");
    return true;
  default:
    c->unsupported = true;
    return bad(c, "values of type %s", comp_prim_name(p));
  }
}

/* A variant-like value with an optional payload of type pt. */
static bool case_to_cval(jcx *c, kumi_cvalkind k, uint32_t index, bool has_pt, comp_vt pt, const cJSON *payload,
                         kumi_cval *out, uint32_t depth) {
  if (has_pt && payload && !cJSON_IsNull(payload)) {
    kumi_cval p;
    if (!to_cval(c, pt, payload, &p, depth + 1)) return false;
    if (!kumi_cval_case(c->a, k, index, &p, out)) {
      kumi_cval_free(c->a, &p);
      return bad(c, "out of memory");
    }
    return true;
  }
  if (has_pt) return bad(c, "missing payload");
  if (!kumi_cval_case(c->a, k, index, NULL, out)) return bad(c, "out of memory");
  return true;
}

static bool agg_to_cval(jcx *c, kumi_cvalkind k, const comp_type *t, const cJSON *arr, comp_vt elem, bool fields,
                        kumi_cval *out, uint32_t depth) {
  if (!cJSON_IsArray(arr)) return bad(c, "expected an array");
  size_t n = (size_t)cJSON_GetArraySize(arr);
  if (fields && n != t->n) return bad(c, "expected %u items, got %zu", t->n, n);
  if (!kumi_cval_agg(c->a, k, n, out)) return bad(c, "out of memory");
  size_t i = 0;
  const cJSON *it;
  cJSON_ArrayForEach(it, arr) {
    const cJSON *v = it;
    if (k == KUMI_CV_RECORD) {
      /* ["name", value] */
      const cJSON *nm = cJSON_GetArrayItem(it, 0);
      v = cJSON_GetArrayItem(it, 1);
      if (!cJSON_IsString(nm) || label_index(t, nm->valuestring) != (int64_t)i) {
        kumi_cval_free(c->a, out);
        return bad(c, "record field %zu misnamed", i);
      }
    }
    if (!to_cval(c, fields ? t->fields[i].type : elem, v, &out->of.agg.items[i], depth + 1)) {
      kumi_cval_free(c->a, out);
      return false;
    }
    i++;
  }
  return true;
}

static bool to_cval(jcx *c, comp_vt t, const cJSON *j, kumi_cval *out, uint32_t depth) {
  *out = kumi_cval_bool(false);
  if (depth > 100) return bad(c, "value nested too deeply");
  if (!cJSON_IsObject(j)) return bad(c, "a value must be an object");
  const cJSON *v = jval(j);
  if (!v) return bad(c, "value without \"value\"");
  const comp_type *ty;
  uint8_t p = abi_resolve(c->ts, t, &ty);
  if (p) return prim_to_cval(c, p, v, out);
  switch (ty->dkind) {
  case 0x70: return agg_to_cval(c, KUMI_CV_LIST, ty, v, ty->a, false, out, depth);
  case 0x67:
    if (!agg_to_cval(c, KUMI_CV_LIST, ty, v, ty->a, false, out, depth)) return false;
    if (out->of.agg.len != ty->len) {
      kumi_cval_free(c->a, out);
      return bad(c, "fixed-length list of the wrong length");
    }
    return true;
  case 0x72: return agg_to_cval(c, KUMI_CV_RECORD, ty, v, ty->a, true, out, depth);
  case 0x6f: return agg_to_cval(c, KUMI_CV_TUPLE, ty, v, ty->a, true, out, depth);
  case 0x71: {
    const cJSON *cs = cJSON_GetObjectItemCaseSensitive(v, "case");
    if (!cJSON_IsString(cs)) return bad(c, "variant without case");
    int64_t i = label_index(ty, cs->valuestring);
    if (i < 0) return bad(c, "unknown case %s", cs->valuestring);
    return case_to_cval(c, KUMI_CV_VARIANT, (uint32_t)i, ty->fields[i].has_type, ty->fields[i].type,
                        cJSON_GetObjectItemCaseSensitive(v, "payload"), out, depth);
  }
  case 0x6d: {
    if (!cJSON_IsString(v)) return bad(c, "enum must be a string");
    int64_t i = label_index(ty, v->valuestring);
    if (i < 0) return bad(c, "unknown enum case %s", v->valuestring);
    return case_to_cval(c, KUMI_CV_ENUM, (uint32_t)i, false, ty->a, NULL, out, depth);
  }
  case 0x6b:
    if (cJSON_IsNull(v)) return case_to_cval(c, KUMI_CV_OPTION, 0, false, ty->a, NULL, out, depth);
    return case_to_cval(c, KUMI_CV_OPTION, 1, true, ty->a, v, out, depth);
  case 0x6a: {
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(v, "Ok"), *er = cJSON_GetObjectItemCaseSensitive(v, "Err");
    if (ok) return case_to_cval(c, KUMI_CV_RESULT, 0, ty->has_a, ty->a, ok, out, depth);
    if (er) return case_to_cval(c, KUMI_CV_RESULT, 1, ty->has_b, ty->b, er, out, depth);
    return bad(c, "result without Ok or Err");
  }
  case 0x6e: {
    if (!cJSON_IsArray(v)) return bad(c, "flags must be an array");
    uint32_t bits = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, v) {
      int64_t i = cJSON_IsString(it) ? label_index(ty, it->valuestring) : -1;
      if (i < 0 || i >= 32) return bad(c, "unknown flag");
      bits |= 1u << i;
    }
    *out = kumi_cval_flags(bits);
    return true;
  }
  default:
    c->unsupported = true;
    return bad(c, "component values of this type (0x%02x)", ty->dkind);
  }
}

static void print_val(const kumi_allocator *a, const comp_types *ts, comp_vt t, const kumi_cval *v, char *buf,
                      size_t n) {
  wave_buf b = {0};
  if (wave_print(a, ts, t, v, &b) && kb_vec_push(a, &b, '\0')) snprintf(buf, n, "%s", b.items);
  else snprintf(buf, n, "(unprintable)");
  kb_vec_free(a, &b);
}

wast_comp_res cli_wast_comp_invoke(const kumi_allocator *a, kumi_store *store, kumi_component_instance *inst,
                                   const cJSON *action, const cJSON *expected, kumi_error **err, char *why,
                                   size_t whylen) {
  *err = NULL;
  const cJSON *type = cJSON_GetObjectItemCaseSensitive(action, "type");
  const cJSON *field = cJSON_GetObjectItemCaseSensitive(action, "field");
  if (!cJSON_IsString(type) || strcmp(type->valuestring, "invoke") != 0) {
    snprintf(why, whylen, "component action other than invoke");
    return WAST_COMP_SKIP;
  }
  if (!cJSON_IsString(field)) {
    snprintf(why, whylen, "action has no field");
    return WAST_COMP_FAIL;
  }
  kumi_component_func *f = kumi_component_instance_func(inst, NULL, field->valuestring);
  if (!f) {
    snprintf(why, whylen, "no exported function \"%s\"", field->valuestring);
    return WAST_COMP_FAIL;
  }
  const comp_types *ts;
  const comp_type *ft;
  comp_rt_func_type(f, &ts, &ft);
  const cJSON *args = cJSON_GetObjectItemCaseSensitive(action, "args");
  size_t nargs = cJSON_IsArray(args) ? (size_t)cJSON_GetArraySize(args) : 0;
  if (nargs != ft->n) {
    snprintf(why, whylen, "\"%s\" takes %u arguments, the script passes %zu", field->valuestring, ft->n, nargs);
    return WAST_COMP_FAIL;
  }
  jcx c = {a, ts, why, whylen, false};
  kumi_cval *argv = kb_zalloc(a, (nargs + 1) * sizeof *argv);
  if (!argv) {
    snprintf(why, whylen, "out of memory");
    return WAST_COMP_FAIL;
  }
  wast_comp_res r = WAST_COMP_RAN;
  size_t done = 0;
  for (size_t i = 0; i < nargs; i++, done++)
    if (!to_cval(&c, ft->fields[i].type, cJSON_GetArrayItem(args, (int)i), &argv[i], 0)) {
      r = c.unsupported ? WAST_COMP_SKIP : WAST_COMP_FAIL;
      break;
    }
  kumi_cval result = kumi_cval_bool(false);
  size_t nres = ft->has_result ? 1 : 0;
  if (r == WAST_COMP_RAN) *err = kumi_component_func_call(store, f, argv, nargs, &result, nres);
  for (size_t i = 0; i < done; i++) kumi_cval_free(a, &argv[i]);
  kb_free(a, argv, (nargs + 1) * sizeof *argv);
  if (r != WAST_COMP_RAN || *err || !expected) {
    if (nres && !*err && r == WAST_COMP_RAN) kumi_cval_free(a, &result);
    return r;
  }
  size_t nexp = cJSON_IsArray(expected) ? (size_t)cJSON_GetArraySize(expected) : 0;
  if (nexp != nres) {
    snprintf(why, whylen, "got %zu results, expected %zu", nres, nexp);
    r = WAST_COMP_FAIL;
  } else if (nres) {
    kumi_cval want;
    if (!to_cval(&c, ft->result, cJSON_GetArrayItem(expected, 0), &want, 0)) {
      r = c.unsupported ? WAST_COMP_SKIP : WAST_COMP_FAIL;
    } else {
      if (!kumi_cval_equal(&want, &result)) {
        char got[200], exp[200];
        print_val(a, ts, ft->result, &result, got, sizeof got);
        print_val(a, ts, ft->result, &want, exp, sizeof exp);
        snprintf(why, whylen, "got %s, expected %s", got, exp);
        r = WAST_COMP_FAIL;
      }
      kumi_cval_free(a, &want);
    }
  }
  if (nres) kumi_cval_free(a, &result);
  return r;
}
