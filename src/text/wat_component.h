/* The component parser of the text format: internal contract between
 * wat_component.c (components, scopes, index spaces, definitions) and
 * wat_component_types.c (type definitions, value types, extern
 * descriptions). The parser makes one pass in textual order: every
 * definition takes the next index of its space when it is emitted, and
 * identifiers may only name earlier definitions (the Component Model has no
 * forward references). Abbreviations that stand for extra definitions
 * (inline types, `(func $i "name")` aliases, inline exports, implicit outer
 * aliases) emit those definitions first, into the current scope. */
#ifndef KUMI_TEXT_WAT_COMPONENT_H
#define KUMI_TEXT_WAT_COMPONENT_H

#include "wat.h"

/* Index spaces of a component scope. */
enum {
  CS_CFUNC, CS_CTABLE, CS_CMEM, CS_CGLOBAL, CS_CTAG, CS_CTYPE, CS_CMODULE, CS_CINST,
  CS_FUNC, CS_VALUE, CS_TYPE, CS_COMP, CS_INST, CS_COUNT
};

/* What a scope is: its definitions go to sections (a component) or are
 * declarators of a type. */
enum { SC_COMPONENT, SC_COMPTYPE, SC_INSTTYPE, SC_MODTYPE };

/* An inline export, emitted at the end of its component (where wasm-tools
 * puts them, so numeric indices agree with its encoding). */
typedef struct wc_pending_export {
  size_t tok; /* the name token */
  int cs;
  uint32_t index;
} wc_pending_export;

/* An identifier bound in a component, for its `component-name` section. */
typedef struct wc_named {
  int cs;
  uint32_t index;
  const text_token *id;
} wc_named;

typedef struct wc_scope {
  struct wc_scope *parent;
  int kind;
  const text_token *id; /* the scope's identifier, or NULL */
  kb_map names[CS_COUNT];
  uint32_t count[CS_COUNT];
  /* SC_COMPONENT: the sections so far, and the section being filled. */
  text_buf out;
  int sec; /* id of the open section, or -1 */
  uint32_t sec_n;
  text_buf sec_buf;
  bool has_start;
  kb_map functypes; /* SC_MODTYPE: encoded core function type -> index + 1 */
  KB_VEC(wc_pending_export) pending;
  KB_VEC(wc_named) named;
  /* SC_COMPONENT: (@custom) annotations after the last definition (the
   * custom sections that follow the component-name section), and whether
   * a (@custom "component-name") replaces the one of the identifiers. */
  text_buf trailing;
  bool custom_names;
  /* Type scopes: the declarators. */
  uint32_t ndecls;
  text_buf decls;
} wc_scope;

typedef struct wc_parser {
  wat_parser w; /* tokens, cursor, error (the wat_* helpers work on it) */
  wc_scope *sc;
  unsigned depth;
  const text_token *type_id; /* identifier of the type being defined (outer alias scopes) */
} wc_parser;

/* Token indices of inline exports `(export "name" attr*)`. */
typedef KB_VEC(size_t) wc_toks;

#define WC(p) (&(p)->w)

/* ---- scopes, references, names (wat_component_scope.c) ---- */
void wc_scope_init(wc_parser *p, wc_scope *s, int kind, const text_token *id);
void wc_scope_free(wc_scope *s);
/* Appends one definition of section sec (component scope) or one
 * declarator (type scopes: item already starts with its declarator byte). */
bool wc_emit(wc_parser *p, int sec, const text_buf *item);
/* Takes the next index of space cs in the current scope, binding token k
 * (an identifier, or SIZE_MAX for none). */
bool wc_bind(wc_parser *p, int cs, size_t k, uint32_t *index);
/* An index of space cs at the cursor: a number or an identifier (found in
 * an enclosing scope, an identifier is brought in by an outer alias). */
bool wc_index(wc_parser *p, int cs, uint32_t *out);
/* A reference to an item of space cs: `idx`, `idx "name"+` (export
 * aliases), or the form `(sort idx "name"*)` when paren is true. */
bool wc_ref(wc_parser *p, int cs, bool paren, uint32_t *out);
/* The sort keyword(s) at the cursor ("core func", "type", ...) as a space;
 * -1 (no error) when there are none. */
int wc_sort(wc_parser *p);
/* Encodes the sort of space cs (component sortidx sort). */
void wc_put_sort(text_buf *b, int cs);
/* A name string at the cursor (valid UTF-8). */
bool wc_name(wc_parser *p, text_buf *b);
/* An identifier token at the cursor is skipped and its index returned
 * (SIZE_MAX when there is none). */
size_t wc_opt_id(wc_parser *p);
bool wc_fail_oom(wc_parser *p, text_buf *b);
/* The name of each space, for messages ("core func", "type", ...). */
extern const char *const wc_space_names[CS_COUNT];
/* The core:sort byte of each core space (CS_CFUNC .. CS_CINST). */
extern const uint8_t wc_core_sort_byte[8];
/* The token after name attributes `( implements|versionsuffix|external-id
 * "..." )` starting at token k. */
size_t wc_skip_attrs(const wat_parser *w, size_t k);
/* Emits the component's pending inline exports (at its end). */
bool wc_emit_pending_exports(wc_parser *p);
/* Appends the scope's component binary to out: preamble, sections and the
 * `component-name` section. */
void wc_finish_component(wc_scope *s, text_buf *out);
/* The (@custom "name" string*) annotations in the source before the
 * cursor's token (since the previous token) as custom sections of the
 * component: in place, or (trailing: before the component's ')') after its
 * component-name section. A placement (before/after) is an error in a
 * component: sections there have no fixed order. */
bool wc_customs(wc_parser *p, bool trailing);

/* ---- types (wat_component_types.c) ---- */
/* `(type id? deftype)` at the cursor (a definition or declarator). */
bool wc_type_def(wc_parser *p);
/* `(core type id? ...)` at the cursor. */
bool wc_core_type_def(wc_parser *p);
/* `(core rec ...)` (or `(rec ...)` in a module type) at the cursor. */
bool wc_core_rec(wc_parser *p);
/* A value type at the cursor: a primitive, an index or an inline defined
 * type (emitted first as its own type definition). */
bool wc_valtype(wc_parser *p, text_buf *b);
/* A type use for sort cs (func, component, instance, core module):
 * `(type idx)` or an inline type emitted first; the type index. Stops at
 * the first token it does not take (before ')'). */
bool wc_typeuse(wc_parser *p, int cs, uint32_t *type);
/* An extern description `(sort id? ...)` at the cursor, appended as an
 * externtype; binds its identifier in the current scope. */
bool wc_externdesc(wc_parser *p, text_buf *b, bool bind);
/* The description of sort cs after `(sort id?`, up to ')' (not taken). */
bool wc_externdesc_body(wc_parser *p, text_buf *b, int cs, size_t id, bool bind);
/* `(alias ...)` target after `alias` keyword, written as a component alias
 * with sort cs into b (b already holds nothing). */
bool wc_alias_target(wc_parser *p, int cs, text_buf *b);
/* The core function type `(param t*)* (result t*)*` into b as 0x60 .... */
bool wc_core_functype(wc_parser *p, text_buf *b);

/* ---- definitions (wat_component.c) ---- */
/* `(import ...)` / `(export ...)` declarators of a type scope. */
bool wc_import(wc_parser *p);
bool wc_alias(wc_parser *p);
bool wc_name_attrs(wc_parser *p, text_buf *b);
/* Inline exports at the cursor: recorded, emitted once the definition has
 * its index (which frees ex). */
bool wc_inline_exports(wc_parser *p, wc_toks *ex);
bool wc_emit_inline_exports(wc_parser *p, wc_toks *ex, int cs, uint32_t index);
/* `(sort id? (alias target))` at the cursor (at the inner '('). */
bool wc_alias_abbrev(wc_parser *p, int cs, size_t id);
/* Declarators of a component or instance type up to ')'. */
bool wc_type_scope_decls(wc_parser *p);
/* `(canon ...)` at the cursor (see wat_component_canon.c). */
bool wc_canon(wc_parser *p, bool sugar, int cs, size_t id, bool has_type, uint32_t type, uint32_t *index);
/* Entry used by the script parser: `(component id? ...)` at toks[*i]. */
kumi_error *wat_parse_component_form(const kumi_allocator *a, const char *src, size_t len, const text_token *toks,
                                     size_t ntoks, size_t *i, text_buf *out, size_t *name_tok);

#endif
