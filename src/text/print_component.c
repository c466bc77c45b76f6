/* The component printer (text.h: text_print_component): the decoded
 * component (src/component/ast.h) back in the component text format of
 * Explainer.md, one definition per line, in binary order.
 *
 * Round trip: references are always numeric indices, which mean the same
 * index to any parser; identifiers ($name) appear only where a definition
 * binds them, taken from the component's `component-name` section, so that
 * a parser that records identifiers in that section (as wasm-tools does)
 * writes the same section back. Nested core modules print through the core
 * printer (print.c). Other custom sections print in place as
 * `(@custom "name" "bytes")` annotations (no placement: a component's
 * sections have no fixed order), and so does the component-name section
 * when the identifiers cannot reproduce it (text_print_component). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "print_component.h"
#include "text.h"

/* ---- the component-name section ------------------------------------------- */

uint32_t text_br_u32(text_breader *r) {
  uint64_t v = 0;
  const char *why;
  if (r->bad || !kb_leb_u(r->p, r->end, &r->pos, 32, &v, &why)) {
    r->bad = true;
    return 0;
  }
  return (uint32_t)v;
}

uint8_t text_br_byte(text_breader *r) {
  if (r->bad || r->pos >= r->end) {
    r->bad = true;
    return 0;
  }
  return r->p[r->pos++];
}

/* A name: length and bytes; NULL when it runs past the end. */
static const char *br_name(text_breader *r, uint32_t *len) {
  *len = text_br_u32(r);
  if (r->bad || *len > r->end - r->pos) {
    r->bad = true;
    return NULL;
  }
  const char *s = (const char *)r->p + r->pos;
  r->pos += *len;
  return s;
}

static int sort_code(uint8_t b1, uint8_t b2) {
  switch (b1) {
  case 0x00:
    switch (b2) {
    case 0x00: return COMP_SORT_CORE_FUNC;
    case 0x01: return COMP_SORT_CORE_TABLE;
    case 0x02: return COMP_SORT_CORE_MEMORY;
    case 0x03: return COMP_SORT_CORE_GLOBAL;
    case 0x04: return COMP_SORT_CORE_TAG;
    case 0x10: return COMP_SORT_CORE_TYPE;
    case 0x11: return COMP_SORT_CORE_MODULE;
    case 0x12: return COMP_SORT_CORE_INSTANCE;
    default: return -1;
    }
  case 0x01: return COMP_SORT_FUNC;
  case 0x02: return COMP_SORT_VALUE;
  case 0x03: return COMP_SORT_TYPE;
  case 0x04: return COMP_SORT_COMPONENT;
  case 0x05: return COMP_SORT_INSTANCE;
  default: return -1;
  }
}

static int by_idx(const void *x, const void *y) {
  const text_cname *a = x, *b = y;
  return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Reads the component-name section bytes [pos, end). A malformed section
 * only loses names (the section is not validated by anyone); false on OOM. */
static bool read_names(const kumi_allocator *a, const uint8_t *p, size_t pos, size_t end, text_cnames *nm) {
  text_breader r = {p, pos, end, false};
  while (!r.bad && r.pos < r.end) {
    uint8_t id = text_br_byte(&r);
    uint32_t size = text_br_u32(&r);
    if (r.bad || size > r.end - r.pos) return true;
    text_breader s = {p, r.pos, r.pos + size, false};
    r.pos += size;
    if (id == 0) {
      nm->self = br_name(&s, &nm->self_len);
      if (s.bad) nm->self = NULL;
      continue;
    }
    if (id != 1) continue;
    uint8_t b1 = text_br_byte(&s), b2 = b1 == 0 ? text_br_byte(&s) : 0;
    int sort = sort_code(b1, b2);
    uint32_t count = text_br_u32(&s);
    if (s.bad || sort < 0 || nm->map[sort] || count > (s.end - s.pos) / 2) continue;
    text_cname *m = kb_alloc(a, (count ? count : 1) * sizeof *m);
    if (!m) return false;
    uint32_t k = 0;
    for (; k < count; k++) {
      m[k].idx = text_br_u32(&s);
      m[k].s = br_name(&s, &m[k].len);
      if (s.bad) break;
    }
    qsort(m, k, sizeof *m, by_idx);
    nm->map[sort] = m;
    nm->cap[sort] = count ? count : 1;
    nm->n[sort] = k;
  }
  return true;
}

static void free_names(const kumi_allocator *a, text_cnames *nm) {
  for (int s = 0; s < COMP_SORT_COUNT; s++) {
    if (nm->map[s]) kb_free(a, nm->map[s], nm->cap[s] * sizeof *nm->map[s]);
    kb_map_free(&nm->used[s]);
  }
}

static const text_cname *lookup(const text_cnames *nm, comp_sort sort, uint32_t idx) {
  const text_cname *m = nm->map[sort];
  size_t lo = 0, hi = nm->n[sort];
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (m[mid].idx == idx) return m[mid].s ? &m[mid] : NULL;
    if (m[mid].idx < idx) lo = mid + 1;
    else hi = mid;
  }
  return NULL;
}

/* ---- the printer ------------------------------------------------------------------- */

bool text_cp_fail(text_cprinter *p, const char *what) {
  if (!p->err) p->err = kb_error(p->a, KUMI_ERR_ARG, KUMI_NO_OFFSET, "unsupported: %s", what);
  if (!p->err) p->err = kb_error_oom();
  return false;
}

/* Takes the next index of sort in sc; its name when the name section
 * gives one not taken yet in that sort, else NULL. */
static const text_cname *take_name(text_cprinter *p, text_cscope *sc, comp_sort sort) {
  uint32_t idx = sc->next[sort]++;
  const text_cname *n = lookup(&sc->names, sort, idx);
  void *old;
  if (!n || kb_map_get(&sc->names.used[sort], n->s, n->len, &old)) return NULL;
  if (!kb_map_put(&sc->names.used[sort], n->s, n->len, NULL)) {
    p->out->oom = true;
    return NULL;
  }
  return n;
}

void text_cp_bind(text_cprinter *p, text_cscope *sc, comp_sort sort) {
  if (!sc) return;
  const text_cname *n = take_name(p, sc, sort);
  if (n) text_print_id(p->out, n->s, n->len);
}

static const char *const core_sort_kw[] = {"func", "table", "memory", "global", "tag", "type", "module", "instance"};

/* `func`, `core func`, ... */
void text_cp_sort_kw(text_cprinter *p, comp_sort s) {
  static const char *const comp_kw[] = {"func", "value", "type", "component", "instance"};
  if (comp_sort_is_core(s)) {
    cp_put(p, "core ");
    cp_put(p, core_sort_kw[s]);
  } else {
    cp_put(p, comp_kw[s - COMP_SORT_FUNC]);
  }
}

/* ---- canonical definitions ---- */

static void canon_opts(text_cprinter *p, const comp_canon *c) {
  for (uint32_t k = 0; k < c->nopts; k++) {
    const comp_canonopt *o = &c->opts[k];
    switch (o->kind) {
    case 0x00: cp_put(p, " string-encoding=utf8"); break;
    case 0x01: cp_put(p, " string-encoding=utf16"); break;
    case 0x02: cp_put(p, " string-encoding=latin1+utf16"); break;
    case 0x03: cp_putf(p, " (memory %" PRIu32 ")", o->idx); break;
    case 0x04: cp_putf(p, " (realloc %" PRIu32 ")", o->idx); break;
    case 0x05: cp_putf(p, " (post-return %" PRIu32 ")", o->idx); break;
    case 0x06: cp_put(p, " async"); break;
    case 0x07: cp_putf(p, " (callback %" PRIu32 ")", o->idx); break;
    case 0x08: cp_putf(p, " (core-type %" PRIu32 ")", o->idx); break;
    case 0x09: cp_put(p, " gc"); break;
    }
  }
}

/* The name of canonical built-in op (all but lift and lower) and, in
 * *flag, the keyword of its optional flag byte (async, cancellable or
 * shared) when it has one. */
static const char *canon_name(uint8_t op, const char **flag) {
  *flag = NULL;
  switch (op) {
  case 0x02: return "resource.new";
  case 0x03: return "resource.drop";
  case 0x04: return "resource.rep";
  case 0x05: return "task.cancel";
  case 0x06: *flag = "async"; return "subtask.cancel";
  case 0x09: return "task.return";
  case 0x0a: return "context.get";
  case 0x0b: return "context.set";
  case 0x0c: *flag = "cancellable"; return "thread.yield";
  case 0x0d: return "subtask.drop";
  case 0x0e: return "stream.new";
  case 0x0f: return "stream.read";
  case 0x10: return "stream.write";
  case 0x11: *flag = "async"; return "stream.cancel-read";
  case 0x12: *flag = "async"; return "stream.cancel-write";
  case 0x13: return "stream.drop-readable";
  case 0x14: return "stream.drop-writable";
  case 0x15: return "future.new";
  case 0x16: return "future.read";
  case 0x17: return "future.write";
  case 0x18: *flag = "async"; return "future.cancel-read";
  case 0x19: *flag = "async"; return "future.cancel-write";
  case 0x1a: return "future.drop-readable";
  case 0x1b: return "future.drop-writable";
  case 0x1c: return "error-context.new";
  case 0x1d: return "error-context.debug-message";
  case 0x1e: return "error-context.drop";
  case 0x1f: return "waitable-set.new";
  case 0x20: *flag = "cancellable"; return "waitable-set.wait";
  case 0x21: *flag = "cancellable"; return "waitable-set.poll";
  case 0x22: return "waitable-set.drop";
  case 0x23: return "waitable.join";
  case 0x24: return "backpressure.inc";
  case 0x25: return "backpressure.dec";
  case 0x26: return "thread.index";
  case 0x27: return "thread.new-indirect";
  case 0x28: return "thread.resume-later";
  case 0x29: *flag = "cancellable"; return "thread.suspend";
  case 0x2a: *flag = "cancellable"; return "thread.suspend-then-resume";
  case 0x2b: *flag = "cancellable"; return "thread.yield-then-resume";
  case 0x2c: *flag = "cancellable"; return "thread.suspend-then-promote";
  case 0x2d: *flag = "cancellable"; return "thread.yield-then-promote";
  case 0x40: *flag = "shared"; return "thread.spawn-ref";
  case 0x41: *flag = "shared"; return "thread.spawn-indirect";
  case 0x42: *flag = "shared"; return "thread.available-parallelism";
  }
  return NULL;
}

static bool canon(text_cprinter *p, text_cscope *sc, const comp_canon *c) {
  if (c->op == 0x00) {
    cp_putf(p, "(canon lift (core func %" PRIu32 ")", c->func);
    canon_opts(p, c);
    cp_put(p, " (func");
    text_cp_bind(p, sc, COMP_SORT_FUNC);
    cp_putf(p, " (type %" PRIu32 ")))", c->type);
    return true;
  }
  if (c->op == 0x01) {
    cp_putf(p, "(canon lower (func %" PRIu32 ")", c->func);
    canon_opts(p, c);
  } else {
    const char *flag;
    const char *name = canon_name(c->op, &flag);
    if (!name) return text_cp_fail(p, "canonical built-in");
    cp_put(p, "(canon ");
    cp_put(p, name);
    /* The cancel built-ins put their flag after the type. */
    bool flag_last = c->op == 0x11 || c->op == 0x12 || c->op == 0x18 || c->op == 0x19;
    if (flag && c->flag && !flag_last) cp_put(p, " "), cp_put(p, flag);
    switch (c->op) {
    case 0x02: case 0x03: case 0x04: case 0x0e: case 0x0f: case 0x10: case 0x11: case 0x12: case 0x13:
    case 0x14: case 0x15: case 0x16: case 0x17: case 0x18: case 0x19: case 0x1a: case 0x1b:
      cp_u32(p, c->type);
      break;
    case 0x09:
      if (c->has_result) cp_put(p, " (result"), text_cp_valtype(p, c->result), cp_put(p, ")");
      break;
    case 0x0a: case 0x0b:
      if (!text_cp_cvaltype(p, &c->valtype)) return false;
      cp_u32(p, c->idx);
      break;
    case 0x20: case 0x21: cp_putf(p, " (memory %" PRIu32 ")", c->idx); break;
    case 0x27: case 0x41: cp_putf(p, " (core type %" PRIu32 ") (core table %" PRIu32 ")", c->type, c->table); break;
    case 0x40: cp_putf(p, " (core type %" PRIu32 ")", c->type); break;
    }
    if (flag && c->flag && flag_last) cp_put(p, " "), cp_put(p, flag);
    canon_opts(p, c);
  }
  cp_put(p, " (core func");
  text_cp_bind(p, sc, COMP_SORT_CORE_FUNC);
  cp_put(p, "))");
  return true;
}

/* ---- definitions ---- */

static bool component(text_cprinter *p, const comp_component *c, size_t start, size_t end, const char *id, uint32_t idlen,
                      bool has_id);

/* `(sort idx)` of an instantiation argument or an export. */
static void sortidx(text_cprinter *p, comp_sort s, uint32_t idx) {
  cp_put(p, " (");
  text_cp_sort_kw(p, s);
  cp_u32(p, idx);
  cp_put(p, ")");
}

static bool def(text_cprinter *p, text_cscope *sc, const comp_def *d) {
  cp_newline(p);
  switch (d->kind) {
  case COMP_DEF_CORE_MODULE: {
    const text_cname *n = take_name(p, sc, COMP_SORT_CORE_MODULE);
    kumi_error *e = text_print_core_into(p->a, p->out, p->ast->bytes + d->u.core_module.start, d->u.core_module.len,
                                         p->indent, "core module", n ? n->s : NULL, n ? n->len : 0);
    if (e) {
      if (e->offset != KUMI_NO_OFFSET && e->alloc) e->offset += d->u.core_module.start;
      if (!p->err) p->err = e;
      else kumi_error_free(e);
      return false;
    }
    return true;
  }
  case COMP_DEF_CORE_INSTANCE:
    cp_put(p, "(core instance");
    text_cp_bind(p, sc, COMP_SORT_CORE_INSTANCE);
    if (d->u.core_instance.instantiate) {
      cp_putf(p, " (instantiate %" PRIu32, d->u.core_instance.module);
      for (uint32_t k = 0; k < d->u.core_instance.n; k++) {
        cp_put(p, " (with");
        cp_str(p, d->u.core_instance.args[k].name);
        cp_putf(p, " (instance %" PRIu32 "))", d->u.core_instance.args[k].idx);
      }
      cp_put(p, ")");
    } else {
      for (uint32_t k = 0; k < d->u.core_instance.n; k++) {
        const comp_core_inline_export *x = &d->u.core_instance.exports[k];
        cp_put(p, " (export");
        cp_str(p, x->name);
        cp_putf(p, " (%s %" PRIu32 "))", core_sort_kw[x->sort], x->idx);
      }
    }
    cp_put(p, ")");
    return true;
  case COMP_DEF_CORE_TYPE:
    cp_put(p, "(core type");
    if (d->u.core_type->kind == COMP_CORE_TYPE_GC) {
      if (!text_cp_gc_deftype(p, sc, d->u.core_type)) return false;
    } else {
      text_cp_bind(p, sc, COMP_SORT_CORE_TYPE);
      cp_put(p, " ");
      if (!text_cp_core_deftype(p, d->u.core_type)) return false;
    }
    cp_put(p, ")");
    return true;
  case COMP_DEF_COMPONENT: {
    if (sc->next_nested >= sc->nnested) return text_cp_fail(p, "nested component without its section");
    size_t *range = &sc->nested[2 * sc->next_nested++];
    const text_cname *n = take_name(p, sc, COMP_SORT_COMPONENT);
    return component(p, d->u.component, range[0], range[1], n ? n->s : NULL, n ? n->len : 0, n != NULL);
  }
  case COMP_DEF_INSTANCE:
    cp_put(p, "(instance");
    text_cp_bind(p, sc, COMP_SORT_INSTANCE);
    if (d->u.instance.instantiate) {
      cp_putf(p, " (instantiate %" PRIu32, d->u.instance.component);
      for (uint32_t k = 0; k < d->u.instance.n; k++) {
        cp_put(p, " (with");
        cp_str(p, d->u.instance.args[k].name);
        sortidx(p, d->u.instance.args[k].sort, d->u.instance.args[k].idx);
        cp_put(p, ")");
      }
      cp_put(p, ")");
    } else {
      for (uint32_t k = 0; k < d->u.instance.n; k++) {
        const comp_inline_export *x = &d->u.instance.exports[k];
        cp_put(p, " (export");
        text_cp_extname(p, &x->name);
        sortidx(p, x->sort, x->idx);
        cp_put(p, ")");
      }
    }
    cp_put(p, ")");
    return true;
  case COMP_DEF_ALIAS: return text_cp_alias_body(p, sc, &d->u.alias);
  case COMP_DEF_TYPE:
    cp_put(p, "(type");
    text_cp_bind(p, sc, COMP_SORT_TYPE);
    cp_put(p, " ");
    if (!text_cp_deftype(p, d->u.type)) return false;
    cp_put(p, ")");
    return true;
  case COMP_DEF_CANON: return canon(p, sc, &d->u.canon);
  case COMP_DEF_START:
    cp_putf(p, "(start %" PRIu32, d->u.start.func);
    for (uint32_t k = 0; k < d->u.start.nargs; k++) cp_putf(p, " (value %" PRIu32 ")", d->u.start.args[k]);
    for (uint32_t k = 0; k < d->u.start.nresults; k++) {
      cp_put(p, " (result (value");
      text_cp_bind(p, sc, COMP_SORT_VALUE);
      cp_put(p, "))");
    }
    cp_put(p, ")");
    return true;
  case COMP_DEF_IMPORT:
    cp_put(p, "(import");
    text_cp_extname(p, &d->u.import.name);
    text_cp_externtype(p, sc, &d->u.import.ext);
    cp_put(p, ")");
    return true;
  case COMP_DEF_EXPORT:
    cp_put(p, "(export");
    text_cp_bind(p, sc, d->u.export_.sort);
    text_cp_extname(p, &d->u.export_.name);
    sortidx(p, d->u.export_.sort, d->u.export_.idx);
    if (d->u.export_.has_type) text_cp_externtype(p, NULL, &d->u.export_.ext);
    cp_put(p, ")");
    return true;
  case COMP_DEF_VALUE: return text_cp_fail(p, "value definitions");
  }
  return text_cp_fail(p, "definition");
}

/* Scans the sections of the component at bytes [start, end): its
 * component-name section and the ranges of its nested components. */
static bool scan(text_cprinter *p, size_t start, size_t end, text_cscope *sc) {
  text_breader r = {p->ast->bytes, start + 8, end, false};
  size_t ndefs = 0;
  bool names_seen = false;
  while (!r.bad && r.pos < r.end) {
    uint8_t id = text_br_byte(&r);
    uint32_t size = text_br_u32(&r);
    if (r.bad || size > r.end - r.pos) break;
    size_t body = r.pos;
    r.pos += size;
    if (id == 4) {
      if (sc->nnested == sc->nested_cap) {
        size_t ncap = sc->nested_cap ? 2 * sc->nested_cap : 4;
        size_t *g = kb_realloc(p->a, sc->nested, 2 * sc->nested_cap * sizeof *g, 2 * ncap * sizeof *g);
        if (!g) return false;
        sc->nested = g;
        sc->nested_cap = ncap;
      }
      sc->nested[2 * sc->nnested] = body;
      sc->nested[2 * sc->nnested + 1] = body + size;
      sc->nnested++;
    }
    if (id == 1 || id == 4 || id == 9) {
      ndefs++;
    } else if (id != 0) {
      text_breader s = {p->ast->bytes, body, body + size, false};
      ndefs += text_br_u32(&s);
    } else {
      text_breader s = {p->ast->bytes, body, body + size, false};
      uint32_t nlen;
      const char *nm = br_name(&s, &nlen);
      if (!nm) continue;
      if (nlen == 14 && memcmp(nm, "component-name", 14) == 0 && !names_seen) {
        names_seen = true;
        if (!read_names(p->a, p->ast->bytes, s.pos, s.end, &sc->names)) return false;
        if (!p->raw_names) continue;
      }
      if (sc->ncustoms == sc->customs_cap) {
        size_t ncap = sc->customs_cap ? 2 * sc->customs_cap : 4;
        size_t *g = kb_realloc(p->a, sc->customs, 3 * sc->customs_cap * sizeof *g, 3 * ncap * sizeof *g);
        if (!g) return false;
        sc->customs = g;
        sc->customs_cap = ncap;
      }
      sc->customs[3 * sc->ncustoms] = body;
      sc->customs[3 * sc->ncustoms + 1] = body + size;
      sc->customs[3 * sc->ncustoms + 2] = ndefs;
      sc->ncustoms++;
    }
  }
  return true;
}

/* `(@custom "name" "contents")` for each custom section of sc that comes
 * after def defs - 1 and before def defs (every remaining one when last). */
static void customs(text_cprinter *p, const text_cscope *sc, size_t defs, bool last) {
  for (size_t k = 0; k < sc->ncustoms; k++) {
    const size_t *c = &sc->customs[3 * k];
    if (c[2] != defs && !(last && c[2] > defs)) continue;
    text_breader s = {p->ast->bytes, c[0], c[1], false};
    uint32_t nlen;
    const char *nm = br_name(&s, &nlen);
    if (!nm) continue;
    cp_newline(p);
    cp_put(p, "(@custom ");
    text_print_string(p->out, (const uint8_t *)nm, nlen);
    cp_put(p, " ");
    text_print_string(p->out, p->ast->bytes + s.pos, c[1] - s.pos);
    cp_put(p, ")");
  }
}

/* Prints `(component $id? def*)`: the identifier is id when the parent's
 * names give one (has_id), else the component's own name. */
static bool component(text_cprinter *p, const comp_component *c, size_t start, size_t end, const char *id, uint32_t idlen,
                      bool has_id) {
  text_cscope sc;
  memset(&sc, 0, sizeof sc);
  for (int s = 0; s < COMP_SORT_COUNT; s++) kb_map_init(&sc.names.used[s], p->a);
  bool ok = scan(p, start, end, &sc);
  if (!ok) p->out->oom = true;
  cp_put(p, "(component");
  if (has_id) text_print_id(p->out, id, idlen);
  else if (sc.names.self) text_print_id(p->out, sc.names.self, sc.names.self_len);
  p->indent++;
  for (uint32_t k = 0; ok && k < c->ndefs; k++) {
    customs(p, &sc, k, false);
    ok = def(p, &sc, &c->defs[k]);
  }
  if (ok) customs(p, &sc, c->ndefs, true);
  p->indent--;
  cp_put(p, ")");
  if (sc.nested) kb_free(p->a, sc.nested, 2 * sc.nested_cap * sizeof *sc.nested);
  if (sc.customs) kb_free(p->a, sc.customs, 3 * sc.customs_cap * sizeof *sc.customs);
  free_names(p->a, &sc.names);
  return ok;
}

static kumi_error *print_component(const kumi_allocator *a, const comp_ast *ast, size_t len, bool raw_names,
                                   text_buf *b) {
  text_cprinter p;
  memset(&p, 0, sizeof p);
  p.a = a;
  p.ast = ast;
  p.out = b;
  p.raw_names = raw_names;
  if (!component(&p, ast->root, 0, len, NULL, 0, false) && !p.err && !b->oom) p.err = kb_error_oom();
  tb_byte(b, '\n');
  return p.err;
}

static bool has_component_names(const uint8_t *b, size_t len) {
  /* A byte search: a false hit only costs the trial below. */
  static const uint8_t key[] = "\x0e" "component-name";
  for (size_t k = 0; k + 15 <= len; k++)
    if (memcmp(b + k, key, 15) == 0) return true;
  return false;
}

/* The component-name sections print as identifiers when the parser writes
 * them back from those byte for byte, in the same places: tried by
 * printing and parsing the component once. Otherwise (names no identifier
 * can hold, duplicates, an order the parser does not write, ...) they all
 * print as (@custom "component-name") annotations, which replace the
 * parser's own. */
kumi_error *text_print_component(const kumi_allocator *a, const uint8_t *bytes, size_t len, char **out,
                                 size_t *out_len) {
  *out = NULL;
  *out_len = 0;
  kumi_error *e = NULL;
  comp_ast *ast = comp_decode(a, bytes, len, &e);
  if (!ast) return e ? e : kb_error_oom();
  text_buf b;
  tb_init(&b, a);
  bool raw_names = false;
  if (has_component_names(bytes, len)) {
    e = print_component(a, ast, len, false, &b);
    if (!e && b.oom) e = kb_error_oom();
    if (!e) {
      uint8_t *back = NULL;
      size_t back_len = 0;
      kumi_error *pe = text_parse_component(a, (const char *)b.data, b.len, &back, &back_len);
      if (pe) {
        if (kumi_error_kind_of(pe) == KUMI_ERR_OOM) e = kb_error_oom();
        kumi_error_free(pe);
        raw_names = true;
      } else {
        raw_names = back_len != len || memcmp(back, bytes, len) != 0;
        kb_free(a, back, back_len);
      }
    }
    if (e || !raw_names) {
      comp_ast_free(ast);
      return text_print_finish(&b, e, out, out_len);
    }
    b.len = 0;
  }
  e = print_component(a, ast, len, raw_names, &b);
  comp_ast_free(ast);
  return text_print_finish(&b, e, out, out_len);
}
