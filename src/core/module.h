/* The decoded form of a core module: what the binary says, indexed and
 * checked for well-formedness (decode.c), not yet for validity
 * (validate.c). All memory hangs off the module's arena. Internal prefix:
 * core_. */
#ifndef KUMI_CORE_MODULE_H
#define KUMI_CORE_MODULE_H

#include "../base/base.h"

/* Value types use their binary encoding. */
enum {
  CORE_I32 = 0x7F,
  CORE_I64 = 0x7E,
  CORE_F32 = 0x7D,
  CORE_F64 = 0x7C,
  CORE_V128 = 0x7B,
  CORE_FUNCREF = 0x70,
  CORE_EXTERNREF = 0x6F,
  CORE_EXNREF = 0x69, /* exception handling */
};
typedef uint8_t core_valtype;

/* Every proposal kumi decodes, validates, runs and prints
 * (KUMI_FEATURE_* of kumi.h): the text printer reads with these. */
#define CORE_FEATURES_ALL \
  (KUMI_FEATURE_SIMD | KUMI_FEATURE_TAIL_CALL | KUMI_FEATURE_EXTENDED_CONST | KUMI_FEATURE_MULTI_MEMORY)
/* And exception handling: CORE_FEATURES_ALL predates it and some readers
 * (core_read_instr) keep that set; the engine, the text parser and the
 * printer (which reads with core_read_instr_with and this set) handle it. */
#define CORE_FEATURES_ENGINE (CORE_FEATURES_ALL | KUMI_FEATURE_EXCEPTIONS)
bool core_is_reftype(core_valtype t);
bool core_is_valtype(core_valtype t); /* any of the above */
const char *core_valtype_name(core_valtype t);

typedef struct core_functype {
  uint32_t nparams, nresults;
  core_valtype *types; /* nparams params, then nresults results */
} core_functype;
#define core_functype_params(ft) ((ft)->types)
/* types is NULL for a type with no params and no results; NULL + 0 is
 * undefined behaviour in C, hence the test. */
#define core_functype_results(ft) ((ft)->types ? (ft)->types + (ft)->nparams : (ft)->types)
bool core_functype_equal(const core_functype *a, const core_functype *b);

typedef struct core_limits {
  uint64_t min, max;
  bool has_max;
} core_limits;

typedef struct core_tabletype {
  core_valtype elem; /* a reftype */
  core_limits limits;
} core_tabletype;

typedef struct core_memtype {
  core_limits limits; /* in 64 KiB pages */
} core_memtype;

typedef struct core_globaltype {
  core_valtype type;
  bool mut;
} core_globaltype;

enum { CORE_EXTERN_FUNC = 0, CORE_EXTERN_TABLE = 1, CORE_EXTERN_MEMORY = 2, CORE_EXTERN_GLOBAL = 3, CORE_EXTERN_TAG = 4 };

/* A constant expression: bytes [start, end) of the module, ending with and
 * including the 0x0B `end` opcode. */
typedef struct core_expr {
  uint32_t start, end;
} core_expr;

typedef struct core_import {
  char *module, *name; /* NUL-terminated arena copies; valid UTF-8 */
  uint32_t module_len, name_len;
  uint8_t kind; /* CORE_EXTERN_* */
  union {
    uint32_t func_type; /* type index */
    core_tabletype table;
    core_memtype memory;
    core_globaltype global;
    uint32_t tag_type; /* type index (a function type with no results) */
  } desc;
} core_import;

typedef struct core_export {
  char *name;
  uint32_t name_len;
  uint8_t kind;   /* CORE_EXTERN_* */
  uint32_t index; /* in the kind's index space */
} core_export;

typedef struct core_global {
  core_globaltype type;
  core_expr init; /* defined globals only */
} core_global;

enum { CORE_SEG_ACTIVE = 0, CORE_SEG_PASSIVE = 1, CORE_SEG_DECLARATIVE = 2 };

typedef struct core_elem {
  uint8_t mode;      /* CORE_SEG_* */
  core_valtype type; /* element reftype */
  uint32_t table;    /* active only */
  core_expr offset;  /* active only */
  uint32_t count;
  /* Exactly one of these holds the items: funcs when the segment used the
   * function-index encoding, exprs otherwise. */
  uint32_t *funcs;
  core_expr *exprs;
  uint32_t offset_in_module; /* byte offset of the segment, for messages */
} core_elem;

typedef struct core_data {
  uint8_t mode; /* CORE_SEG_ACTIVE or CORE_SEG_PASSIVE */
  uint32_t memory;
  core_expr offset;
  uint32_t start, len; /* the bytes: module bytes [start, start+len) */
} core_data;

/* One function in the function index space. Imported functions come first
 * and have no body. */
typedef struct core_func {
  uint32_t type; /* type index */
  /* Defined functions: */
  uint32_t nlocals;          /* declared locals, parameters not included */
  core_valtype *local_types; /* nlocals entries, expanded */
  uint32_t body_start;       /* first instruction byte */
  uint32_t body_end;         /* one past the final `end` */
  char *name;                /* from the name section, or NULL */
} core_func;

struct core_compiled; /* compile.c: the interpreter's code for one function */

typedef struct core_module {
  const kumi_allocator *alloc;
  kb_arena arena;
  uint8_t *bytes; /* owned copy of the binary */
  size_t len;
  /* The proposals decoding and validation accept (KUMI_FEATURE_* bits of
   * kumi.h), fixed when the module is decoded. */
  kumi_features features;

  uint32_t ntypes;
  core_functype *types;

  uint32_t nimports;
  core_import *imports;

  /* Index spaces, imports first. nimported_* count the leading imports. */
  uint32_t nfuncs, nimported_funcs;
  core_func *funcs;
  uint32_t ntables, nimported_tables;
  core_tabletype *tables;
  uint32_t nmemories, nimported_memories;
  core_memtype *memories;
  uint32_t nglobals, nimported_globals;
  core_global *globals;

  /* Exception tags: the type index of each. */
  uint32_t ntags, nimported_tags;
  uint32_t *tags;

  uint32_t nexports;
  core_export *exports;

  bool has_start;
  uint32_t start;

  uint32_t nelems;
  core_elem *elems;

  bool has_data_count;
  uint32_t data_count;
  uint32_t ndatas;
  core_data *datas;

  char *name; /* module name from the name section, or NULL */

  /* Filled by validation: functions referenced by ref.func outside function
   * bodies (exports, elements, globals) -- C.refs in the spec. */
  uint8_t *declared_refs; /* nfuncs flags */
  /* Filled by validation: the proposals the module actually relies on,
   * KUMI_FEATURE_* bits. SIMD: a v128 anywhere (a type, local, global,
   * block or select type) or a SIMD instruction; TAIL_CALL: return_call*;
   * MULTI_MEMORY: code that names a memory other than 0; EXTENDED_CONST:
   * arithmetic in a constant expression. Lets a later stage refuse, cleanly,
   * what it cannot run yet. */
  kumi_features uses;

  /* Filled by core_module_compile: one per defined function, indexed by
   * (func index - nimported_funcs). */
  struct core_compiled **compiled;
} core_module;

/* Decodes bytes (copied) into a new module. On failure returns NULL and sets
 * *err to a KUMI_ERR_MALFORMED error carrying the byte offset. Checks
 * everything the binary format requires: magic and version, section order
 * and sizes, LEB128 widths, UTF-8 names, counts (function vs code, data
 * count), local counts (at most CORE_MAX_LOCALS). Function bodies are only
 * located here; their instructions are read by the validator. */
#define CORE_MAX_LOCALS 50000u
core_module *core_module_decode(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_error **err);
/* The same with the proposals to accept (KUMI_FEATURE_* bits, exact: no
 * 0-means-default here); core_module_decode uses KUMI_FEATURES_DEFAULT. */
core_module *core_module_decode_with(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_features features,
                                     kumi_error **err);

/* Validates a decoded module against the WebAssembly 2.0 rules (SIMD
 * included) and those of the proposals in m->features: types, indices,
 * limits, constant expressions, exports, start, segments, and every
 * function body. Errors are KUMI_ERR_INVALID (or KUMI_ERR_MALFORMED for
 * encoding errors found inside bodies) with the byte offset of the
 * offending instruction. Fills declared_refs and uses. */
kumi_error *core_module_validate(core_module *m);

/* Translates every validated function body to interpreter code
 * (compile.c). Requires a module that passed core_module_validate. */
kumi_error *core_module_compile(core_module *m);

void core_module_free(core_module *m);

#endif
