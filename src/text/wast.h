/* .wast scripts for core modules and components: the script parser turns
 * the text into a list of commands in the shape of wast2json manifests (the same command
 * kinds, field meanings and value encodings), so one runner (src/cli
 * wast_script.c) executes both. Modules stay unparsed until the runner asks
 * for their binary (text_wast_module), so a malformed module fails its own
 * command only. Everything lives in the script's arena. */
#ifndef KUMI_TEXT_WAST_H
#define KUMI_TEXT_WAST_H

#include "lex.h"

typedef struct text_wast_bytes {
  const uint8_t *p; /* NULL when absent */
  uint32_t len;
} text_wast_bytes;

/* A component value (`(u32.const 1)`, `(record.const (field "a" ...))`,
 * ...) in the shape of the manifests' component values: type is the
 * manifest's type name ("bool" "u8" ... "f64" "char" "string" "list"
 * "record" "tuple" "variant" "enum" "flags" "option" "result"). Numbers are
 * decimal text (floats: the decimal of the bit pattern); string, char and
 * enum hold their text; variant its case; result "Ok" or "Err"; items are
 * the elements, fields (with label), flags (text only) or the payload. */
typedef struct text_wast_cval {
  const char *type;
  text_wast_bytes text;
  text_wast_bytes label; /* a record field's name */
  bool b;                /* bool */
  bool none;             /* option.none, or a case / result without payload */
  struct text_wast_cval *items;
  uint32_t nitems;
} text_wast_cval;

/* A value: an argument or an expected result. type is the manifest's type
 * name ("i32" "i64" "f32" "f64" "v128" "funcref" "externref", or another
 * reference type name, which runners treat as unsupported); "either" holds
 * alternatives in `alts`. Scalars use lane 0. nan[k]: 0 an exact value,
 * 1 nan:canonical, 2 nan:arithmetic. */
typedef struct text_wast_value {
  const char *type;
  const char *lane_type; /* v128: "i8" "i16" "i32" "i64" "f32" "f64" */
  uint8_t nlanes;        /* v128 lanes, else 1 */
  uint8_t nan[16];
  bool is_null;  /* ref.null */
  bool no_value; /* (ref.func) / (ref.extern) without an index: any non-null */
  uint64_t lanes[16];
  struct text_wast_value *alts; /* either */
  uint32_t nalts;
  text_wast_cval *cval; /* a component value (type is then "component") */
} text_wast_value;

typedef struct text_wast_cmd {
  const char *type; /* "module" "register" "action" "assert_return" ... */
  uint32_t line;    /* of the command's '(' */
  size_t pos;       /* byte offset of the command's '(' */
  /* module, module_definition, assert_* on a module: the module form. */
  bool has_module;
  size_t module_tok;     /* token index of the module form's '(', SIZE_MAX: the
                          * whole script is one module's fields */
  text_wast_bytes name;  /* "$id" of a module / definition / register's module */
  text_wast_bytes as;    /* register "as"; module_instance: the definition "$id" */
  /* action, assert_return/trap/exhaustion */
  bool has_action;
  const char *action_type; /* "invoke" or "get" */
  text_wast_bytes action_module; /* "$id" or absent */
  text_wast_bytes field;
  text_wast_value *args;
  uint32_t nargs;
  text_wast_value *expected;
  uint32_t nexpected;
  text_wast_bytes text; /* assertion message */
} text_wast_cmd;

typedef struct text_wast_script {
  const kumi_allocator *a;
  kb_arena ar;
  const char *src;
  size_t len;
  text_token *toks;
  size_t ntoks;
  text_wast_cmd *cmds;
  size_t ncmds;
} text_wast_script;

/* Parses a script (src must outlive *sc). On failure the error is
 * KUMI_ERR_MALFORMED "LINE:COL: what"; call text_wast_free either way. */
kumi_error *text_wast_parse(text_wast_script *sc, const kumi_allocator *a, const char *src, size_t len);
void text_wast_free(text_wast_script *sc);

/* The binary of the module form of command c (text, binary or quote), as
 * text_parse_wat returns it: free *out with kb_free(sc->a, *out, *out_len).
 * A module that does not parse gives its KUMI_ERR_MALFORMED error. */
kumi_error *text_wast_module(const text_wast_script *sc, const text_wast_cmd *c, uint8_t **out, size_t *out_len);

#endif
