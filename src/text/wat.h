/* The module parser of the text format: internal contract between
 * wat_module.c (module fields, index spaces, sections) and wat_instr.c
 * (type uses, instructions, expressions). The parser works on the token
 * array of lex.h in two passes over the module's fields: the first binds
 * every identifier to its index, the second encodes. */
#ifndef KUMI_TEXT_WAT_H
#define KUMI_TEXT_WAT_H

#include "../core/instr.h"
#include "lex.h"

/* Index spaces that identifiers bind in, module-wide. */
enum { WS_TYPE, WS_FUNC, WS_TABLE, WS_MEM, WS_GLOBAL, WS_ELEM, WS_DATA, WS_TAG, WS_COUNT };

/* Section ids; p->sec[] and p->sec_count[] are indexed by them. The tag
 * section (13, exception handling) goes between memory and global. */
enum {
  SEC_CUSTOM, SEC_TYPE, SEC_IMPORT, SEC_FUNC, SEC_TABLE, SEC_MEM, SEC_GLOBAL, SEC_EXPORT, SEC_START, SEC_ELEM,
  SEC_CODE, SEC_DATA, SEC_DATACOUNT, SEC_TAG, SEC_COUNT
};

typedef struct wat_functype {
  uint32_t nparams, nresults;
  uint8_t *types; /* params then results, value type bytes; arena */
} wat_functype;

typedef struct wat_label {
  const uint8_t *name; /* NULL when the block has no label */
  uint32_t name_len;
  uint8_t op;    /* CORE_OP_BLOCK, _LOOP, _IF or _TRY_TABLE */
  bool has_else; /* an `if` whose `else` was seen */
} wat_label;

typedef struct wat_name {
  uint32_t index;
  const uint8_t *name;
  uint32_t len;
} wat_name;

/* A name of the name section's indirect maps: local idx (or label idx) of
 * function func. */
typedef struct wat_lname {
  uint32_t func, index;
  const uint8_t *name;
  uint32_t len;
} wat_lname;

typedef struct wat_parser {
  const kumi_allocator *a;
  kb_arena *ar;
  const char *src; /* for line/column of errors */
  size_t srclen;
  const text_token *t;
  size_t n, i; /* tokens, cursor */
  kumi_error *err; /* the first error */
  unsigned depth;  /* folded-expression nesting */
  bool quoted;     /* parsing the text of a (module quote); no nested quote */

  kb_map opnames; /* instruction name -> core_opcode + 1 */
  KB_VEC(wat_functype) types;
  kb_map type_index; /* encoded function type -> index + 1 of its first definition */
  kb_map names[WS_COUNT]; /* identifier -> index + 1 */
  uint32_t count[WS_COUNT]; /* pass 1: definitions so far */
  uint32_t next[WS_COUNT];  /* pass 2: index of the next definition */
  KB_VEC(wat_name) func_names;
  KB_VEC(wat_name) space_ids[WS_COUNT]; /* identifiers of the other spaces, by index (not WS_FUNC) */
  KB_VEC(wat_lname) local_names, label_names; /* in function, then index order */
  uint32_t cur_func; /* the function whose params, locals and labels are parsed */
  uint32_t nblocks;  /* block, loop and if instructions of it so far (label indices) */
  KB_VEC(text_custom) customs; /* (@custom ...) annotations among the fields */
  const uint8_t *module_name;
  uint32_t module_name_len;
  size_t name_tok; /* token of the module's identifier */

  /* Per function. */
  kb_map locals; /* identifier -> local index + 1 */
  uint32_t nlocals;
  KB_VEC(uint8_t) local_types; /* declared locals (not params) */
  KB_VEC(wat_label) labels;

  text_buf *out;  /* where instructions go */
  text_buf fold;  /* immediates of folded instructions awaiting their operands */
  bool uses_data_count; /* memory.init or data.drop seen */

  /* Section contents (without id and size) and their item counts. */
  text_buf sec[SEC_COUNT];
  uint32_t sec_count[SEC_COUNT];
  bool has_start;
} wat_parser;


/* Parses the form `(module id? ...)` (also `binary` and `quote`) at
 * toks[*i], in a token array lexed from src (e.g. a script), and appends
 * the binary to out. On success *i is just past the form. *name_tok is the
 * index of the module's identifier token, or SIZE_MAX. */
kumi_error *wat_parse_module_form(const kumi_allocator *a, const char *src, size_t len, const text_token *toks,
                                  size_t ntoks, size_t *i, text_buf *out, size_t *name_tok);

/* ---- assembly (wat_assemble.c) ---- */
/* Collects the (@custom) annotations in the source between the token
 * before the cursor and the cursor's into p->customs; false (p->err set)
 * for a malformed one. */
bool wat_collect_customs(wat_parser *p);
/* Appends the module's binary, header included, to out. */
void wat_assemble(wat_parser *p, text_buf *out);

/* ---- helpers (wat_module.c) ---- */
/* Records the first error, at token k, and returns false. */
bool wat_fail(wat_parser *p, size_t k, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
bool wat_oom(wat_parser *p);
/* The name of index space ws in messages ("function", "tag", ...). */
const char *wat_space_name(int ws);
const text_token *wat_tok(const wat_parser *p); /* the token at the cursor */
bool wat_is_kw(const text_token *t, const char *kw);
/* True when the cursor is at '(' followed by keyword kw. */
bool wat_at_form(const wat_parser *p, const char *kw);
bool wat_expect_rpar(wat_parser *p);
bool wat_expect_form(wat_parser *p, const char *kw); /* consumes "( kw" */
/* A parser of a whole text (module or component) into out; quoted: the
 * text of a `quote` form, which may not nest another. */
typedef kumi_error *(*wat_text_parser)(const kumi_allocator *a, const char *src, size_t len, bool quoted,
                                       text_buf *out);
/* `binary string*` or `quote string*` after `(module id?` or `(component
 * id?`, the cursor after the keyword: the strings' bytes into out, or (quote)
 * their text parsed by parse; what ("module", "component") names the form
 * in a nested error. */
bool wat_binary_or_quote(wat_parser *p, bool quote, const char *what, wat_text_parser parse, text_buf *out);
/* Parses the tokens of a whole text (lexed from src into the arena ar,
 * which lives until it returns) into out. */
typedef kumi_error *(*wat_tokens_parser)(const kumi_allocator *a, kb_arena *ar, const char *src, size_t len,
                                         const text_token *toks, size_t ntoks, bool quoted, text_buf *out);
/* Lexes src and hands its tokens to parse; parse's error, or the lexer's. */
kumi_error *wat_lex_parse(const kumi_allocator *a, const char *src, size_t len, bool quoted, text_buf *out,
                          wat_tokens_parser parse);
/* The end of a text_parse_*: e (the parse's error) or, on success, b's
 * bytes handed over as an allocation of exactly *out_len bytes (NULL when
 * empty and the allocator could not shrink it); b is consumed. */
kumi_error *wat_finish_out(const kumi_allocator *a, kumi_error *e, text_buf *b, uint8_t **out, size_t *out_len);
/* Parses an index (number or identifier) in space ws. */
bool wat_index(wat_parser *p, int ws, uint32_t *out);
bool wat_at_index(const wat_parser *p); /* a number or identifier is next */
/* A value type keyword at the cursor: i32 i64 f32 f64 v128 funcref externref
 * exnref, or a (ref null ...) of a reference type. */
bool wat_valtype(wat_parser *p, uint8_t *out);
/* A reference type at t (funcref, externref, exnref, or
 * (ref null func|extern|exn)):
 * the number of tokens it takes (0: none), its type code in *out. */
size_t wat_reftype_at(const text_token *t, uint8_t *out);
/* Index of a function type equal to ft, appending it when new. */
bool wat_type_for(wat_parser *p, const uint8_t *types, uint32_t nparams, uint32_t nresults, uint32_t *out);

/* ---- instructions (wat_instr.c) ---- */
typedef struct wat_typeuse {
  bool has_type;
  uint32_t type;
  size_t type_tok;
  bool has_inline; /* any (param) or (result) */
  KB_VEC(uint8_t) types;
  uint32_t nparams, nresults;
} wat_typeuse;
/* Parses `(type x)? (param ...)* (result ...)*`. With bind, parameter
 * identifiers become local names; allow_ids false rejects them. Free
 * tu->types with kb_vec_free. */
bool wat_parse_typeuse(wat_parser *p, wat_typeuse *tu, bool allow_ids, bool bind);
/* The type index a type use stands for: the given one (checked against an
 * inline signature) or the implicit one. *nparams gets the parameter count
 * (0 when the type is unknown). */
bool wat_resolve_typeuse(wat_parser *p, wat_typeuse *tu, uint32_t *type, uint32_t *nparams);
bool wat_build_opnames(wat_parser *p);
/* instr* up to (not including) ')'; plain blocks must be closed. */
bool wat_instrs(wat_parser *p);
/* One folded instruction at '('. */
bool wat_folded(wat_parser *p);
/* An expression into buf, terminated by `end`: instr* up to ')'. */
bool wat_expr(wat_parser *p, text_buf *buf);
/* A single folded instruction as an expression (offset and item
 * abbreviations), terminated by `end`. */
bool wat_folded_expr(wat_parser *p, text_buf *buf);

#endif
