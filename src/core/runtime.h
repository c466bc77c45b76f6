/* Runtime objects of core WebAssembly: the store and what lives in it
 * (functions, memories, tables, globals, instances), and the entry into the
 * interpreter. These are the definitions behind the opaque public types of
 * include/kumi.h. */
#ifndef KUMI_CORE_RUNTIME_H
#define KUMI_CORE_RUNTIME_H

#include "module.h"

/* One operand/local slot of the interpreter. i32 is kept zero-extended,
 * floats as bit patterns, references as pointers (0 is null): a funcref is
 * a kumi_func *, an externref the host's pointer. A v128 takes two
 * consecutive slots: bytes 0..7 (little-endian) in the first, 8..15 in the
 * second. */
typedef uint64_t core_slot;

/* Slots a value of type t takes (2 for v128, else 1), and a list of them. */
static inline uint32_t core_valtype_slots(core_valtype t) { return t == CORE_V128 ? 2u : 1u; }
static inline uint32_t core_valtypes_slots(const core_valtype *ts, uint32_t n) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++) k += core_valtype_slots(ts[i]);
  return k;
}

#define CORE_PAGE_SIZE 65536u

struct kumi_engine {
  const kumi_allocator *alloc;
  kumi_allocator alloc_storage;
  kumi_features features; /* resolved: KUMI_FEATURE_* bits, never 0-means-default */
};

struct kumi_module {
  kumi_engine *engine;
  core_module *core;
  uint32_t refs; /* the handle plus every instance made from it */
  kumi_functype *api_types; /* one per type index, in core->arena (api.c) */
};

struct kumi_memory {
  kumi_store *store;
  core_memtype type; /* current limits: type.limits.min is the current size in pages */
  uint8_t *data;
  uint64_t size;      /* bytes, = pages * CORE_PAGE_SIZE */
  uint64_t max_pages; /* effective maximum: declared max capped by the store limit */
};

struct kumi_table {
  kumi_store *store;
  core_tabletype type; /* type.limits.min is the current size */
  core_slot *elems;    /* size entries; 0 is null */
  uint32_t size;
  uint64_t max; /* effective maximum */
};

struct kumi_global {
  kumi_store *store;
  core_globaltype type;
  core_slot value;
  core_slot value_hi; /* v128: bytes 8..15 (value holds bytes 0..7) */
};

struct core_compiled;

/* An exception tag. Identity is the object: each tag a module defines is a
 * new one per instance; imports and exports pass the same pointer on. */
struct kumi_tag {
  kumi_store *store;
  uint32_t type_id;          /* store-wide id of its function type */
  const core_functype *type; /* params: the payload; no results */
};

/* A thrown exception (what an exnref points to). Lives in the store's
 * arena until the store is freed: without a garbage collector, an exnref
 * may be kept anywhere (locals, tables, globals), so it is never freed
 * earlier. */
typedef struct core_exn {
  kumi_tag *tag;
  uint32_t nslots; /* payload slots (a v128 takes two) */
  core_slot payload[];
} core_exn;

struct kumi_func {
  kumi_store *store;
  uint32_t type_id;          /* store-wide id: equal ids mean equal function types */
  const core_functype *type; /* lives in the store's type table */
  kumi_functype api_type;    /* the same type for the public API */
  /* Wasm functions: */
  kumi_instance *instance;
  uint32_t index;                 /* in the module's function index space */
  struct core_compiled *compiled; /* module->compiled[index - nimported_funcs] */
  /* Host functions (instance == NULL): */
  kumi_host_fn host;
  void *env;
};

struct kumi_instance {
  kumi_store *store;
  kumi_module *module; /* holds a reference */
  core_module *core;   /* = module->core */
  kumi_func **funcs;   /* whole index spaces, imports first */
  kumi_table **tables;
  kumi_memory **memories;
  kumi_global **globals;
  kumi_tag **tags;
  uint32_t *type_ids; /* store type id of each module type index */
  /* Element segments, resolved at instantiation: elem_items[i] has
   * elem_lens[i] references; elem.drop (and active/declarative init) sets
   * the length to 0. */
  core_slot **elem_items;
  uint32_t *elem_lens;
  /* Data segments: data_lens[i] is module->datas[i].len, or 0 once dropped. */
  uint32_t *data_lens;
  kb_map exports; /* name -> (kumi_extern *) */
};

struct kumi_caller {
  kumi_store *store;
  kumi_instance *instance; /* the calling wasm instance, or NULL */
};

/* The interpreter's per-store execution state. Frames and operands live
 * here, not on the C stack. */
typedef struct core_exec {
  core_slot *stack; /* value stack: frames' locals and operands */
  size_t stack_cap; /* in slots */
  uint32_t depth;   /* wasm frames currently active */
  uint32_t host_depth; /* nested entries from host into wasm */
  void *frames;     /* interpreter-defined frame records */
  size_t frames_cap;
  size_t sp; /* first free slot of stack: where a nested entry (a host
                function calling back into wasm) puts its frame */
  /* Fuel not yet handed to a running interpreter (which takes it in
   * chunks and gives back what it did not use before it calls a host
   * function or returns); UINT64_MAX: not counting. */
  uint64_t fuel;
  /* The exception of the last "uncaught exception" error a run() returned:
   * a wasm caller that gets that error back from a host function throws it
   * on in its own frames. */
  core_exn *exn;
  /* Set by kumi_store_interrupt, cleared by the trap it causes. */
  _Atomic int interrupt;
} core_exec;

/* The per-thread part of core_exec (stacks, depths, the pending
 * exception; not fuel nor the interrupt flag): a Component Model thread
 * that runs on its own native stack (a fiber, src/component/async.h) has
 * its own interpreter stacks, so that threads suspended in the middle of
 * wasm code do not share them. Zeroed: no stacks yet (the interpreter
 * allocates them on first use). */
typedef struct core_exec_thread {
  core_slot *stack;
  size_t stack_cap;
  uint32_t depth, host_depth;
  void *frames;
  size_t frames_cap;
  size_t sp;
  core_exn *exn;
} core_exec_thread;

struct kumi_store {
  kumi_engine *engine;
  const kumi_allocator *alloc;
  kumi_limits limits; /* with defaults filled in */
  kb_arena arena;     /* objects that live as long as the store */
  /* Interned function types: id = index. */
  KB_VEC(core_functype) types;
  /* Everything to free with the store. */
  KB_VEC(kumi_memory *) memories;
  KB_VEC(kumi_table *) tables;
  KB_VEC(kumi_instance *) instances;
  core_exec exec;
};

/* Exchanges the per-thread fields of s->exec with t: before switching to
 * another native stack, and back after. Not on the interpreter's path. */
void core_exec_swap(kumi_store *s, core_exec_thread *t);
/* Frees the stacks of t (a thread's, not swapped in). */
void core_exec_thread_free(kumi_store *s, core_exec_thread *t);

/* Returns the store-wide id of a function type (interning a copy), or
 * UINT32_MAX on OOM. */
uint32_t core_store_type_id(kumi_store *s, const core_functype *ft);

/* Calls f with its parameters in slots[0..nparams); on success its results
 * are in slots[0..nresults), counted in slots (core_valtypes_slots). slots
 * must have room for the larger of the two. Returns NULL, or an error (a trap with a backtrace, or a host
 * function's error). Re-entrant: host functions may call back into wasm. */
kumi_error *core_invoke(kumi_store *s, kumi_func *f, core_slot *slots);

/* The message of the error an uncaught exception ends a call with (kind
 * KUMI_ERR_TRAP, trap code KUMI_TRAP_NONE: kumi_error_is_exception). */
#define CORE_UNCAUGHT_MESSAGE "uncaught exception"

/* Makes a trap error. The interpreter adds the backtrace. */
kumi_error *core_trap(kumi_store *s, kumi_trap_code code);

/* Conversions between slots and public values. */
core_slot core_slot_from_val(const kumi_val *v);
kumi_val core_val_from_slot(core_valtype t, core_slot s);
/* The same for any type, v128 included: a value in core_valtype_slots(t)
 * slots. core_slots_from_val returns how many slots it wrote. */
uint32_t core_slots_from_val(const kumi_val *v, core_slot *out);
kumi_val core_val_from_slots(core_valtype t, const core_slot *s);
kumi_valkind core_valkind(core_valtype t);

/* Memory and table growth shared by the interpreter and the API. Return the
 * old size, or -1 when growth is refused (limit, OOM). */
int64_t core_memory_grow(kumi_memory *m, uint64_t delta_pages);
int64_t core_table_grow(kumi_table *t, uint64_t delta, core_slot init);

#endif
