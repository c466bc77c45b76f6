/* Module fields of the text format and the binary they encode to. Pass 1
 * walks the fields once to bind identifiers to indices and to read type
 * definitions; pass 2 encodes every field into its section, in textual
 * order, appending implicit function types as type uses are met, and
 * collects the (@custom) annotations between fields. Identifiers go to the
 * `name` section (every subsection 0-9 and 11, tags, that names something). */
#include "wat.h"

#include <stdio.h>

/* The key of a function type in p->type_index: nparams, then the types. */
static bool type_key(wat_parser *p, text_buf *k, const uint8_t *types, uint32_t nparams, uint32_t nresults) {
  tb_init(k, p->a);
  tb_u32(k, nparams);
  tb_bytes(k, types, (size_t)nparams + nresults);
  return k->oom ? wat_oom(p) : true;
}

static bool add_type(wat_parser *p, const uint8_t *types, uint32_t nparams, uint32_t nresults) {
  wat_functype ft = {nparams, nresults, NULL};
  size_t n = (size_t)nparams + nresults;
  if (p->types.len >= UINT32_MAX) return wat_fail(p, p->i, "too many types");
  if (n) {
    ft.types = kb_arena_alloc(p->ar, n);
    if (!ft.types) return wat_oom(p);
    memcpy(ft.types, types, n);
  }
  text_buf k;
  if (!type_key(p, &k, types, nparams, nresults)) return false;
  /* The first of equal types is the one implicit type uses refer to. */
  void *old;
  bool ok = kb_map_get(&p->type_index, (const char *)k.data, k.len, &old) ||
            kb_map_put(&p->type_index, (const char *)k.data, k.len, (void *)(uintptr_t)(p->types.len + 1));
  tb_free(&k);
  if (!ok || !kb_vec_push(p->a, &p->types, ft)) return wat_oom(p);
  return true;
}

bool wat_type_for(wat_parser *p, const uint8_t *types, uint32_t nparams, uint32_t nresults, uint32_t *out) {
  text_buf k;
  if (!type_key(p, &k, types, nparams, nresults)) return false;
  void *v;
  bool found = kb_map_get(&p->type_index, (const char *)k.data, k.len, &v);
  tb_free(&k);
  if (found) {
    *out = (uint32_t)((uintptr_t)v - 1);
    return true;
  }
  *out = (uint32_t)p->types.len;
  return add_type(p, types, nparams, nresults);
}

/* A string token whose bytes must be valid UTF-8 (names). */
static bool name_string(wat_parser *p, const uint8_t **s, uint32_t *n) {
  const text_token *t = wat_tok(p);
  *s = NULL;
  *n = 0;
  if (t->kind != TK_STRING) return wat_fail(p, p->i, "unexpected token, expected a string");
  if (!kb_utf8_valid(t->str, t->slen)) return wat_fail(p, p->i, "malformed UTF-8 encoding");
  *s = t->str;
  *n = t->slen;
  p->i++;
  return true;
}

/* Skips a parenthesized form starting at '('. */
static bool skip_form(wat_parser *p) {
  size_t start = p->i, depth = 0;
  for (;;) {
    const text_token *t = wat_tok(p);
    if (t->kind == TK_EOF) return wat_fail(p, start, "unclosed parenthesis");
    p->i++;
    if (t->kind == TK_LPAR) depth++;
    if (t->kind == TK_RPAR && --depth == 0) return true;
  }
}

/* ---- pass 1: identifiers ---- */

/* Gives the next index of space ws to a definition whose identifier, if
 * any, is token k; k == SIZE_MAX for definitions that cannot have one. */
static bool bind(wat_parser *p, int ws, size_t k) {
  const text_token *t = k == SIZE_MAX ? &p->t[p->n - 1] : &p->t[k];
  if (p->count[ws] == UINT32_MAX) return wat_fail(p, k, "too many definitions");
  uint32_t index = p->count[ws]++;
  if (t->kind != TK_ID) return true;
  void *old;
  if (kb_map_get(&p->names[ws], (const char *)t->str, t->slen, &old))
    return wat_fail(p, k, "duplicate %s $%.*s", ws == WS_FUNC ? "func" : wat_space_name(ws), (int)t->slen, t->str);
  if (!kb_map_put(&p->names[ws], (const char *)t->str, t->slen, (void *)(uintptr_t)(index + 1))) return wat_oom(p);
  wat_name nm = {index, t->str, t->slen};
  bool pushed = ws == WS_FUNC ? kb_vec_push(p->a, &p->func_names, nm) : kb_vec_push(p->a, &p->space_ids[ws], nm);
  if (!pushed) return wat_oom(p);
  return true;
}

/* A function type `(func (param ...)* (result ...)*)`, cursor at '('. */
static bool parse_functype(wat_parser *p) {
  if (!wat_expect_form(p, "func")) return false;
  wat_typeuse tu;
  memset(&tu, 0, sizeof tu);
  bool ok = true;
  /* wat_parse_typeuse reads (param)/(result) only after an optional (type). */
  if (wat_at_form(p, "type")) ok = wat_fail(p, p->i, "unexpected token");
  if (ok) ok = wat_parse_typeuse(p, &tu, true, false);
  if (ok) ok = wat_expect_rpar(p);
  if (ok) ok = add_type(p, tu.types.items, tu.nparams, tu.nresults);
  kb_vec_free(p->a, &tu.types);
  return ok;
}

static int space_of_kw(const text_token *t) {
  if (wat_is_kw(t, "func")) return WS_FUNC;
  if (wat_is_kw(t, "table")) return WS_TABLE;
  if (wat_is_kw(t, "memory")) return WS_MEM;
  if (wat_is_kw(t, "global")) return WS_GLOBAL;
  if (wat_is_kw(t, "tag")) return WS_TAG;
  return -1;
}

/* The external kind byte of imports and exports of space ws. */
static uint8_t extern_kind(int ws) { return ws == WS_TAG ? 4 : (uint8_t)(ws - WS_FUNC); }

/* Binds the identifiers of the field at the cursor and skips it. */
static bool scan_field(wat_parser *p, const char **first_def) {
  size_t start = p->i;
  const text_token *kw = &p->t[p->i + 1];
  if (kw->kind != TK_KEYWORD) return wat_fail(p, p->i + 1, "unexpected token, expected a module field");
  int ws = space_of_kw(kw);
  p->i += 2;
  if (wat_is_kw(kw, "type")) {
    size_t id = p->i;
    if (wat_tok(p)->kind == TK_ID) p->i++;
    if (!bind(p, WS_TYPE, id) || !parse_functype(p) || !wat_expect_rpar(p)) return false;
    return true;
  } else if (wat_is_kw(kw, "import")) {
    /* (import "m" "n" (kind id? ...)) */
    if (wat_tok(p)->kind != TK_STRING || p->t[p->i + 1].kind != TK_STRING)
      return wat_fail(p, p->i, "unexpected token, expected a string");
    p->i += 2;
    if (wat_tok(p)->kind != TK_LPAR) return wat_fail(p, p->i, "unexpected token");
    int iws = space_of_kw(&p->t[p->i + 1]);
    if (iws < 0) return wat_fail(p, p->i + 1, "unexpected token, expected an import kind");
    if (*first_def) return wat_fail(p, start, "import after %s", *first_def);
    if (!bind(p, iws, p->i + 2)) return false;
  } else if (ws >= 0) {
    size_t id = p->i;
    if (wat_tok(p)->kind == TK_ID) p->i++;
    while (wat_at_form(p, "export")) {
      if (!skip_form(p)) return false;
    }
    if (wat_at_form(p, "import")) {
      if (*first_def) return wat_fail(p, start, "import after %s", *first_def);
    } else if (!*first_def) {
      *first_def = ws == WS_FUNC ? "function" : wat_space_name(ws);
    }
    if (!bind(p, ws, id)) return false;
    if (ws == WS_TABLE) {
      /* reftype (elem ...) defines an element segment too. */
      uint8_t rt;
      size_t rn = wat_reftype_at(wat_tok(p), &rt);
      if (rn && p->t[p->i + rn].kind == TK_LPAR && wat_is_kw(&p->t[p->i + rn + 1], "elem") &&
          !bind(p, WS_ELEM, SIZE_MAX))
        return false;
    } else if (ws == WS_MEM) {
      if (wat_at_form(p, "data") && !bind(p, WS_DATA, SIZE_MAX)) return false;
    }
  } else if (wat_is_kw(kw, "elem") || wat_is_kw(kw, "data")) {
    if (!bind(p, wat_is_kw(kw, "elem") ? WS_ELEM : WS_DATA, p->i)) return false;
  } else if (!wat_is_kw(kw, "export") && !wat_is_kw(kw, "start")) {
    return wat_fail(p, start + 1, "unknown module field %.*s", (int)kw->slen, kw->str);
  }
  p->i = start;
  return skip_form(p);
}

/* ---- pass 2: encoding ---- */

/* (export "name")* on a definition. */
static bool inline_exports(wat_parser *p, uint8_t kind, uint32_t index) {
  while (wat_at_form(p, "export")) {
    p->i += 2;
    const uint8_t *s;
    uint32_t n;
    if (!name_string(p, &s, &n) || !wat_expect_rpar(p)) return false;
    text_buf *b = &p->sec[SEC_EXPORT];
    tb_name(b, s, n);
    tb_byte(b, kind);
    tb_u32(b, index);
    p->sec_count[SEC_EXPORT]++;
  }
  return true;
}

/* (import "m" "n") on a definition, or the two strings of an import field. */
static bool import_names(wat_parser *p) {
  const uint8_t *m, *n;
  uint32_t mlen, nlen;
  if (!name_string(p, &m, &mlen) || !name_string(p, &n, &nlen)) return false;
  tb_name(&p->sec[SEC_IMPORT], m, mlen);
  tb_name(&p->sec[SEC_IMPORT], n, nlen);
  p->sec_count[SEC_IMPORT]++;
  return true;
}

static bool limits(wat_parser *p, text_buf *b) {
  uint64_t min, max;
  const text_token *t = wat_tok(p);
  if (t->kind != TK_NAT) return wat_fail(p, p->i, "unexpected token, expected a number");
  const char *why = text_nat(t->str, t->slen, 32, &min);
  if (why) return wat_fail(p, p->i, "%s", why);
  p->i++;
  t = wat_tok(p);
  if (t->kind == TK_NAT) {
    why = text_nat(t->str, t->slen, 32, &max);
    if (why) return wat_fail(p, p->i, "%s", why);
    p->i++;
    tb_byte(b, 1);
    tb_u32(b, (uint32_t)min);
    tb_u32(b, (uint32_t)max);
  } else {
    tb_byte(b, 0);
    tb_u32(b, (uint32_t)min);
  }
  return true;
}

static bool tabletype(wat_parser *p, text_buf *b) {
  text_buf lim;
  tb_init(&lim, p->a);
  uint8_t rt = 0;
  bool ok = limits(p, &lim);
  size_t rn = ok ? wat_reftype_at(wat_tok(p), &rt) : 0;
  if (ok && !rn) ok = wat_fail(p, p->i, "unexpected token, expected a reference type");
  if (ok) {
    p->i += rn;
    tb_byte(b, rt);
    tb_bytes(b, lim.data, lim.len);
    if (lim.oom) ok = wat_oom(p);
  }
  tb_free(&lim);
  return ok;
}

static bool globaltype(wat_parser *p, text_buf *b) {
  uint8_t vt;
  if (wat_at_form(p, "mut")) {
    p->i += 2;
    if (!wat_valtype(p, &vt) || !wat_expect_rpar(p)) return false;
    tb_byte(b, vt);
    tb_byte(b, 1);
    return true;
  }
  if (!wat_valtype(p, &vt)) return false;
  tb_byte(b, vt);
  tb_byte(b, 0);
  return true;
}

/* A tag's type: attribute 0 (exception) and the type index of its type
 * use (a function type; the validator checks it has no results). */
static bool tagtype(wat_parser *p, text_buf *b) {
  wat_typeuse tu;
  uint32_t type, np;
  bool ok = wat_parse_typeuse(p, &tu, true, false) && wat_resolve_typeuse(p, &tu, &type, &np);
  kb_vec_free(p->a, &tu.types);
  if (!ok) return false;
  tb_byte(b, 0);
  tb_u32(b, type);
  return true;
}

/* The description of an import after its kind keyword and identifier. */
static bool import_desc(wat_parser *p, int ws) {
  text_buf *b = &p->sec[SEC_IMPORT];
  switch (ws) {
  case WS_FUNC: {
    wat_typeuse tu;
    uint32_t type, np;
    p->cur_func = p->next[WS_FUNC] - 1;
    bool ok = wat_parse_typeuse(p, &tu, true, true) && wat_resolve_typeuse(p, &tu, &type, &np);
    kb_vec_free(p->a, &tu.types);
    if (!ok) return false;
    tb_byte(b, 0);
    tb_u32(b, type);
    return true;
  }
  case WS_TABLE: tb_byte(b, 1); return tabletype(p, b);
  case WS_MEM: tb_byte(b, 2); return limits(p, b);
  case WS_TAG: tb_byte(b, 4); return tagtype(p, b);
  default: tb_byte(b, 3); return globaltype(p, b);
  }
}

enum { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARE };

typedef struct elem_seg {
  int mode;
  uint32_t table;
  text_buf offset;
  uint8_t type;
  text_buf items; /* the expressions, back to back */
  KB_VEC(size_t) ends;
  bool exprs;          /* items written as expressions */
  bool explicit_table; /* the text names the table */
} elem_seg;

/* Element items up to ')': expressions (`(item instr*)` or one folded
 * instruction) or function indices. */
static bool elem_items(wat_parser *p, elem_seg *s, bool exprs) {
  s->exprs = exprs;
  while (wat_tok(p)->kind != TK_RPAR) {
    if (exprs) {
      if (wat_tok(p)->kind != TK_LPAR) return wat_fail(p, p->i, "unexpected token");
      if (wat_at_form(p, "item")) {
        p->i += 2;
        if (!wat_expr(p, &s->items) || !wat_expect_rpar(p)) return false;
      } else if (!wat_folded_expr(p, &s->items)) {
        return false;
      }
    } else {
      uint32_t x;
      if (!wat_index(p, WS_FUNC, &x)) return false;
      tb_byte(&s->items, 0xD2);
      tb_u32(&s->items, x);
      tb_byte(&s->items, 0x0B);
    }
    if (!kb_vec_push(p->a, &s->ends, s->items.len)) return wat_oom(p);
  }
  return true;
}

/* The element list of a segment: `func x*`, `reftype elemexpr*`, or (bare,
 * for active segments) `x*`, up to ')'. */
static bool elem_list(wat_parser *p, elem_seg *s, bool bare_ok) {
  s->type = CORE_FUNCREF;
  if (wat_is_kw(wat_tok(p), "func")) {
    p->i++;
    return elem_items(p, s, false);
  }
  size_t rn = wat_reftype_at(wat_tok(p), &s->type);
  if (rn) {
    p->i += rn;
    return elem_items(p, s, true);
  }
  if (!bare_ok) return wat_fail(p, p->i, "unexpected token, expected func or a reference type");
  return elem_items(p, s, false);
}

/* Encodes a segment with the flags its text asks for: an explicit table
 * index (flags 2 and 6) exactly when the text names the table (`(table x)`
 * or the legacy bare index), function indices (flags 0-3) when the items
 * are written as `func x*` (or bare x*), expressions (flags 4-7) when
 * written as `reftype expr*`, even if they are all `ref.func x`. Flags 0
 * and 4 imply funcref, so an active segment of another type without a
 * table gets (table 0) anyway. This keeps every one of the eight binary
 * forms expressible (the spec's text format maps to the abstract syntax and
 * leaves the choice of form open; wasm-tools decides the same way, wabt
 * folds explicit table 0 and ref.func items into flag 0). */
static void encode_elem(wat_parser *p, const elem_seg *s) {
  text_buf *b = &p->sec[SEC_ELEM];
  bool indices = !s->exprs;
  uint8_t flags = indices ? 0 : 4;
  bool explicit_table = false;
  if (s->mode == SEG_PASSIVE) flags |= 1;
  if (s->mode == SEG_DECLARE) flags |= 3;
  if (s->mode == SEG_ACTIVE && (s->explicit_table || s->table != 0 || s->type != CORE_FUNCREF)) {
    flags |= 2;
    explicit_table = true;
  }
  tb_byte(b, flags);
  if (explicit_table) tb_u32(b, s->table);
  if (s->mode == SEG_ACTIVE) tb_bytes(b, s->offset.data, s->offset.len);
  if (flags & 3) tb_byte(b, indices ? 0x00 : s->type);
  tb_u32(b, (uint32_t)s->ends.len);
  for (size_t k = 0; k < s->ends.len; k++) {
    size_t from = k ? s->ends.items[k - 1] : 0;
    if (indices) tb_bytes(b, s->items.data + from + 1, s->ends.items[k] - from - 2);
    else tb_bytes(b, s->items.data + from, s->ends.items[k] - from);
  }
  if (s->offset.oom || s->items.oom) b->oom = true;
  p->sec_count[SEC_ELEM]++;
}

static void elem_init(wat_parser *p, elem_seg *s) {
  memset(s, 0, sizeof *s);
  tb_init(&s->offset, p->a);
  tb_init(&s->items, p->a);
}

static void elem_free(wat_parser *p, elem_seg *s) {
  tb_free(&s->offset);
  tb_free(&s->items);
  kb_vec_free(p->a, &s->ends);
}

/* `(offset instr*)` or one folded instruction. */
static bool offset_expr(wat_parser *p, text_buf *b, const char *kw) {
  if (wat_at_form(p, kw)) {
    p->i += 2;
    return wat_expr(p, b) && wat_expect_rpar(p);
  }
  if (wat_tok(p)->kind != TK_LPAR) return wat_fail(p, p->i, "unexpected token");
  return wat_folded_expr(p, b);
}

static bool field_elem(wat_parser *p) {
  elem_seg s;
  elem_init(p, &s);
  bool ok = true;
  p->next[WS_ELEM]++;
  if (wat_tok(p)->kind == TK_ID) p->i++;
  if (wat_is_kw(wat_tok(p), "declare")) {
    p->i++;
    s.mode = SEG_DECLARE;
    ok = elem_list(p, &s, false);
  } else if (wat_tok(p)->kind == TK_LPAR || (wat_at_index(p) && p->t[p->i + 1].kind == TK_LPAR)) {
    s.mode = SEG_ACTIVE;
    s.explicit_table = wat_at_index(p) || wat_at_form(p, "table");
    if (wat_at_index(p)) {
      ok = wat_index(p, WS_TABLE, &s.table); /* legacy: (elem 0 (offset) ...) */
    } else if (wat_at_form(p, "table")) {
      p->i += 2;
      ok = wat_index(p, WS_TABLE, &s.table) && wat_expect_rpar(p);
    }
    ok = ok && offset_expr(p, &s.offset, "offset") && elem_list(p, &s, true);
  } else {
    s.mode = SEG_PASSIVE;
    ok = elem_list(p, &s, false);
  }
  ok = ok && wat_expect_rpar(p);
  if (ok) encode_elem(p, &s);
  elem_free(p, &s);
  return ok;
}

/* string* into b, up to ')'. */
static bool data_strings(wat_parser *p, text_buf *b) {
  while (wat_tok(p)->kind == TK_STRING) {
    tb_bytes(b, wat_tok(p)->str, wat_tok(p)->slen);
    p->i++;
  }
  return true;
}

static bool field_data(wat_parser *p) {
  text_buf *b = &p->sec[SEC_DATA];
  text_buf bytes, off;
  tb_init(&bytes, p->a);
  tb_init(&off, p->a);
  bool ok = true;
  p->next[WS_DATA]++;
  if (wat_tok(p)->kind == TK_ID) p->i++;
  if (wat_tok(p)->kind == TK_LPAR || (wat_at_index(p) && p->t[p->i + 1].kind == TK_LPAR)) {
    uint32_t mem = 0;
    if (wat_at_index(p)) {
      ok = wat_index(p, WS_MEM, &mem);
    } else if (wat_at_form(p, "memory")) {
      p->i += 2;
      ok = wat_index(p, WS_MEM, &mem) && wat_expect_rpar(p);
    }
    ok = ok && offset_expr(p, &off, "offset") && data_strings(p, &bytes) && wat_expect_rpar(p);
    if (ok) {
      if (mem) {
        tb_byte(b, 2);
        tb_u32(b, mem);
      } else {
        tb_byte(b, 0);
      }
      tb_bytes(b, off.data, off.len);
    }
  } else {
    ok = data_strings(p, &bytes) && wat_expect_rpar(p);
    if (ok) tb_byte(b, 1);
  }
  if (ok) {
    tb_blob(b, &bytes);
    if (off.oom) b->oom = true;
    p->sec_count[SEC_DATA]++;
  }
  tb_free(&bytes);
  tb_free(&off);
  return ok;
}

/* The head of a `(func|table|memory|global|tag id? (export "n")*` field,
 * the cursor after the keyword: *index in space ws (exported as kind).
 * 1 when the field is an inline import `(import "m" "n") desc)`, read to
 * its end; 0 when the field's own description follows; -1 on error. */
static int field_head(wat_parser *p, int ws, uint8_t kind, uint32_t *index) {
  *index = p->next[ws]++;
  if (wat_tok(p)->kind == TK_ID) p->i++;
  if (!inline_exports(p, kind, *index)) return -1;
  if (!wat_at_form(p, "import")) return 0;
  p->i += 2;
  return import_names(p) && wat_expect_rpar(p) && import_desc(p, ws) && wat_expect_rpar(p) ? 1 : -1;
}

static bool field_table(wat_parser *p) {
  uint32_t index;
  int head = field_head(p, WS_TABLE, 1, &index);
  if (head) return head > 0;
  uint8_t rt;
  size_t rn = wat_reftype_at(wat_tok(p), &rt);
  if (rn) {
    /* reftype (elem ...): a table just large enough for the segment. */
    p->i += rn;
    if (!wat_expect_form(p, "elem")) return false;
    elem_seg s;
    elem_init(p, &s);
    s.mode = SEG_ACTIVE;
    s.table = index;
    p->next[WS_ELEM]++;
    s.type = rt;
    bool ok = elem_items(p, &s, wat_tok(p)->kind == TK_LPAR);
    ok = ok && wat_expect_rpar(p) && wat_expect_rpar(p);
    if (ok) {
      text_buf *b = &p->sec[SEC_TABLE];
      tb_byte(b, rt);
      tb_byte(b, 1);
      tb_u32(b, (uint32_t)s.ends.len);
      tb_u32(b, (uint32_t)s.ends.len);
      p->sec_count[SEC_TABLE]++;
      tb_byte(&s.offset, 0x41);
      tb_byte(&s.offset, 0);
      tb_byte(&s.offset, 0x0B);
      encode_elem(p, &s);
    }
    elem_free(p, &s);
    return ok;
  }
  p->sec_count[SEC_TABLE]++;
  return tabletype(p, &p->sec[SEC_TABLE]) && wat_expect_rpar(p);
}

static bool field_memory(wat_parser *p) {
  uint32_t index;
  int head = field_head(p, WS_MEM, 2, &index);
  if (head) return head > 0;
  if (wat_at_form(p, "data")) {
    /* (data string*): a memory just large enough, and an active segment. */
    p->i += 2;
    p->next[WS_DATA]++;
    text_buf bytes;
    tb_init(&bytes, p->a);
    bool ok = data_strings(p, &bytes) && wat_expect_rpar(p) && wat_expect_rpar(p);
    if (ok) {
      uint64_t pages = ((uint64_t)bytes.len + 65535) / 65536;
      text_buf *m = &p->sec[SEC_MEM];
      tb_byte(m, 1);
      tb_u64(m, pages);
      tb_u64(m, pages);
      p->sec_count[SEC_MEM]++;
      text_buf *d = &p->sec[SEC_DATA];
      if (index) {
        tb_byte(d, 2);
        tb_u32(d, index);
      } else {
        tb_byte(d, 0);
      }
      tb_byte(d, 0x41);
      tb_byte(d, 0);
      tb_byte(d, 0x0B);
      tb_blob(d, &bytes);
      p->sec_count[SEC_DATA]++;
    }
    tb_free(&bytes);
    return ok;
  }
  p->sec_count[SEC_MEM]++;
  return limits(p, &p->sec[SEC_MEM]) && wat_expect_rpar(p);
}

static bool field_global(wat_parser *p) {
  uint32_t index;
  int head = field_head(p, WS_GLOBAL, 3, &index);
  if (head) return head > 0;
  text_buf *b = &p->sec[SEC_GLOBAL];
  if (!globaltype(p, b)) return false;
  p->sec_count[SEC_GLOBAL]++;
  return wat_expr(p, b) && wat_expect_rpar(p);
}

static bool field_tag(wat_parser *p) {
  uint32_t index;
  int head = field_head(p, WS_TAG, 4, &index);
  if (head) return head > 0;
  p->sec_count[SEC_TAG]++;
  return tagtype(p, &p->sec[SEC_TAG]) && wat_expect_rpar(p);
}

static void reset_function(wat_parser *p) {
  kb_map_free(&p->locals);
  kb_map_init(&p->locals, p->a);
  p->local_types.len = 0;
  p->labels.len = 0;
  p->nblocks = 0;
}

static bool field_func(wat_parser *p) {
  uint32_t index;
  int head = field_head(p, WS_FUNC, 0, &index);
  if (head) return head > 0;
  wat_typeuse tu;
  uint32_t type, nparams;
  p->cur_func = index;
  bool ok = wat_parse_typeuse(p, &tu, true, true) && wat_resolve_typeuse(p, &tu, &type, &nparams);
  kb_vec_free(p->a, &tu.types);
  if (!ok) return false;
  tb_u32(&p->sec[SEC_FUNC], type);
  p->sec_count[SEC_FUNC]++;
  uint64_t nlocals = nparams;
  while (wat_at_form(p, "local")) {
    p->i += 2;
    const text_token *id = wat_tok(p)->kind == TK_ID ? &p->t[p->i++] : NULL;
    if (id) {
      void *old;
      if (kb_map_get(&p->locals, (const char *)id->str, id->slen, &old))
        return wat_fail(p, p->i - 1, "duplicate local $%.*s", (int)id->slen, id->str);
      if (nlocals >= UINT32_MAX) return wat_fail(p, p->i - 1, "too many locals");
      if (!kb_map_put(&p->locals, (const char *)id->str, id->slen, (void *)(uintptr_t)(nlocals + 1))) return wat_oom(p);
      wat_lname ln = {index, (uint32_t)nlocals, id->str, id->slen};
      if (!kb_vec_push(p->a, &p->local_names, ln)) return wat_oom(p);
    }
    /* (local $x t) declares one local, (local t*) any number. */
    for (size_t k = 0; id ? k < 1 : wat_tok(p)->kind != TK_RPAR; k++) {
      uint8_t vt;
      if (nlocals >= UINT32_MAX) return wat_fail(p, p->i, "too many locals");
      if (!wat_valtype(p, &vt)) return false;
      if (!kb_vec_push(p->a, &p->local_types, vt)) return wat_oom(p);
      nlocals++;
    }
    if (!wat_expect_rpar(p)) return false;
  }
  text_buf body;
  tb_init(&body, p->a);
  /* Locals, run-length encoded. */
  uint32_t runs = 0;
  for (size_t k = 0; k < p->local_types.len; k++)
    if (k == 0 || p->local_types.items[k] != p->local_types.items[k - 1]) runs++;
  tb_u32(&body, runs);
  for (size_t k = 0; k < p->local_types.len;) {
    size_t j = k;
    while (j < p->local_types.len && p->local_types.items[j] == p->local_types.items[k]) j++;
    tb_u32(&body, (uint32_t)(j - k));
    tb_byte(&body, p->local_types.items[k]);
    k = j;
  }
  ok = wat_expr(p, &body) && wat_expect_rpar(p);
  if (ok) {
    tb_blob(&p->sec[SEC_CODE], &body);
    p->sec_count[SEC_CODE]++;
  }
  tb_free(&body);
  return ok;
}

static bool field_export(wat_parser *p) {
  const uint8_t *s;
  uint32_t n;
  if (!name_string(p, &s, &n)) return false;
  if (wat_tok(p)->kind != TK_LPAR) return wat_fail(p, p->i, "unexpected token");
  int ws = space_of_kw(&p->t[p->i + 1]);
  if (ws < 0) return wat_fail(p, p->i + 1, "unexpected token, expected an export kind");
  p->i += 2;
  uint32_t x;
  if (!wat_index(p, ws, &x) || !wat_expect_rpar(p) || !wat_expect_rpar(p)) return false;
  text_buf *b = &p->sec[SEC_EXPORT];
  tb_name(b, s, n);
  tb_byte(b, extern_kind(ws));
  tb_u32(b, x);
  p->sec_count[SEC_EXPORT]++;
  return true;
}

static bool field_start(wat_parser *p) {
  size_t at = p->i - 1;
  uint32_t x;
  if (!wat_index(p, WS_FUNC, &x) || !wat_expect_rpar(p)) return false;
  if (p->has_start) return wat_fail(p, at, "multiple start sections");
  p->has_start = true;
  tb_u32(&p->sec[SEC_START], x);
  return true;
}

static bool field_import_full(wat_parser *p) {
  if (!import_names(p)) return false;
  if (wat_tok(p)->kind != TK_LPAR) return wat_fail(p, p->i, "unexpected token");
  int ws = space_of_kw(&p->t[p->i + 1]);
  p->i += 2;
  p->next[ws]++;
  if (wat_tok(p)->kind == TK_ID) p->i++;
  return import_desc(p, ws) && wat_expect_rpar(p) && wat_expect_rpar(p);
}

/* Encodes the field at the cursor ('(' keyword ...). */
static bool encode_field(wat_parser *p) {
  const text_token *kw = &p->t[p->i + 1];
  p->i += 2;
  /* Constant expressions see no locals or labels. */
  reset_function(p);
  if (wat_is_kw(kw, "type")) {
    p->i -= 2;
    return skip_form(p);
  }
  if (wat_is_kw(kw, "import")) return field_import_full(p);
  if (wat_is_kw(kw, "func")) return field_func(p);
  if (wat_is_kw(kw, "table")) return field_table(p);
  if (wat_is_kw(kw, "memory")) return field_memory(p);
  if (wat_is_kw(kw, "global")) return field_global(p);
  if (wat_is_kw(kw, "tag")) return field_tag(p);
  if (wat_is_kw(kw, "export")) return field_export(p);
  if (wat_is_kw(kw, "start")) return field_start(p);
  if (wat_is_kw(kw, "elem")) return field_elem(p);
  if (wat_is_kw(kw, "data")) return field_data(p);
  return wat_fail(p, p->i - 1, "unknown module field");
}

/* ---- the module ---- */

static void parser_init(wat_parser *p, const kumi_allocator *a, kb_arena *ar, const char *src, size_t len,
                        const text_token *t, size_t n) {
  memset(p, 0, sizeof *p);
  p->a = a;
  p->ar = ar;
  p->src = src;
  p->srclen = len;
  p->t = t;
  p->n = n;
  kb_map_init(&p->opnames, a);
  kb_map_init(&p->type_index, a);
  for (int k = 0; k < WS_COUNT; k++) kb_map_init(&p->names[k], a);
  kb_map_init(&p->locals, a);
  tb_init(&p->fold, a);
  for (int k = 0; k < SEC_COUNT; k++) tb_init(&p->sec[k], a);
}

static void parser_free(wat_parser *p) {
  kb_map_free(&p->opnames);
  kb_map_free(&p->type_index);
  for (int k = 0; k < WS_COUNT; k++) kb_map_free(&p->names[k]);
  for (int k = 0; k < WS_COUNT; k++) kb_vec_free(p->a, &p->space_ids[k]);
  kb_vec_free(p->a, &p->local_names);
  kb_vec_free(p->a, &p->label_names);
  kb_vec_free(p->a, &p->customs);
  kb_map_free(&p->locals);
  kb_vec_free(p->a, &p->types);
  kb_vec_free(p->a, &p->func_names);
  kb_vec_free(p->a, &p->local_types);
  kb_vec_free(p->a, &p->labels);
  tb_free(&p->fold);
  for (int k = 0; k < SEC_COUNT; k++) tb_free(&p->sec[k]);
}

/* The fields from the cursor up to ')' or the end of the tokens. */
static bool module_fields(wat_parser *p, text_buf *out) {
  size_t first = p->i;
  const char *first_def = NULL;
  while (wat_tok(p)->kind == TK_LPAR)
    if (!scan_field(p, &first_def)) return false;
  size_t end = p->i;
  if (!wat_build_opnames(p)) return false;
  p->i = first;
  while (p->i < end)
    if (!wat_collect_customs(p) || !encode_field(p)) return false;
  if (!wat_collect_customs(p) || p->err) return false;
  wat_assemble(p, out);
  for (int k = 0; k < SEC_COUNT; k++)
    if (p->sec[k].oom) return wat_oom(p);
  return out->oom ? wat_oom(p) : true;
}

static kumi_error *parse_text(const kumi_allocator *a, const char *src, size_t len, bool quoted, text_buf *out);

/* The form `(module id? ...)` at the cursor, which must be there. */
static bool module_form(wat_parser *p, text_buf *out) {
  if (!wat_expect_form(p, "module")) return false;
  if (wat_tok(p)->kind == TK_ID) {
    p->module_name = wat_tok(p)->str;
    p->module_name_len = wat_tok(p)->slen;
    p->name_tok = p->i;
    p->i++;
  }
  bool ok;
  if (wat_is_kw(wat_tok(p), "binary") || wat_is_kw(wat_tok(p), "quote")) {
    bool quote = wat_is_kw(wat_tok(p), "quote");
    p->i++;
    ok = wat_binary_or_quote(p, quote, "module", parse_text, out);
  } else {
    ok = module_fields(p, out);
  }
  return ok && wat_expect_rpar(p);
}

/* A whole module from the cursor: `(module id? ...)` or bare fields; then
 * the end of the tokens. */
static bool parse_module(wat_parser *p, text_buf *out) {
  if (wat_at_form(p, "module")) {
    if (!module_form(p, out)) return false;
  } else if (!module_fields(p, out)) {
    return false;
  }
  if (wat_tok(p)->kind != TK_EOF) return wat_fail(p, p->i, "unexpected token");
  return true;
}

static kumi_error *parse_tokens(const kumi_allocator *a, kb_arena *ar, const char *src, size_t len,
                                const text_token *toks, size_t ntoks, bool quoted, text_buf *out) {
  wat_parser p;
  parser_init(&p, a, ar, src, len, toks, ntoks);
  p.quoted = quoted;
  parse_module(&p, out);
  kumi_error *e = p.err;
  parser_free(&p);
  return e;
}

static kumi_error *parse_text(const kumi_allocator *a, const char *src, size_t len, bool quoted, text_buf *out) {
  return wat_lex_parse(a, src, len, quoted, out, parse_tokens);
}

kumi_error *wat_parse_module_form(const kumi_allocator *a, const char *src, size_t len, const text_token *toks,
                                  size_t ntoks, size_t *i, text_buf *out, size_t *name_tok) {
  kb_arena ar;
  kb_arena_init(&ar, a);
  wat_parser p;
  parser_init(&p, a, &ar, src, len, toks, ntoks);
  p.i = *i;
  p.name_tok = SIZE_MAX;
  if (module_form(&p, out)) *i = p.i;
  *name_tok = p.name_tok;
  kumi_error *e = p.err;
  parser_free(&p);
  kb_arena_free(&ar);
  return e;
}

kumi_error *text_parse_wat(const kumi_allocator *a, const char *src, size_t len, uint8_t **out, size_t *out_len) {
  text_buf b;
  tb_init(&b, a);
  return wat_finish_out(a, parse_text(a, src, len, false, &b), &b, out, out_len);
}
