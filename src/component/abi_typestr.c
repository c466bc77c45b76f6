/* A WIT-like syntax for component value types and function types, as used
 * by the Canonical ABI test vectors: `list<T>`, `list<T, N>`,
 * `tuple<...>`, `option<T>`, `result<T, E>` (`_` for no ok type),
 * `map<K, V>`, `record{l: T}`, `variant{c, c(T)}`, `enum{...}`,
 * `flags{...}`, `own<R>`, `borrow<R>`, `stream<T>`, `future<T>` and
 * `[async] func(l: T, ...) [-> T]`. No validation rules are applied here
 * beyond the syntax: the types are built as written. */
#include "abi.h"

#include <stdio.h>

typedef struct tp {
  abi_typestr_cx *cx;
  const char *s;
  size_t len, pos;
  char *err;
  size_t errcap;
  bool failed;
  unsigned depth;
} tp;

static bool fail(tp *p, const char *what) {
  if (!p->failed && p->errcap) snprintf(p->err, p->errcap, "%s at offset %zu", what, p->pos);
  p->failed = true;
  return false;
}

static void ws(tp *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' || p->s[p->pos] == '\n')) p->pos++;
}

static bool eat(tp *p, char c) {
  ws(p);
  if (p->pos < p->len && p->s[p->pos] == c) {
    p->pos++;
    return true;
  }
  return false;
}

static bool expect(tp *p, char c) {
  if (eat(p, c)) return true;
  char m[32];
  snprintf(m, sizeof m, "expected '%c'", c);
  return fail(p, m);
}

static bool is_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || (c >= 'A' && c <= 'Z'); }

/* A label or keyword: [A-Za-z0-9_-]+. */
static bool word(tp *p, const char **w, size_t *n) {
  ws(p);
  size_t b = p->pos;
  while (p->pos < p->len && is_label_char(p->s[p->pos])) p->pos++;
  if (p->pos == b) return fail(p, "expected a name");
  *w = p->s + b;
  *n = p->pos - b;
  return true;
}

static bool word_is(const char *w, size_t n, const char *k) { return strlen(k) == n && memcmp(w, k, n) == 0; }

static bool peek_word(tp *p, const char *k) {
  ws(p);
  size_t n = strlen(k);
  return p->pos + n <= p->len && memcmp(p->s + p->pos, k, n) == 0 &&
         (p->pos + n == p->len || !is_label_char(p->s[p->pos + n]));
}

static bool label(tp *p, comp_str *out) {
  const char *w;
  size_t n;
  if (!word(p, &w, &n)) return false;
  char *c = kb_arena_strndup(&p->cx->ts->arena, w, n);
  if (!c) return fail(p, "out of memory");
  out->s = c;
  out->len = (uint32_t)n;
  return true;
}

static bool valtype(tp *p, comp_vt *out);

static comp_type *newdef(tp *p, uint8_t dkind) {
  comp_type *t = comp_type_new(p->cx->ts, CT_DEFINED);
  if (!t) {
    fail(p, "out of memory");
    return NULL;
  }
  t->dkind = dkind;
  return t;
}

static bool push(tp *p, comp_type *t, comp_vt *out) {
  comp_tid id = comp_types_push(p->cx->ts, t);
  if (!id) return fail(p, "out of memory");
  out->prim = 0;
  out->id = id;
  return true;
}

typedef KB_VEC(comp_field) fieldvec;

/* A brace list: record fields (`l: T`, typed == 2), variant cases (`l` or
 * `l(T)`, typed == 1) or bare labels (typed == 0). */
static bool field_list(tp *p, int typed, comp_type *t) {
  fieldvec v = {0};
  const kumi_allocator *a = p->cx->ts->alloc;
  bool ok = expect(p, '{');
  while (ok && !eat(p, '}')) {
    if (v.len && !expect(p, ',')) {
      ok = false;
      break;
    }
    comp_field f;
    memset(&f, 0, sizeof f);
    ok = label(p, &f.name);
    if (ok && typed == 2) {
      ok = expect(p, ':') && valtype(p, &f.type);
      f.has_type = true;
    } else if (ok && typed == 1 && eat(p, '(')) {
      ok = valtype(p, &f.type) && expect(p, ')');
      f.has_type = true;
    }
    if (ok && !kb_vec_push(a, &v, f)) ok = fail(p, "out of memory");
  }
  if (ok) {
    t->n = (uint32_t)v.len;
    t->fields = comp_types_alloc(p->cx->ts, v.len, sizeof *t->fields);
    if (!t->fields) ok = fail(p, "out of memory");
    else if (v.len) memcpy(t->fields, v.items, v.len * sizeof *v.items);
  }
  kb_vec_free(a, &v);
  return ok;
}

static bool number(tp *p, uint64_t *out) {
  ws(p);
  size_t b = p->pos;
  uint64_t x = 0;
  while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9') {
    x = x * 10 + (uint64_t)(p->s[p->pos++] - '0');
    if (x > UINT32_MAX) return fail(p, "number too large");
  }
  if (p->pos == b) return fail(p, "expected a number");
  *out = x;
  return true;
}

static bool resource(tp *p, comp_tid *out) {
  const char *w;
  size_t n;
  if (!word(p, &w, &n)) return false;
  void *found;
  if (kb_map_get(&p->cx->resources, w, n, &found)) {
    *out = (comp_tid)(uintptr_t)found;
    return true;
  }
  comp_tid r = comp_types_fresh_resource(p->cx->ts);
  if (!r || !kb_map_put(&p->cx->resources, w, n, (void *)(uintptr_t)r)) return fail(p, "out of memory");
  *out = r;
  return true;
}

static const struct {
  const char *name;
  uint8_t code;
} prims[] = {
    {"bool", COMP_BOOL}, {"s8", COMP_S8},   {"u8", COMP_U8},   {"s16", COMP_S16},     {"u16", COMP_U16},
    {"s32", COMP_S32},   {"u32", COMP_U32}, {"s64", COMP_S64}, {"u64", COMP_U64},     {"f32", COMP_F32},
    {"f64", COMP_F64},   {"char", COMP_CHAR}, {"string", COMP_STRING}, {"error-context", COMP_ERROR_CONTEXT},
};

static bool valtype(tp *p, comp_vt *out) {
  const char *w;
  size_t n;
  if (++p->depth > 200) return fail(p, "type nested too deeply");
  bool ok = word(p, &w, &n);
  if (!ok) return false;
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
    if (word_is(w, n, prims[i].name)) {
      out->prim = prims[i].code;
      out->id = 0;
      p->depth--;
      return true;
    }
  comp_type *t = NULL;
  if (word_is(w, n, "list")) {
    if (!(t = newdef(p, 0x70)) || !expect(p, '<') || !valtype(p, &t->a)) return false;
    t->has_a = true;
    if (eat(p, ',')) {
      uint64_t len = 0;
      if (!number(p, &len)) return false;
      t->dkind = 0x67;
      t->len = (uint32_t)len;
    }
    ok = expect(p, '>');
  } else if (word_is(w, n, "option")) {
    ok = (t = newdef(p, 0x6b)) && expect(p, '<') && valtype(p, &t->a) && expect(p, '>');
    if (t) t->has_a = true;
  } else if (word_is(w, n, "map")) {
    ok = (t = newdef(p, 0x63)) && expect(p, '<') && valtype(p, &t->a) && expect(p, ',') && valtype(p, &t->b) &&
         expect(p, '>');
    if (t) t->has_a = t->has_b = true;
  } else if (word_is(w, n, "result")) {
    if (!(t = newdef(p, 0x6a))) return false;
    if (eat(p, '<')) {
      if (peek_word(p, "_")) {
        p->pos++;
      } else {
        if (!valtype(p, &t->a)) return false;
        t->has_a = true;
      }
      if (eat(p, ',')) {
        if (!valtype(p, &t->b)) return false;
        t->has_b = true;
      }
      ok = expect(p, '>');
    }
  } else if (word_is(w, n, "stream") || word_is(w, n, "future")) {
    if (!(t = newdef(p, word_is(w, n, "stream") ? 0x66 : 0x65))) return false;
    if (eat(p, '<')) {
      ok = valtype(p, &t->a) && expect(p, '>');
      t->has_a = true;
    }
  } else if (word_is(w, n, "own") || word_is(w, n, "borrow")) {
    ok = (t = newdef(p, word_is(w, n, "own") ? 0x69 : 0x68)) && expect(p, '<') && resource(p, &t->res) &&
         expect(p, '>');
  } else if (word_is(w, n, "tuple")) {
    if (!(t = newdef(p, 0x6f)) || !expect(p, '<')) return false;
    fieldvec v = {0};
    const kumi_allocator *a = p->cx->ts->alloc;
    while (ok && !eat(p, '>')) {
      if (v.len && !expect(p, ',')) {
        ok = false;
        break;
      }
      comp_field f;
      memset(&f, 0, sizeof f);
      f.has_type = true;
      f.name.s = "";
      ok = valtype(p, &f.type);
      if (ok && !kb_vec_push(a, &v, f)) ok = fail(p, "out of memory");
    }
    if (ok) {
      t->n = (uint32_t)v.len;
      t->fields = comp_types_alloc(p->cx->ts, v.len, sizeof *t->fields);
      if (!t->fields) ok = fail(p, "out of memory");
      else if (v.len) memcpy(t->fields, v.items, v.len * sizeof *v.items);
    }
    kb_vec_free(a, &v);
  } else if (word_is(w, n, "record")) {
    ok = (t = newdef(p, 0x72)) && field_list(p, 2, t);
  } else if (word_is(w, n, "variant")) {
    ok = (t = newdef(p, 0x71)) && field_list(p, 1, t);
  } else if (word_is(w, n, "enum")) {
    ok = (t = newdef(p, 0x6d)) && field_list(p, 0, t);
  } else if (word_is(w, n, "flags")) {
    ok = (t = newdef(p, 0x6e)) && field_list(p, 0, t);
  } else {
    p->pos -= n;
    return fail(p, "unknown type");
  }
  if (!ok) return false;
  p->depth--;
  return push(p, t, out);
}

void abi_typestr_init(abi_typestr_cx *p, comp_types *ts) {
  p->ts = ts;
  kb_map_init(&p->resources, ts->alloc);
}

void abi_typestr_free(abi_typestr_cx *p) { kb_map_free(&p->resources); }

static void tp_init(tp *p, abi_typestr_cx *cx, const char *s, size_t len, char *err, size_t errcap) {
  memset(p, 0, sizeof *p);
  p->cx = cx;
  p->s = s;
  p->len = len;
  p->err = err;
  p->errcap = errcap;
  if (errcap) err[0] = 0;
}

bool abi_typestr_parse(abi_typestr_cx *cx, const char *s, size_t len, comp_vt *out, char *err, size_t errcap) {
  tp p;
  tp_init(&p, cx, s, len, err, errcap);
  if (!valtype(&p, out)) return false;
  ws(&p);
  return p.pos == p.len || fail(&p, "trailing text");
}

bool abi_typestr_parse_func(abi_typestr_cx *cx, const char *s, size_t len, comp_tid *out, char *err,
                            size_t errcap) {
  tp p;
  tp_init(&p, cx, s, len, err, errcap);
  comp_type *t = comp_type_new(cx->ts, CT_FUNC);
  if (!t) return fail(&p, "out of memory");
  if (peek_word(&p, "async")) {
    p.pos += 5;
    t->async = true;
  }
  if (!peek_word(&p, "func")) return fail(&p, "expected 'func'");
  p.pos += 4;
  fieldvec v = {0};
  const kumi_allocator *a = cx->ts->alloc;
  bool ok = expect(&p, '(');
  while (ok && !eat(&p, ')')) {
    if (v.len && !expect(&p, ',')) {
      ok = false;
      break;
    }
    comp_field f;
    memset(&f, 0, sizeof f);
    f.has_type = true;
    ok = label(&p, &f.name) && expect(&p, ':') && valtype(&p, &f.type);
    if (ok && !kb_vec_push(a, &v, f)) ok = fail(&p, "out of memory");
  }
  if (ok) {
    t->n = (uint32_t)v.len;
    t->fields = comp_types_alloc(cx->ts, v.len, sizeof *t->fields);
    if (!t->fields) ok = fail(&p, "out of memory");
    else if (v.len) memcpy(t->fields, v.items, v.len * sizeof *v.items);
  }
  kb_vec_free(a, &v);
  if (!ok) return false;
  ws(&p);
  if (p.pos + 1 < p.len && p.s[p.pos] == '-' && p.s[p.pos + 1] == '>') {
    p.pos += 2;
    if (!valtype(&p, &t->result)) return false;
    t->has_result = true;
  }
  ws(&p);
  if (p.pos != p.len) return fail(&p, "trailing text");
  *out = comp_types_push(cx->ts, t);
  return *out ? true : fail(&p, "out of memory");
}

/* ---- validation rules for types written in this syntax ----------------------
 * The rules the binary validator (validate.c) applies to defined value
 * types, for types built here: non-empty records, tuples, variants, enums;
 * 1..32 flags; fixed lengths > 0; strongly-unique labels; map key types;
 * stream<char>; no borrow in stream/future elements; elem_size < 2^28. */

static bool same_label(comp_str a, comp_str b) {
  if (a.len != b.len) return false;
  for (uint32_t i = 0; i < a.len; i++) {
    char x = a.s[i], y = b.s[i];
    if (x >= 'A' && x <= 'Z') x = (char)(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = (char)(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

static bool check_fail(char *err, size_t cap, const char *msg) {
  if (cap) snprintf(err, cap, "%s", msg);
  return false;
}

bool abi_typestr_check(const comp_types *ts, comp_vt v, char *err, size_t errcap) {
  if (v.prim) return true;
  const comp_type *t = comp_ty(ts, v.id);
  switch (t->dkind) {
  case 0x72: case 0x71: case 0x6e: case 0x6d: case 0x6f:
    if (t->n == 0) return check_fail(err, errcap, "empty record, tuple, variant, enum or flags");
    if (t->dkind == 0x6e && t->n > 32) return check_fail(err, errcap, "more than 32 flags");
    if (t->dkind != 0x6f) {
      /* quadratic for small types, a map would do for large ones */
      if (t->n <= 4096) {
        for (uint32_t i = 0; i < t->n; i++)
          for (uint32_t j = 0; j < i; j++)
            if (same_label(t->fields[i].name, t->fields[j].name)) return check_fail(err, errcap, "duplicate label");
      }
    }
    for (uint32_t i = 0; i < t->n; i++)
      if (t->fields[i].has_type && !abi_typestr_check(ts, t->fields[i].type, err, errcap)) return false;
    break;
  case 0x67:
    if (t->len == 0) return check_fail(err, errcap, "fixed-length list of length 0");
    break;
  case 0x63: {
    uint8_t k = t->a.prim;
    bool ok = k == COMP_BOOL || k == COMP_S8 || k == COMP_U8 || k == COMP_S16 || k == COMP_U16 || k == COMP_S32 ||
              k == COMP_U32 || k == COMP_S64 || k == COMP_U64 || k == COMP_CHAR || k == COMP_STRING;
    if (!ok) return check_fail(err, errcap, "map key type must be a primitive type");
    break;
  }
  case 0x66: case 0x65:
    if (t->dkind == 0x66 && t->has_a && t->a.prim == COMP_CHAR) return check_fail(err, errcap, "stream<char>");
    if (t->has_a && comp_vt_has_borrow(ts, t->a)) return check_fail(err, errcap, "stream or future element contains a borrow");
    break;
  default: break;
  }
  if (t->has_a && !abi_typestr_check(ts, t->a, err, errcap)) return false;
  if (t->has_b && !abi_typestr_check(ts, t->b, err, errcap)) return false;
  if (abi_size(ts, v, true) >= ((uint64_t)1 << 28)) return check_fail(err, errcap, "type exceeds 2^28 bytes");
  return true;
}
