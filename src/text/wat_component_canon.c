/* Canonical definitions of the component text format: `(canon op ...)`
 * and its abbreviations `(func id? typeuse (canon lift ...))` and
 * `(core func id? (canon op ...))` (see wat_component.h). */
#include "wat_component.h"

/* Canonical options up to ')' or the trailing `(core func ..)` /
 * `(func ..)`, as vec(canonopt). */
static bool opts(wc_parser *p, text_buf *b) {
  wat_parser *w = WC(p);
  text_buf o;
  tb_init(&o, w->a);
  uint32_t n = 0;
  bool ok = true;
  for (;;) {
    const text_token *t = wat_tok(w);
    if (wat_is_kw(t, "string-encoding=utf8")) tb_byte(&o, 0x00);
    else if (wat_is_kw(t, "string-encoding=utf16")) tb_byte(&o, 0x01);
    else if (wat_is_kw(t, "string-encoding=latin1+utf16")) tb_byte(&o, 0x02);
    else if (wat_is_kw(t, "async")) tb_byte(&o, 0x06);
    else if (t->kind == TK_LPAR) {
      static const struct {
        const char *kw;
        uint8_t code;
        int cs;
      } forms[] = {{"memory", 0x03, CS_CMEM}, {"realloc", 0x04, CS_CFUNC}, {"post-return", 0x05, CS_CFUNC},
                   {"callback", 0x07, CS_CFUNC}, {"core-type", 0x08, CS_CTYPE}};
      size_t k = 0;
      while (k < sizeof forms / sizeof forms[0] && !wat_is_kw(&w->t[w->i + 1], forms[k].kw)) k++;
      if (k == sizeof forms / sizeof forms[0]) break;
      w->i += 2;
      uint32_t x = 0;
      ok = wc_ref(p, forms[k].cs, wat_tok(w)->kind == TK_LPAR, &x) && wat_expect_rpar(w);
      tb_byte(&o, forms[k].code);
      tb_u32(&o, x);
      n++;
      if (!ok) break;
      continue;
    } else if (wat_is_kw(t, "gc")) {
      tb_byte(&o, 0x09);
    } else {
      break;
    }
    w->i++;
    n++;
  }
  tb_u32(b, n);
  tb_bytes(b, o.data, o.len);
  tb_free(&o);
  return ok;
}

/* `async`? or `cancellable`? as a flag byte. */
static void flag(wc_parser *p, const char *kw, text_buf *b) {
  bool on = wat_is_kw(wat_tok(WC(p)), kw);
  if (on) WC(p)->i++;
  tb_byte(b, on ? 1 : 0);
}

static bool type_idx(wc_parser *p, text_buf *b) {
  uint32_t x = 0;
  if (!wc_ref(p, CS_TYPE, wat_at_form(WC(p), "type"), &x)) return false;
  tb_u32(b, x);
  return true;
}

/* A core item reference, bare or as `(core sort ...)`. */
static bool core_ref(wc_parser *p, int cs, text_buf *b) {
  uint32_t x = 0;
  if (!wc_ref(p, cs, wat_tok(WC(p))->kind == TK_LPAR, &x)) return false;
  tb_u32(b, x);
  return true;
}

/* Operators that take no immediates, only a type, or a type and a flag or
 * options. */
static const struct {
  const char *name;
  uint8_t code;
  uint8_t shape; /* 0 none, 1 type, 2 type opts, 3 type async?, 4 opts, 5 async?, 6 cancellable? */
} simple_ops[] = {
    {"resource.new", 0x02, 1},        {"resource.drop", 0x03, 1},     {"resource.rep", 0x04, 1},
    {"task.cancel", 0x05, 0},         {"subtask.cancel", 0x06, 5},    {"backpressure.set", 0x08, 0},
    {"thread.yield", 0x0c, 6},        {"subtask.drop", 0x0d, 0},      {"stream.new", 0x0e, 1},
    {"stream.read", 0x0f, 2},         {"stream.write", 0x10, 2},      {"stream.cancel-read", 0x11, 3},
    {"stream.cancel-write", 0x12, 3}, {"stream.drop-readable", 0x13, 1}, {"stream.drop-writable", 0x14, 1},
    {"future.new", 0x15, 1},          {"future.read", 0x16, 2},       {"future.write", 0x17, 2},
    {"future.cancel-read", 0x18, 3},  {"future.cancel-write", 0x19, 3}, {"future.drop-readable", 0x1a, 1},
    {"future.drop-writable", 0x1b, 1}, {"error-context.new", 0x1c, 4}, {"error-context.debug-message", 0x1d, 4},
    {"error-context.drop", 0x1e, 0},  {"waitable-set.new", 0x1f, 0},  {"waitable-set.drop", 0x22, 0},
    {"waitable.join", 0x23, 0},       {"backpressure.inc", 0x24, 0},  {"backpressure.dec", 0x25, 0},
    {"thread.index", 0x26, 0},        {"thread.resume-later", 0x28, 0}, {"thread.suspend", 0x29, 6},
    {"thread.suspend-then-resume", 0x2a, 6}, {"thread.yield-then-resume", 0x2b, 6},
    {"thread.suspend-then-promote", 0x2c, 6}, {"thread.yield-then-promote", 0x2d, 6},
};

/* The operator and its immediates into b; *lift for `lift`. */
static bool canon_op(wc_parser *p, text_buf *b, bool *lift) {
  wat_parser *w = WC(p);
  const text_token *op = wat_tok(w);
  size_t at = w->i;
  w->i++;
  *lift = false;
  if (wat_is_kw(op, "lift")) {
    *lift = true;
    tb_byte(b, 0x00);
    tb_byte(b, 0x00);
    return core_ref(p, CS_CFUNC, b) && opts(p, b);
  }
  if (wat_is_kw(op, "lower")) {
    tb_byte(b, 0x01);
    tb_byte(b, 0x00);
    uint32_t f = 0;
    if (!wc_ref(p, CS_FUNC, wat_tok(w)->kind == TK_LPAR, &f)) return false;
    tb_u32(b, f);
    return opts(p, b);
  }
  for (size_t k = 0; k < sizeof simple_ops / sizeof simple_ops[0]; k++) {
    if (!wat_is_kw(op, simple_ops[k].name)) continue;
    tb_byte(b, simple_ops[k].code);
    switch (simple_ops[k].shape) {
    case 1: return type_idx(p, b);
    case 2: return type_idx(p, b) && opts(p, b);
    case 3:
      if (!type_idx(p, b)) return false;
      flag(p, "async", b);
      return true;
    case 4: return opts(p, b);
    case 5: flag(p, "async", b); return true;
    case 6: flag(p, "cancellable", b); return true;
    default: return true;
    }
  }
  if (wat_is_kw(op, "task.return")) {
    tb_byte(b, 0x09);
    if (wat_at_form(w, "result")) {
      w->i += 2;
      tb_byte(b, 0x00);
      if (!wc_valtype(p, b) || !wat_expect_rpar(w)) return false;
    } else {
      tb_byte(b, 0x01);
      tb_byte(b, 0x00);
    }
    return opts(p, b);
  }
  if (wat_is_kw(op, "context.get") || wat_is_kw(op, "context.set")) {
    tb_byte(b, wat_is_kw(op, "context.get") ? 0x0a : 0x0b);
    uint8_t t = 0;
    if (!wat_valtype(w, &t)) return false;
    tb_byte(b, t);
    uint64_t v;
    if (wat_tok(w)->kind != TK_NAT) return wat_fail(w, w->i, "unexpected token, expected a number");
    const char *why = text_nat(wat_tok(w)->str, wat_tok(w)->slen, 32, &v);
    if (why) return wat_fail(w, w->i, "%s", why);
    w->i++;
    tb_u32(b, (uint32_t)v);
    return true;
  }
  if (wat_is_kw(op, "waitable-set.wait") || wat_is_kw(op, "waitable-set.poll")) {
    tb_byte(b, wat_is_kw(op, "waitable-set.wait") ? 0x20 : 0x21);
    flag(p, "cancellable", b);
    if (!wat_expect_form(w, "memory")) return false;
    return core_ref(p, CS_CMEM, b) && wat_expect_rpar(w);
  }
  if (wat_is_kw(op, "thread.new-indirect")) {
    tb_byte(b, 0x27);
    return core_ref(p, CS_CTYPE, b) && core_ref(p, CS_CTABLE, b);
  }
  if (wat_is_kw(op, "thread.spawn-ref") || wat_is_kw(op, "thread.spawn-indirect") ||
      wat_is_kw(op, "thread.available-parallelism")) {
    uint8_t code = wat_is_kw(op, "thread.spawn-ref") ? 0x40 : wat_is_kw(op, "thread.spawn-indirect") ? 0x41 : 0x42;
    tb_byte(b, code);
    flag(p, "shared", b);
    if (code == 0x42) return true;
    if (!core_ref(p, CS_CTYPE, b)) return false;
    return code == 0x40 || core_ref(p, CS_CTABLE, b);
  }
  if (op->kind == TK_KEYWORD) return wat_fail(w, at, "unknown canonical operator %.*s", (int)op->slen, op->str);
  return wat_fail(w, at, "unexpected token, expected a canonical operator");
}

bool wc_canon(wc_parser *p, bool sugar, int cs, size_t id, bool has_type, uint32_t type, uint32_t *index) {
  wat_parser *w = WC(p);
  size_t at = w->i;
  w->i += 2; /* ( canon */
  text_buf b;
  tb_init(&b, w->a);
  /* `(canon lift ... (func id? typeuse))`: the function type is resolved
   * first (its inline type comes before any alias the operands make, as
   * wasm-tools orders them). */
  size_t desc = SIZE_MAX, after = SIZE_MAX;
  if (!sugar && wat_is_kw(wat_tok(w), "lift")) {
    size_t depth = 0;
    for (size_t k = w->i; k < w->n && w->t[k].kind != TK_EOF; k++) {
      if (w->t[k].kind == TK_LPAR && depth++ == 0 && wat_is_kw(&w->t[k + 1], "func")) desc = k;
      if (w->t[k].kind == TK_RPAR && depth-- == 0) break;
    }
    if (desc != SIZE_MAX) {
      size_t save = w->i;
      w->i = desc + 2;
      id = wc_opt_id(p);
      bool ok = wc_typeuse(p, CS_FUNC, &type) && wat_expect_rpar(w);
      after = w->i;
      w->i = save;
      has_type = true;
      if (!ok) {
        tb_free(&b);
        return false;
      }
    }
  }
  bool lift = false;
  bool ok = canon_op(p, &b, &lift);
  int rcs = lift ? CS_FUNC : CS_CFUNC;
  if (ok && sugar && rcs != cs)
    ok = wat_fail(w, at + 2, lift ? "canon lift defines a component function" : "this canon defines a core function");
  if (ok && !sugar) {
    /* The trailing `(func id? typeuse)` / `(core func id?)`. */
    if (lift) {
      if (desc == SIZE_MAX || w->i != desc) ok = wat_fail(w, w->i, "unexpected token, expected (func ...)");
      else w->i = after;
    } else if (wat_tok(w)->kind == TK_LPAR && wat_is_kw(&w->t[w->i + 1], "core") &&
               wat_is_kw(&w->t[w->i + 2], "func")) {
      w->i += 3;
      id = wc_opt_id(p);
      ok = wat_expect_rpar(w);
    } else {
      ok = wat_fail(w, w->i, "unexpected token, expected (core func)");
    }
  }
  if (ok && lift) {
    if (!has_type) ok = wat_fail(w, at, "canon lift needs a function type");
    tb_u32(&b, type);
  }
  ok = ok && wat_expect_rpar(w) && wc_emit(p, 8, &b) && wc_bind(p, rcs, id, index);
  tb_free(&b);
  return ok;
}
