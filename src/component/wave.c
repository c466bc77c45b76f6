/* WAVE, the WebAssembly Value Encoding (the value syntax of wasm-tools and
 * wasmtime command lines): a parser typed by the expected type and a
 * printer. Syntax: `true`, `-9`, `3.5`, `nan`, `-inf`, `'x'`, `"a\tb"`
 * (escapes \' \" \\ \t \n \r \u{hex}), `[1, 2]`, `(1, "x")`,
 * `{a: 1, b: "x"}` (option fields may be left out, `{:}` when all are),
 * `case` / `case(payload)`, `some(x)` / `none` (or the payload alone),
 * `ok` / `ok(x)` / `err(e)` (or the ok payload alone), `{flag-a, flag-b}`,
 * maps `{key: value, ...}` and `{}`. A label may be written `%label`; the
 * printer does so for cases named like a keyword. `//` comments run to the
 * end of the line. Handles (own, borrow, stream, future, error-context)
 * have no WAVE form. */
#include "abi.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct wp {
  const kumi_allocator *a;
  const comp_types *ts;
  const char *s;
  size_t len, pos;
  const char *err;
  size_t err_pos;
  unsigned depth;
} wp;

static bool fail(wp *p, const char *msg) {
  if (!p->err) {
    p->err = msg;
    p->err_pos = p->pos;
  }
  return false;
}

static void ws(wp *p) {
  for (;;) {
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
      p->pos++;
    if (p->pos + 1 < p->len && p->s[p->pos] == '/' && p->s[p->pos + 1] == '/') {
      while (p->pos < p->len && p->s[p->pos] != '\n') p->pos++;
      continue;
    }
    return;
  }
}

static bool peek(wp *p, char c) {
  ws(p);
  return p->pos < p->len && p->s[p->pos] == c;
}

static bool eat(wp *p, char c) {
  if (!peek(p, c)) return false;
  p->pos++;
  return true;
}

static bool expect(wp *p, char c, const char *msg) { return eat(p, c) || fail(p, msg); }

static bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-'; }

/* A label (with an optional % prefix): its text without the %. */
static bool label(wp *p, const char **l, size_t *n, bool *percent) {
  ws(p);
  *percent = false;
  if (p->pos < p->len && p->s[p->pos] == '%') {
    *percent = true;
    p->pos++;
  }
  size_t b = p->pos;
  while (p->pos < p->len && is_label_char(p->s[p->pos])) p->pos++;
  if (p->pos == b) return fail(p, "expected a label");
  *l = p->s + b;
  *n = p->pos - b;
  return true;
}

static bool label_is(const char *l, size_t n, const char *k) { return strlen(k) == n && memcmp(l, k, n) == 0; }

static bool peek_label(wp *p, const char *k) {
  ws(p);
  size_t save = p->pos;
  const char *l;
  size_t n;
  bool pc;
  const char *e = p->err;
  bool r = label(p, &l, &n, &pc) && !pc && label_is(l, n, k);
  p->pos = save;
  p->err = e;
  return r;
}

/* ---- scalars ----------------------------------------------------------------- */

static bool number_token(wp *p, char *buf, size_t cap) {
  ws(p);
  size_t b = p->pos;
  while (p->pos < p->len && (strchr("+-.eE", p->s[p->pos]) || (p->s[p->pos] >= '0' && p->s[p->pos] <= '9') ||
                             (p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z')))
    p->pos++;
  size_t n = p->pos - b;
  if (n == 0 || n >= cap) return fail(p, "expected a number");
  memcpy(buf, p->s + b, n);
  buf[n] = 0;
  return true;
}

static bool parse_int(wp *p, uint8_t prim, kumi_cval *out) {
  char buf[64];
  size_t at = p->pos;
  if (!number_token(p, buf, sizeof buf)) return false;
  bool neg = buf[0] == '-';
  const char *d = buf + neg;
  if (!*d) return fail(p, "expected an integer");
  if (d[0] == '0' && d[1]) return fail(p, "leading zeros are not allowed");
  uint64_t x = 0;
  for (const char *c = d; *c; c++) {
    if (*c < '0' || *c > '9') {
      p->pos = at;
      return fail(p, "expected an integer");
    }
    if (x > (UINT64_MAX - (uint64_t)(*c - '0')) / 10) return fail(p, "integer out of range");
    x = x * 10 + (uint64_t)(*c - '0');
  }
  bool is_signed = prim == COMP_S8 || prim == COMP_S16 || prim == COMP_S32 || prim == COMP_S64;
  unsigned bits = prim == COMP_S8 || prim == COMP_U8 ? 8 : prim == COMP_S16 || prim == COMP_U16 ? 16
                  : prim == COMP_S32 || prim == COMP_U32 ? 32 : 64;
  kumi_cvalkind k;
  switch (prim) {
  case COMP_S8: k = KUMI_CV_S8; break;
  case COMP_U8: k = KUMI_CV_U8; break;
  case COMP_S16: k = KUMI_CV_S16; break;
  case COMP_U16: k = KUMI_CV_U16; break;
  case COMP_S32: k = KUMI_CV_S32; break;
  case COMP_U32: k = KUMI_CV_U32; break;
  case COMP_S64: k = KUMI_CV_S64; break;
  default: k = KUMI_CV_U64; break;
  }
  if (is_signed) {
    uint64_t lim = (uint64_t)1 << (bits - 1); /* |min| */
    if (neg ? x > lim : x >= lim) return fail(p, "integer out of range");
    *out = kumi_cval_int(k, neg ? (int64_t)(0 - x) : (int64_t)x);
  } else {
    if (neg && x) return fail(p, "integer out of range");
    if (bits < 64 && x >> bits) return fail(p, "integer out of range");
    *out = kumi_cval_int(k, (int64_t)x);
  }
  return true;
}

static bool parse_float(wp *p, bool f64, kumi_cval *out) {
  char buf[128];
  if (!number_token(p, buf, sizeof buf)) return false;
  double d;
  if (!strcmp(buf, "nan")) d = NAN;
  else if (!strcmp(buf, "inf")) d = INFINITY;
  else if (!strcmp(buf, "-inf")) d = -INFINITY;
  else {
    /* number_finite: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    const char *c = buf + (buf[0] == '-');
    if (!(*c >= '0' && *c <= '9') || (c[0] == '0' && c[1] >= '0' && c[1] <= '9')) return fail(p, "expected a number");
    while (*c >= '0' && *c <= '9') c++;
    if (*c == '.') {
      c++;
      if (!(*c >= '0' && *c <= '9')) return fail(p, "expected a digit after '.'");
      while (*c >= '0' && *c <= '9') c++;
    }
    if (*c == 'e' || *c == 'E') {
      c++;
      if (*c == '+' || *c == '-') c++;
      if (!(*c >= '0' && *c <= '9')) return fail(p, "expected an exponent");
      while (*c >= '0' && *c <= '9') c++;
    }
    if (*c) return fail(p, "expected a number");
    if (f64) {
      d = strtod(buf, NULL);
    } else {
      float f = strtof(buf, NULL);
      uint32_t bits;
      memcpy(&bits, &f, 4);
      *out = kumi_cval_f32(bits);
      return true;
    }
  }
  if (f64) {
    uint64_t bits;
    if (isnan(d)) bits = 0x7ff8000000000000ull;
    else memcpy(&bits, &d, 8);
    *out = kumi_cval_f64(bits);
  } else {
    float f = (float)d;
    uint32_t bits;
    if (isnan(d)) bits = 0x7fc00000u;
    else memcpy(&bits, &f, 4);
    *out = kumi_cval_f32(bits);
  }
  return true;
}

/* One character of a char or string literal (after the opening quote). */
static bool lit_char(wp *p, char quote, uint32_t *cp) {
  if (p->pos >= p->len) return fail(p, "unterminated literal");
  unsigned char c = (unsigned char)p->s[p->pos];
  if (c == '\n' || c == (unsigned char)quote) return fail(p, "unexpected end of literal");
  if (c == '\\') {
    p->pos++;
    if (p->pos >= p->len) return fail(p, "unterminated escape");
    char e = p->s[p->pos++];
    switch (e) {
    case '\'': *cp = '\''; return true;
    case '"': *cp = '"'; return true;
    case '\\': *cp = '\\'; return true;
    case 't': *cp = '\t'; return true;
    case 'n': *cp = '\n'; return true;
    case 'r': *cp = '\r'; return true;
    case 'u': {
      if (p->pos >= p->len || p->s[p->pos] != '{') return fail(p, "expected '{' in a unicode escape");
      p->pos++;
      uint32_t v = 0;
      size_t digits = 0;
      while (p->pos < p->len && p->s[p->pos] != '}') {
        char h = p->s[p->pos++];
        int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
        if (d < 0 || ++digits > 6) return fail(p, "bad unicode escape");
        v = v * 16 + (uint32_t)d;
      }
      if (p->pos >= p->len || !digits) return fail(p, "bad unicode escape");
      p->pos++;
      if (v >= 0x110000 || (v >= 0xD800 && v <= 0xDFFF)) return fail(p, "escape is not a Unicode scalar value");
      *cp = v;
      return true;
    }
    default: return fail(p, "unknown escape");
    }
  }
  /* a UTF-8 sequence: the input is checked to be UTF-8 as a whole */
  int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (p->pos + (size_t)n > p->len) return fail(p, "truncated UTF-8");
  uint32_t v = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
  for (int i = 1; i < n; i++) v = v << 6 | ((unsigned char)p->s[p->pos + (size_t)i] & 0x3F);
  p->pos += (size_t)n;
  *cp = v;
  return true;
}

static size_t put_utf8(char *o, uint32_t c) {
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

static bool parse_string(wp *p, kumi_cval *out) {
  ws(p);
  if (p->pos + 2 < p->len && memcmp(p->s + p->pos, "\"\"\"", 3) == 0) return fail(p, "multiline strings are not supported");
  if (!eat(p, '"')) return fail(p, "expected a string");
  /* the decoded text is never longer than the literal */
  size_t b = p->pos, cap = p->len - b + 1;
  char *buf = kb_alloc(p->a, cap);
  if (!buf) return fail(p, "out of memory");
  size_t n = 0;
  bool ok = true;
  while (ok && !(p->pos < p->len && p->s[p->pos] == '"')) {
    uint32_t cp;
    ok = lit_char(p, '"', &cp);
    if (ok) n += put_utf8(buf + n, cp);
  }
  if (ok) {
    p->pos++;
    ok = kumi_cval_string(p->a, buf, n, out) || fail(p, "out of memory");
  }
  kb_free(p->a, buf, cap);
  return ok;
}

/* ---- compound values ---------------------------------------------------------- */

static bool value(wp *p, comp_vt vt, kumi_cval *out);

typedef KB_VEC(kumi_cval) cvec;

static void cvec_free(wp *p, cvec *v) {
  for (size_t i = 0; i < v->len; i++) kumi_cval_free(p->a, &v->items[i]);
  kb_vec_free(p->a, v);
}

/* Moves the items of v into a new aggregate. */
static bool cvec_take(wp *p, cvec *v, kumi_cvalkind kind, kumi_cval *out) {
  if (!kumi_cval_agg(p->a, kind, v->len, out)) {
    cvec_free(p, v);
    return fail(p, "out of memory");
  }
  if (v->len) memcpy(out->of.agg.items, v->items, v->len * sizeof *v->items);
  kb_vec_free(p->a, v);
  return true;
}

/* [a, b, ...] (open '[', close ']') or (a, b) for tuples; trailing comma allowed. */
static bool seq(wp *p, char open, char close, const comp_type *t, kumi_cvalkind kind, kumi_cval *out) {
  if (!expect(p, open, open == '[' ? "expected '['" : "expected '('")) return false;
  cvec v = {0};
  bool ok = true;
  while (ok && !eat(p, close)) {
    if (v.len && !expect(p, ',', "expected ','")) {
      ok = false;
      break;
    }
    if (eat(p, close)) break;
    comp_vt et = t->dkind == 0x6f ? (v.len < t->n ? t->fields[v.len].type : t->fields[0].type) : t->a;
    if (t->dkind == 0x6f && v.len >= t->n) {
      ok = fail(p, "too many tuple elements");
      break;
    }
    kumi_cval e;
    ok = value(p, et, &e);
    if (ok && !kb_vec_push(p->a, &v, e)) {
      kumi_cval_free(p->a, &e);
      ok = fail(p, "out of memory");
    }
  }
  if (ok && t->dkind == 0x6f && v.len != t->n) ok = fail(p, "too few tuple elements");
  if (ok && t->dkind == 0x67 && v.len != t->len) ok = fail(p, "wrong number of list elements");
  if (!ok) {
    cvec_free(p, &v);
    return false;
  }
  return cvec_take(p, &v, kind, out);
}

static bool is_option(const comp_types *ts, comp_vt vt) {
  const comp_type *t;
  return !abi_resolve(ts, vt, &t) && t->dkind == 0x6b;
}

static bool record(wp *p, const comp_type *t, kumi_cval *out) {
  if (!expect(p, '{', "expected '{'")) return false;
  if (!kumi_cval_agg(p->a, KUMI_CV_RECORD, t->n, out)) return fail(p, "out of memory");
  bool *seen = kb_zalloc(p->a, t->n + 1);
  bool ok = seen != NULL || fail(p, "out of memory");
  if (ok && eat(p, ':')) {
    ok = expect(p, '}', "expected '}'");
  } else {
    size_t count = 0;
    while (ok && !eat(p, '}')) {
      if (count && !expect(p, ',', "expected ','")) {
        ok = false;
        break;
      }
      if (eat(p, '}')) break;
      const char *l;
      size_t n;
      bool pc;
      ok = label(p, &l, &n, &pc) && expect(p, ':', "expected ':'");
      uint32_t i = 0;
      while (ok && i < t->n && !(t->fields[i].name.len == n && memcmp(t->fields[i].name.s, l, n) == 0)) i++;
      if (ok && i == t->n) ok = fail(p, "unknown record field");
      if (ok && seen[i]) ok = fail(p, "duplicate record field");
      if (ok) {
        seen[i] = true;
        ok = value(p, t->fields[i].type, &out->of.agg.items[i]);
      }
      count++;
    }
  }
  for (uint32_t i = 0; ok && i < t->n; i++) {
    if (seen[i]) continue;
    if (!is_option(p->ts, t->fields[i].type)) ok = fail(p, "missing record field");
    else if (!kumi_cval_case(p->a, KUMI_CV_OPTION, 0, NULL, &out->of.agg.items[i])) ok = fail(p, "out of memory");
  }
  kb_free(p->a, seen, t->n + 1);
  if (!ok) kumi_cval_free(p->a, out);
  return ok;
}

static bool flags(wp *p, const comp_type *t, kumi_cval *out) {
  if (!expect(p, '{', "expected '{'")) return false;
  uint32_t bits = 0;
  size_t count = 0;
  while (!eat(p, '}')) {
    if (count && !expect(p, ',', "expected ','")) return false;
    if (eat(p, '}')) break;
    const char *l;
    size_t n;
    bool pc;
    if (!label(p, &l, &n, &pc)) return false;
    uint32_t i = 0;
    while (i < t->n && !(t->fields[i].name.len == n && memcmp(t->fields[i].name.s, l, n) == 0)) i++;
    if (i == t->n) return fail(p, "unknown flag");
    if (bits >> i & 1) return fail(p, "duplicate flag");
    bits |= 1u << i;
    count++;
  }
  *out = kumi_cval_flags(bits);
  return true;
}

static bool map(wp *p, const comp_type *t, kumi_cval *out) {
  if (!expect(p, '{', "expected '{'")) return false;
  cvec v = {0};
  bool ok = true;
  if (eat(p, ':')) {
    ok = expect(p, '}', "expected '}'");
  } else {
    while (ok && !eat(p, '}')) {
      if (v.len && !expect(p, ',', "expected ','")) {
        ok = false;
        break;
      }
      if (eat(p, '}')) break;
      kumi_cval kv;
      if (!kumi_cval_agg(p->a, KUMI_CV_TUPLE, 2, &kv)) {
        ok = fail(p, "out of memory");
        break;
      }
      ok = value(p, t->a, &kv.of.agg.items[0]) && expect(p, ':', "expected ':'") && value(p, t->b, &kv.of.agg.items[1]);
      if (ok && !kb_vec_push(p->a, &v, kv)) ok = fail(p, "out of memory");
      if (!ok) kumi_cval_free(p->a, &kv);
    }
  }
  if (!ok) {
    cvec_free(p, &v);
    return false;
  }
  return cvec_take(p, &v, KUMI_CV_MAP, out);
}

/* A case: label with an optional (payload). */
static bool case_value(wp *p, const comp_type *t, kumi_cvalkind kind, uint32_t idx, kumi_cval *out) {
  comp_vt ct;
  bool has = abi_case_type(t, idx, &ct);
  kumi_cval pv, *pp = NULL;
  if (has) {
    if (!expect(p, '(', "expected '(' and a payload")) return false;
    if (!value(p, ct, &pv)) return false;
    if (!expect(p, ')', "expected ')'")) {
      kumi_cval_free(p->a, &pv);
      return false;
    }
    pp = &pv;
  } else if (peek(p, '(')) {
    return fail(p, "this case has no payload");
  }
  if (!kumi_cval_case(p->a, kind, idx, pp, out)) {
    if (pp) kumi_cval_free(p->a, pp);
    return fail(p, "out of memory");
  }
  return true;
}

static bool variant(wp *p, const comp_type *t, kumi_cvalkind kind, kumi_cval *out) {
  const char *l;
  size_t n;
  bool pc;
  if (!label(p, &l, &n, &pc)) return false;
  for (uint32_t i = 0; i < t->n; i++)
    if (t->fields[i].name.len == n && memcmp(t->fields[i].name.s, l, n) == 0) return case_value(p, t, kind, i, out);
  return fail(p, "unknown case");
}

/* option and result: explicit cases, or the payload alone ("flat" form). */
static bool option_result(wp *p, comp_vt vt, const comp_type *t, kumi_cval *out) {
  bool opt = t->dkind == 0x6b;
  const char *c0 = opt ? "none" : "ok", *c1 = opt ? "some" : "err";
  kumi_cvalkind kind = opt ? KUMI_CV_OPTION : KUMI_CV_RESULT;
  size_t save = p->pos;
  if (peek_label(p, c0) || peek_label(p, c1)) {
    const char *l;
    size_t n;
    bool pc;
    label(p, &l, &n, &pc);
    return case_value(p, t, kind, label_is(l, n, c0) ? 0 : 1, out);
  }
  p->pos = save;
  comp_vt ct;
  uint32_t idx = opt ? 1 : 0;
  if (!abi_case_type(t, idx, &ct)) return fail(p, opt ? "expected some or none" : "expected ok or err");
  (void)vt;
  kumi_cval pv;
  if (!value(p, ct, &pv)) return false;
  if (!kumi_cval_case(p->a, kind, idx, &pv, out)) {
    kumi_cval_free(p->a, &pv);
    return fail(p, "out of memory");
  }
  return true;
}

static bool value(wp *p, comp_vt vt, kumi_cval *out) {
  *out = kumi_cval_bool(false);
  if (++p->depth > 500) return fail(p, "value nested too deeply");
  const comp_type *t;
  uint8_t prim = abi_resolve(p->ts, vt, &t);
  bool ok;
  ws(p);
  switch (prim) {
  case 0: break;
  case COMP_BOOL:
    if (peek_label(p, "true")) p->pos += 4, *out = kumi_cval_bool(true), ok = true;
    else if (peek_label(p, "false")) p->pos += 5, *out = kumi_cval_bool(false), ok = true;
    else ok = fail(p, "expected true or false");
    p->depth--;
    return ok;
  case COMP_F32: case COMP_F64: ok = parse_float(p, prim == COMP_F64, out); p->depth--; return ok;
  case COMP_CHAR: {
    uint32_t cp = 0;
    ok = expect(p, '\'', "expected a char") && lit_char(p, '\'', &cp) && expect(p, '\'', "expected a closing quote");
    if (ok) *out = kumi_cval_char(cp);
    p->depth--;
    return ok;
  }
  case COMP_STRING: ok = parse_string(p, out); p->depth--; return ok;
  case COMP_ERROR_CONTEXT: return fail(p, "error-context values have no WAVE form");
  default: ok = parse_int(p, prim, out); p->depth--; return ok;
  }
  switch (t->dkind) {
  case 0x70: case 0x67: ok = seq(p, '[', ']', t, KUMI_CV_LIST, out); break;
  case 0x6f: ok = seq(p, '(', ')', t, KUMI_CV_TUPLE, out); break;
  case 0x72: ok = record(p, t, out); break;
  case 0x6e: ok = flags(p, t, out); break;
  case 0x63: ok = map(p, t, out); break;
  case 0x71: ok = variant(p, t, KUMI_CV_VARIANT, out); break;
  case 0x6d: ok = variant(p, t, KUMI_CV_ENUM, out); break;
  case 0x6b: case 0x6a: ok = option_result(p, vt, t, out); break;
  default: ok = fail(p, "handles have no WAVE form"); break;
  }
  p->depth--;
  return ok;
}

kumi_error *wave_parse(const kumi_allocator *a, const comp_types *ts, comp_vt t, const char *s, size_t len,
                       kumi_cval *out) {
  wp p;
  memset(&p, 0, sizeof p);
  p.a = a ? a : kb_default_allocator();
  p.ts = ts;
  p.s = s;
  p.len = len;
  *out = kumi_cval_bool(false);
  kumi_error *e = NULL;
  if (!kb_utf8_valid((const uint8_t *)s, len)) {
    e = kb_error(p.a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "WAVE: the text is not UTF-8");
    return e ? e : kb_error_oom();
  }
  if (value(&p, t, out)) {
    ws(&p);
    if (p.pos == p.len) return NULL;
    fail(&p, "unexpected text after the value");
    kumi_cval_free(p.a, out);
  }
  e = kb_error(p.a, KUMI_ERR_ARG, p.err_pos, "WAVE: %s at offset %zu", p.err ? p.err : "invalid value", p.err_pos);
  return e ? e : kb_error_oom();
}

/* ---- printing -------------------------------------------------------------------- */

typedef struct wo {
  const kumi_allocator *a;
  const comp_types *ts;
  wave_buf *b;
  bool ok;
} wo;

static void put(wo *o, const char *s, size_t n) {
  if (!o->ok) return;
  if (!kb_vec_reserve(o->a, o->b, n)) {
    o->ok = false;
    return;
  }
  memcpy(o->b->items + o->b->len, s, n);
  o->b->len += n;
}
static void puts_(wo *o, const char *s) { put(o, s, strlen(s)); }

static const char *const keywords[] = {"true", "false", "inf", "nan", "some", "none", "ok", "err"};

static void put_label(wo *o, comp_str l, bool case_label) {
  if (case_label)
    for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
      if (strlen(keywords[i]) == l.len && memcmp(keywords[i], l.s, l.len) == 0) put(o, "%", 1);
  put(o, l.s, l.len);
}

static void put_cp(wo *o, uint32_t c, char quote) {
  char buf[16];
  switch (c) {
  case '\\': puts_(o, "\\\\"); return;
  case '\t': puts_(o, "\\t"); return;
  case '\n': puts_(o, "\\n"); return;
  case '\r': puts_(o, "\\r"); return;
  default: break;
  }
  if (c == (uint32_t)quote) {
    buf[0] = '\\';
    buf[1] = quote;
    put(o, buf, 2);
  } else if (c < 0x20 || c == 0x7f) {
    snprintf(buf, sizeof buf, "\\u{%x}", c);
    puts_(o, buf);
  } else {
    put(o, buf, put_utf8(buf, c));
  }
}

static void put_float(wo *o, bool f64, uint64_t bits) {
  char buf[64];
  double d;
  if (f64) {
    memcpy(&d, &bits, 8);
  } else {
    uint32_t b32 = (uint32_t)bits;
    float f;
    memcpy(&f, &b32, 4);
    d = f;
  }
  if (isnan(d)) {
    puts_(o, "nan");
    return;
  }
  if (isinf(d)) {
    puts_(o, d < 0 ? "-inf" : "inf");
    return;
  }
  /* the shortest text that reads back to the same bits */
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, sizeof buf, "%.*g", prec, d);
    if (f64 ? strtod(buf, NULL) == d : (double)strtof(buf, NULL) == d) break;
  }
  /* %g may write "1e+20" (valid) or "inf"-free forms only; keep as is */
  puts_(o, buf);
}

static void print(wo *o, comp_vt vt, const kumi_cval *v);

static void print_case(wo *o, const comp_type *t, const kumi_cval *v, comp_str name) {
  comp_vt ct;
  put_label(o, name, true);
  bool has = abi_case_type(t, v->of.var.index, &ct);
  if (has != (v->of.var.payload != NULL)) {
    o->ok = false;
    return;
  }
  if (has) {
    put(o, "(", 1);
    print(o, ct, v->of.var.payload);
    put(o, ")", 1);
  }
}

static bool kind_ok(const kumi_cval *v, kumi_cvalkind k) { return v->kind == k; }

static void print(wo *o, comp_vt vt, const kumi_cval *v) {
  if (!o->ok) return;
  const comp_type *t;
  uint8_t prim = abi_resolve(o->ts, vt, &t);
  char buf[48];
  switch (prim) {
  case 0: break;
  case COMP_BOOL:
    if (!kind_ok(v, KUMI_CV_BOOL)) break;
    puts_(o, v->of.b ? "true" : "false");
    return;
  case COMP_S8: case COMP_S16: case COMP_S32: case COMP_S64:
    if (v->kind != (prim == COMP_S8 ? KUMI_CV_S8 : prim == COMP_S16 ? KUMI_CV_S16 : prim == COMP_S32 ? KUMI_CV_S32 : KUMI_CV_S64)) break;
    snprintf(buf, sizeof buf, "%lld", (long long)v->of.s);
    puts_(o, buf);
    return;
  case COMP_U8: case COMP_U16: case COMP_U32: case COMP_U64:
    if (v->kind != (prim == COMP_U8 ? KUMI_CV_U8 : prim == COMP_U16 ? KUMI_CV_U16 : prim == COMP_U32 ? KUMI_CV_U32 : KUMI_CV_U64)) break;
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v->of.u);
    puts_(o, buf);
    return;
  case COMP_F32:
    if (!kind_ok(v, KUMI_CV_F32)) break;
    put_float(o, false, v->of.f32_bits);
    return;
  case COMP_F64:
    if (!kind_ok(v, KUMI_CV_F64)) break;
    put_float(o, true, v->of.f64_bits);
    return;
  case COMP_CHAR:
    if (!kind_ok(v, KUMI_CV_CHAR) || v->of.ch >= 0x110000 || (v->of.ch >= 0xD800 && v->of.ch <= 0xDFFF)) break;
    put(o, "'", 1);
    put_cp(o, v->of.ch, '\'');
    put(o, "'", 1);
    return;
  case COMP_STRING: {
    if (!kind_ok(v, KUMI_CV_STRING)) break;
    put(o, "\"", 1);
    const unsigned char *s = (const unsigned char *)v->of.str.ptr;
    for (size_t i = 0; i < v->of.str.len;) {
      unsigned char c = s[i];
      int n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      uint32_t cp = n == 1 ? c : n == 2 ? c & 0x1F : n == 3 ? c & 0x0F : c & 0x07;
      for (int k = 1; k < n && i + (size_t)k < v->of.str.len; k++) cp = cp << 6 | (s[i + (size_t)k] & 0x3F);
      put_cp(o, cp, '"');
      i += (size_t)n;
    }
    put(o, "\"", 1);
    return;
  }
  default: break;
  }
  if (prim) {
    o->ok = false;
    return;
  }
  switch (t->dkind) {
  case 0x70: case 0x67: case 0x6f: {
    bool tuple = t->dkind == 0x6f;
    if (v->kind != (tuple ? KUMI_CV_TUPLE : KUMI_CV_LIST) || (tuple && v->of.agg.len != t->n) ||
        (t->dkind == 0x67 && v->of.agg.len != t->len))
      break;
    put(o, tuple ? "(" : "[", 1);
    for (size_t i = 0; i < v->of.agg.len; i++) {
      if (i) put(o, ", ", 2);
      print(o, tuple ? t->fields[i].type : t->a, &v->of.agg.items[i]);
    }
    put(o, tuple ? ")" : "]", 1);
    return;
  }
  case 0x72:
    if (v->kind != KUMI_CV_RECORD || v->of.agg.len != t->n) break;
    put(o, "{", 1);
    for (uint32_t i = 0; i < t->n; i++) {
      if (i) put(o, ", ", 2);
      put_label(o, t->fields[i].name, false);
      put(o, ": ", 2);
      print(o, t->fields[i].type, &v->of.agg.items[i]);
    }
    put(o, "}", 1);
    return;
  case 0x6e: {
    if (v->kind != KUMI_CV_FLAGS) break;
    put(o, "{", 1);
    bool first = true;
    for (uint32_t i = 0; i < t->n && i < 32; i++)
      if (v->of.flags >> i & 1) {
        if (!first) put(o, ", ", 2);
        first = false;
        put_label(o, t->fields[i].name, false);
      }
    put(o, "}", 1);
    return;
  }
  case 0x63:
    if (v->kind != KUMI_CV_MAP) break;
    put(o, "{", 1);
    for (size_t i = 0; i < v->of.agg.len; i++) {
      const kumi_cval *kv = &v->of.agg.items[i];
      if (kv->kind != KUMI_CV_TUPLE || kv->of.agg.len != 2) {
        o->ok = false;
        return;
      }
      if (i) put(o, ", ", 2);
      print(o, t->a, &kv->of.agg.items[0]);
      put(o, ": ", 2);
      print(o, t->b, &kv->of.agg.items[1]);
    }
    put(o, "}", 1);
    return;
  case 0x71: case 0x6d:
    if (v->kind != (t->dkind == 0x71 ? KUMI_CV_VARIANT : KUMI_CV_ENUM) || v->of.var.index >= t->n) break;
    print_case(o, t, v, t->fields[v->of.var.index].name);
    return;
  case 0x6b: case 0x6a: {
    bool opt = t->dkind == 0x6b;
    if (v->kind != (opt ? KUMI_CV_OPTION : KUMI_CV_RESULT) || v->of.var.index > 1) break;
    static const char *const names[2][2] = {{"ok", "err"}, {"none", "some"}};
    const char *nm = names[opt][v->of.var.index];
    comp_str s = {nm, (uint32_t)strlen(nm)};
    /* keywords here are the real case names: no % */
    put(o, s.s, s.len);
    comp_vt ct;
    bool has = abi_case_type(t, v->of.var.index, &ct);
    if (has != (v->of.var.payload != NULL)) break;
    if (has) {
      put(o, "(", 1);
      print(o, ct, v->of.var.payload);
      put(o, ")", 1);
    }
    return;
  }
  default: break; /* handles */
  }
  o->ok = false;
}

bool wave_print(const kumi_allocator *a, const comp_types *ts, comp_vt t, const kumi_cval *v, wave_buf *buf) {
  wo o = {a ? a : kb_default_allocator(), ts, buf, true};
  size_t start = buf->len;
  print(&o, t, v);
  if (!o.ok) buf->len = start;
  return o.ok;
}

/* ---- calls: `name(arg, ...)` ----------------------------------------------------------- */

bool wave_call_name(const char *s, size_t len, size_t *name_off, size_t *name_len, size_t *args_off) {
  size_t b = 0;
  while (b < len && (s[b] == ' ' || s[b] == '\t' || s[b] == '\n' || s[b] == '\r')) b++;
  size_t i = b;
  while (i < len && s[i] != '(') i++;
  if (i == len) return false;
  size_t e = i;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) e--;
  if (e == b) return false;
  *name_off = b;
  *name_len = e - b;
  *args_off = i;
  return true;
}

kumi_error *wave_parse_args(const kumi_allocator *a, const comp_types *ts, const comp_type *ft, const char *s,
                            size_t len, kumi_cval *out) {
  wp p;
  memset(&p, 0, sizeof p);
  p.a = a ? a : kb_default_allocator();
  p.ts = ts;
  p.s = s;
  p.len = len;
  for (uint32_t i = 0; i < ft->n; i++) out[i] = kumi_cval_bool(false);
  uint32_t n = 0;
  bool ok = kb_utf8_valid((const uint8_t *)s, len) || fail(&p, "the text is not UTF-8");
  ok = ok && expect(&p, '(', "expected '('");
  while (ok && !eat(&p, ')')) {
    if (n && !expect(&p, ',', "expected ','")) {
      ok = false;
      break;
    }
    if (eat(&p, ')')) break;
    if (n >= ft->n) {
      ok = fail(&p, "too many arguments");
      break;
    }
    ok = value(&p, ft->fields[n].type, &out[n]);
    if (ok) n++;
  }
  if (ok && n < ft->n) ok = fail(&p, "too few arguments");
  if (ok) {
    ws(&p);
    if (p.pos != p.len) ok = fail(&p, "unexpected text after the arguments");
  }
  if (ok) return NULL;
  for (uint32_t i = 0; i < ft->n; i++) kumi_cval_free(p.a, &out[i]);
  kumi_error *e = kb_error(p.a, KUMI_ERR_ARG, p.err_pos, "WAVE: %s at offset %zu", p.err ? p.err : "invalid call", p.err_pos);
  return e ? e : kb_error_oom();
}
