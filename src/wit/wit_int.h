/* wit internals shared by the files of src/wit: arena vectors and maps,
 * the source map and error rendering, the lexer, the syntax tree, and the
 * resolver's state. Nothing here is used outside src/wit. */
#ifndef KUMI_WIT_INT_H
#define KUMI_WIT_INT_H

#include "wit.h"

/* ---- arena vectors ---------------------------------------------------------
 * Growable arrays whose storage comes from an arena: growing copies into a
 * bigger block and abandons the old one (at most doubling the memory), so
 * nothing needs freeing one by one. Push returns false on OOM. */
#define WIT_VEC(T) struct { T *items; uint32_t len, cap; }
bool wit_vec_grow_(kb_arena *ar, void **items, uint32_t *cap, uint32_t need, size_t elem);
#define wit_vec_push(ar, v, x)                                                                          \
  (((v)->len < (v)->cap || wit_vec_grow_((ar), (void **)&(v)->items, &(v)->cap, (v)->len + 1, sizeof *(v)->items)) \
       ? ((v)->items[(v)->len++] = (x), true)                                                           \
       : false)
/* The same on an (items, len, cap) triple of struct fields. */
#define wit_arr_push(ar, items, len, cap, x)                                                    \
  (((len) < (cap) || wit_vec_grow_((ar), (void **)&(items), &(cap), (len) + 1, sizeof *(items))) \
       ? ((items)[(len)++] = (x), true)                                                         \
       : false)

/* ---- string map in an arena -------------------------------------------------
 * Keys are not copied: they must outlive the map (arena strings do). */
typedef struct wit_smap_slot {
  const char *key;
  uint64_t hash;
  void *value;
} wit_smap_slot;
typedef struct wit_smap {
  wit_smap_slot *slots;
  uint32_t count, cap;
} wit_smap;
bool wit_smap_put(kb_arena *ar, wit_smap *m, const char *key, void *value); /* replaces */
void *wit_smap_get(const wit_smap *m, const char *key);                     /* NULL if absent */

/* ---- source map and errors ---------------------------------------------------
 * Every loaded file gets a range of global offsets; a span is a [start, end)
 * pair of global offsets, so one number finds file, line and column. */
typedef struct wit_span {
  uint32_t start, end;
} wit_span;

typedef struct wit_source {
  const char *path;
  const char *text; /* NUL-terminated */
  uint32_t len, base;
} wit_source;

/* Builds an error whose message is
 *   MESSAGE
 *        --> FILE:LINE:COL
 *         |
 *    LINE | SOURCE LINE
 *         |      ^---
 * (the format of wasm-tools). kind is KUMI_ERR_MALFORMED or _INVALID. */
kumi_error *wit_span_error(wit_resolve *r, kumi_error_kind kind, wit_span span, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* "FILE:LINE:COL" of an offset, in the arena. */
const char *wit_render_location(wit_resolve *r, uint32_t offset);
/* Adds a file to the source map (text copied, NUL appended). */
const wit_source *wit_add_source(wit_resolve *r, const char *path, const char *text, size_t len, kumi_error **err);

/* ---- tokens ---------------------------------------------------------------- */
typedef enum wit_tok {
  WT_EOF = 0,
  WT_WS,
  WT_COMMENT,
  WT_EQUALS,
  WT_COMMA,
  WT_COLON,
  WT_PERIOD,
  WT_SEMICOLON,
  WT_LPAREN,
  WT_RPAREN,
  WT_LBRACE,
  WT_RBRACE,
  WT_LT,
  WT_GT,
  WT_RARROW,
  WT_STAR,
  WT_AT,
  WT_SLASH,
  WT_PLUS,
  WT_MINUS,
  /* keywords */
  WT_USE,
  WT_TYPE,
  WT_FUNC,
  WT_U8,
  WT_U16,
  WT_U32,
  WT_U64,
  WT_S8,
  WT_S16,
  WT_S32,
  WT_S64,
  WT_F32,
  WT_F64,
  WT_CHAR,
  WT_RECORD,
  WT_RESOURCE,
  WT_OWN,
  WT_BORROW,
  WT_FLAGS,
  WT_VARIANT,
  WT_ENUM,
  WT_BOOL,
  WT_STRING,
  WT_OPTION,
  WT_RESULT,
  WT_FUTURE,
  WT_STREAM,
  WT_ERROR_CONTEXT,
  WT_LIST,
  WT_MAP,
  WT_UNDERSCORE,
  WT_AS,
  WT_FROM,
  WT_STATIC,
  WT_INTERFACE,
  WT_TUPLE,
  WT_IMPORT,
  WT_EXPORT,
  WT_WORLD,
  WT_PACKAGE,
  WT_CONSTRUCTOR,
  WT_ASYNC,
  WT_INCLUDE,
  WT_WITH,
  /* others */
  WT_ID,
  WT_EXPLICIT_ID,
  WT_INTEGER,
} wit_tok;
const char *wit_tok_describe(wit_tok t);
/* True when name is a keyword (printing escapes those with '%'). */
bool wit_is_keyword(const char *name);

typedef struct wit_lexer {
  wit_resolve *r;
  const char *text; /* one file */
  uint32_t len, pos, base;
} wit_lexer;

/* Checks the whole file for forbidden code points and invalid UTF-8, skips a
 * BOM. false with *err set on failure. */
bool wit_lex_init(wit_lexer *lx, wit_resolve *r, const wit_source *src, kumi_error **err);
/* Next raw token (whitespace and comments included). false on a lexical
 * error (*err set). At end of input returns WT_EOF with an empty span. */
bool wit_lex_raw(wit_lexer *lx, wit_tok *tok, wit_span *span, kumi_error **err);
/* Validates a kebab-case identifier; the message on failure. */
const char *wit_validate_id(const char *s, size_t n, char *bad);

/* ---- semver ------------------------------------------------------------------ */
/* Parses s[0..n) as a full semantic version into an arena version. NULL with
 * *why set when invalid (NULL *why means OOM). */
wit_version *wit_parse_version(kb_arena *ar, const char *s, size_t n, const char **why);

/* ---- syntax tree --------------------------------------------------------------- */
typedef struct wit_id {
  const char *name; /* NUL-terminated, '%' removed */
  wit_span span;
} wit_id;

typedef enum wit_attr_kind { WIT_ATTR_SINCE, WIT_ATTR_UNSTABLE, WIT_ATTR_DEPRECATED } wit_attr_kind;
typedef struct wit_attr {
  wit_attr_kind kind;
  wit_span span;
  wit_version *version;
  wit_id feature;
} wit_attr;
typedef WIT_VEC(wit_attr) wit_attrs;

typedef struct wit_ast_pkgname {
  wit_id ns, name;
  wit_version *version;
  wit_span span;
} wit_ast_pkgname;

typedef struct wit_ast_path {
  bool foreign;      /* ns:pkg/name@version */
  wit_ast_pkgname pkg; /* foreign */
  wit_id name;       /* the local name, or the interface/world name of a foreign path */
} wit_ast_path;

typedef enum wit_ast_type_kind {
  WA_PRIM,
  WA_NAME,
  WA_LIST,
  WA_FIXED_LIST,
  WA_MAP,
  WA_OPTION,
  WA_RESULT,
  WA_TUPLE,
  WA_FUTURE,
  WA_STREAM,
  WA_OWN,
  WA_BORROW,
  /* only as the body of a type definition */
  WA_RECORD,
  WA_FLAGS,
  WA_VARIANT,
  WA_ENUM,
  WA_RESOURCE,
} wit_ast_type_kind;

typedef struct wit_ast_type wit_ast_type;
typedef struct wit_ast_case {
  wit_docs docs;
  wit_id name;
  wit_ast_type *type; /* NULL when none */
} wit_ast_case;
typedef struct wit_ast_param {
  wit_id name;
  wit_ast_type *type;
} wit_ast_param;
typedef struct wit_ast_func {
  wit_span span;
  bool is_async;
  WIT_VEC(wit_ast_param) params;
  wit_ast_type *result;
} wit_ast_func;

typedef enum wit_rfunc_kind { WIT_RF_FREESTANDING, WIT_RF_METHOD, WIT_RF_STATIC, WIT_RF_CONSTRUCTOR } wit_rfunc_kind;
typedef struct wit_ast_named_func {
  wit_docs docs;
  wit_attrs attrs;
  wit_id name;
  wit_rfunc_kind kind;
  wit_ast_func func;
} wit_ast_named_func;

struct wit_ast_type {
  wit_ast_type_kind kind;
  wit_span span;
  wit_type prim;      /* WA_PRIM */
  wit_id name;        /* WA_NAME, WA_OWN, WA_BORROW */
  wit_ast_type *a, *b; /* element / ok,err / key,value */
  uint32_t size;      /* WA_FIXED_LIST */
  WIT_VEC(wit_ast_type *) types;       /* WA_TUPLE */
  WIT_VEC(wit_ast_case) cases;         /* record fields, flags, variant and enum cases */
  WIT_VEC(wit_ast_named_func) funcs;   /* WA_RESOURCE */
};

typedef struct wit_ast_typedef {
  wit_docs docs;
  wit_attrs attrs;
  wit_id name;
  wit_ast_type *type;
} wit_ast_typedef;

typedef struct wit_ast_use_name {
  wit_id name;
  wit_id as; /* as.name NULL when absent */
} wit_ast_use_name;
typedef struct wit_ast_use {
  wit_attrs attrs;
  wit_ast_path from;
  WIT_VEC(wit_ast_use_name) names;
} wit_ast_use;

typedef enum wit_iitem_kind { WIT_II_TYPEDEF, WIT_II_FUNC, WIT_II_USE } wit_iitem_kind;
typedef struct wit_ast_iitem {
  wit_iitem_kind kind;
  wit_ast_typedef td;
  wit_ast_named_func func;
  wit_ast_use use;
} wit_ast_iitem;
typedef WIT_VEC(wit_ast_iitem) wit_ast_iitems;

typedef struct wit_ast_interface {
  wit_docs docs;
  wit_attrs attrs;
  wit_id name;
  wit_ast_iitems items;
} wit_ast_interface;

typedef enum wit_extern_kind { WIT_EXT_INTERFACE, WIT_EXT_PATH, WIT_EXT_FUNC } wit_extern_kind;
typedef struct wit_ast_extern {
  wit_extern_kind kind;
  wit_id name;          /* INTERFACE, FUNC */
  wit_ast_iitems items; /* INTERFACE */
  wit_ast_path path;    /* PATH */
  wit_ast_func func;    /* FUNC */
} wit_ast_extern;

typedef struct wit_ast_include_name {
  wit_id name, as;
} wit_ast_include_name;

typedef enum wit_witem_kind { WIT_WI_IMPORT, WIT_WI_EXPORT, WIT_WI_USE, WIT_WI_TYPEDEF, WIT_WI_INCLUDE } wit_witem_kind;
typedef struct wit_ast_witem {
  wit_witem_kind kind;
  wit_docs docs;
  wit_attrs attrs;
  wit_ast_extern ext;   /* IMPORT, EXPORT */
  wit_ast_use use;      /* USE */
  wit_ast_typedef td;   /* TYPEDEF */
  wit_ast_path include; /* INCLUDE */
  WIT_VEC(wit_ast_include_name) with;
} wit_ast_witem;

typedef struct wit_ast_world {
  wit_docs docs;
  wit_attrs attrs;
  wit_id name;
  WIT_VEC(wit_ast_witem) items;
} wit_ast_world;

typedef struct wit_ast_tluse {
  wit_attrs attrs;
  wit_span span;
  wit_ast_path path;
  wit_id as; /* as.name NULL when absent */
} wit_ast_tluse;

typedef struct wit_ast_decls wit_ast_decls;
typedef struct wit_ast_file wit_ast_file;

typedef enum wit_titem_kind { WIT_TI_INTERFACE, WIT_TI_WORLD, WIT_TI_USE, WIT_TI_PACKAGE } wit_titem_kind;
typedef struct wit_ast_titem {
  wit_titem_kind kind;
  wit_ast_interface *iface;
  wit_ast_world *world;
  wit_ast_tluse *use;
  wit_ast_file *pkg; /* nested package */
  wit_span span;     /* of the item's keyword, for attribute errors */
} wit_ast_titem;

struct wit_ast_decls {
  WIT_VEC(wit_ast_titem) items;
};

struct wit_ast_file {
  bool has_package;
  wit_ast_pkgname package;
  wit_docs package_docs;
  wit_span package_docs_span;
  wit_ast_decls decls;
};

/* Parses one file into the resolve's arena. */
kumi_error *wit_parse_file(wit_resolve *r, const wit_source *src, wit_ast_file **out);

/* Docs from the raw comments before an item (the rules of wit-parser: every
 * comment counts; markers and common indentation are stripped). */
wit_docs wit_docs_from_comments(kb_arena *ar, const char *const *comments, const uint32_t *lens, uint32_t n, bool *oom);

/* ---- the resolve ----------------------------------------------------------------- */
struct wit_resolve {
  const kumi_allocator *alloc;
  kb_arena arena;
  WIT_VEC(wit_typedef) types;
  WIT_VEC(wit_interface) interfaces;
  WIT_VEC(wit_world) worlds;
  WIT_VEC(wit_package) packages;
  WIT_VEC(const char *) features;
  bool all_features;
  WIT_VEC(wit_source) sources;
  uint32_t next_base;
  /* anonymous-type interning: key string -> typedef index + 1 */
  wit_smap anon;
};

/* An unresolved package: its name, docs and the declaration lists of its
 * files (one per file; a nested package has one). */
typedef struct wit_unresolved {
  wit_ast_pkgname name;
  wit_docs docs;
  WIT_VEC(wit_ast_decls *) files;
  const char *key; /* "ns:name@version" */
} wit_unresolved;

/* Resolves one package whose dependencies are already in r. */
kumi_error *wit_resolve_package(wit_resolve *r, wit_unresolved *u, uint32_t *pkg_id);

/* World processing after its items are resolved (world.c). */
typedef struct wit_include {
  wit_stability stability;
  uint32_t world;
  wit_span span;
  WIT_VEC(wit_ast_include_name) names;
} wit_include;
kumi_error *wit_process_includes(wit_resolve *r, uint32_t world, const wit_include *incs, uint32_t n, wit_span span);
kumi_error *wit_elaborate_world(wit_resolve *r, uint32_t world, wit_span span);

/* Helpers shared by the resolver files. */
bool wit_include_stability(wit_resolve *r, const wit_stability *s, uint32_t pkg, wit_span span, kumi_error **err);
uint32_t wit_type_interface_dep(const wit_resolve *r, uint32_t typedef_id); /* WIT_NONE if none */
const char *wit_package_name_string(kb_arena *ar, const char *ns, const char *name, const wit_version *v);
/* Interns an anonymous type definition; returns its wit_type or WIT_T_NONE on OOM. */
wit_type wit_intern_anon(wit_resolve *r, const wit_typedef *td);

#endif
