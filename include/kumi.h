/* kumi: a WebAssembly runtime. The public embedding API.
 *
 * Ownership: every *_new has a matching *_free. Objects made in a store
 * (instances, functions, memories, tables, globals) live as long as the
 * store and are freed with it. A module is reference-counted internally:
 * kumi_module_free may be called while instances made from it live.
 * Errors are values: functions that can fail return a kumi_error * (NULL on
 * success) or take a kumi_error **; the caller frees it with kumi_error_free.
 * Nothing here is thread-safe; separate engines are fully independent. */
#ifndef KUMI_H
#define KUMI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- allocation: the one hook ------------------------------------------
 * realloc(ud, p, old_size, new_size): new_size == 0 frees p and returns
 * NULL; p == NULL allocates. Returns NULL on failure. */
typedef struct kumi_allocator {
  void *(*realloc)(void *ud, void *p, size_t old_size, size_t new_size);
  void *ud;
} kumi_allocator;

/* ---- errors -------------------------------------------------------------- */
typedef enum kumi_error_kind {
  KUMI_ERR_MALFORMED = 1, /* the bytes do not decode */
  KUMI_ERR_INVALID,       /* decodes, but fails validation */
  KUMI_ERR_LINK,          /* an import is missing or has the wrong type */
  KUMI_ERR_TRAP,          /* wasm trapped; see kumi_error_trap_code */
  KUMI_ERR_EXIT,          /* the guest asked to exit; see kumi_error_exit_code */
  KUMI_ERR_IO,            /* a file could not be read or written */
  KUMI_ERR_OOM,           /* out of memory */
  KUMI_ERR_ARG,           /* the embedder passed a bad argument */
  KUMI_ERR_LIMIT,         /* a configured resource limit was exceeded */
} kumi_error_kind;

typedef enum kumi_trap_code {
  KUMI_TRAP_NONE = 0,
  KUMI_TRAP_UNREACHABLE,         /* "unreachable" */
  KUMI_TRAP_INT_DIV_ZERO,        /* "integer divide by zero" */
  KUMI_TRAP_INT_OVERFLOW,        /* "integer overflow" */
  KUMI_TRAP_INVALID_CONVERSION,  /* "invalid conversion to integer" */
  KUMI_TRAP_OOB_MEMORY,          /* "out of bounds memory access" */
  KUMI_TRAP_OOB_TABLE,           /* "out of bounds table access" */
  KUMI_TRAP_INDIRECT_MISMATCH,   /* "indirect call type mismatch" */
  KUMI_TRAP_UNINIT_ELEMENT,      /* "uninitialized element" */
  KUMI_TRAP_NULL_REFERENCE,      /* "null reference" (call_ref etc.) */
  KUMI_TRAP_STACK_EXHAUSTED,     /* "call stack exhausted" */
  KUMI_TRAP_HOST,                /* a host function failed */
  KUMI_TRAP_INTERRUPTED,         /* "interrupted": kumi_store_interrupt */
  KUMI_TRAP_OUT_OF_FUEL,         /* "all fuel consumed": kumi_store_set_fuel */
} kumi_trap_code;

typedef struct kumi_error kumi_error;
kumi_error_kind kumi_error_kind_of(const kumi_error *e);
/* True for the error of a wasm exception that no wasm frame caught (kind
 * KUMI_ERR_TRAP, message "uncaught exception"). */
bool kumi_error_is_exception(const kumi_error *e);
const char *kumi_error_message(const kumi_error *e);
/* Byte offset in the input the error refers to, or KUMI_NO_OFFSET. */
#define KUMI_NO_OFFSET UINT64_MAX
uint64_t kumi_error_offset(const kumi_error *e);
kumi_trap_code kumi_error_trap_code(const kumi_error *e);
const char *kumi_trap_message(kumi_trap_code code);
int kumi_error_exit_code(const kumi_error *e);
/* Wasm backtrace of a trap, innermost frame first. name may be NULL when the
 * module has no name for the function. */
typedef struct kumi_frame {
  uint32_t func_index; /* in its module's function index space */
  uint32_t offset;     /* byte offset of the instruction in the module */
  const char *name;    /* from the name section, or NULL */
  const char *module;  /* the module's name (name section), or NULL */
} kumi_frame;
size_t kumi_error_frame_count(const kumi_error *e);
const kumi_frame *kumi_error_frame(const kumi_error *e, size_t i);
/* Writes "message" and, for traps, the backtrace, one frame per line. */
void kumi_error_print(const kumi_error *e, void *file /* FILE * */);
void kumi_error_free(kumi_error *e);

/* ---- values -------------------------------------------------------------- */
typedef enum kumi_valkind {
  KUMI_I32 = 0,
  KUMI_I64,
  KUMI_F32,
  KUMI_F64,
  KUMI_V128,
  KUMI_FUNCREF,
  KUMI_EXTERNREF,
} kumi_valkind;

typedef struct kumi_func kumi_func;
typedef struct kumi_memory kumi_memory;
typedef struct kumi_table kumi_table;
typedef struct kumi_global kumi_global;
typedef struct kumi_tag kumi_tag; /* an exception tag: identity and a function type with no results */

/* A core value. Floats are kept bit-exact (NaN payloads survive).
 * funcref: NULL is ref.null. externref: NULL is ref.null; any other pointer
 * is an opaque host reference that wasm can pass around but not look into. */
typedef struct kumi_val {
  kumi_valkind kind;
  union {
    int32_t i32;
    int64_t i64;
    uint32_t f32_bits;
    uint64_t f64_bits;
    uint8_t v128[16];
    kumi_func *funcref;
    void *externref;
  } of;
} kumi_val;

static inline kumi_val kumi_val_i32(int32_t v) { kumi_val r; r.kind = KUMI_I32; r.of.i64 = 0; r.of.i32 = v; return r; }
static inline kumi_val kumi_val_i64(int64_t v) { kumi_val r; r.kind = KUMI_I64; r.of.i64 = v; return r; }

typedef struct kumi_functype {
  uint32_t nparams, nresults;
  const kumi_valkind *params, *results;
} kumi_functype;

/* ---- engine and modules -------------------------------------------------- */

/* WebAssembly proposals beyond 2.0 that an engine decodes and validates,
 * as bit flags. SIMD is part of 2.0 but can be turned off like the others.
 * Multi-memory changes the binary format: with it, memory instructions may
 * name a memory (alignment flag bit 6, and memory.size/grow/fill/copy/init
 * take a memory index LEB where 2.0 wants a zero byte), so a 2.0-exact
 * engine (e.g. for the 2.0 conformance tests) must leave it out. */
typedef uint32_t kumi_features;
#define KUMI_FEATURE_SIMD ((kumi_features)1u << 0)           /* v128 and its instructions */
#define KUMI_FEATURE_TAIL_CALL ((kumi_features)1u << 1)      /* return_call, return_call_indirect */
#define KUMI_FEATURE_EXTENDED_CONST ((kumi_features)1u << 2) /* i32/i64 add, sub, mul in constant expressions */
#define KUMI_FEATURE_MULTI_MEMORY ((kumi_features)1u << 3)   /* several memories, memory indices */
/* Exception handling (Wasm 3.0): the tag section, tag imports and exports,
 * throw, throw_ref, try_table and the exnref type. At the API an exnref is
 * a value of kind KUMI_EXTERNREF holding an opaque exception pointer (or
 * NULL). An exception no wasm frame catches ends the call with an error
 * for which kumi_error_is_exception is true. */
#define KUMI_FEATURE_EXCEPTIONS ((kumi_features)1u << 4)
#define KUMI_FEATURES_DEFAULT                                                                   \
  (KUMI_FEATURE_SIMD | KUMI_FEATURE_TAIL_CALL | KUMI_FEATURE_EXTENDED_CONST | KUMI_FEATURE_MULTI_MEMORY | \
   KUMI_FEATURE_EXCEPTIONS)
/* Marks a features value as exact, so that "none" can be said (0 means the
 * defaults): KUMI_FEATURES_EXACT alone is plain WebAssembly 2.0 without
 * SIMD; KUMI_FEATURES_EXACT | KUMI_FEATURE_SIMD is exactly 2.0. */
#define KUMI_FEATURES_EXACT ((kumi_features)1u << 31)

typedef struct kumi_config {
  const kumi_allocator *allocator; /* NULL: malloc/free */
  kumi_features features;          /* 0: KUMI_FEATURES_DEFAULT; see KUMI_FEATURES_EXACT */
} kumi_config;

typedef struct kumi_engine kumi_engine;
typedef struct kumi_module kumi_module;

kumi_engine *kumi_engine_new(const kumi_config *config); /* config may be NULL */
void kumi_engine_free(kumi_engine *engine);

/* Decodes, validates and prepares a core module. The bytes are copied. */
kumi_module *kumi_module_new(kumi_engine *engine, const uint8_t *bytes, size_t len, kumi_error **error);
/* Decodes and validates only. NULL when valid. */
kumi_error *kumi_module_validate(kumi_engine *engine, const uint8_t *bytes, size_t len);
void kumi_module_free(kumi_module *module);

typedef enum kumi_externkind {
  KUMI_EXTERN_FUNC = 0,
  KUMI_EXTERN_TABLE = 1,
  KUMI_EXTERN_MEMORY = 2,
  KUMI_EXTERN_GLOBAL = 3,
  KUMI_EXTERN_TAG = 4, /* exception handling: an exception tag */
} kumi_externkind;

typedef struct kumi_import_desc {
  const char *module, *name; /* NUL-terminated copies; names may hold NUL, see *_len */
  size_t module_len, name_len;
  kumi_externkind kind;
} kumi_import_desc;
typedef struct kumi_export_desc {
  const char *name;
  size_t name_len;
  kumi_externkind kind;
} kumi_export_desc;
size_t kumi_module_import_count(const kumi_module *m);
void kumi_module_import(const kumi_module *m, size_t i, kumi_import_desc *out);
size_t kumi_module_export_count(const kumi_module *m);
void kumi_module_export(const kumi_module *m, size_t i, kumi_export_desc *out);
/* The type of an exported function, or NULL if there is no such function. */
const kumi_functype *kumi_module_export_functype(const kumi_module *m, const char *name);

/* ---- stores --------------------------------------------------------------- */
typedef struct kumi_limits {
  uint32_t max_memory_pages; /* per memory, 64 KiB pages; 0: 65536 */
  uint32_t max_table_elems;  /* per table; 0: 10,000,000 */
  uint32_t max_call_depth;   /* wasm frames; 0: 10,000 */
  uint32_t max_stack_slots;  /* 8-byte value slots for all frames; 0: 1M */
  uint64_t fuel;             /* initial fuel (kumi_store_set_fuel); 0: unlimited */
} kumi_limits;

typedef struct kumi_store kumi_store;
typedef struct kumi_instance kumi_instance;

kumi_store *kumi_store_new(kumi_engine *engine, const kumi_limits *limits); /* limits may be NULL */
void kumi_store_free(kumi_store *store);

/* Runaway guests. Running wasm polls at every loop back-edge (a backward
 * branch) and function entry: each poll burns one unit of fuel, and at
 * least every 1024 polls it looks for an interrupt request.
 *
 * kumi_store_interrupt asks the wasm running in store (or the next to run)
 * to stop with the trap KUMI_TRAP_INTERRUPTED; the trap consumes the
 * request, and the store stays usable. It only sets an atomic flag, so it
 * may be called from another thread or a signal handler.
 *
 * kumi_store_set_fuel sets the fuel left; when wasm needs more than is
 * left it traps with KUMI_TRAP_OUT_OF_FUEL. KUMI_FUEL_UNLIMITED (the
 * default) turns counting off. Call them only while no wasm runs in the
 * store, or from a host function it called. */
#define KUMI_FUEL_UNLIMITED UINT64_MAX
void kumi_store_interrupt(kumi_store *store);
void kumi_store_set_fuel(kumi_store *store, uint64_t fuel);
uint64_t kumi_store_fuel(const kumi_store *store); /* left; KUMI_FUEL_UNLIMITED if not counting */

/* ---- externs ------------------------------------------------------------- */
typedef struct kumi_extern {
  kumi_externkind kind;
  union {
    kumi_func *func;
    kumi_table *table;
    kumi_memory *memory;
    kumi_global *global;
    kumi_tag *tag;
  } of;
} kumi_extern;

/* Host functions. The caller gives access to the calling instance, e.g. its
 * exported memory. Return NULL on success, or an error: a trap of kind
 * KUMI_TRAP_HOST (make one with kumi_error_new) or an exit request. */
typedef struct kumi_caller kumi_caller;
typedef kumi_error *(*kumi_host_fn)(kumi_caller *caller, void *env, const kumi_val *args, kumi_val *results);
kumi_memory *kumi_caller_memory(kumi_caller *caller, const char *export_name); /* NULL if none */
kumi_store *kumi_caller_store(kumi_caller *caller);
kumi_error *kumi_error_new(kumi_store *store, kumi_error_kind kind, const char *message);
kumi_error *kumi_error_new_exit(kumi_store *store, int code);

/* type is copied. env is passed back to fn. */
kumi_func *kumi_func_new(kumi_store *store, const kumi_functype *type, kumi_host_fn fn, void *env);
const kumi_functype *kumi_func_type(const kumi_func *f);
/* Calls f. args and results must match its type in number and kind. A trap
 * returns an error of kind KUMI_ERR_TRAP with a backtrace; the store stays
 * usable afterwards. */
kumi_error *kumi_func_call(kumi_store *store, kumi_func *f, const kumi_val *args, size_t nargs, kumi_val *results,
                           size_t nresults);

kumi_memory *kumi_memory_new(kumi_store *store, uint32_t min_pages, uint32_t max_pages, bool has_max, kumi_error **error);
uint8_t *kumi_memory_data(kumi_memory *m); /* may move after a grow */
size_t kumi_memory_size(const kumi_memory *m); /* bytes */
/* Grows by delta pages; returns the old size in pages, or -1 on failure. */
int64_t kumi_memory_grow(kumi_memory *m, uint32_t delta);
/* Bounds-checked copies; an out-of-range access returns a trap error. */
kumi_error *kumi_memory_read(kumi_memory *m, uint64_t offset, void *buf, size_t len);
kumi_error *kumi_memory_write(kumi_memory *m, uint64_t offset, const void *buf, size_t len);

kumi_table *kumi_table_new(kumi_store *store, kumi_valkind elem, uint32_t min, uint32_t max, bool has_max, kumi_val init,
                           kumi_error **error);
uint32_t kumi_table_size(const kumi_table *t);
bool kumi_table_get(const kumi_table *t, uint32_t i, kumi_val *out);
bool kumi_table_set(kumi_table *t, uint32_t i, kumi_val v);
int64_t kumi_table_grow(kumi_table *t, uint32_t delta, kumi_val init);

kumi_global *kumi_global_new(kumi_store *store, kumi_val init, bool mutable_, kumi_error **error);
kumi_val kumi_global_get(const kumi_global *g);
kumi_error *kumi_global_set(kumi_global *g, kumi_val v); /* fails if immutable or kind differs */

/* ---- linking and instances ------------------------------------------------
 * A linker maps (module, name) to externs of one store. */
typedef struct kumi_linker kumi_linker;
kumi_linker *kumi_linker_new(kumi_store *store);
void kumi_linker_free(kumi_linker *l);
kumi_error *kumi_linker_define(kumi_linker *l, const char *module, const char *name, kumi_extern ext);
kumi_error *kumi_linker_define_func(kumi_linker *l, const char *module, const char *name, const kumi_functype *type,
                                    kumi_host_fn fn, void *env);
/* Defines every export of inst under module name `module` ("register"). */
kumi_error *kumi_linker_define_instance(kumi_linker *l, const char *module, kumi_instance *inst);
/* Resolves imports, allocates, initializes segments, runs the start
 * function. On a trap during start the error has kind KUMI_ERR_TRAP. */
kumi_instance *kumi_linker_instantiate(kumi_linker *l, kumi_module *m, kumi_error **error);

bool kumi_instance_export(kumi_instance *inst, const char *name, kumi_extern *out);
/* The same for a name given with its length: export names may hold NUL. */
bool kumi_instance_export_n(kumi_instance *inst, const char *name, size_t name_len, kumi_extern *out);
kumi_func *kumi_instance_func(kumi_instance *inst, const char *name); /* NULL if no such function */
kumi_memory *kumi_instance_memory(kumi_instance *inst, const char *name);


/* ---- component values -------------------------------------------------------
 * kumi_cval is the host-facing value of the Component Model: a tree. It is a
 * type of its own (not kumi_val) so that core code switching over
 * kumi_valkind is unaffected. A value does not carry its type: record
 * field names, case names and flag names come from the type it is used
 * with. Children are owned by their parent; kumi_cval_free frees the
 * children of v (not v itself) and resets v to a bool false.
 *   record, tuple, list (also fixed-length): of.agg, items in order;
 *   map: of.agg of 2-element KUMI_CV_TUPLE values (key, value);
 *   variant, enum, option (0 none, 1 some), result (0 ok, 1 error):
 *     of.var.index, of.var.payload (NULL when the case has no payload);
 *   flags: bit i of of.flags is label i;
 *   string: of.str, well-formed UTF-8 (not NUL-terminated);
 *   own, borrow, stream, future, error-context: of.handle. */
typedef enum kumi_cvalkind {
  KUMI_CV_BOOL = 1, KUMI_CV_S8, KUMI_CV_U8, KUMI_CV_S16, KUMI_CV_U16, KUMI_CV_S32, KUMI_CV_U32, KUMI_CV_S64,
  KUMI_CV_U64, KUMI_CV_F32, KUMI_CV_F64, KUMI_CV_CHAR, KUMI_CV_STRING, KUMI_CV_LIST, KUMI_CV_RECORD,
  KUMI_CV_TUPLE, KUMI_CV_VARIANT, KUMI_CV_ENUM, KUMI_CV_OPTION, KUMI_CV_RESULT, KUMI_CV_FLAGS, KUMI_CV_MAP,
  KUMI_CV_OWN, KUMI_CV_BORROW, KUMI_CV_STREAM, KUMI_CV_FUTURE, KUMI_CV_ERROR_CONTEXT,
} kumi_cvalkind;

typedef struct kumi_cval {
  kumi_cvalkind kind;
  union {
    bool b;
    int64_t s;         /* s8..s64 */
    uint64_t u;        /* u8..u64 */
    uint32_t f32_bits; /* floats bit-exact */
    uint64_t f64_bits;
    uint32_t ch;       /* a Unicode scalar value */
    struct { char *ptr; size_t len; } str;
    struct { struct kumi_cval *items; size_t len; } agg;
    struct { uint32_t index; struct kumi_cval *payload; } var;
    uint32_t flags;
    uint32_t handle;
  } of;
} kumi_cval;

/* Scalars (no allocation). */
kumi_cval kumi_cval_bool(bool b);
kumi_cval kumi_cval_int(kumi_cvalkind kind, int64_t v);   /* s8..s64: sign-extended; u8..u64: the bits */
kumi_cval kumi_cval_f32(uint32_t bits);
kumi_cval kumi_cval_f64(uint64_t bits);
kumi_cval kumi_cval_char(uint32_t c);
kumi_cval kumi_cval_flags(uint32_t bits);
kumi_cval kumi_cval_handle(kumi_cvalkind kind, uint32_t h);
/* The constructors below return false on OOM (or, for strings, bad UTF-8),
 * leaving *out a bool false. a may be NULL (malloc). */
bool kumi_cval_string(const kumi_allocator *a, const char *s, size_t len, kumi_cval *out);
/* An aggregate (list, record, tuple, map) of n zeroed items to fill in. */
bool kumi_cval_agg(const kumi_allocator *a, kumi_cvalkind kind, size_t n, kumi_cval *out);
/* A variant-like value; payload (may be NULL) is moved into the new value. */
bool kumi_cval_case(const kumi_allocator *a, kumi_cvalkind kind, uint32_t index, const kumi_cval *payload,
                    kumi_cval *out);
void kumi_cval_free(const kumi_allocator *a, kumi_cval *v);
/* Deep equality (floats by bits). */
bool kumi_cval_equal(const kumi_cval *x, const kumi_cval *y);
bool kumi_cval_clone(const kumi_allocator *a, const kumi_cval *v, kumi_cval *out);


/* ---- components ---------------------------------------------------------
 * A component is decoded and validated by kumi_component_new and
 * instantiated in a store. This first slice runs self-contained components
 * (no imports); a component that uses something not supported yet (value
 * definitions, start functions, resources, async built-ins) fails to
 * instantiate with a KUMI_ERR_ARG error whose message starts with
 * "unsupported: ". A component instance must be freed (with
 * kumi_component_instance_free) before its store. */
typedef struct kumi_component kumi_component;
typedef struct kumi_component_instance kumi_component_instance;
typedef struct kumi_component_func kumi_component_func;

kumi_component *kumi_component_new(kumi_engine *engine, const uint8_t *bytes, size_t len, kumi_error **error);
void kumi_component_free(kumi_component *c);
/* The same, with Component Model features beyond the defaults (which are
 * the async basics: async lifts with a callback, async lowers, streams,
 * futures, waitable sets). features is a comma-separated list of
 * wasm-tools feature names applied to the defaults ("cm-async-stackful,
 * cm-threading", "-cm-async" turns one off), "all" for every feature kumi
 * knows, or NULL for the defaults. Gated like Wasmtime's: cm-async-stackful
 * (async lifts without a callback), cm-more-async-builtins (synchronous
 * stream/future copies and more built-in options), cm-threading
 * (thread.*), cm-error-context. An unknown name is a KUMI_ERR_ARG error. */
kumi_component *kumi_component_new_with(kumi_engine *engine, const uint8_t *bytes, size_t len, const char *features,
                                        kumi_error **error);

/* c must outlive the instance. */
kumi_component_instance *kumi_component_instantiate(kumi_store *store, kumi_component *c, kumi_error **error);
void kumi_component_instance_free(kumi_component_instance *inst);
/* An exported function: iface NULL for a top-level export, else the name
 * of an exported instance ("ns:pkg/iface@1.0.0") holding function `name`.
 * NULL if there is none. Valid while the instance lives. */
kumi_component_func *kumi_component_instance_func(kumi_component_instance *inst, const char *iface, const char *name);
size_t kumi_component_func_param_count(const kumi_component_func *f);
size_t kumi_component_func_result_count(const kumi_component_func *f); /* 0 or 1 */
/* Calls f (lift: arguments are lowered into the callee, the result lifted
 * out, then post-return runs). args must match the parameter types; results
 * are allocated with the engine's allocator (free with kumi_cval_free). A
 * trap returns a KUMI_ERR_TRAP error. */
kumi_error *kumi_component_func_call(kumi_store *store, kumi_component_func *f, const kumi_cval *args, size_t nargs,
                                     kumi_cval *results, size_t nresults);
/* Drops an own handle the host received from inst (e.g. the result of a
 * resource constructor) of the resource type `resource` that inst exports
 * (iface NULL: at the top level; else inside the exported instance iface):
 * runs the resource's destructor, if it has one, with the handle's rep.
 * Owning handles of a component's resources are the representation the
 * host sees: pass them back as borrow<R> (kumi_cval_handle(KUMI_CV_BORROW,
 * h.of.handle)) to call methods, and drop each exactly once. */
kumi_error *kumi_component_instance_drop(kumi_store *store, kumi_component_instance *inst, const char *iface,
                                         const char *resource, const kumi_cval *handle);

/* ---- linking components to the host -------------------------------------
 * A kumi_component_linker holds host definitions named as in WIT: functions
 * and resource types inside an interface ("ns:pkg/iface@1.2.3"), or at the
 * top level (iface NULL). kumi_component_linker_instantiate satisfies every
 * import of a component from it:
 *  - an imported instance "ns:pkg/iface@V" is satisfied by the host
 *    interface of exactly that name or else by the one with the same
 *    ns:pkg/iface whose version is semver-compatible and not lower (same
 *    major; for 0.x the same minor; for 0.0.x the same patch), the highest
 *    such: an import of @0.2.3 is satisfied by a host @0.2.12. Every
 *    function and resource type the imported instance type lists must be
 *    defined there (extra host definitions are fine);
 *  - a top-level imported function or resource type by its plain name;
 *  - a host function defined with a type (a WIT function type) is checked
 *    against the import's type by the Component Model's subtyping rules; one
 *    defined without takes the import's type.
 * An unsatisfied or mistyped import is a KUMI_ERR_LINK error naming the
 * import, the type it expects and what the linker has.
 *
 * Host functions see component values. Handles of a resource type the host
 * defined carry the host's representation (rep, any u32 the host chose): a
 * host function returning own<R> hands the caller a new handle for rep; one
 * receiving own<R> takes rep back from the caller (the caller's handle is
 * gone, the host now owns it); borrow<R> gives rep for the duration of the
 * call. When a component drops the last own handle of a host resource, the
 * resource's destructor runs with its rep (handles still held by the guest
 * when its instance is freed are not destroyed).
 *
 * kumi_component_instantiate is instantiation with an empty linker: an
 * import that needs a host definition is a KUMI_ERR_LINK error ("import
 * X not defined"); an imported instance that exports only types needs
 * none. A host function may call back into the component only where the
 * Component Model allows it (an instance being called cannot be entered
 * again: such a call traps). */
typedef struct kumi_component_linker kumi_component_linker;

/* A host function. args are the lifted arguments (owned by the runtime, valid
 * during the call). When the function type has a result, the callback must
 * set *result, allocating with a (the store's allocator); the runtime frees
 * it. Return NULL, or an error: kumi_error_new (a trap) or
 * kumi_error_new_exit (the guest asked to exit). */
typedef kumi_error *(*kumi_component_host_fn)(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                              kumi_cval *result);
/* Called when the last own handle of a host resource is dropped. */
typedef void (*kumi_component_host_dtor)(void *env, uint32_t rep);

kumi_component_linker *kumi_component_linker_new(kumi_engine *engine);
void kumi_component_linker_free(kumi_component_linker *l);
/* Defines function `name` in interface iface (NULL: top level). type is a
 * WIT function type written with anonymous types ("func(a: u32, s: string)
 * -> result<list<u8>, string>"; a resource type defined in the same
 * interface may be named: r, own<r>, borrow<r>) or NULL (untyped: the
 * function takes the type the import declares). Defining a name twice is
 * an error. */
kumi_error *kumi_component_linker_define_func(kumi_component_linker *l, const char *iface, const char *name,
                                              const char *type, kumi_component_host_fn fn, void *env);
/* Defines resource type `name` in iface (NULL: top level); dtor may be NULL. */
kumi_error *kumi_component_linker_define_resource(kumi_component_linker *l, const char *iface, const char *name,
                                                  kumi_component_host_dtor dtor, void *env);
/* Instantiates c, its imports satisfied from l (see above). l must outlive
 * the instance. */
kumi_component_instance *kumi_component_linker_instantiate(kumi_component_linker *l, kumi_store *store,
                                                           kumi_component *c, kumi_error **error);

#ifdef __cplusplus
}
#endif
#endif
