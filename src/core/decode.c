/* The core binary decoder: bytes -> core_module (module.h). It checks what
 * the binary format requires and nothing more; validity is validate.c's
 * job. Function bodies are only located here (their instructions are read
 * by the validator), while constant expressions are scanned to find their
 * end. Error messages follow the spec interpreter's wording, and every
 * error carries the byte offset where it was detected. */
#include "instr.h"

/* A cursor over the module's bytes, bounded by `end`. Like the spec
 * interpreter, section contents are read up to the end of the module, and a
 * section that reads past its declared size fails the size check when it
 * is done; so the error is the one found first in reading order. Only
 * custom sections and the name section's subsections are read bounded. */
typedef struct rd {
  core_module *m;
  const uint8_t *b;
  size_t pos, end;
  bool in_section; /* reading past `end` is then the section's fault */
  bool quiet;      /* record no error value (the name section) */
  kumi_error *err;
  uint32_t nbodies; /* code entries read and stored in funcs */
} rd;

static const char MSG_END[] = "unexpected end";
static const char MSG_SECTION_END[] = "unexpected end of section or function";

/* Records an error (the first one wins) and returns false. */
static bool fail(rd *r, size_t offset, const char *msg) {
  if (r->quiet || r->err) return false;
  if (r->in_section && strcmp(msg, MSG_END) == 0) msg = MSG_SECTION_END;
  r->err = kb_error(r->m->alloc, KUMI_ERR_MALFORMED, offset, "%s", msg);
  if (!r->err) r->err = kb_error_oom();
  return false;
}

/* Takes over an error from core_read_instr. */
static bool fail_with(rd *r, kumi_error *e) {
  if (r->quiet || r->err) {
    kumi_error_free(e);
    return false;
  }
  if (r->in_section && kumi_error_kind_of(e) == KUMI_ERR_MALFORMED && strcmp(kumi_error_message(e), MSG_END) == 0) {
    uint64_t off = kumi_error_offset(e);
    kumi_error_free(e);
    return fail(r, (size_t)off, MSG_SECTION_END);
  }
  r->err = e;
  return false;
}

static bool oom(rd *r) {
  if (!r->quiet && !r->err) r->err = kb_error_oom();
  return false;
}

/* A zeroed arena array of n elements of size sz; NULL when n is 0 or on
 * OOM. */
static void *arena_array(rd *r, size_t n, size_t sz) {
  if (n == 0 || n > SIZE_MAX / sz) return NULL;
  return kb_arena_alloc(&r->m->arena, n * sz);
}

/* Points ptr at a zeroed array of n elements (NULL when n is 0); false on
 * OOM. */
#define ALLOC_ARRAY(r, ptr, n) (((ptr) = arena_array((r), (n), sizeof *(ptr))) != NULL || (n) == 0 || oom(r))

/* ---- primitive values ----------------------------------------------------- */

static bool rd_byte(rd *r, uint8_t *out) {
  if (r->pos >= r->end) return fail(r, r->pos, MSG_END);
  *out = r->b[r->pos++];
  return true;
}

static bool rd_leb(rd *r, unsigned bits, uint64_t *out) {
  const char *why;
  size_t at = r->pos;
  if (!kb_leb_u(r->b, r->end, &r->pos, bits, out, &why)) return fail(r, at, why);
  return true;
}

static bool rd_u32(rd *r, uint32_t *out) {
  uint64_t v;
  if (!rd_leb(r, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

/* A vector's element count. Every element takes at least one byte, so a
 * count beyond the module's size cannot be right; refusing it here bounds
 * what the decoder allocates to a small multiple of the module's size. */
static bool rd_count(rd *r, uint32_t *out) {
  size_t at = r->pos;
  if (!rd_u32(r, out)) return false;
  if (*out > r->m->len) return fail(r, at, "length out of bounds");
  return true;
}

/* A name: a byte vector of well-formed UTF-8, copied NUL-terminated. */
static bool rd_name(rd *r, char **out, uint32_t *out_len) {
  size_t at = r->pos;
  uint32_t n;
  if (!rd_u32(r, &n)) return false;
  if (n > r->m->len - r->pos) return fail(r, at, "length out of bounds");
  if (n > r->end - r->pos) return fail(r, r->end, MSG_END);
  if (!kb_utf8_valid(r->b + r->pos, n)) return fail(r, at, "malformed UTF-8 encoding");
  char *s = kb_arena_strndup(&r->m->arena, (const char *)r->b + r->pos, n);
  if (!s) return oom(r);
  r->pos += n;
  *out = s;
  if (out_len) *out_len = n;
  return true;
}

/* Type codes are single bytes; the spec reads them as 7-bit signed LEBs,
 * hence the message for a continuation bit. */
static bool rd_typecode(rd *r, uint8_t *out) {
  size_t at = r->pos;
  if (!rd_byte(r, out)) return false;
  if (*out & 0x80) return fail(r, at, "integer representation too long");
  return true;
}

/* v128 is a value type only with SIMD. */
static bool rd_valtype(rd *r, core_valtype *out) {
  size_t at = r->pos;
  uint8_t t;
  if (!rd_typecode(r, &t)) return false;
  if (!core_is_valtype(t) || (t == CORE_V128 && !(r->m->features & KUMI_FEATURE_SIMD)) ||
      (t == CORE_EXNREF && !(r->m->features & KUMI_FEATURE_EXCEPTIONS)))
    return fail(r, at, "malformed value type");
  *out = t;
  return true;
}

static bool rd_reftype(rd *r, core_valtype *out) {
  size_t at = r->pos;
  uint8_t t;
  if (!rd_typecode(r, &t)) return false;
  if (!core_is_reftype(t) || (t == CORE_EXNREF && !(r->m->features & KUMI_FEATURE_EXCEPTIONS)))
    return fail(r, at, "malformed reference type");
  *out = t;
  return true;
}

/* limits: a flag (0 = min only, 1 = min and max; read as a 1-bit LEB, so
 * other values are "integer too large"), then u32 bounds. */
static bool rd_limits(rd *r, core_limits *out) {
  uint64_t flag;
  uint32_t v;
  if (!rd_leb(r, 1, &flag)) return false;
  if (!rd_u32(r, &v)) return false;
  out->min = v;
  out->has_max = flag == 1;
  out->max = 0;
  if (out->has_max) {
    if (!rd_u32(r, &v)) return false;
    out->max = v;
  }
  return true;
}

static bool rd_tabletype(rd *r, core_tabletype *out) {
  return rd_reftype(r, &out->elem) && rd_limits(r, &out->limits);
}

static bool rd_globaltype(rd *r, core_globaltype *out) {
  if (!rd_valtype(r, &out->type)) return false;
  size_t at = r->pos;
  uint8_t mut;
  if (!rd_byte(r, &mut)) return false;
  if (mut > 1) return fail(r, at, "malformed mutability");
  out->mut = mut == 1;
  return true;
}

/* A constant expression: instructions up to the `end` that closes it. Its
 * instructions are checked by the validator; here they are only read. */
static bool rd_expr(rd *r, core_expr *out) {
  out->start = (uint32_t)r->pos;
  uint32_t depth = 0;
  for (;;) {
    core_instr in;
    kumi_error *e = core_read_instr_with(r->m->alloc, r->b, &r->pos, r->end, r->m->features, &in);
    if (e) return fail_with(r, e);
    if (in.op == CORE_OP_BLOCK || in.op == CORE_OP_LOOP || in.op == CORE_OP_IF) {
      depth++;
    } else if (in.op == CORE_OP_END) {
      if (depth == 0) break;
      depth--;
    }
  }
  out->end = (uint32_t)r->pos;
  return true;
}

/* ---- index spaces ------------------------------------------------------------
 * Imported entities come first in each index space. The import section
 * precedes the sections that define entities, so a space is built when its
 * defining section is read (or at the end, when that section is absent). */

static bool build_funcs(rd *r, uint32_t ndefined) {
  core_module *m = r->m;
  m->nfuncs = m->nimported_funcs + ndefined;
  if (!ALLOC_ARRAY(r, m->funcs, m->nfuncs)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == CORE_EXTERN_FUNC) m->funcs[k++].type = m->imports[i].desc.func_type;
  return true;
}

static bool build_tables(rd *r, uint32_t ndefined) {
  core_module *m = r->m;
  m->ntables = m->nimported_tables + ndefined;
  if (!ALLOC_ARRAY(r, m->tables, m->ntables)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == CORE_EXTERN_TABLE) m->tables[k++] = m->imports[i].desc.table;
  return true;
}

static bool build_memories(rd *r, uint32_t ndefined) {
  core_module *m = r->m;
  m->nmemories = m->nimported_memories + ndefined;
  if (!ALLOC_ARRAY(r, m->memories, m->nmemories)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == CORE_EXTERN_MEMORY) m->memories[k++] = m->imports[i].desc.memory;
  return true;
}

static bool build_globals(rd *r, uint32_t ndefined) {
  core_module *m = r->m;
  m->nglobals = m->nimported_globals + ndefined;
  if (!ALLOC_ARRAY(r, m->globals, m->nglobals)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == CORE_EXTERN_GLOBAL) m->globals[k++].type = m->imports[i].desc.global;
  return true;
}

static bool build_tags(rd *r, uint32_t ndefined) {
  core_module *m = r->m;
  m->ntags = m->nimported_tags + ndefined;
  if (!ALLOC_ARRAY(r, m->tags, m->ntags)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind == CORE_EXTERN_TAG) m->tags[k++] = m->imports[i].desc.tag_type;
  return true;
}

/* tagtype: an attribute byte (0: exception), then a type index. */
static bool rd_tagtype(rd *r, uint32_t *type) {
  size_t at = r->pos;
  uint8_t attr;
  if (!rd_byte(r, &attr)) return false;
  if (attr != 0) return fail(r, at, "malformed tag attribute");
  return rd_u32(r, type);
}

static bool sec_tag(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !build_tags(r, n)) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_tagtype(r, &m->tags[m->nimported_tags + i])) return false;
  return true;
}

/* ---- sections ------------------------------------------------------------------ */

static bool sec_type(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !ALLOC_ARRAY(r, m->types, n)) return false;
  m->ntypes = n;
  for (uint32_t i = 0; i < n; i++) {
    size_t at = r->pos;
    uint8_t form;
    if (!rd_typecode(r, &form)) return false;
    if (form != 0x60) return fail(r, at, "malformed function type");
    /* Value types are single bytes: params and results are runs of the
     * module's bytes, checked here and copied into one array. */
    uint32_t np, nr;
    if (!rd_count(r, &np)) return false;
    size_t params = r->pos;
    for (uint32_t k = 0; k < np; k++) {
      core_valtype t;
      if (!rd_valtype(r, &t)) return false;
    }
    if (!rd_count(r, &nr)) return false;
    size_t results = r->pos;
    for (uint32_t k = 0; k < nr; k++) {
      core_valtype t;
      if (!rd_valtype(r, &t)) return false;
    }
    core_functype *ft = &m->types[i];
    ft->nparams = np;
    ft->nresults = nr;
    if (!ALLOC_ARRAY(r, ft->types, (size_t)np + nr)) return false;
    if (np) memcpy(ft->types, r->b + params, np);
    if (nr) memcpy(ft->types + np, r->b + results, nr);
  }
  return true;
}

static bool sec_import(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !ALLOC_ARRAY(r, m->imports, n)) return false;
  m->nimports = n;
  for (uint32_t i = 0; i < n; i++) {
    core_import *im = &m->imports[i];
    if (!rd_name(r, &im->module, &im->module_len) || !rd_name(r, &im->name, &im->name_len)) return false;
    size_t at = r->pos;
    if (!rd_byte(r, &im->kind)) return false;
    switch (im->kind) {
    case CORE_EXTERN_FUNC:
      if (!rd_u32(r, &im->desc.func_type)) return false;
      m->nimported_funcs++;
      break;
    case CORE_EXTERN_TABLE:
      if (!rd_tabletype(r, &im->desc.table)) return false;
      m->nimported_tables++;
      break;
    case CORE_EXTERN_MEMORY:
      if (!rd_limits(r, &im->desc.memory.limits)) return false;
      m->nimported_memories++;
      break;
    case CORE_EXTERN_GLOBAL:
      if (!rd_globaltype(r, &im->desc.global)) return false;
      m->nimported_globals++;
      break;
    case CORE_EXTERN_TAG:
      if (!(m->features & KUMI_FEATURE_EXCEPTIONS)) return fail(r, at, "malformed import kind");
      if (!rd_tagtype(r, &im->desc.tag_type)) return false;
      m->nimported_tags++;
      break;
    default:
      return fail(r, at, "malformed import kind");
    }
  }
  return true;
}

static bool sec_function(rd *r, uint32_t *ndefined) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !build_funcs(r, n)) return false;
  *ndefined = n;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_u32(r, &m->funcs[m->nimported_funcs + i].type)) return false;
  return true;
}

static bool sec_table(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !build_tables(r, n)) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_tabletype(r, &m->tables[m->nimported_tables + i])) return false;
  return true;
}

static bool sec_memory(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !build_memories(r, n)) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_limits(r, &m->memories[m->nimported_memories + i].limits)) return false;
  return true;
}

static bool sec_global(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !build_globals(r, n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    core_global *g = &m->globals[m->nimported_globals + i];
    if (!rd_globaltype(r, &g->type) || !rd_expr(r, &g->init)) return false;
  }
  return true;
}

static bool sec_export(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !ALLOC_ARRAY(r, m->exports, n)) return false;
  m->nexports = n;
  for (uint32_t i = 0; i < n; i++) {
    core_export *ex = &m->exports[i];
    if (!rd_name(r, &ex->name, &ex->name_len)) return false;
    size_t at = r->pos;
    if (!rd_byte(r, &ex->kind)) return false;
    if (ex->kind > CORE_EXTERN_TAG || (ex->kind == CORE_EXTERN_TAG && !(m->features & KUMI_FEATURE_EXCEPTIONS)))
      return fail(r, at, "malformed export kind");
    if (!rd_u32(r, &ex->index)) return false;
  }
  return true;
}

static bool sec_start(rd *r) {
  r->m->has_start = true;
  return rd_u32(r, &r->m->start);
}

/* Element segments, by their flags (a u32): bit 0 set means passive, or
 * with bit 1 declarative; clear means active, with an explicit table index
 * when bit 1 is set. Bit 2 selects expressions over function indices. Only
 * flags 0 and 4 omit the element type (funcref). */
static bool rd_elem(rd *r, core_elem *el) {
  el->offset_in_module = (uint32_t)r->pos;
  size_t at = r->pos;
  uint32_t flags;
  if (!rd_u32(r, &flags)) return false;
  if (flags > 7) return fail(r, at, "malformed elements segment kind");
  el->mode = (flags & 1) ? ((flags & 2) ? CORE_SEG_DECLARATIVE : CORE_SEG_PASSIVE) : CORE_SEG_ACTIVE;
  if (el->mode == CORE_SEG_ACTIVE) {
    if ((flags & 2) && !rd_u32(r, &el->table)) return false;
    if (!rd_expr(r, &el->offset)) return false;
  }
  el->type = CORE_FUNCREF;
  if (flags & 3) {
    if (flags & 4) {
      if (!rd_reftype(r, &el->type)) return false;
    } else {
      size_t kat = r->pos;
      uint8_t kind;
      if (!rd_byte(r, &kind)) return false;
      if (kind != 0x00) return fail(r, kat, "malformed element kind");
    }
  }
  uint32_t n;
  if (!rd_count(r, &n)) return false;
  el->count = n;
  if (flags & 4) {
    if (!ALLOC_ARRAY(r, el->exprs, n)) return false;
    for (uint32_t i = 0; i < n; i++)
      if (!rd_expr(r, &el->exprs[i])) return false;
  } else {
    if (!ALLOC_ARRAY(r, el->funcs, n)) return false;
    for (uint32_t i = 0; i < n; i++)
      if (!rd_u32(r, &el->funcs[i])) return false;
  }
  return true;
}

static bool sec_elem(rd *r) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n) || !ALLOC_ARRAY(r, m->elems, n)) return false;
  m->nelems = n;
  for (uint32_t i = 0; i < n; i++)
    if (!rd_elem(r, &m->elems[i])) return false;
  return true;
}

static bool sec_datacount(rd *r) {
  r->m->has_data_count = true;
  return rd_u32(r, &r->m->data_count);
}

/* One code entry: size, locals (runs of count and type, expanded), body. */
static bool rd_code(rd *r, core_func *f) {
  size_t at = r->pos;
  uint32_t size;
  if (!rd_u32(r, &size)) return false;
  if (size > r->m->len - r->pos) return fail(r, at, "length out of bounds");
  size_t entry_end = r->pos + size;

  /* First pass: count, so that the limit is checked before allocating. */
  uint32_t nruns;
  size_t locals_at = r->pos;
  if (!rd_count(r, &nruns)) return false;
  size_t runs = r->pos;
  uint64_t total = 0;
  for (uint32_t i = 0; i < nruns; i++) {
    uint32_t count;
    core_valtype t;
    if (!rd_u32(r, &count) || !rd_valtype(r, &t)) return false;
    total += count;
    if (total > CORE_MAX_LOCALS) return fail(r, locals_at, "too many locals");
  }
  size_t body = r->pos;
  if (body > entry_end) return fail(r, entry_end, "section size mismatch");
  f->nlocals = (uint32_t)total;
  if (!ALLOC_ARRAY(r, f->local_types, total)) return false;
  size_t k = 0;
  r->pos = runs;
  for (uint32_t i = 0; i < nruns; i++) {
    uint32_t count;
    core_valtype t;
    if (!rd_u32(r, &count) || !rd_valtype(r, &t)) return false;
    if (count) memset(f->local_types + k, t, count);
    k += count;
  }
  /* The instructions, ending with `end` at body_end - 1, are read and
   * checked by the validator. */
  f->body_start = (uint32_t)body;
  f->body_end = (uint32_t)entry_end;
  r->pos = entry_end;
  return true;
}

/* The code section. A count that differs from the function section's is
 * reported after the last section, as the spec does (so that a duplicate
 * code section is reported as such); extra entries are read and dropped. */
static bool sec_code(rd *r, bool have_funcs, uint32_t ndefined, uint32_t *ncode) {
  core_module *m = r->m;
  uint32_t n;
  if (!rd_count(r, &n)) return false;
  *ncode = n;
  if (!have_funcs && !build_funcs(r, 0)) return false;
  for (uint32_t i = 0; i < n; i++) {
    core_func scratch = {0};
    if (!rd_code(r, i < ndefined ? &m->funcs[m->nimported_funcs + i] : &scratch)) return false;
    if (i < ndefined) r->nbodies = i + 1;
  }
  return true;
}

static bool sec_data(rd *r) {
  core_module *m = r->m;
  size_t at = r->pos;
  uint32_t n;
  if (!rd_count(r, &n)) return false;
  if (m->has_data_count && n != m->data_count)
    return fail(r, at, "data count and data section have inconsistent lengths");
  if (!ALLOC_ARRAY(r, m->datas, n)) return false;
  m->ndatas = n;
  for (uint32_t i = 0; i < n; i++) {
    core_data *d = &m->datas[i];
    size_t fat = r->pos;
    uint32_t flags;
    if (!rd_u32(r, &flags)) return false;
    if (flags > 2) return fail(r, fat, "malformed data segment kind");
    d->mode = flags == 1 ? CORE_SEG_PASSIVE : CORE_SEG_ACTIVE;
    if (flags == 2 && !rd_u32(r, &d->memory)) return false;
    if (d->mode == CORE_SEG_ACTIVE && !rd_expr(r, &d->offset)) return false;
    uint32_t len;
    if (!rd_u32(r, &len)) return false;
    if (len > r->end - r->pos) return fail(r, r->end, MSG_END);
    d->start = (uint32_t)r->pos;
    d->len = len;
    r->pos += len;
  }
  return true;
}

/* When decoding failed after some function bodies, the spec interpreter
 * would have read those bodies first (it decodes instructions as it goes)
 * and reported their error instead. To give the same first error, the
 * bodies are read here, only on that failure path: each from its start to
 * the `end` closing it, like the spec, possibly past its declared size. */
static kumi_error *first_body_error(core_module *m, uint32_t nbodies) {
  for (uint32_t i = 0; i < nbodies; i++) {
    const core_func *f = &m->funcs[m->nimported_funcs + i];
    size_t pos = f->body_start;
    uint64_t depth = 0;
    for (;;) {
      core_instr in;
      kumi_error *e = core_read_instr_with(m->alloc, m->bytes, &pos, m->len, m->features, &in);
      if (e) return e;
      if (in.op == CORE_OP_BLOCK || in.op == CORE_OP_LOOP || in.op == CORE_OP_IF) {
        depth++;
      } else if (in.op == CORE_OP_END) {
        if (depth == 0) break;
        depth--;
      }
    }
    if (pos != f->body_end) {
      kumi_error *e = kb_error(m->alloc, KUMI_ERR_MALFORMED, f->body_end, "section size mismatch");
      return e ? e : kb_error_oom();
    }
  }
  return NULL;
}

/* ---- the name section ---------------------------------------------------------
 * Only for messages and backtraces: a malformed name section is ignored,
 * never an error. Reads the module name (subsection 0) and function names
 * (subsection 1); other subsections are skipped. */

static bool name_subsections(rd *r) {
  core_module *m = r->m;
  while (r->pos < r->end) {
    uint8_t id;
    uint32_t size;
    if (!rd_byte(r, &id) || !rd_u32(r, &size)) return false;
    if (size > r->end - r->pos) return false;
    size_t outer = r->end;
    r->end = r->pos + size;
    if (id == 0) {
      if (!rd_name(r, &m->name, NULL)) return false;
    } else if (id == 1) {
      uint32_t n;
      if (!rd_count(r, &n)) return false;
      for (uint32_t i = 0; i < n; i++) {
        uint32_t idx;
        char *name;
        if (!rd_u32(r, &idx) || !rd_name(r, &name, NULL)) return false;
        if (idx < m->nfuncs && !m->funcs[idx].name) m->funcs[idx].name = name;
      }
    } else {
      r->pos = r->end;
    }
    if (r->pos != r->end) return false;
    r->end = outer;
  }
  return true;
}

static void name_section(core_module *m, size_t start, size_t end) {
  rd r = {.m = m, .b = m->bytes, .pos = start, .end = end, .quiet = true};
  if (name_subsections(&r)) return;
  m->name = NULL;
  for (uint32_t i = 0; i < m->nfuncs; i++) m->funcs[i].name = NULL;
}

/* ---- the module ------------------------------------------------------------------ */

/* Position of each known section id in the required order (0: custom,
 * allowed anywhere; the data count section sits before code). */
static const uint8_t section_rank[14] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6}; /* tag (13) after memory */

static bool decode(rd *r) {
  core_module *m = r->m;
  static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6D};
  static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
  if (m->len < 4) return fail(r, m->len, MSG_END);
  if (memcmp(m->bytes, magic, 4) != 0) return fail(r, 0, "magic header not detected");
  if (m->len < 8) return fail(r, m->len, MSG_END);
  if (memcmp(m->bytes + 4, version, 4) != 0) return fail(r, 4, "unknown binary version");
  r->pos = 8;

  unsigned last_rank = 0;
  bool have_funcs = false, have_tables = false, have_memories = false, have_globals = false;
  bool have_data = false, have_tags = false;
  uint32_t ndefined_funcs = 0, ncode = 0;
  size_t names_start = 0, names_end = 0;
  bool have_names = false;

  while (r->pos < m->len) {
    r->end = m->len;
    r->in_section = false;
    size_t id_at = r->pos;
    uint8_t id = r->b[r->pos++];
    if (id > 13 || (id == 13 && !(m->features & KUMI_FEATURE_EXCEPTIONS))) return fail(r, id_at, "malformed section id");
    size_t size_at = r->pos;
    uint32_t size;
    if (!rd_u32(r, &size)) return false;
    if (size > m->len - r->pos) return fail(r, size_at, "length out of bounds");
    if (id != 0) {
      if (section_rank[id] <= last_rank) return fail(r, id_at, "unexpected content after last section");
      last_rank = section_rank[id];
    }
    size_t section_end = r->pos + size;
    r->in_section = true;
    bool ok = true;
    switch (id) {
    case 0: {
      char *name;
      uint32_t name_len;
      r->end = section_end;
      ok = rd_name(r, &name, &name_len);
      if (ok && !have_names && name_len == 4 && memcmp(name, "name", 4) == 0) {
        have_names = true;
        names_start = r->pos;
        names_end = section_end;
      }
      r->pos = section_end;
      r->end = m->len;
      break;
    }
    case 1: ok = sec_type(r); break;
    case 2: ok = sec_import(r); break;
    case 3:
      have_funcs = true;
      ok = sec_function(r, &ndefined_funcs);
      break;
    case 4:
      have_tables = true;
      ok = sec_table(r);
      break;
    case 5:
      have_memories = true;
      ok = sec_memory(r);
      break;
    case 6:
      have_globals = true;
      ok = sec_global(r);
      break;
    case 7: ok = sec_export(r); break;
    case 8: ok = sec_start(r); break;
    case 9: ok = sec_elem(r); break;
    case 10:
      ok = sec_code(r, have_funcs, ndefined_funcs, &ncode);
      have_funcs = true;
      break;
    case 11:
      have_data = true;
      ok = sec_data(r);
      break;
    case 12: ok = sec_datacount(r); break;
    case 13:
      have_tags = true;
      ok = sec_tag(r);
      break;
    }
    if (!ok) return false;
    if (r->pos != section_end) return fail(r, section_end, "section size mismatch");
  }
  r->in_section = false;
  r->end = m->len;

  if (ncode != ndefined_funcs)
    return fail(r, m->len, "function and code section have inconsistent lengths");
  if (!have_data && m->has_data_count && m->data_count != 0)
    return fail(r, m->len, "data count and data section have inconsistent lengths");
  if (!have_funcs && !build_funcs(r, 0)) return false;
  if (!have_tables && !build_tables(r, 0)) return false;
  if (!have_memories && !build_memories(r, 0)) return false;
  if (!have_globals && !build_globals(r, 0)) return false;
  if (!have_tags && !build_tags(r, 0)) return false;
  if (have_names) name_section(m, names_start, names_end);
  return true;
}

core_module *core_module_decode(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_error **err) {
  return core_module_decode_with(a, bytes, len, KUMI_FEATURES_DEFAULT, err);
}

core_module *core_module_decode_with(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_features features,
                                     kumi_error **err) {
  *err = NULL;
  if (len > UINT32_MAX) {
    /* Offsets in core_module are 32-bit. */
    *err = kb_error(a, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "module too large (%zu bytes)", len);
    if (!*err) *err = kb_error_oom();
    return NULL;
  }
  core_module *m = kb_zalloc(a, sizeof *m);
  if (!m) {
    *err = kb_error_oom();
    return NULL;
  }
  m->alloc = a;
  m->features = features;
  kb_arena_init(&m->arena, a);
  m->bytes = kb_alloc(a, len ? len : 1);
  if (!m->bytes) {
    kb_free(a, m, sizeof *m);
    *err = kb_error_oom();
    return NULL;
  }
  if (len) memcpy(m->bytes, bytes, len);
  m->len = len;

  rd r = {.m = m, .b = m->bytes};
  if (!decode(&r)) {
    *err = r.err ? r.err : kb_error_oom();
    if (r.nbodies && kumi_error_kind_of(*err) == KUMI_ERR_MALFORMED) {
      kumi_error *first = first_body_error(m, r.nbodies);
      if (first) {
        kumi_error_free(*err);
        *err = first;
      }
    }
    core_module_free(m);
    return NULL;
  }
  return m;
}
