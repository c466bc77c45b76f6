/* The binary of a parsed module (wat.h: wat_assemble): its sections in
 * order, the `name` section of the identifiers, and the custom sections of
 * the (@custom) annotations (wat_collect_customs) where their placement
 * puts them. Split from wat_module.c, which fills the sections. */
#include "wat.h"

#include <string.h>

static void section(text_buf *out, uint8_t id, const text_buf *content) {
  tb_byte(out, id);
  tb_blob(out, content);
}

static void vec_section(wat_parser *p, text_buf *out, int id) {
  if (p->sec_count[id] == 0) return;
  text_buf s;
  tb_init(&s, p->a);
  tb_u32(&s, p->sec_count[id]);
  tb_bytes(&s, p->sec[id].data, p->sec[id].len);
  if (p->sec[id].oom) s.oom = true;
  section(out, (uint8_t)id, &s);
  tb_free(&s);
}

/* A name map (index, name)* as a subsection's contents. */
static void name_map(text_buf *sub, const wat_name *v, size_t n) {
  tb_u32(sub, (uint32_t)n);
  for (size_t k = 0; k < n; k++) {
    tb_u32(sub, v[k].index);
    tb_name(sub, v[k].name, v[k].len);
  }
}

/* An indirect name map (func, (index, name)*)* from names in function,
 * then index order. */
static void indirect_name_map(text_buf *sub, const wat_lname *v, size_t n) {
  uint32_t funcs = 0;
  for (size_t k = 0; k < n; k++)
    if (k == 0 || v[k].func != v[k - 1].func) funcs++;
  tb_u32(sub, funcs);
  for (size_t k = 0; k < n;) {
    size_t j = k;
    while (j < n && v[j].func == v[k].func) j++;
    tb_u32(sub, v[k].func);
    tb_u32(sub, (uint32_t)(j - k));
    for (; k < j; k++) {
      tb_u32(sub, v[k].index);
      tb_name(sub, v[k].name, v[k].len);
    }
  }
}

/* The `name` section of the identifiers (extended-name-section numbering:
 * 0 module, 1 functions, 2 locals, 3 labels, 4 types, 5 tables, 6
 * memories, 7 globals, 8 element and 9 data segments, 11 tags), each
 * subsection only when it names something, in id order. Nothing when
 * nothing is named. */
static void name_section(wat_parser *p, text_buf *out) {
  /* subsections 4..11; 10 (fields of GC types) names nothing here */
  static const int spaces[] = {WS_TYPE, WS_TABLE, WS_MEM, WS_GLOBAL, WS_ELEM, WS_DATA, -1, WS_TAG};
  text_buf s, sub;
  tb_init(&s, p->a);
  tb_init(&sub, p->a);
  tb_name(&s, "name", 4);
  size_t header = s.len;
  for (uint8_t id = 0; id <= 11; id++) {
    sub.len = 0;
    if (id == 0 && p->module_name) tb_name(&sub, p->module_name, p->module_name_len);
    else if (id == 1 && p->func_names.len) name_map(&sub, p->func_names.items, p->func_names.len);
    else if (id == 2 && p->local_names.len) indirect_name_map(&sub, p->local_names.items, p->local_names.len);
    else if (id == 3 && p->label_names.len) indirect_name_map(&sub, p->label_names.items, p->label_names.len);
    else if (id >= 4 && spaces[id - 4] >= 0 && p->space_ids[spaces[id - 4]].len)
      name_map(&sub, p->space_ids[spaces[id - 4]].items, p->space_ids[spaces[id - 4]].len);
    else continue;
    tb_byte(&s, id);
    tb_blob(&s, &sub);
  }
  if (sub.oom) s.oom = true;
  if (s.len > header) section(out, 0, &s);
  if (s.oom) out->oom = true;
  tb_free(&s);
  tb_free(&sub);
}

/* ---- custom sections: (@custom "name" place? string*) ---- */

/* The sections in binary order; a placement names one of them. */
static const struct {
  const char *kw;
  uint8_t id;
} section_order[] = {{"type", SEC_TYPE},     {"import", SEC_IMPORT},       {"func", SEC_FUNC},   {"table", SEC_TABLE},
                     {"memory", SEC_MEM},    {"tag", SEC_TAG},             {"global", SEC_GLOBAL},       {"export", SEC_EXPORT}, {"start", SEC_START},
                     {"elem", SEC_ELEM},     {"datacount", SEC_DATACOUNT}, {"code", SEC_CODE}, {"data", SEC_DATA}};
enum { NSECTIONS = sizeof section_order / sizeof section_order[0] };

/* Slot of a placement: 0 `(before first)`, 2k+1 before the k-th section
 * of section_order, 2k+2 after it, SLOT_LAST `(after last)` (the default). */
enum { SLOT_LAST = 2 * NSECTIONS + 1 };

static bool custom_slot(wat_parser *p, const text_custom *c, unsigned *slot) {
  *slot = SLOT_LAST;
  if (!c->has_place) return true;
  size_t n = c->anchor_len;
  if (n == 5 && memcmp(c->anchor, "first", 5) == 0 && c->before) return *slot = 0, true;
  if (n == 4 && memcmp(c->anchor, "last", 4) == 0 && !c->before) return true;
  for (unsigned k = 0; k < NSECTIONS; k++)
    if (strlen(section_order[k].kw) == n && memcmp(section_order[k].kw, c->anchor, n) == 0) {
      *slot = 2 * k + (c->before ? 1 : 2);
      return true;
    }
  if (!p->err) p->err = text_error_at(p->a, p->src, p->srclen, c->anchor_pos, "custom annotation: malformed placement");
  return false;
}

/* Collects the (@custom) annotations in the source between the token
 * before the cursor and the cursor's. */
bool wat_collect_customs(wat_parser *p) {
  size_t from = p->i ? p->t[p->i - 1].pos + p->t[p->i - 1].len : 0, to = wat_tok(p)->pos;
  while (from < to) {
    text_custom c;
    bool found;
    kumi_error *e = text_next_custom(p->ar, p->src, &from, to, &c, &found);
    if (e) {
      if (!p->err) p->err = e;
      else kumi_error_free(e);
      return false;
    }
    if (!found) break;
    unsigned slot;
    if (!custom_slot(p, &c, &slot)) return false;
    if (!kb_vec_push(p->a, &p->customs, c)) return wat_oom(p);
  }
  return true;
}

static void customs_at(wat_parser *p, text_buf *out, unsigned slot) {
  for (size_t k = 0; k < p->customs.len; k++) {
    const text_custom *c = &p->customs.items[k];
    unsigned s;
    if (!custom_slot(p, c, &s) || s != slot) continue;
    text_buf b;
    tb_init(&b, p->a);
    tb_name(&b, c->name, c->name_len);
    tb_bytes(&b, c->bytes, c->len);
    section(out, 0, &b);
    if (b.oom) out->oom = true;
    tb_free(&b);
  }
}

/* True when a (@custom "name") stands for the name section: the parser
 * then writes none from the identifiers. */
static bool has_custom_names(const wat_parser *p) {
  for (size_t k = 0; k < p->customs.len; k++)
    if (p->customs.items[k].name_len == 4 && memcmp(p->customs.items[k].name, "name", 4) == 0) return true;
  return false;
}

static bool writes_datacount(const wat_parser *p) { return p->uses_data_count && p->sec_count[SEC_DATA]; }

static bool writes_section(const wat_parser *p, uint8_t id) {
  if (id == SEC_TYPE) return p->types.len != 0;
  if (id == SEC_START) return p->has_start;
  if (id == SEC_DATACOUNT) return writes_datacount(p);
  return p->sec_count[id] != 0;
}

static void write_section(wat_parser *p, text_buf *out, uint8_t id) {
  if (id == SEC_TYPE) {
    if (!p->types.len) return;
    text_buf s;
    tb_init(&s, p->a);
    tb_u32(&s, (uint32_t)p->types.len);
    for (size_t k = 0; k < p->types.len; k++) {
      const wat_functype *ft = &p->types.items[k];
      tb_byte(&s, 0x60);
      tb_name(&s, ft->types, ft->nparams);
      tb_name(&s, ft->types ? ft->types + ft->nparams : NULL, ft->nresults);
    }
    section(out, SEC_TYPE, &s);
    tb_free(&s);
  } else if (id == SEC_START) {
    if (p->has_start) section(out, SEC_START, &p->sec[SEC_START]);
  } else if (id == SEC_DATACOUNT) {
    if (!writes_datacount(p)) return;
    text_buf s;
    tb_init(&s, p->a);
    tb_u32(&s, p->sec_count[SEC_DATA]);
    section(out, SEC_DATACOUNT, &s);
    tb_free(&s);
  } else {
    vec_section(p, out, id);
  }
}

/* The sections in order, each custom section where its placement puts it.
 * The name section of the identifiers (unless a (@custom "name") replaces
 * it) comes right after the last other section, before the custom
 * sections placed after that one. */
void wat_assemble(wat_parser *p, text_buf *out) {
  static const uint8_t header[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  tb_bytes(out, header, 8);
  int last = -1;
  for (int k = 0; k < (int)NSECTIONS; k++)
    if (writes_section(p, section_order[k].id)) last = k;
  bool names = !has_custom_names(p);
  customs_at(p, out, 0);
  if (last < 0 && names) name_section(p, out);
  for (int k = 0; k < (int)NSECTIONS; k++) {
    customs_at(p, out, 2 * (unsigned)k + 1);
    write_section(p, out, section_order[k].id);
    if (k == last && names) name_section(p, out);
    customs_at(p, out, 2 * (unsigned)k + 2);
  }
  customs_at(p, out, SLOT_LAST);
}
