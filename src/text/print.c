/* The core module printer (see print.h). Every instruction goes through
 * core_read_instr_with (every feature the engine has) and is named by core_opinfos, so the printer knows no
 * instruction of its own. Immediates are written in the forms the parser
 * (wat_instr.c) reads back to the same bytes: memory and table indices
 * only when not 0, align only when not natural, floats as exact hex
 * floats or nan:0x payloads, blocks with an explicit (type N) when the
 * binary used a type index. Names of the name section become $identifiers
 * where they are bound (labels on their block); references stay numeric.
 * Custom sections print as (@custom) annotations at the end of the module,
 * placed after the section they followed. text_print_core_into also
 * prints the core modules nested in components (print_component.c). */
#include "print.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../core/instr.h"
#include "lex.h"
#include "print_component.h"
#include "text.h"

/* ---- names beyond the module's and the functions' ----------------------- */

/* Name subsections read from the module's name section: locals (2, per
 * function), types (4), tables (5), memories (6), globals (7), element (8)
 * and data segments (9), tags (11; 10, GC fields, is not read). Entries
 * point into the module's bytes, sorted by (function, index). */
enum { NAMES_LOCAL = 2, NAMES_LABEL = 3, NAMES_FIELD = 10, NAMES_TAG = 11, NAMES_LAST = 11 };
typedef struct pname {
  uint32_t outer, idx;
  const char *s;
  uint32_t len;
} pname;
typedef struct pnames {
  pname *v[NAMES_LAST + 1];
  uint32_t n[NAMES_LAST + 1], cap[NAMES_LAST + 1];
} pnames;

static int by_outer_idx(const void *x, const void *y) {
  const pname *a = x, *b = y;
  if (a->outer != b->outer) return a->outer < b->outer ? -1 : 1;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

static bool leb32(const uint8_t *b, size_t end, size_t *pos, uint32_t *v) {
  uint64_t x;
  const char *why;
  if (!kb_leb_u(b, end, pos, 32, &x, &why)) return false;
  *v = (uint32_t)x;
  return true;
}

/* One name map (or, for locals, an indirect one) of subsection id in
 * b[pos, end). A malformed map only loses names; false on OOM. */
static bool read_name_map(const kumi_allocator *a, const uint8_t *b, size_t pos, size_t end, int id, pnames *nm) {
  if (nm->v[id]) return true; /* the first one counts */
  uint32_t outer_count = 1, outer = 0, total = 0;
  size_t start = pos;
  /* Count the entries first, so one allocation holds them. */
  for (int pass = 0; pass < 2; pass++) {
    pos = start;
    bool indirect = id == NAMES_LOCAL || id == NAMES_LABEL;
    if (indirect && !leb32(b, end, &pos, &outer_count)) return true;
    uint32_t k = 0;
    for (uint32_t o = 0; o < outer_count; o++) {
      uint32_t count;
      if (indirect && !leb32(b, end, &pos, &outer)) return true;
      if (!leb32(b, end, &pos, &count)) return true;
      for (uint32_t j = 0; j < count; j++) {
        uint32_t idx, len;
        if (!leb32(b, end, &pos, &idx) || !leb32(b, end, &pos, &len) || len > end - pos) return true;
        if (pass == 1 && k < total) nm->v[id][k] = (pname){outer, idx, (const char *)b + pos, len};
        pos += len;
        k++;
      }
    }
    if (pass == 0) {
      if (k == 0) return true;
      total = k;
      nm->v[id] = kb_alloc(a, total * sizeof *nm->v[id]);
      if (!nm->v[id]) return false;
      nm->cap[id] = nm->n[id] = total;
    }
  }
  qsort(nm->v[id], nm->n[id], sizeof *nm->v[id], by_outer_idx);
  return true;
}

/* Reads the name section of m, if any (the first one). False on OOM. */
static bool read_names(const kumi_allocator *a, const core_module *m, pnames *nm) {
  const uint8_t *b = m->bytes;
  size_t pos = 8, end = m->len;
  while (pos < end) {
    uint8_t id = b[pos++];
    uint32_t size, nlen;
    if (!leb32(b, end, &pos, &size) || size > end - pos) return true;
    size_t body = pos, body_end = pos + size;
    pos = body_end;
    if (id != 0 || !leb32(b, body_end, &body, &nlen) || nlen != 4 || body_end - body < 4 ||
        memcmp(b + body, "name", 4) != 0)
      continue;
    body += 4;
    while (body < body_end) {
      uint8_t sub = b[body++];
      uint32_t sublen;
      if (!leb32(b, body_end, &body, &sublen) || sublen > body_end - body) return true;
      if (sub >= NAMES_LOCAL && sub <= NAMES_LAST && sub != NAMES_FIELD &&
          !read_name_map(a, b, body, body + sublen, sub, nm))
        return false;
      body += sublen;
    }
    return true;
  }
  return true;
}

static void free_names(const kumi_allocator *a, pnames *nm) {
  for (int k = 0; k <= NAMES_LAST; k++)
    if (nm->v[k]) kb_free(a, nm->v[k], nm->cap[k] * sizeof *nm->v[k]);
}

static const pname *find_name(const pnames *nm, int id, uint32_t outer, uint32_t idx) {
  size_t lo = 0, hi = nm->n[id];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const pname *e = &nm->v[id][mid];
    if (e->outer == outer && e->idx == idx) return e;
    if (e->outer < outer || (e->outer == outer && e->idx < idx)) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* True when function f names any of its locals (parameters included). */
static bool has_local_names(const pnames *nm, uint32_t f) {
  size_t lo = 0, hi = nm->n[NAMES_LOCAL];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (nm->v[NAMES_LOCAL][mid].outer < f) lo = mid + 1;
    else hi = mid;
  }
  return lo < nm->n[NAMES_LOCAL] && nm->v[NAMES_LOCAL][lo].outer == f;
}

typedef struct printer {
  const kumi_allocator *a;
  const core_module *m;
  text_buf *out;
  unsigned indent;
  kb_map func_ids; /* function names printed so far: a repeat is left out */
  pnames names;
  kb_map used[NAMES_LAST + 1]; /* identifiers printed so far, per space (locals: this function's) */
  uint32_t func;     /* the function whose body is printed */
  uint32_t nblocks;  /* its block, loop, if and try_table instructions so far (label indices) */
  bool raw_names;    /* the name section prints as (@custom "name"), see text_print_core_into */
} printer;

static void put(printer *p, const char *s) { tb_bytes(p->out, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void putf(printer *p, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) tb_bytes(p->out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Indentation stops growing at MAX_INDENT levels, so deeply nested code
 * prints in space linear in its size. */
enum { MAX_INDENT = 32 };
static void newline(printer *p) {
  tb_byte(p->out, '\n');
  for (unsigned k = 0; k < p->indent && k < MAX_INDENT; k++) put(p, "  ");
}

/* A string literal: printable ASCII as is, everything else as \hh. */
static void string(printer *p, const uint8_t *s, size_t n) { text_print_string(p->out, s, n); }

void text_print_string(text_buf *out, const uint8_t *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  tb_byte(out, '"');
  for (size_t k = 0; k < n; k++) {
    uint8_t c = s[k];
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      tb_byte(out, c);
    } else {
      char e[3] = {'\\', hex[c >> 4], hex[c & 15]};
      tb_bytes(out, e, 3);
    }
  }
  tb_byte(out, '"');
}

/* Characters of a plain identifier (lex.c). */
static bool idchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return c != 0 && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c) != NULL;
}

bool text_print_id(text_buf *out, const char *name, size_t n) {
  if (!name || n == 0 || !kb_utf8_valid((const uint8_t *)name, n)) return false;
  bool plain = true;
  for (size_t k = 0; k < n && plain; k++) plain = idchar((uint8_t)name[k]);
  tb_bytes(out, " $", 2);
  if (plain) tb_bytes(out, name, n);
  else text_print_string(out, (const uint8_t *)name, n);
  return true;
}

/* " $name" for function k when it has a name not used before. */
static void func_id(printer *p, uint32_t k) {
  const char *nm = p->m->funcs[k].name;
  if (!nm) return;
  size_t n = strlen(nm);
  void *old;
  if (kb_map_get(&p->func_ids, nm, n, &old)) return;
  if (!kb_map_put(&p->func_ids, nm, n, NULL)) {
    p->out->oom = true;
    return;
  }
  text_print_id(p->out, nm, n);
}

/* " $name" for item idx of name subsection id (for locals: of function
 * outer) when it has a name not used before in its space. */
static void item_id(printer *p, int id, uint32_t outer, uint32_t idx) {
  const pname *e = find_name(&p->names, id, outer, idx);
  if (!e) return;
  void *old;
  if (kb_map_get(&p->used[id], e->s, e->len, &old)) return;
  if (!text_print_id(p->out, e->s, e->len)) return;
  if (!kb_map_put(&p->used[id], e->s, e->len, NULL)) p->out->oom = true;
}

static void valtype(printer *p, core_valtype t) { put(p, core_valtype_name(t)); }

/* Floats, exactly: hex floats for finite values, nan:0x<payload>. */
static void f32(printer *p, uint32_t bits) {
  uint32_t exp = (bits >> 23) & 0xff, mant = bits & 0x7fffff;
  if (bits >> 31) put(p, "-");
  if (exp == 0xff) {
    if (mant) putf(p, "nan:0x%" PRIx32, mant);
    else put(p, "inf");
  } else if (exp == 0) {
    putf(p, "0x0.%06" PRIx32 "p-126", mant << 1);
  } else {
    putf(p, "0x1.%06" PRIx32 "p%+d", mant << 1, (int)exp - 127);
  }
}

static void f64(printer *p, uint64_t bits) {
  uint32_t exp = (uint32_t)(bits >> 52) & 0x7ff;
  uint64_t mant = bits & 0xfffffffffffffull;
  if (bits >> 63) put(p, "-");
  if (exp == 0x7ff) {
    if (mant) putf(p, "nan:0x%" PRIx64, mant);
    else put(p, "inf");
  } else if (exp == 0) {
    putf(p, "0x0.%013" PRIx64 "p-1022", mant);
  } else {
    putf(p, "0x1.%013" PRIx64 "p%+d", mant, (int)exp - 1023);
  }
}

static void memarg(printer *p, const core_instr *in) {
  if (in->imm.memarg.memory) putf(p, " %" PRIu32, in->imm.memarg.memory);
  if (in->imm.memarg.offset) putf(p, " offset=%" PRIu64, in->imm.memarg.offset);
  if (in->imm.memarg.align != core_opinfos[in->op].align) {
    if (in->imm.memarg.align < 64) putf(p, " align=%" PRIu64, (uint64_t)1 << in->imm.memarg.align);
  }
}

/* The immediates of in (after its name). */
static void immediates(printer *p, const uint8_t *bytes, const core_instr *in) {
  switch (core_opinfos[in->op].imm) {
  case CORE_IMM_NONE: return;
  case CORE_IMM_BLOCK:
    if (in->imm.block.kind == CORE_BLOCK_VALTYPE) {
      put(p, " (result ");
      valtype(p, (core_valtype)in->imm.block.type);
      put(p, ")");
    } else if (in->imm.block.kind == CORE_BLOCK_TYPEIDX) {
      putf(p, " (type %" PRIu32 ")", in->imm.block.type);
    }
    if (in->op == CORE_OP_TRY_TABLE) {
      static const char *const kinds[] = {"catch", "catch_ref", "catch_all", "catch_all_ref"};
      uint32_t pos = in->imm.block.catches_pos;
      for (uint32_t k = 0; k < in->imm.block.ncatches; k++) {
        core_catch c = core_catch_next(bytes, &pos);
        putf(p, " (%s", kinds[c.kind & 3]);
        if (c.kind <= CORE_CATCH_REF) putf(p, " %" PRIu32, c.tag);
        putf(p, " %" PRIu32 ")", c.label);
      }
    }
    return;
  case CORE_IMM_BR_TABLE: {
    uint32_t pos = in->imm.br_table.pos;
    for (uint32_t k = 0; k < in->imm.br_table.count; k++) putf(p, " %" PRIu32, core_br_table_next(bytes, &pos));
    putf(p, " %" PRIu32, in->imm.br_table.default_label);
    return;
  }
  case CORE_IMM_LABEL:
  case CORE_IMM_FUNC:
  case CORE_IMM_LOCAL:
  case CORE_IMM_GLOBAL:
  case CORE_IMM_DATA:
  case CORE_IMM_ELEM: putf(p, " %" PRIu32, in->imm.index); return;
  case CORE_IMM_TABLE:
  case CORE_IMM_MEMIDX:
    if (in->imm.index) putf(p, " %" PRIu32, in->imm.index);
    return;
  case CORE_IMM_CALL_INDIRECT:
    if (in->imm.call_indirect.table) putf(p, " %" PRIu32, in->imm.call_indirect.table);
    putf(p, " (type %" PRIu32 ")", in->imm.call_indirect.type);
    return;
  case CORE_IMM_SELECT_T:
    put(p, " (result");
    if (in->imm.select_t.count) {
      put(p, " ");
      valtype(p, in->imm.select_t.type);
    }
    put(p, ")");
    return;
  case CORE_IMM_MEMARG: memarg(p, in); return;
  case CORE_IMM_MEMARG_LANE:
    memarg(p, in);
    putf(p, " %u", (unsigned)in->imm.memarg.lane);
    return;
  case CORE_IMM_LANE: putf(p, " %u", (unsigned)in->imm.lane); return;
  case CORE_IMM_I32: putf(p, " %" PRId32, in->imm.i32); return;
  case CORE_IMM_I64: putf(p, " %" PRId64, in->imm.i64); return;
  case CORE_IMM_F32: put(p, " "); f32(p, in->imm.f32); return;
  case CORE_IMM_F64: put(p, " "); f64(p, in->imm.f64); return;
  case CORE_IMM_HEAPTYPE:
    put(p, in->imm.heaptype == CORE_EXTERNREF ? " extern" : in->imm.heaptype == CORE_EXNREF ? " exn" : " func");
    return;
  case CORE_IMM_DATA_MEM:
  case CORE_IMM_ELEM_TABLE: /* memory.init mem? data, table.init table? elem */
    if (in->imm.pair.b) putf(p, " %" PRIu32, in->imm.pair.b);
    putf(p, " %" PRIu32, in->imm.pair.a);
    return;
  case CORE_IMM_MEM_MEM:
  case CORE_IMM_TABLE_TABLE:
    if (in->imm.pair.a || in->imm.pair.b) putf(p, " %" PRIu32 " %" PRIu32, in->imm.pair.a, in->imm.pair.b);
    return;
  case CORE_IMM_V128:
    put(p, " i32x4");
    for (int k = 0; k < 4; k++) {
      const uint8_t *b = in->imm.bytes + 4 * k;
      putf(p, " 0x%08" PRIx32, (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24);
    }
    return;
  case CORE_IMM_SHUFFLE:
    for (int k = 0; k < 16; k++) putf(p, " %u", (unsigned)in->imm.bytes[k]);
    return;
  }
}

/* Instructions of bytes [start, end), which ends with the final `end`
 * (not printed), one per line. */
static kumi_error *instrs(printer *p, uint32_t start, uint32_t end) {
  const uint8_t *bytes = p->m->bytes;
  size_t pos = start;
  while (pos < end) {
    core_instr in;
    kumi_error *e = core_read_instr_with(p->a, bytes, &pos, end, CORE_FEATURES_ENGINE, &in);
    if (e) return e;
    if (pos == end && in.op == CORE_OP_END) return NULL;
    if ((in.op == CORE_OP_END || in.op == CORE_OP_ELSE) && p->indent > 0) p->indent--;
    newline(p);
    put(p, in.op == CORE_OP_SELECT_T ? "select" : core_opinfos[in.op].name);
    bool block = in.op == CORE_OP_BLOCK || in.op == CORE_OP_LOOP || in.op == CORE_OP_IF || in.op == CORE_OP_TRY_TABLE;
    if (block) {
      /* Label names: labels may shadow each other, so every one prints. */
      const pname *ln = find_name(&p->names, NAMES_LABEL, p->func, p->nblocks++);
      if (ln) text_print_id(p->out, ln->s, ln->len);
    }
    immediates(p, bytes, &in);
    if (block || in.op == CORE_OP_ELSE) p->indent++;
  }
  return kb_error(p->a, KUMI_ERR_MALFORMED, end, "expression without a final end");
}

/* A constant expression inline: `(KW instr*)`, or instr* when kw is NULL. */
static kumi_error *const_expr(printer *p, const char *kw, core_expr e) {
  if (kw) putf(p, " (%s", kw);
  unsigned saved = p->indent;
  p->indent += 2;
  kumi_error *err = instrs(p, e.start, e.end);
  p->indent = saved;
  if (kw) put(p, ")");
  return err;
}

static void limits(printer *p, const core_limits *l) {
  putf(p, " %" PRIu64, l->min);
  if (l->has_max) putf(p, " %" PRIu64, l->max);
}

static void globaltype(printer *p, const core_globaltype *g) {
  put(p, " ");
  if (g->mut) put(p, "(mut ");
  valtype(p, g->type);
  if (g->mut) put(p, ")");
}

static void types(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = 0; k < m->ntypes; k++) {
    const core_functype *ft = &m->types[k];
    newline(p);
    put(p, "(type");
    item_id(p, 4, 0, k);
    put(p, " (func");
    if (ft->nparams) {
      put(p, " (param");
      for (uint32_t j = 0; j < ft->nparams; j++) put(p, " "), valtype(p, ft->types[j]);
      put(p, ")");
    }
    if (ft->nresults) {
      put(p, " (result");
      for (uint32_t j = 0; j < ft->nresults; j++) put(p, " "), valtype(p, ft->types[ft->nparams + j]);
      put(p, ")");
    }
    put(p, "))");
  }
}

/* After `(type N)`: the signature again with the parameters' names, when
 * function f names any local (the parser checks it against type N and
 * binds the names); each parameter in its own (param). */
static void named_params(printer *p, uint32_t f, uint32_t type) {
  if (!has_local_names(&p->names, f) || type >= p->m->ntypes) return;
  const core_functype *ft = &p->m->types[type];
  for (uint32_t j = 0; j < ft->nparams; j++) {
    put(p, " (param");
    item_id(p, NAMES_LOCAL, f, j);
    put(p, " ");
    valtype(p, ft->types[j]);
    put(p, ")");
  }
  if (ft->nresults) {
    put(p, " (result");
    for (uint32_t j = 0; j < ft->nresults; j++) put(p, " "), valtype(p, ft->types[ft->nparams + j]);
    put(p, ")");
  }
}

/* Forgets the local names used so far: each function is a space of its own. */
static void new_local_space(printer *p) {
  kb_map_free(&p->used[NAMES_LOCAL]);
  kb_map_init(&p->used[NAMES_LOCAL], p->a);
}

static void imports(printer *p) {
  const core_module *m = p->m;
  uint32_t nfunc = 0, ntable = 0, nmemory = 0, nglobal = 0, ntag = 0;
  for (uint32_t k = 0; k < m->nimports; k++) {
    const core_import *im = &m->imports[k];
    newline(p);
    put(p, "(import ");
    string(p, (const uint8_t *)im->module, im->module_len);
    put(p, " ");
    string(p, (const uint8_t *)im->name, im->name_len);
    switch (im->kind) {
    case CORE_EXTERN_FUNC:
      put(p, " (func");
      func_id(p, nfunc);
      putf(p, " (type %" PRIu32 ")", im->desc.func_type);
      new_local_space(p);
      named_params(p, nfunc++, im->desc.func_type);
      put(p, ")");
      break;
    case CORE_EXTERN_TABLE:
      put(p, " (table");
      item_id(p, 5, 0, ntable++);
      limits(p, &im->desc.table.limits);
      put(p, " ");
      valtype(p, im->desc.table.elem);
      put(p, ")");
      break;
    case CORE_EXTERN_MEMORY:
      put(p, " (memory");
      item_id(p, 6, 0, nmemory++);
      limits(p, &im->desc.memory.limits);
      put(p, ")");
      break;
    case CORE_EXTERN_TAG:
      put(p, " (tag");
      item_id(p, NAMES_TAG, 0, ntag++);
      putf(p, " (type %" PRIu32 "))", im->desc.tag_type);
      break;
    default:
      put(p, " (global");
      item_id(p, 7, 0, nglobal++);
      globaltype(p, &im->desc.global);
      put(p, ")");
      break;
    }
    put(p, ")");
  }
}

static kumi_error *funcs(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = m->nimported_funcs; k < m->nfuncs; k++) {
    const core_func *f = &m->funcs[k];
    newline(p);
    put(p, "(func");
    func_id(p, k);
    putf(p, " (type %" PRIu32 ")", f->type);
    new_local_space(p);
    named_params(p, k, f->type);
    if (f->nlocals && has_local_names(&p->names, k)) {
      /* One (local) each, so any of them can carry its name. */
      uint32_t nparams = f->type < m->ntypes ? m->types[f->type].nparams : 0;
      for (uint32_t j = 0; j < f->nlocals; j++) {
        put(p, " (local");
        item_id(p, NAMES_LOCAL, k, nparams + j);
        put(p, " ");
        valtype(p, f->local_types[j]);
        put(p, ")");
      }
    } else if (f->nlocals) {
      put(p, " (local");
      for (uint32_t j = 0; j < f->nlocals; j++) put(p, " "), valtype(p, f->local_types[j]);
      put(p, ")");
    }
    p->indent++;
    p->func = k;
    p->nblocks = 0;
    kumi_error *e = instrs(p, f->body_start, f->body_end);
    p->indent--;
    if (e) return e;
    put(p, ")");
  }
  return NULL;
}

static void tables_memories(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = m->nimported_tables; k < m->ntables; k++) {
    newline(p);
    put(p, "(table");
    item_id(p, 5, 0, k);
    limits(p, &m->tables[k].limits);
    put(p, " ");
    valtype(p, m->tables[k].elem);
    put(p, ")");
  }
  for (uint32_t k = m->nimported_memories; k < m->nmemories; k++) {
    newline(p);
    put(p, "(memory");
    item_id(p, 6, 0, k);
    limits(p, &m->memories[k].limits);
    put(p, ")");
  }
}

static void tags(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = m->nimported_tags; k < m->ntags; k++) {
    newline(p);
    put(p, "(tag");
    item_id(p, NAMES_TAG, 0, k);
    putf(p, " (type %" PRIu32 "))", m->tags[k]);
  }
}

static kumi_error *globals(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = m->nimported_globals; k < m->nglobals; k++) {
    newline(p);
    put(p, "(global");
    item_id(p, 7, 0, k);
    globaltype(p, &m->globals[k].type);
    kumi_error *e = const_expr(p, NULL, m->globals[k].init);
    if (e) return e;
    put(p, ")");
  }
  return NULL;
}

static void exports(printer *p) {
  static const char *const kinds[] = {"func", "table", "memory", "global", "tag"};
  const core_module *m = p->m;
  for (uint32_t k = 0; k < m->nexports; k++) {
    const core_export *ex = &m->exports[k];
    newline(p);
    put(p, "(export ");
    string(p, (const uint8_t *)ex->name, ex->name_len);
    putf(p, " (%s %" PRIu32 "))", kinds[ex->kind <= CORE_EXTERN_TAG ? ex->kind : 0], ex->index);
  }
}

/* Segments print in the form the parser encodes with the segment's own
 * flags: an explicit (table x) exactly when the binary has a table index
 * (flags 2 and 6), function indices (`func x*`) for flags 0-3 and
 * `reftype (item expr)*` for flags 4-7. */
static kumi_error *elems(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = 0; k < m->nelems; k++) {
    const core_elem *el = &m->elems[k];
    size_t fpos = el->offset_in_module;
    uint32_t flags = 0;
    if (!leb32(m->bytes, m->len, &fpos, &flags)) return kb_error(p->a, KUMI_ERR_MALFORMED, el->offset_in_module, "malformed elements segment kind");
    newline(p);
    put(p, "(elem");
    item_id(p, 8, 0, k);
    if (el->mode == CORE_SEG_DECLARATIVE) put(p, " declare");
    if (el->mode == CORE_SEG_ACTIVE) {
      if (flags & 2) putf(p, " (table %" PRIu32 ")", el->table);
      kumi_error *e = const_expr(p, "offset", el->offset);
      if (e) return e;
    }
    if (!(flags & 4)) {
      put(p, " func");
      for (uint32_t j = 0; el->funcs && j < el->count; j++) putf(p, " %" PRIu32, el->funcs[j]);
    } else {
      put(p, " ");
      valtype(p, el->type);
      for (uint32_t j = 0; el->exprs && j < el->count; j++) {
        kumi_error *e = const_expr(p, "item", el->exprs[j]);
        if (e) return e;
      }
    }
    put(p, ")");
  }
  return NULL;
}

static kumi_error *datas(printer *p) {
  const core_module *m = p->m;
  for (uint32_t k = 0; k < m->ndatas; k++) {
    const core_data *d = &m->datas[k];
    newline(p);
    put(p, "(data");
    item_id(p, 9, 0, k);
    if (d->mode == CORE_SEG_ACTIVE) {
      if (d->memory) putf(p, " (memory %" PRIu32 ")", d->memory);
      kumi_error *e = const_expr(p, "offset", d->offset);
      if (e) return e;
    }
    put(p, " ");
    string(p, m->bytes + d->start, d->len);
    put(p, ")");
  }
  return NULL;
}

/* The placement keyword of a section id, for (@custom ... (after KW)). */
static const char *section_kw(uint8_t id) {
  static const char *const kws[] = {NULL,     "type",   "import", "func", "table", "memory", "global",
                                    "export", "start",  "elem",   "code", "data",  "datacount", "tag"};
  return id < sizeof kws / sizeof kws[0] ? kws[id] : NULL;
}

/* Every custom section as `(@custom "name" (after S) "bytes")`, S the
 * non-empty section before it (`(before first)` when none), except the
 * first `name` section when the identifiers stand for it (!p->raw_names). */
static void customs(printer *p) {
  const uint8_t *b = p->m->bytes;
  size_t pos = 8, end = p->m->len;
  const char *after = NULL;
  bool names_seen = false;
  while (pos < end) {
    uint8_t id = b[pos++];
    uint32_t size, nlen;
    if (!leb32(b, end, &pos, &size) || size > end - pos) return;
    size_t body = pos, body_end = pos + size;
    pos = body_end;
    if (id != 0) {
      /* An empty section (count 0; the parser writes none) is no anchor:
       * the one before it puts the custom section in the same place. */
      uint32_t count = 1;
      size_t c = body;
      if (id != 8 && (!leb32(b, body_end, &c, &count) || count != 0)) count = 1;
      if (count) after = section_kw(id);
      continue;
    }
    if (!leb32(b, body_end, &body, &nlen) || nlen > body_end - body) continue;
    bool is_name = nlen == 4 && memcmp(b + body, "name", 4) == 0;
    if (is_name && !names_seen && !p->raw_names) {
      names_seen = true;
      continue;
    }
    names_seen = names_seen || is_name;
    newline(p);
    put(p, "(@custom ");
    string(p, b + body, nlen);
    if (after) putf(p, " (after %s) ", after);
    else put(p, " (before first) ");
    string(p, b + body + nlen, body_end - body - nlen);
    put(p, ")");
  }
}

static bool has_name_section(const uint8_t *b, size_t end) {
  size_t pos = 8;
  while (pos < end) {
    uint8_t id = b[pos++];
    uint32_t size, nlen;
    if (!leb32(b, end, &pos, &size) || size > end - pos) return false;
    size_t body = pos;
    pos += size;
    if (id == 0 && leb32(b, pos, &body, &nlen) && nlen == 4 && pos - body >= 4 && memcmp(b + body, "name", 4) == 0)
      return true;
  }
  return false;
}

static kumi_error *print_core(const kumi_allocator *a, text_buf *out, const uint8_t *bytes, size_t len, unsigned indent,
                              const char *kw, const char *id, size_t idlen, bool raw_names) {
  kumi_error *e = NULL;
  core_module *m = core_module_decode_with(a, bytes, len, CORE_FEATURES_ENGINE, &e);
  if (!m) return e ? e : kb_error_oom();
  printer p;
  memset(&p, 0, sizeof p);
  p.a = a;
  p.m = m;
  p.out = out;
  p.raw_names = raw_names;
  kb_map_init(&p.func_ids, a);
  for (int k = 0; k <= NAMES_LAST; k++) kb_map_init(&p.used[k], a);
  if (!read_names(a, m, &p.names)) out->oom = true;
  putf(&p, "(%s", kw);
  if (id) text_print_id(out, id, idlen);
  else if (m->name) text_print_id(out, m->name, strlen(m->name));
  p.indent = indent + 1;
  types(&p);
  imports(&p);
  e = funcs(&p);
  if (!e) {
    tables_memories(&p);
    tags(&p);
    e = globals(&p);
  }
  if (!e) {
    exports(&p);
    if (m->has_start) newline(&p), putf(&p, "(start %" PRIu32 ")", m->start);
    e = elems(&p);
  }
  if (!e) e = datas(&p);
  if (!e) customs(&p);
  put(&p, ")");
  kb_map_free(&p.func_ids);
  for (int k = 0; k <= NAMES_LAST; k++) kb_map_free(&p.used[k]);
  free_names(a, &p.names);
  core_module_free(m);
  return e;
}

/* The name section prints as identifiers when the parser writes it back
 * from them byte for byte, in the same place: tried by printing and
 * parsing the module once. Otherwise (duplicate or empty names, an order
 * or a subsection the parser does not write, other custom sections
 * between it and the last other section, ...) it prints as a
 * (@custom "name") annotation, which replaces the parser's own (the
 * identifiers still print, for reading). */
kumi_error *text_print_core_into(const kumi_allocator *a, text_buf *out, const uint8_t *bytes, size_t len,
                                 unsigned indent, const char *kw, const char *id, size_t idlen) {
  bool raw_names = false;
  if (has_name_section(bytes, len)) {
    text_buf t;
    tb_init(&t, a);
    kumi_error *e = print_core(a, &t, bytes, len, 0, "module", id, idlen, false);
    if (e || t.oom) {
      tb_free(&t);
      if (e) return e;
      return kb_error_oom();
    }
    uint8_t *back = NULL;
    size_t back_len = 0;
    e = text_parse_wat(a, (const char *)t.data, t.len, &back, &back_len);
    tb_free(&t);
    if (e) {
      bool oom = kumi_error_kind_of(e) == KUMI_ERR_OOM;
      kumi_error_free(e);
      if (oom) return kb_error_oom();
      raw_names = true;
    } else {
      raw_names = back_len != len || memcmp(back, bytes, len) != 0;
      kb_free(a, back, back_len);
    }
  }
  return print_core(a, out, bytes, len, indent, kw, id, idlen, raw_names);
}

/* Hands back b's text as an allocation of exactly *out_len + 1 bytes. */
kumi_error *text_print_finish(text_buf *b, kumi_error *e, char **out, size_t *out_len) {
  tb_byte(b, 0);
  if (!e && b->oom) e = kb_error_oom();
  if (e) {
    tb_free(b);
    return e;
  }
  char *r = kb_realloc(b->alloc, b->data, b->cap, b->len);
  if (!r) {
    tb_free(b);
    return kb_error_oom();
  }
  *out = r;
  *out_len = b->len - 1;
  return NULL;
}

kumi_error *text_print_module(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out, size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  text_buf b;
  tb_init(&b, a);
  kumi_error *e = text_print_core_into(a, &b, bytes, len, 0, "module", NULL, 0);
  tb_byte(&b, '\n');
  return text_print_finish(&b, e, out, out_len);
}

kumi_error *text_print(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out, size_t *out_len) {
  if (len >= 8 && bytes[4] == 0x0d && bytes[6] == 1 && bytes[7] == 0)
    return text_print_component(a, bytes, len, out, out_len);
  return text_print_module(a, bytes, len, out, out_len);
}
