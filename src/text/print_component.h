/* The printers' internal contract: what print_component.c uses of the core
 * printer (print.c) to print nested core modules, and the shared helpers
 * for strings, identifiers and the final buffer. */
#ifndef KUMI_TEXT_PRINT_COMPONENT_H
#define KUMI_TEXT_PRINT_COMPONENT_H

#include "lex.h"

/* Appends `(KW $id? field*)` for the core module in bytes[0..len) to out,
 * its fields indented one level deeper than indent. The identifier is id
 * when given (id != NULL), else the module's own name from its name
 * section, if any. Errors: the core decoder's KUMI_ERR_MALFORMED, or from
 * the instructions. */
kumi_error *text_print_core_into(const kumi_allocator *a, text_buf *out, const uint8_t *bytes, size_t len,
                                 unsigned indent, const char *kw, const char *id, size_t idlen);

/* A string literal: printable ASCII as is, other bytes as \hh. */
void text_print_string(text_buf *out, const uint8_t *s, size_t n);

/* " $name" (or ` $"..."` when name has characters a plain identifier
 * cannot hold). False, and nothing written, for an empty or non-UTF-8
 * name, which no identifier can express. */
bool text_print_id(text_buf *out, const char *name, size_t n);

/* Appends a NUL, and on success (e == NULL and no OOM in b) hands b's
 * text back in *out as an allocation of exactly *out_len + 1 bytes. On
 * failure frees b and returns the error. */
kumi_error *text_print_finish(text_buf *b, kumi_error *e, char **out, size_t *out_len);


/* ---- between print_component.c and print_component_types.c ---- */

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../component/ast.h"

/* A name from a component-name section (points into the binary). */
typedef struct text_cname {
  uint32_t idx;
  const char *s;
  uint32_t len;
} text_cname;

/* The names of one component scope: the component's own name and, per
 * sort, the namemap sorted by index. Points into the binary. */
typedef struct text_cnames {
  const char *self;
  uint32_t self_len;
  text_cname *map[COMP_SORT_COUNT];
  uint32_t n[COMP_SORT_COUNT], cap[COMP_SORT_COUNT];
  kb_map used[COMP_SORT_COUNT]; /* identifiers printed so far */
} text_cnames;

/* A cursor over bytes [pos, end) of p; bad once a read ran past end. */
typedef struct text_breader {
  const uint8_t *p;
  size_t pos, end;
  bool bad;
} text_breader;

/* The printer: the decoded component, the text so far, the indentation
 * and the first error. */
typedef struct text_cprinter {
  const kumi_allocator *a;
  const comp_ast *ast;
  text_buf *out;
  unsigned indent;
  kumi_error *err;
  bool raw_names; /* every component-name section prints as (@custom) */
} text_cprinter;

/* One component scope being printed: its names and the next index of each
 * sort. */
typedef struct text_cscope {
  text_cnames names;
  uint32_t next[COMP_SORT_COUNT];
  size_t *nested; /* byte ranges [start, end) of its nested component sections, in order */
  size_t nnested, next_nested, nested_cap;
  /* Its custom sections to print, as triples: [start, end) of the section's
   * contents and the number of definitions before it. */
  size_t *customs;
  size_t ncustoms, customs_cap;
} text_cscope;

static inline void cp_put(text_cprinter *p, const char *s) { tb_bytes(p->out, s, strlen(s)); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline void cp_putf(text_cprinter *p, const char *fmt, ...) {
  char buf[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > 0) tb_bytes(p->out, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

enum { TEXT_CP_MAX_INDENT = 32 };
static inline void cp_newline(text_cprinter *p) {
  tb_byte(p->out, '\n');
  for (unsigned k = 0; k < p->indent && k < TEXT_CP_MAX_INDENT; k++) cp_put(p, "  ");
}

static inline void cp_str(text_cprinter *p, comp_str s) {
  cp_put(p, " ");
  text_print_string(p->out, (const uint8_t *)s.s, s.len);
}

static inline void cp_u32(text_cprinter *p, uint32_t v) { cp_putf(p, " %" PRIu32, v); }

/* The first error (KUMI_ERR_ARG "unsupported: what") is kept; false. */
bool text_cp_fail(text_cprinter *p, const char *what);
/* Takes the next index of sort in sc (NULL: a type scope, no names),
 * printing " $name" when the names give one not taken yet. */
void text_cp_bind(text_cprinter *p, text_cscope *sc, comp_sort sort);
/* The sort's keywords: `func`, `core func`, ... */
void text_cp_sort_kw(text_cprinter *p, comp_sort s);
/* Bounds-checked reads; past the end they set r->bad and give 0. */
uint32_t text_br_u32(text_breader *r);
uint8_t text_br_byte(text_breader *r);

/* print_component_types.c: types, extern types and aliases. Each prints
 * what its name says at the cursor (the value types with a leading
 * space) and returns false after text_cp_fail (or on malformed bytes). */
bool text_cp_cvaltype(text_cprinter *p, const comp_core_valtype *t);
void text_cp_valtype(text_cprinter *p, comp_valtype t);
bool text_cp_core_deftype(text_cprinter *p, const comp_core_type *t);
/* A GC core type definition after `(core type`, binding its indices. */
bool text_cp_gc_deftype(text_cprinter *p, text_cscope *sc, const comp_core_type *t);
bool text_cp_deftype(text_cprinter *p, const comp_deftype *t);
void text_cp_extname(text_cprinter *p, const comp_extname *n);
/* ` (sort $id? ...)`: binds in sc unless sc is NULL. */
void text_cp_externtype(text_cprinter *p, text_cscope *sc, const comp_externtype *e);
bool text_cp_alias_body(text_cprinter *p, text_cscope *sc, const comp_alias *al);

#endif
