/* wit: the WIT text format (WIT.md of the Component Model). Lexing, parsing,
 * resolution of packages (a file or a directory, a deps/ folder, extra
 * dependency folders), and printing a resolved package as canonical WIT.
 * Internal prefix: wit_.
 *
 * The resolved model is a set of flat arrays indexed by uint32_t ids, in the
 * shape of a component type: packages own interfaces and worlds; interfaces
 * own named types and functions; types refer to other types by id. Every id
 * refers to an earlier or unrelated item, never forward in a cycle, so an
 * encoder can walk it in one pass. Everything (strings included) lives in the
 * resolve's arena and is freed with wit_resolve_free. */
#ifndef KUMI_WIT_H
#define KUMI_WIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/base.h"

#define WIT_NONE UINT32_MAX

/* A value type: WIT_T_NONE (no type: a bare result<>, a function without a
 * result), a primitive, or a type definition (wit_t_def(index)). */
typedef uint32_t wit_type;
enum {
  WIT_T_NONE = 0,
  WIT_T_BOOL,
  WIT_T_U8,
  WIT_T_U16,
  WIT_T_U32,
  WIT_T_U64,
  WIT_T_S8,
  WIT_T_S16,
  WIT_T_S32,
  WIT_T_S64,
  WIT_T_F32,
  WIT_T_F64,
  WIT_T_CHAR,
  WIT_T_STRING,
  WIT_T_ERROR_CONTEXT,
  WIT_T_DEF = 16 /* first type-definition value */
};
static inline wit_type wit_t_def(uint32_t index) { return WIT_T_DEF + index; }
static inline bool wit_t_is_def(wit_type t) { return t >= WIT_T_DEF; }
static inline uint32_t wit_t_index(wit_type t) { return t - WIT_T_DEF; }
const char *wit_prim_name(wit_type t); /* "u32" ...; NULL for definitions */

/* Semantic version; text is the canonical spelling. */
typedef struct wit_version {
  uint64_t major, minor, patch;
  const char *pre, *build; /* "" when absent */
  const char *text;
} wit_version;
int wit_version_cmp(const wit_version *a, const wit_version *b); /* semver precedence */

typedef enum wit_stability_kind {
  WIT_STAB_UNKNOWN = 0, /* no gate */
  WIT_STAB_STABLE,      /* @since(version = since), maybe @deprecated */
  WIT_STAB_UNSTABLE,    /* @unstable(feature = feature), maybe @deprecated */
} wit_stability_kind;
typedef struct wit_stability {
  wit_stability_kind kind;
  const wit_version *since;      /* STABLE */
  const char *feature;           /* UNSTABLE */
  const wit_version *deprecated; /* NULL when not deprecated */
} wit_stability;
bool wit_stability_eq(const wit_stability *a, const wit_stability *b);

/* Documentation: lines joined with '\n', no trailing newline; NULL = none. */
typedef const char *wit_docs;

typedef enum wit_owner_kind { WIT_OWNER_NONE = 0, WIT_OWNER_INTERFACE, WIT_OWNER_WORLD } wit_owner_kind;

typedef enum wit_typedef_kind {
  WIT_TD_ALIAS,      /* type a = b (a); also every `use`d name */
  WIT_TD_RECORD,     /* cases = fields */
  WIT_TD_RESOURCE,
  WIT_TD_OWN,        /* a = resource (a type-definition value) */
  WIT_TD_BORROW,     /* a = resource */
  WIT_TD_FLAGS,      /* cases, no types */
  WIT_TD_TUPLE,      /* types */
  WIT_TD_VARIANT,    /* cases, type WIT_T_NONE when without payload */
  WIT_TD_ENUM,       /* cases, no types */
  WIT_TD_OPTION,     /* a */
  WIT_TD_RESULT,     /* a = ok, b = err, either WIT_T_NONE */
  WIT_TD_LIST,       /* a */
  WIT_TD_FIXED_LIST, /* a, size */
  WIT_TD_MAP,        /* a = key, b = value */
  WIT_TD_FUTURE,     /* a, maybe WIT_T_NONE */
  WIT_TD_STREAM,     /* a, maybe WIT_T_NONE */
} wit_typedef_kind;

typedef struct wit_case {
  const char *name;
  wit_type type;
  wit_docs docs;
} wit_case;

typedef struct wit_typedef {
  wit_typedef_kind kind;
  const char *name; /* NULL for anonymous types */
  wit_owner_kind owner_kind;
  uint32_t owner; /* interface or world id */
  wit_docs docs;
  wit_stability stability;
  wit_type a, b;
  uint32_t size;
  uint32_t ncases;
  wit_case *cases;
  uint32_t ntypes;
  wit_type *types;
} wit_typedef;

typedef enum wit_func_kind {
  WIT_FUNC_FREESTANDING,
  WIT_FUNC_METHOD,      /* params[0] is `self: borrow<resource>` */
  WIT_FUNC_STATIC,
  WIT_FUNC_CONSTRUCTOR, /* result own<resource> or result<resource, E> */
} wit_func_kind;

typedef struct wit_param {
  const char *name;
  wit_type type;
} wit_param;

typedef struct wit_func {
  const char *name; /* full name: "f", "[method]r.m", "[static]r.s", "[constructor]r" */
  wit_func_kind kind;
  bool is_async;
  uint32_t resource; /* typedef id of the resource for non-freestanding kinds */
  uint32_t nparams;
  wit_param *params;
  wit_type result; /* WIT_T_NONE when none */
  wit_docs docs;
  wit_stability stability;
} wit_func;
/* The short name a resource function is written with ("m" of "[method]r.m"). */
const char *wit_func_item_name(const wit_func *f);

typedef struct wit_named {
  const char *name;
  uint32_t id;
} wit_named;

typedef struct wit_interface {
  const char *name; /* NULL for an inline interface of a world */
  uint32_t package;
  wit_docs docs;
  wit_stability stability;
  uint32_t ntypes, types_cap; /* named types in definition order, `use`s first */
  wit_named *types;
  uint32_t nfuncs, funcs_cap; /* functions, resource functions included */
  wit_func *funcs;
} wit_interface;

typedef enum wit_item_kind { WIT_ITEM_INTERFACE, WIT_ITEM_FUNC, WIT_ITEM_TYPE } wit_item_kind;

typedef struct wit_world_item {
  const char *name; /* the plain name; NULL when keyed by the interface */
  wit_item_kind kind;
  uint32_t id;      /* interface id (INTERFACE) or typedef id (TYPE) */
  wit_func func;    /* FUNC */
  wit_stability stability; /* INTERFACE items; others carry their own */
} wit_world_item;

typedef struct wit_world {
  const char *name;
  uint32_t package;
  wit_docs docs;
  wit_stability stability;
  uint32_t nimports, imports_cap;
  wit_world_item *imports;
  uint32_t nexports, exports_cap;
  wit_world_item *exports;
} wit_world;

typedef struct wit_package {
  const char *ns, *name;
  const wit_version *version; /* NULL when unversioned */
  wit_docs docs;
  uint32_t ninterfaces, interfaces_cap;
  uint32_t *interfaces; /* in canonical (topological) order */
  uint32_t nworlds, worlds_cap;
  uint32_t *worlds;
} wit_package;

typedef struct wit_resolve wit_resolve;

wit_resolve *wit_resolve_new(const kumi_allocator *a); /* NULL on OOM */
void wit_resolve_free(wit_resolve *r);

/* Feature gates: items marked @unstable(feature = f) are kept only when f is
 * enabled (or all features are); otherwise they are left out, as wasm-tools
 * does. Call before loading. */
bool wit_resolve_enable_feature(wit_resolve *r, const char *feature);
void wit_resolve_enable_all_features(wit_resolve *r);

/* Loads a main package and its dependencies into r.
 *  path:   a .wit file or a directory of .wit files (one package), whose
 *          deps/ folder (if any) holds dependencies: each entry a .wit file
 *          or a directory of .wit files, each one package (plus nested
 *          `package a:b { }` blocks).
 *  source: instead of path, the text of one .wit file (source_name names it
 *          in errors).
 *  deps:   more folders laid out like deps/; an entry that defines a package
 *          already defined by the main files, or the main directory itself,
 *          is skipped, so a tree of sibling packages can serve as deps.
 * Packages are resolved in topological order; *main_pkg gets the main
 * package's id. Errors point at file:line:column with the source line. */
typedef struct wit_load_opts {
  const char *path;
  const char *source;
  size_t source_len;
  const char *source_name;
  const char *const *deps;
  size_t ndeps;
} wit_load_opts;
kumi_error *wit_resolve_load(wit_resolve *r, const wit_load_opts *opts, uint32_t *main_pkg);

/* Read access to the model. */
size_t wit_package_count(const wit_resolve *r);
const wit_package *wit_get_package(const wit_resolve *r, uint32_t id);
const wit_interface *wit_get_interface(const wit_resolve *r, uint32_t id);
const wit_world *wit_get_world(const wit_resolve *r, uint32_t id);
const wit_typedef *wit_get_typedef(const wit_resolve *r, uint32_t id);
/* "ns:name@version" of a package; "ns:name/iface@version" of an interface. */
const char *wit_package_id_string(wit_resolve *r, uint32_t pkg);
const char *wit_interface_id_string(wit_resolve *r, uint32_t iface);

/* Prints package pkg as canonical WIT (the formatting of `wasm-tools component
 * wit`: 2-space indentation, one item per line, worlds elaborated, doc
 * comments and gates kept). *out is NUL-terminated, allocated with r's
 * allocator; free with kb_free(a, *out, *len + 1). */
kumi_error *wit_print_package(wit_resolve *r, uint32_t pkg, char **out, size_t *len);
/* The same followed by other packages as nested `package a:b { ... }`
 * blocks (in the given order; dependencies first makes it self-contained). */
kumi_error *wit_print(wit_resolve *r, uint32_t pkg, const uint32_t *nested, size_t nnested, char **out,
                      size_t *len);

#endif
