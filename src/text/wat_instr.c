/* Instructions of the text format: type uses, block types, plain and folded
 * instructions with their immediates. Instruction names, encodings and
 * immediate kinds come from the one table, src/core/opcodes.def. */
#include "wat.h"

#include <stdio.h>

/* Folded instructions recurse; this bounds the C stack. */
#define MAX_FOLD_DEPTH 1000

bool wat_build_opnames(wat_parser *p) {
  for (size_t k = 0; k < CORE_OP_COUNT; k++) {
    const core_opinfo *o = &core_opinfos[k];
    /* select with types is written `select (result t)`, not by its name. */
    if (o->imm == CORE_IMM_SELECT_T) continue;
    if (!kb_map_put(&p->opnames, o->name, strlen(o->name), (void *)(uintptr_t)(k + 1))) return wat_oom(p);
  }
  return true;
}

/* The opcode: one byte, or a prefix byte (0xFC, 0xFD) and a u32 LEB. */
static void emit_op(wat_parser *p, core_opcode op) {
  uint16_t code = core_opinfos[op].code;
  if (code < 0x100) {
    tb_byte(p->out, (uint8_t)code);
  } else {
    tb_byte(p->out, (uint8_t)(code >> 8));
    tb_u32(p->out, code & 0xFF);
  }
}

/* ---- type uses ---- */

/* (param ...)* then (result ...)*, appended to tu. */
static bool parse_params_results(wat_parser *p, wat_typeuse *tu, bool allow_ids, bool bind) {
  while (wat_at_form(p, "param")) {
    tu->has_inline = true;
    p->i += 2;
    if (wat_tok(p)->kind == TK_ID) {
      const text_token *id = wat_tok(p);
      if (!allow_ids) return wat_fail(p, p->i, "unexpected token");
      p->i++;
      uint8_t vt;
      if (!wat_valtype(p, &vt)) return false;
      if (bind) {
        void *old;
        if (kb_map_get(&p->locals, (const char *)id->str, id->slen, &old))
          return wat_fail(p, p->i - 2, "duplicate local $%.*s", (int)id->slen, id->str);
        if (!kb_map_put(&p->locals, (const char *)id->str, id->slen, (void *)(uintptr_t)(tu->nparams + 1)))
          return wat_oom(p);
        wat_lname ln = {p->cur_func, tu->nparams, id->str, id->slen};
        if (!kb_vec_push(p->a, &p->local_names, ln)) return wat_oom(p);
      }
      if (!kb_vec_push(p->a, &tu->types, vt)) return wat_oom(p);
      tu->nparams++;
    } else {
      while (wat_tok(p)->kind != TK_RPAR) {
        uint8_t vt;
        if (!wat_valtype(p, &vt)) return false;
        if (!kb_vec_push(p->a, &tu->types, vt)) return wat_oom(p);
        tu->nparams++;
      }
    }
    if (!wat_expect_rpar(p)) return false;
  }
  while (wat_at_form(p, "result")) {
    tu->has_inline = true;
    p->i += 2;
    while (wat_tok(p)->kind != TK_RPAR) {
      uint8_t vt;
      if (!wat_valtype(p, &vt)) return false;
      if (!kb_vec_push(p->a, &tu->types, vt)) return wat_oom(p);
      tu->nresults++;
    }
    if (!wat_expect_rpar(p)) return false;
  }
  return true;
}

bool wat_parse_typeuse(wat_parser *p, wat_typeuse *tu, bool allow_ids, bool bind) {
  memset(tu, 0, sizeof *tu);
  if (wat_at_form(p, "type")) {
    p->i += 2;
    tu->has_type = true;
    tu->type_tok = p->i;
    if (!wat_index(p, WS_TYPE, &tu->type) || !wat_expect_rpar(p)) return false;
  }
  return parse_params_results(p, tu, allow_ids, bind);
}

bool wat_resolve_typeuse(wat_parser *p, wat_typeuse *tu, uint32_t *type, uint32_t *nparams) {
  if (!tu->has_type) {
    *nparams = tu->nparams;
    return wat_type_for(p, tu->types.items, tu->nparams, tu->nresults, type);
  }
  *type = tu->type;
  const wat_functype *ft = tu->type < p->types.len ? &p->types.items[tu->type] : NULL;
  if (tu->has_inline) {
    if (!ft) return wat_fail(p, tu->type_tok, "unknown type");
    if (ft->nparams != tu->nparams || ft->nresults != tu->nresults ||
        (tu->types.len && memcmp(ft->types, tu->types.items, tu->types.len) != 0))
      return wat_fail(p, tu->type_tok, "inline function type");
  }
  *nparams = ft ? ft->nparams : 0;
  return true;
}

/* ---- block types and labels ---- */

typedef struct blocktype {
  uint8_t kind; /* CORE_BLOCK_* */
  uint32_t value;
} blocktype;

static bool parse_blocktype(wat_parser *p, blocktype *bt) {
  wat_typeuse tu;
  bool ok = wat_parse_typeuse(p, &tu, false, false);
  if (ok) {
    if (!tu.has_type && tu.nparams == 0 && tu.nresults <= 1) {
      bt->kind = tu.nresults ? CORE_BLOCK_VALTYPE : CORE_BLOCK_EMPTY;
      bt->value = tu.nresults ? tu.types.items[0] : 0;
    } else {
      uint32_t np;
      bt->kind = CORE_BLOCK_TYPEIDX;
      ok = wat_resolve_typeuse(p, &tu, &bt->value, &np);
    }
  }
  kb_vec_free(p->a, &tu.types);
  return ok;
}

static void emit_blocktype(wat_parser *p, const blocktype *bt) {
  switch (bt->kind) {
  case CORE_BLOCK_EMPTY: tb_byte(p->out, 0x40); break;
  case CORE_BLOCK_VALTYPE: tb_byte(p->out, (uint8_t)bt->value); break;
  default: tb_s64(p->out, bt->value); break;
  }
}

/* An optional label identifier after block/loop/if, pushed as a label. */
static bool push_label(wat_parser *p, core_opcode op, const text_token *id) {
  wat_label l = {NULL, 0, (uint8_t)op, false};
  /* The name section numbers labels by their block's place in the body. */
  uint32_t ordinal = p->nblocks++;
  if (id) {
    l.name = id->str;
    l.name_len = id->slen;
    wat_lname ln = {p->cur_func, ordinal, id->str, id->slen};
    if (!kb_vec_push(p->a, &p->label_names, ln)) return wat_oom(p);
  }
  return kb_vec_push(p->a, &p->labels, l) ? true : wat_oom(p);
}

/* After `end` or `else`: an identifier there must repeat the block's label. */
static bool check_end_label(wat_parser *p, const wat_label *l) {
  const text_token *t = wat_tok(p);
  if (t->kind != TK_ID) return true;
  if (!l->name || l->name_len != t->slen || memcmp(l->name, t->str, t->slen) != 0)
    return wat_fail(p, p->i, "mismatching label");
  p->i++;
  return true;
}

static bool label_index(wat_parser *p, uint32_t *out) {
  const text_token *t = wat_tok(p);
  if (t->kind == TK_ID) {
    for (size_t k = p->labels.len; k-- > 0;) {
      const wat_label *l = &p->labels.items[k];
      if (l->name && l->name_len == t->slen && memcmp(l->name, t->str, t->slen) == 0) {
        *out = (uint32_t)(p->labels.len - 1 - k);
        p->i++;
        return true;
      }
    }
    return wat_fail(p, p->i, "unknown label $%.*s", (int)t->slen, t->str);
  }
  if (t->kind == TK_NAT) {
    uint64_t v;
    const char *why = text_nat(t->str, t->slen, 32, &v);
    if (why) return wat_fail(p, p->i, "%s", why);
    *out = (uint32_t)v;
    p->i++;
    return true;
  }
  return wat_fail(p, p->i, "unexpected token");
}

/* ---- immediates ---- */

static bool local_index(wat_parser *p, uint32_t *out) {
  const text_token *t = wat_tok(p);
  if (t->kind == TK_ID) {
    void *v;
    if (!kb_map_get(&p->locals, (const char *)t->str, t->slen, &v))
      return wat_fail(p, p->i, "unknown local $%.*s", (int)t->slen, t->str);
    *out = (uint32_t)((uintptr_t)v - 1);
    p->i++;
    return true;
  }
  return wat_index(p, -1, out);
}

/* `offset=N`/`align=N` keyword: the value after '='. */
static bool memarg_value(wat_parser *p, size_t prefix, unsigned bits, uint64_t *out) {
  const text_token *t = wat_tok(p);
  const uint8_t *s = t->str + prefix;
  size_t n = t->slen - prefix;
  if (text_classify_number(s, n) != TK_NAT) return wat_fail(p, p->i, "unknown operator");
  const char *why = text_nat(s, n, bits, out);
  if (why) return wat_fail(p, p->i, "%s", why);
  p->i++;
  return true;
}

static bool is_memarg_kw(const text_token *t) {
  return t->kind == TK_KEYWORD && ((t->slen > 7 && memcmp(t->str, "offset=", 7) == 0) ||
                                   (t->slen > 6 && memcmp(t->str, "align=", 6) == 0));
}

/* `memidx? offset=N? align=N?`, encoded as a memarg: flags (alignment
 * exponent, with bit 6 set when a memory other than 0 follows), the memory
 * index in that case, the offset. With `lane`, an instruction that ends in a
 * lane index: a number alone there is the lane, not a memory. */
static bool parse_memarg(wat_parser *p, core_opcode op, bool lane) {
  uint64_t offset = 0, align;
  uint32_t align_lg = core_opinfos[op].align, mem = 0;
  const text_token *t = wat_tok(p);
  if (t->kind == TK_ID || (t->kind == TK_NAT && (!lane || p->t[p->i + 1].kind == TK_NAT || is_memarg_kw(&p->t[p->i + 1])))) {
    if (!wat_index(p, WS_MEM, &mem)) return false;
    t = wat_tok(p);
  }
  if (t->kind == TK_KEYWORD && t->slen > 7 && memcmp(t->str, "offset=", 7) == 0) {
    if (!memarg_value(p, 7, 32, &offset)) return false;
    t = wat_tok(p);
  }
  if (t->kind == TK_KEYWORD && t->slen > 6 && memcmp(t->str, "align=", 6) == 0) {
    size_t at = p->i;
    if (!memarg_value(p, 6, 32, &align)) return false;
    if (align == 0 || (align & (align - 1))) return wat_fail(p, at, "alignment must be a power of two");
    align_lg = 0;
    while (((uint64_t)1 << align_lg) < align) align_lg++;
  }
  tb_u32(p->out, align_lg | (mem ? 0x40 : 0));
  if (mem) tb_u32(p->out, mem);
  tb_u64(p->out, offset);
  return true;
}

/* A lane index: a u8 literal. */
static bool parse_lane(wat_parser *p, uint8_t *out) {
  const text_token *t = wat_tok(p);
  if (t->kind != TK_NAT) return wat_fail(p, p->i, "unexpected token, expected a lane index");
  uint64_t v;
  if (text_nat(t->str, t->slen, 8, &v)) return wat_fail(p, p->i, "malformed lane index");
  *out = (uint8_t)v;
  p->i++;
  return true;
}

/* i8x16.shuffle: exactly 16 lane indices. */
static bool parse_shuffle(wat_parser *p) {
  uint8_t lanes[16];
  for (int k = 0; k < 16; k++) {
    if (wat_tok(p)->kind != TK_NAT && wat_tok(p)->kind != TK_INT) return wat_fail(p, p->i, "invalid lane length");
    if (wat_tok(p)->kind == TK_INT) return wat_fail(p, p->i, "malformed lane index");
    if (!parse_lane(p, &lanes[k])) return false;
  }
  if (wat_tok(p)->kind == TK_NAT || wat_tok(p)->kind == TK_INT) return wat_fail(p, p->i, "invalid lane length");
  tb_bytes(p->out, lanes, 16);
  return true;
}

/* v128.const SHAPE lane*: the shape (i8x16 i16x8 i32x4 i64x2 f32x4 f64x2)
 * and as many literals as it has lanes, encoded as 16 little-endian bytes. */
static bool parse_v128_const(wat_parser *p) {
  static const struct {
    const char *name;
    unsigned bits; /* lane width */
    bool fp;
  } shapes[] = {{"i8x16", 8, false},  {"i16x8", 16, false}, {"i32x4", 32, false},
                {"i64x2", 64, false}, {"f32x4", 32, true},  {"f64x2", 64, true}};
  const text_token *t = wat_tok(p);
  size_t s = 0, nshapes = sizeof shapes / sizeof shapes[0];
  while (s < nshapes && !wat_is_kw(t, shapes[s].name)) s++;
  if (s == nshapes) return wat_fail(p, p->i, "unexpected token, expected a vector shape");
  p->i++;
  unsigned bits = shapes[s].bits, n = 128 / bits;
  uint8_t bytes[16];
  for (unsigned k = 0; k < n; k++) {
    t = wat_tok(p);
    if (t->kind != TK_NAT && t->kind != TK_INT && (t->kind != TK_FLOAT || !shapes[s].fp))
      return wat_fail(p, p->i, "wrong number of lane literals");
    uint64_t v = 0;
    const char *why;
    if (!shapes[s].fp) {
      why = text_int(t->str, t->slen, bits, &v);
    } else if (bits == 32) {
      uint32_t f;
      why = text_f32(p->a, t->str, t->slen, &f);
      v = f;
    } else {
      why = text_f64(p->a, t->str, t->slen, &v);
    }
    if (why) return wat_fail(p, p->i, "%s", why);
    for (unsigned b = 0; b < bits / 8; b++) bytes[k * (bits / 8) + b] = (uint8_t)(v >> (8 * b));
    p->i++;
  }
  t = wat_tok(p);
  if (t->kind == TK_NAT || t->kind == TK_INT || t->kind == TK_FLOAT)
    return wat_fail(p, p->i, "wrong number of lane literals");
  tb_bytes(p->out, bytes, 16);
  return true;
}

static bool parse_const(wat_parser *p, core_imm_kind kind) {
  const text_token *t = wat_tok(p);
  const char *why = NULL;
  if (kind == CORE_IMM_I32 || kind == CORE_IMM_I64) {
    if (t->kind != TK_NAT && t->kind != TK_INT) return wat_fail(p, p->i, "unexpected token");
    uint64_t v;
    why = text_int(t->str, t->slen, kind == CORE_IMM_I32 ? 32 : 64, &v);
    if (!why && kind == CORE_IMM_I32) tb_s32(p->out, (int32_t)(uint32_t)v);
    if (!why && kind == CORE_IMM_I64) tb_s64(p->out, (int64_t)v);
  } else {
    if (t->kind != TK_NAT && t->kind != TK_INT && t->kind != TK_FLOAT) return wat_fail(p, p->i, "unexpected token");
    if (kind == CORE_IMM_F32) {
      uint32_t bits;
      why = text_f32(p->a, t->str, t->slen, &bits);
      if (!why) tb_fixed(p->out, bits, 4);
    } else {
      uint64_t bits;
      why = text_f64(p->a, t->str, t->slen, &bits);
      if (!why) tb_fixed(p->out, bits, 8);
    }
  }
  if (why) return wat_fail(p, p->i, "%s", why);
  p->i++;
  return true;
}

/* Optional index (default 0) for table and memory immediates. */
static bool opt_index(wat_parser *p, int ws, uint32_t *out) {
  *out = 0;
  return wat_at_index(p) ? wat_index(p, ws, out) : true;
}

/* The opcode and immediates of a plain instruction, the cursor after its
 * name. Block instructions are handled by the callers. */
static bool plain_immediates(wat_parser *p, core_opcode op) {
  uint32_t x, y;
  core_imm_kind kind = core_opinfos[op].imm;
  if (op == CORE_OP_SELECT && wat_at_form(p, "result")) {
    KB_VEC(uint8_t) ts = {0};
    bool ok = true;
    while (ok && wat_at_form(p, "result")) {
      p->i += 2;
      while (ok && wat_tok(p)->kind != TK_RPAR) {
        uint8_t vt;
        ok = wat_valtype(p, &vt) && (kb_vec_push(p->a, &ts, vt) || wat_oom(p));
      }
      ok = ok && wat_expect_rpar(p);
    }
    if (ok) {
      emit_op(p, CORE_OP_SELECT_T);
      tb_u32(p->out, (uint32_t)ts.len);
      tb_bytes(p->out, ts.items, ts.len);
    }
    kb_vec_free(p->a, &ts);
    return ok;
  }
  emit_op(p, op);
  switch (kind) {
  case CORE_IMM_NONE: return true;
  case CORE_IMM_LABEL:
    if (!label_index(p, &x)) return false;
    tb_u32(p->out, x);
    return true;
  case CORE_IMM_BR_TABLE: {
    KB_VEC(uint32_t) ls = {0};
    bool ok = true;
    while (ok && (wat_tok(p)->kind == TK_ID || wat_tok(p)->kind == TK_NAT))
      ok = label_index(p, &x) && (kb_vec_push(p->a, &ls, x) || wat_oom(p));
    if (ok && ls.len == 0) ok = wat_fail(p, p->i, "unexpected token");
    if (ok) {
      tb_u32(p->out, (uint32_t)(ls.len - 1));
      for (size_t k = 0; k < ls.len; k++) tb_u32(p->out, ls.items[k]);
    }
    kb_vec_free(p->a, &ls);
    return ok;
  }
  case CORE_IMM_FUNC: /* throw's immediate is a tag index (opcodes.def) */
    if (!wat_index(p, op == CORE_OP_THROW ? WS_TAG : WS_FUNC, &x)) return false;
    tb_u32(p->out, x);
    return true;
  case CORE_IMM_LOCAL: if (!local_index(p, &x)) return false; tb_u32(p->out, x); return true;
  case CORE_IMM_GLOBAL: if (!wat_index(p, WS_GLOBAL, &x)) return false; tb_u32(p->out, x); return true;
  case CORE_IMM_TABLE: if (!opt_index(p, WS_TABLE, &x)) return false; tb_u32(p->out, x); return true;
  case CORE_IMM_MEMIDX: if (!opt_index(p, WS_MEM, &x)) return false; tb_u32(p->out, x); return true;
  case CORE_IMM_DATA:
    p->uses_data_count = true;
    if (!wat_index(p, WS_DATA, &x)) return false;
    tb_u32(p->out, x);
    return true;
  case CORE_IMM_ELEM: if (!wat_index(p, WS_ELEM, &x)) return false; tb_u32(p->out, x); return true;
  case CORE_IMM_CALL_INDIRECT: {
    if (!opt_index(p, WS_TABLE, &x)) return false;
    wat_typeuse tu;
    uint32_t np;
    bool ok = wat_parse_typeuse(p, &tu, false, false) && wat_resolve_typeuse(p, &tu, &y, &np);
    kb_vec_free(p->a, &tu.types);
    if (!ok) return false;
    tb_u32(p->out, y);
    tb_u32(p->out, x);
    return true;
  }
  case CORE_IMM_MEMARG: return parse_memarg(p, op, false);
  case CORE_IMM_MEMARG_LANE: {
    uint8_t lane = 0;
    if (!parse_memarg(p, op, true) || !parse_lane(p, &lane)) return false;
    tb_byte(p->out, lane);
    return true;
  }
  case CORE_IMM_LANE: {
    uint8_t lane = 0;
    if (!parse_lane(p, &lane)) return false;
    tb_byte(p->out, lane);
    return true;
  }
  case CORE_IMM_V128: return parse_v128_const(p);
  case CORE_IMM_SHUFFLE: return parse_shuffle(p);
  case CORE_IMM_I32:
  case CORE_IMM_I64:
  case CORE_IMM_F32:
  case CORE_IMM_F64: return parse_const(p, kind);
  case CORE_IMM_HEAPTYPE: {
    const text_token *t = wat_tok(p);
    if (wat_is_kw(t, "func")) tb_byte(p->out, 0x70);
    else if (wat_is_kw(t, "extern")) tb_byte(p->out, 0x6F);
    else if (wat_is_kw(t, "exn")) tb_byte(p->out, CORE_EXNREF);
    else return wat_fail(p, p->i, "unexpected token");
    p->i++;
    return true;
  }
  case CORE_IMM_DATA_MEM: /* memory.init memidx? dataidx */
    p->uses_data_count = true;
    y = 0;
    if (!wat_at_index(p)) return wat_fail(p, p->i, "unexpected token");
    if (p->t[p->i + 1].kind == TK_ID || p->t[p->i + 1].kind == TK_NAT) {
      if (!wat_index(p, WS_MEM, &y)) return false;
    }
    if (!wat_index(p, WS_DATA, &x)) return false;
    tb_u32(p->out, x);
    tb_u32(p->out, y);
    return true;
  case CORE_IMM_ELEM_TABLE: /* table.init tableidx? elemidx */
    y = 0;
    if (!wat_at_index(p)) return wat_fail(p, p->i, "unexpected token");
    if (p->t[p->i + 1].kind == TK_ID || p->t[p->i + 1].kind == TK_NAT) {
      if (!wat_index(p, WS_TABLE, &y)) return false;
    }
    if (!wat_index(p, WS_ELEM, &x)) return false;
    tb_u32(p->out, x);
    tb_u32(p->out, y);
    return true;
  case CORE_IMM_MEM_MEM:
  case CORE_IMM_TABLE_TABLE: {
    int ws = kind == CORE_IMM_MEM_MEM ? WS_MEM : WS_TABLE;
    x = y = 0;
    if (wat_at_index(p) && !(wat_index(p, ws, &x) && wat_index(p, ws, &y))) return false;
    tb_u32(p->out, x);
    tb_u32(p->out, y);
    return true;
  }
  case CORE_IMM_BLOCK:
  case CORE_IMM_SELECT_T: break;
  }
  return wat_fail(p, p->i, "unexpected token");
}

/* The opcode named by the keyword at the cursor. */
static bool lookup_op(wat_parser *p, core_opcode *op) {
  const text_token *t = wat_tok(p);
  void *v;
  if (t->kind != TK_KEYWORD) return wat_fail(p, p->i, "unexpected token");
  if (!kb_map_get(&p->opnames, (const char *)t->str, t->slen, &v))
    return wat_fail(p, p->i, "unknown operator %.*s", (int)t->slen, t->str);
  *op = (core_opcode)((uintptr_t)v - 1);
  return true;
}

static bool is_block_op(core_opcode op) { return op == CORE_OP_BLOCK || op == CORE_OP_LOOP || op == CORE_OP_IF; }

/* The catch clauses of a try_table, `(catch x l)`, `(catch_ref x l)`,
 * `(catch_all l)` and `(catch_all_ref l)`, as vec(catch) into b. Their
 * labels are resolved outside the try_table (its own label is not pushed
 * yet). */
static bool parse_catches(wat_parser *p, text_buf *b) {
  static const char *const kinds[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
  text_buf items;
  tb_init(&items, p->a);
  uint32_t n = 0;
  bool ok = true;
  for (;;) {
    int kind = -1;
    for (int k = 0; k < 4; k++)
      if (wat_at_form(p, kinds[k])) kind = k;
    if (kind < 0) break;
    p->i += 2;
    uint32_t x = 0, l = 0;
    ok = (kind >= 2 || wat_index(p, WS_TAG, &x)) && label_index(p, &l) && wat_expect_rpar(p);
    if (!ok) break;
    tb_byte(&items, (uint8_t)kind);
    if (kind < 2) tb_u32(&items, x);
    tb_u32(&items, l);
    n++;
  }
  if (ok) {
    tb_u32(b, n);
    tb_bytes(b, items.data, items.len);
    if (items.oom) ok = wat_oom(p);
  }
  tb_free(&items);
  return ok;
}

/* try_table after its name (and label identifier id): block type and
 * catch clauses, emitted; then its label is pushed. */
static bool try_table_head(wat_parser *p, const text_token *id) {
  blocktype bt;
  if (!parse_blocktype(p, &bt)) return false;
  text_buf catches;
  tb_init(&catches, p->a);
  bool ok = parse_catches(p, &catches);
  if (ok) {
    emit_op(p, CORE_OP_TRY_TABLE);
    emit_blocktype(p, &bt);
    tb_bytes(p->out, catches.data, catches.len);
    if (catches.oom) ok = wat_oom(p);
  }
  tb_free(&catches);
  return ok && push_label(p, CORE_OP_TRY_TABLE, id);
}

bool wat_instrs(wat_parser *p) {
  size_t base = p->labels.len;
  for (;;) {
    if (p->err) return false;
    const text_token *t = wat_tok(p);
    if (t->kind == TK_LPAR) {
      if (!wat_folded(p)) return false;
      continue;
    }
    if (t->kind == TK_RPAR || t->kind == TK_EOF) {
      if (p->labels.len > base) return wat_fail(p, p->i, "unexpected token, expected end");
      return true;
    }
    core_opcode op;
    if (!lookup_op(p, &op)) return false;
    p->i++;
    if (is_block_op(op)) {
      const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
      blocktype bt;
      if (!parse_blocktype(p, &bt)) return false;
      emit_op(p, op);
      emit_blocktype(p, &bt);
      if (!push_label(p, op, id)) return false;
    } else if (op == CORE_OP_TRY_TABLE) {
      const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
      if (!try_table_head(p, id)) return false;
    } else if (op == CORE_OP_ELSE) {
      if (p->labels.len <= base) return wat_fail(p, p->i - 1, "unexpected token else");
      wat_label *l = &p->labels.items[p->labels.len - 1];
      if (l->op != CORE_OP_IF || l->has_else) return wat_fail(p, p->i - 1, "unexpected token else");
      if (!check_end_label(p, l)) return false;
      l->has_else = true;
      emit_op(p, op);
    } else if (op == CORE_OP_END) {
      if (p->labels.len <= base) return wat_fail(p, p->i - 1, "unexpected token end");
      if (!check_end_label(p, &p->labels.items[p->labels.len - 1])) return false;
      p->labels.len--;
      emit_op(p, op);
    } else if (!plain_immediates(p, op)) {
      return false;
    }
  }
}

/* `(if label? bt cond* (then instr*) (else instr*)?)`, the cursor after if. */
static bool folded_if(wat_parser *p) {
  const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
  blocktype bt;
  if (!parse_blocktype(p, &bt)) return false;
  while (wat_tok(p)->kind == TK_LPAR && !wat_at_form(p, "then"))
    if (!wat_folded(p)) return false;
  emit_op(p, CORE_OP_IF);
  emit_blocktype(p, &bt);
  if (!push_label(p, CORE_OP_IF, id)) return false;
  if (!wat_expect_form(p, "then") || !wat_instrs(p) || !wat_expect_rpar(p)) return false;
  if (wat_at_form(p, "else")) {
    p->i += 2;
    emit_op(p, CORE_OP_ELSE);
    if (!wat_instrs(p) || !wat_expect_rpar(p)) return false;
  }
  p->labels.len--;
  emit_op(p, CORE_OP_END);
  return wat_expect_rpar(p);
}

static bool folded_body(wat_parser *p) {
  core_opcode op;
  if (!lookup_op(p, &op)) return false;
  size_t at = p->i++;
  if (op == CORE_OP_IF) return folded_if(p);
  if (is_block_op(op)) {
    const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
    blocktype bt;
    if (!parse_blocktype(p, &bt)) return false;
    emit_op(p, op);
    emit_blocktype(p, &bt);
    if (!push_label(p, op, id) || !wat_instrs(p)) return false;
    p->labels.len--;
    emit_op(p, CORE_OP_END);
    return wat_expect_rpar(p);
  }
  if (op == CORE_OP_TRY_TABLE) {
    const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
    if (!try_table_head(p, id) || !wat_instrs(p)) return false;
    p->labels.len--;
    emit_op(p, CORE_OP_END);
    return wat_expect_rpar(p);
  }
  if (op == CORE_OP_ELSE || op == CORE_OP_END) return wat_fail(p, at, "unexpected token");
  /* The immediates wait on the fold stack while the operands are emitted. */
  text_buf *out = p->out;
  size_t mark = p->fold.len;
  p->out = &p->fold;
  bool ok = plain_immediates(p, op);
  p->out = out;
  while (ok && wat_tok(p)->kind == TK_LPAR) ok = wat_folded(p);
  if (ok) ok = wat_expect_rpar(p);
  if (ok && !p->fold.oom && p->fold.len > mark) tb_bytes(out, p->fold.data + mark, p->fold.len - mark);
  if (p->fold.oom) ok = wat_oom(p);
  p->fold.len = mark;
  return ok;
}

bool wat_folded(wat_parser *p) {
  if (p->depth >= MAX_FOLD_DEPTH) return wat_fail(p, p->i, "expressions nested too deeply");
  p->depth++;
  p->i++; /* ( */
  bool ok = folded_body(p);
  p->depth--;
  return ok;
}

bool wat_expr(wat_parser *p, text_buf *buf) {
  text_buf *out = p->out;
  p->out = buf;
  bool ok = wat_instrs(p);
  tb_byte(buf, 0x0B);
  p->out = out;
  return ok;
}

bool wat_folded_expr(wat_parser *p, text_buf *buf) {
  text_buf *out = p->out;
  p->out = buf;
  bool ok = wat_folded(p);
  tb_byte(buf, 0x0B);
  p->out = out;
  return ok;
}
