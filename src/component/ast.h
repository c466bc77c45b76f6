/* The decoded form of a component binary (decode.c): every definition in
 * binary order, with the byte offset of each item for error messages. It is
 * what the binary says and nothing more: indices are not resolved and no
 * validation rule has been checked (validate.c does that). Everything hangs
 * off the root's arena; nested core modules are decoded by the core decoder
 * and owned by the root (comp_ast_free frees them). */
#ifndef KUMI_COMPONENT_AST_H
#define KUMI_COMPONENT_AST_H

#include "../base/base.h"
#include "../core/module.h"

/* A name as it appears in the binary: valid UTF-8, NUL-terminated copy. */
typedef struct comp_str {
  const char *s;
  uint32_t len;
} comp_str;

/* Sorts. The core ones first, in the order of the binary core:sort codes. */
typedef enum comp_sort {
  COMP_SORT_CORE_FUNC,
  COMP_SORT_CORE_TABLE,
  COMP_SORT_CORE_MEMORY,
  COMP_SORT_CORE_GLOBAL,
  COMP_SORT_CORE_TAG,
  COMP_SORT_CORE_TYPE,
  COMP_SORT_CORE_MODULE,
  COMP_SORT_CORE_INSTANCE,
  COMP_SORT_FUNC,
  COMP_SORT_VALUE,
  COMP_SORT_TYPE,
  COMP_SORT_COMPONENT,
  COMP_SORT_INSTANCE,
  COMP_SORT_COUNT
} comp_sort;
const char *comp_sort_name(comp_sort s);
static inline bool comp_sort_is_core(comp_sort s) { return s <= COMP_SORT_CORE_INSTANCE; }

/* A component value type: a primitive (prim != 0, the binary code 0x64 or
 * 0x73..0x7f) or a type index (prim == 0). */
typedef struct comp_valtype {
  uint8_t prim;
  uint32_t idx;
} comp_valtype;

/* Primitive codes. */
enum {
  COMP_BOOL = 0x7f, COMP_S8 = 0x7e, COMP_U8 = 0x7d, COMP_S16 = 0x7c, COMP_U16 = 0x7b, COMP_S32 = 0x7a,
  COMP_U32 = 0x79, COMP_S64 = 0x78, COMP_U64 = 0x77, COMP_F32 = 0x76, COMP_F64 = 0x75, COMP_CHAR = 0x74,
  COMP_STRING = 0x73, COMP_ERROR_CONTEXT = 0x64,
};
bool comp_is_prim(uint8_t b);
const char *comp_prim_name(uint8_t prim);

/* ---- core types (for module types and the core type section) ---------- */

/* A core value type. Numeric types and the funcref/externref shorthands
 * use their binary code with nullable set for refs; general references
 * (0x63/0x64 and the GC shorthands) keep the heap type: abstract heap types
 * as their (negative) code in heap, concrete ones as a type index. */
typedef struct comp_core_valtype {
  uint8_t code;     /* 0x7f..0x7b numeric, or COMP_CORE_REF */
  bool nullable;
  bool concrete;    /* heap is a type index */
  bool shared;      /* (shared ht) */
  int64_t heap;     /* abstract heap type code (e.g. 0x70 func) or index */
} comp_core_valtype;
#define COMP_CORE_REF 0x01

typedef struct comp_core_functype {
  uint32_t nparams, nresults;
  comp_core_valtype *params, *results;
} comp_core_functype;

typedef struct comp_core_limits {
  uint64_t min, max;
  bool has_max, shared, is64, has_page_size;
  uint32_t page_size_log2;
} comp_core_limits;

/* core:externtype. kind: 0 func, 1 table, 2 memory, 3 global, 4 tag. */
typedef struct comp_core_externtype {
  uint8_t kind;
  uint32_t type_idx;            /* func and tag */
  comp_core_valtype valtype;    /* table element type, global type */
  comp_core_limits limits;      /* table, memory */
  bool mut;                     /* global */
  bool shared;                  /* global */
} comp_core_externtype;

typedef struct comp_core_type comp_core_type;

/* A core:moduledecl. kind: 0 import, 1 type, 2 alias (outer type), 3 export. */
typedef struct comp_core_moduledecl {
  uint8_t kind;
  uint32_t offset;
  comp_str module, name; /* import: both; export: name */
  comp_core_externtype ext;
  comp_core_type *type;
  uint32_t outer_count, outer_idx;
} comp_core_moduledecl;

/* A core type definition: a function type, a module type, or a GC type
 * (struct/array/rec/sub), which is only recorded, not represented. */
enum { COMP_CORE_TYPE_FUNC, COMP_CORE_TYPE_MODULE, COMP_CORE_TYPE_GC };
struct comp_core_type {
  uint8_t kind;
  uint32_t offset;
  comp_core_functype func;
  uint32_t ndecls;
  comp_core_moduledecl *decls;
};

/* ---- component types ---------------------------------------------------- */

typedef struct comp_labeled {
  comp_str label;
  comp_valtype type;
  bool has_type; /* variant cases only */
} comp_labeled;

/* externtype. kind = the binary code: 0 core module, 1 func, 2 value,
 * 3 type, 4 component, 5 instance. */
typedef struct comp_externtype {
  uint8_t kind;
  uint32_t idx;          /* the type index (or value index for value eq) */
  uint8_t bound;         /* type and value: 0 eq, 1 sub resource / valtype */
  comp_valtype valtype;  /* value with bound 1 */
  uint32_t offset;
} comp_externtype;

/* nameattributes: the name, its encoding tag, and its attributes. */
typedef struct comp_extname {
  comp_str name;
  uint8_t tag; /* 0, 1 or 2 */
  uint32_t offset;
  uint8_t nimplements, nversionsuffix, nexternal_id; /* counts, to reject duplicates */
  comp_str implements, versionsuffix, external_id;
} comp_extname;

typedef struct comp_alias {
  comp_sort sort;
  uint8_t kind; /* 0 export, 1 core export, 2 outer */
  uint32_t instance;
  comp_str name;
  uint32_t count, idx; /* outer */
} comp_alias;

typedef struct comp_deftype comp_deftype;
typedef struct comp_core_type comp_core_type;

/* A component or instance type declarator. kind: 0 core type, 1 type,
 * 2 alias, 3 import, 4 export (the binary codes). */
typedef struct comp_decl {
  uint8_t kind;
  uint32_t offset;
  comp_core_type *core_type;
  comp_deftype *type;
  comp_alias alias;
  comp_extname name;
  comp_externtype ext;
} comp_decl;

/* A type definition. kind is the binary code: a primitive code, 0x72
 * record, 0x71 variant, 0x70 list, 0x67 fixed list, 0x6f tuple, 0x6e
 * flags, 0x6d enum, 0x6b option, 0x6a result, 0x69 own, 0x68 borrow, 0x66
 * stream, 0x65 future, 0x63 map, 0x40 func, 0x43 async func, 0x41
 * component, 0x42 instance, 0x3f resource. */
struct comp_deftype {
  uint8_t kind;
  uint32_t offset;
  uint32_t n;            /* fields, cases, tuple types, labels, params, decls */
  comp_labeled *items;   /* record fields, variant cases, func params, flags/enum labels */
  comp_valtype *types;   /* tuple */
  comp_valtype a, b;     /* list/option/stream/future element, result ok/err, map key/value */
  bool has_a, has_b;
  uint32_t len;          /* fixed list length */
  uint32_t idx;          /* own/borrow resource index */
  bool has_result;       /* func */
  comp_valtype result;
  comp_decl *decls;      /* component / instance */
  comp_core_valtype rep; /* resource */
  bool has_dtor;
  uint32_t dtor;
};

/* ---- canonical definitions ---------------------------------------------- */

typedef struct comp_canonopt {
  uint8_t kind; /* the binary code 0x00..0x07 */
  uint32_t idx;
  uint32_t offset;
} comp_canonopt;

/* A canon definition. op is the first byte (0x00 lift, 0x01 lower, ...).
 * Immediates by op: lift: func=core func, type=func type; lower: func;
 * resource.* / stream.* / future.*: type; context.get/set: valtype, idx;
 * thread.new-indirect / spawn-indirect: type (core), table; spawn-ref:
 * type (core); waitable-set.wait/poll: memory in idx. flag holds async?,
 * cancellable? or shared?. */
typedef struct comp_canon {
  uint8_t op;
  uint32_t offset;
  uint32_t func, type, table, idx;
  comp_core_valtype valtype;
  uint8_t flag;
  bool has_result;
  comp_valtype result; /* task.return */
  uint32_t nopts;
  comp_canonopt *opts;
} comp_canon;

/* ---- definitions --------------------------------------------------------- */

typedef struct comp_component comp_component;

typedef struct comp_core_arg {
  comp_str name;
  uint32_t idx; /* instance index (core instantiate) */
} comp_core_arg;

typedef struct comp_core_inline_export {
  comp_str name;
  comp_sort sort;
  uint32_t idx;
} comp_core_inline_export;

typedef struct comp_arg {
  comp_str name;
  comp_sort sort;
  uint32_t idx;
  uint32_t offset;
} comp_arg;

typedef struct comp_inline_export {
  comp_extname name;
  comp_sort sort;
  uint32_t idx;
} comp_inline_export;

typedef enum comp_def_kind {
  COMP_DEF_CORE_MODULE,
  COMP_DEF_CORE_INSTANCE,
  COMP_DEF_CORE_TYPE,
  COMP_DEF_COMPONENT,
  COMP_DEF_INSTANCE,
  COMP_DEF_ALIAS,
  COMP_DEF_TYPE,
  COMP_DEF_CANON,
  COMP_DEF_START,
  COMP_DEF_IMPORT,
  COMP_DEF_EXPORT,
  COMP_DEF_VALUE,
} comp_def_kind;

/* One definition. Which fields are used depends on kind. */
typedef struct comp_def {
  comp_def_kind kind;
  uint32_t offset; /* of the item in the root binary */
  union {
    struct {
      core_module *module; /* decoded (not yet validated) */
      uint32_t start, len; /* its bytes in the root binary */
    } core_module;
    struct {
      bool instantiate;
      uint32_t module;
      uint32_t n;
      comp_core_arg *args;            /* instantiate */
      comp_core_inline_export *exports; /* otherwise */
    } core_instance;
    comp_core_type *core_type;
    comp_component *component;
    struct {
      bool instantiate;
      uint32_t component;
      uint32_t n;
      comp_arg *args;
      comp_inline_export *exports;
    } instance;
    comp_alias alias;
    comp_deftype *type;
    comp_canon canon;
    struct {
      uint32_t func, nargs, nresults;
      uint32_t *args;
    } start;
    struct {
      comp_extname name;
      comp_externtype ext;
    } import;
    struct {
      comp_extname name;
      comp_sort sort;
      uint32_t idx;
      bool has_type;
      comp_externtype ext;
    } export_;
    struct {
      comp_valtype type;
      uint32_t start, len; /* the value's bytes in the root binary */
    } value;
  } u;
} comp_def;

struct comp_component {
  uint32_t offset; /* of the preamble */
  uint32_t ndefs;
  comp_def *defs;
};

/* The root of a decoded binary. */
typedef struct comp_ast {
  const kumi_allocator *alloc;
  kb_arena arena;
  const uint8_t *bytes; /* borrowed: valid while the AST is used */
  size_t len;
  comp_component *root;
  KB_VEC(core_module *) modules; /* every nested core module, to free */
} comp_ast;

/* Decodes bytes[0..len) (borrowed, must outlive the AST). On failure
 * returns NULL and sets *err (KUMI_ERR_MALFORMED with the byte offset, or
 * KUMI_ERR_OOM). */
comp_ast *comp_decode(const kumi_allocator *a, const uint8_t *bytes, size_t len, kumi_error **err);
void comp_ast_free(comp_ast *ast);

/* Nesting limit for components, types and values within a binary. */
#define COMP_MAX_NESTING 100
/* Most arguments or results a component start function may have. */
#define COMP_MAX_START_ARITY 1000

#endif
