/* The Canonical ABI (CanonicalABI.md): layout, flattening, load/store,
 * lift/lower between component values (kumi_cval) and a component
 * instance's linear memory and core values, string transcoding, and the
 * resource handle tables of an instance.
 *
 * Types are the interned value types of types.h (comp_vt). A value given to
 * store/lower must match its type; a mismatch is a KUMI_ERR_ARG error, never
 * a crash. Every check the spec makes while lifting or loading (bounds,
 * alignment, char and string validity, discriminant range, length limits)
 * is a KUMI_ERR_TRAP error. Floats follow the deterministic profile: NaNs
 * are canonicalized when lifted and when lowered.
 *
 * Files: abi_layout.c (size, alignment, flattening, function signatures),
 * abi_mem.c (load/store/lift/lower), abi_string.c (strings), abi_call.c
 * (sync canon lift/lower calls), abi_handles.h/.c (handle tables),
 * abi_typestr.c (a WIT-like type syntax for tests and tools), wave.c (the
 * WAVE value syntax), val.c (kumi_cval). */
#ifndef KUMI_COMPONENT_ABI_H
#define KUMI_COMPONENT_ABI_H

#include "types.h"

/* string-encoding canonopt */
enum { ABI_UTF8 = 0, ABI_UTF16 = 1, ABI_LATIN1_UTF16 = 2 };
/* Core value type codes, as in the binary: i32 0x7f, i64 0x7e, f32 0x7d, f64 0x7c. */
enum { ABI_I32 = 0x7f, ABI_I64 = 0x7e, ABI_F32 = 0x7d, ABI_F64 = 0x7c };

#define ABI_MAX_FLAT_PARAMS 16
#define ABI_MAX_FLAT_ASYNC_PARAMS 4
#define ABI_MAX_FLAT_RESULTS 1
#define ABI_MAX_BYTE_LENGTH (((uint64_t)1 << 28) - 1) /* MAX_LIST/STRING_BYTE_LENGTH */

/* ---- layout (abi_layout.c) ------------------------------------------------ */

/* The type behind a value type, with defined primitives resolved: returns
 * the primitive code (COMP_U8, ...) or 0 and sets *t to the defined type. */
uint8_t abi_resolve(const comp_types *ts, comp_vt v, const comp_type **t);
/* elem_size and alignment. Sizes saturate at 2^62 (the validator bounds
 * real types far below). */
uint64_t abi_size(const comp_types *ts, comp_vt v, bool mem64);
uint32_t abi_align(const comp_types *ts, comp_vt v, bool mem64);
/* Number of cases of a variant-like type (variant, enum, option, result)
 * and its discriminant size in bytes. */
uint32_t abi_ncases(const comp_type *t);
uint32_t abi_disc_size(const comp_type *t);
/* The payload type of case i: false when the case has none. */
bool abi_case_type(const comp_type *t, uint32_t i, comp_vt *out);
/* The offset of the payload of a variant-like type (disc size aligned to the
 * maximum case alignment). */
uint64_t abi_payload_offset(const comp_types *ts, const comp_type *t, bool mem64);
/* Flags: 1, 2 or 4 bytes. */
uint32_t abi_flags_size(uint32_t nlabels);

/* Flattening. The count saturates at UINT64_MAX/2. abi_flatten writes the
 * core types (ABI_I32, ...) of v to out[0..count) and returns false when
 * they do not fit in cap or on OOM (a is used for scratch space). */
uint64_t abi_flat_count(const comp_types *ts, comp_vt v);
bool abi_flatten(const kumi_allocator *a, const comp_types *ts, comp_vt v, bool mem64, uint8_t *out, size_t cap,
                 size_t *count);

/* flatten_functype: the core signature of function type ft (a CT_FUNC)
 * for lifting or lowering. params/results need room for 17/1 entries; on
 * return *np and *nr hold the counts. */
typedef struct abi_sigopts {
  bool mem64, async, callback, lift;
} abi_sigopts;
bool abi_flatten_functype(const kumi_allocator *a, const comp_types *ts, const comp_type *ft, const abi_sigopts *o,
                          uint8_t *params, uint32_t *np, uint8_t *results, uint32_t *nr);

/* ---- the call context (abi_mem.c) ------------------------------------------ */

/* What a lift or lower talks to. realloc is the guest's cabi_realloc (NULL:
 * none; allocating then traps). memory is asked for the (possibly moved)
 * memory after each realloc; NULL keeps mem/mem_size. Handle hooks turn a
 * table index in the guest into the host's handle value (lift) and back
 * (lower); NULL passes the number through unchanged. t is the own/borrow
 * type. */
typedef struct abi_hooks {
  kumi_error *(*realloc)(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                         uint64_t *ret);
  void (*memory)(void *ud, uint8_t **base, uint64_t *size);
  kumi_error *(*lift_handle)(void *ud, const comp_type *t, uint32_t index, uint32_t *out);
  kumi_error *(*lower_handle)(void *ud, const comp_type *t, uint32_t value, uint32_t *out);
  void *ud;
} abi_hooks;

typedef struct abi_cx {
  const kumi_allocator *alloc;
  const comp_types *ts;
  bool mem64;
  uint8_t encoding; /* ABI_UTF8, ... */
  uint8_t *mem;
  uint64_t mem_size;
  abi_hooks hooks;
} abi_cx;

/* A sequence of flat core values being read (lift). */
typedef struct abi_iter {
  const kumi_val *v;
  size_t n, i;
} abi_iter;
typedef KB_VEC(kumi_val) abi_vals;

kumi_error *abi_trap(const abi_cx *cx, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Calls the guest's realloc and refreshes mem/mem_size. The checks on the
 * returned pointer (alignment, bounds) are the caller's, as they differ
 * between the spec's call sites. */
kumi_error *abi_realloc(abi_cx *cx, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                        uint64_t *ret);

kumi_error *abi_load(abi_cx *cx, comp_vt t, uint64_t ptr, kumi_cval *out);
kumi_error *abi_store(abi_cx *cx, comp_vt t, const kumi_cval *v, uint64_t ptr);
kumi_error *abi_lift_flat(abi_cx *cx, comp_vt t, abi_iter *it, kumi_cval *out);
kumi_error *abi_lower_flat(abi_cx *cx, comp_vt t, const kumi_cval *v, abi_vals *out);
/* lift_flat_values / lower_flat_values. out[0..n) receives the values; on
 * error nothing is left allocated. retptr (lower) is NULL when the caller
 * allocates nothing (canon lift arguments: realloc is used), else the
 * out-param. */
kumi_error *abi_lift_flat_values(abi_cx *cx, uint32_t max_flat, const comp_vt *ts, size_t n, abi_iter *it,
                                 kumi_cval *out);
kumi_error *abi_lower_flat_values(abi_cx *cx, uint32_t max_flat, const comp_vt *ts, const kumi_cval *vs, size_t n,
                                  const uint64_t *retptr, abi_vals *out);

/* ---- synchronous calls (abi_call.c) ------------------------------------------ */

/* A core function: args in, nresults results out. */
typedef kumi_error *(*abi_core_fn)(void *ud, const kumi_val *args, size_t nargs, kumi_val *results,
                                   size_t nresults);
/* A host function: result is NULL when the function type has none; the
 * host fills it (the call takes ownership). */
typedef kumi_error *(*abi_host_fn)(void *ud, const kumi_cval *args, size_t nargs, kumi_cval *result);

/* canon lift (sync): the host calls a lifted core function ft with args;
 * *result receives the result (when ft has one). callee is the core
 * function, post_return (may be NULL) gets the core results after they are
 * lifted. */
kumi_error *abi_canon_lift_call(abi_cx *cx, const comp_type *ft, const kumi_cval *args, kumi_cval *result,
                                abi_core_fn callee, abi_core_fn post_return, void *ud);
/* canon lower (sync): core code calls host function host of type ft with
 * core_args (the return pointer last when results spill); the core results
 * are appended to core_results. */
kumi_error *abi_canon_lower_call(abi_cx *cx, const comp_type *ft, const kumi_val *core_args, size_t nargs,
                                 abi_vals *core_results, abi_host_fn host, void *ud);

/* ---- strings (abi_string.c) -------------------------------------------------- */

/* A host-side string: bytes in src_encoding (ABI_UTF8, ABI_UTF16, or
 * ABI_LATIN1_UTF16 whose form is told by the tag bit of tagged_units, read
 * with src_mem64's width) and its length in code units. */
typedef struct abi_str {
  const uint8_t *bytes;
  uint8_t encoding;
  bool mem64;
  uint64_t tagged_units;
} abi_str;
/* store_string_into_range into cx's memory and encoding. */
kumi_error *abi_store_string_range(abi_cx *cx, const abi_str *s, uint64_t *ptr, uint64_t *tagged_units);
/* load_string_from_range: a well-formed UTF-8 copy of the string. */
kumi_error *abi_load_string_range(abi_cx *cx, uint64_t ptr, uint64_t tagged_units, kumi_cval *out);
/* Every check (and trap) of abi_load_string_range, without the copy. */
kumi_error *abi_check_string_range(abi_cx *cx, uint64_t ptr, uint64_t tagged_units);
/* store_string_into_range into dst of the string (src_ptr, src_tagged) in
 * src's memory and encoding (a fused call: no copy in between). The source
 * range gets load_string_from_range's length, alignment and bounds checks;
 * checked says its contents were validated already (abi_check_string_range)
 * so a same-encoding copy skips the second pass. src's memory is looked up
 * again (and the range re-checked) after each of dst's reallocs. */
kumi_error *abi_store_string_from(abi_cx *dst, abi_cx *src, uint64_t src_ptr, uint64_t src_tagged, bool checked,
                                  uint64_t *ptr, uint64_t *tagged_units);

/* ---- a WIT-like type syntax (abi_typestr.c) ------------------------------------
 * Parses the type syntax of the Canonical ABI vectors (`list<u8>`,
 * `record{a: u32}`, `own<R>`, `func(a: u32) -> string`, ...) into types of
 * ts. Resource names map to fresh resource types, the same name to the same
 * type within one abi_typestr_cx. Returns false with a message in err. */
typedef struct abi_typestr_cx {
  comp_types *ts;
  kb_map resources; /* name -> tid */
} abi_typestr_cx;
void abi_typestr_init(abi_typestr_cx *p, comp_types *ts);
void abi_typestr_free(abi_typestr_cx *p);
bool abi_typestr_parse(abi_typestr_cx *p, const char *s, size_t len, comp_vt *out, char *err, size_t errcap);
/* A function type: *out is a CT_FUNC tid. */
bool abi_typestr_parse_func(abi_typestr_cx *p, const char *s, size_t len, comp_tid *out, char *err, size_t errcap);

/* The validation rules of defined value types (what validate.c checks on
 * binaries) applied to a type built by the parser above. */
bool abi_typestr_check(const comp_types *ts, comp_vt v, char *err, size_t errcap);

/* ---- WAVE (wave.c) ------------------------------------------------------------
 * The WebAssembly Value Encoding. Parsing is typed by the expected type. */
kumi_error *wave_parse(const kumi_allocator *a, const comp_types *ts, comp_vt t, const char *s, size_t len,
                       kumi_cval *out);
/* Appends the WAVE text of v to *buf (a growable char vector); false on OOM
 * or when v does not match t. */
typedef KB_VEC(char) wave_buf;
bool wave_print(const kumi_allocator *a, const comp_types *ts, comp_vt t, const kumi_cval *v, wave_buf *buf);
/* A WAVE call `name(arg, ...)` (kumi run --invoke): wave_call_name finds
 * the name (trimmed) and the offset of '('; false when there is no '('.
 * wave_parse_args parses s[0..len) = `(arg, ...)` as the parameters of
 * function type ft into out[0..ft->n); on error nothing stays allocated. */
bool wave_call_name(const char *s, size_t len, size_t *name_off, size_t *name_len, size_t *args_off);
kumi_error *wave_parse_args(const kumi_allocator *a, const comp_types *ts, const comp_type *ft, const char *s,
                            size_t len, kumi_cval *out);

#endif
