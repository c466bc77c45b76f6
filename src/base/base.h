/* base: the ground floor of kumi. Allocation through one hook, growable
 * vectors, an arena, a string-keyed hash map, LEB128, UTF-8, error values.
 * Nothing here knows about WebAssembly. Internal prefix: kb_. */
#ifndef KUMI_BASE_H
#define KUMI_BASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kumi.h"

/* ---- allocation ----------------------------------------------------------
 * Every allocation in kumi goes through a kumi_allocator (include/kumi.h).
 * kb_alloc/kb_realloc return NULL on failure; callers turn that into an
 * error value. kb_default_allocator() wraps malloc/realloc/free. */
const kumi_allocator *kb_default_allocator(void);
void *kb_alloc(const kumi_allocator *a, size_t size);
void *kb_zalloc(const kumi_allocator *a, size_t size);
void *kb_realloc(const kumi_allocator *a, void *p, size_t old_size, size_t new_size);
void kb_free(const kumi_allocator *a, void *p, size_t size);
char *kb_strndup(const kumi_allocator *a, const char *s, size_t n);

/* ---- vectors -------------------------------------------------------------
 * A typed vector is a struct with `items`, `len`, `cap`. KB_VEC(T) declares
 * the anonymous struct; kb_vec_push grows by doubling. Returns false on OOM. */
#define KB_VEC(T) struct { T *items; size_t len, cap; }
bool kb_vec_grow_(const kumi_allocator *a, void **items, size_t *cap, size_t need, size_t elem);
#define kb_vec_reserve(a, v, n) \
  ((v)->len + (n) <= (v)->cap || kb_vec_grow_((a), (void **)&(v)->items, &(v)->cap, (v)->len + (n), sizeof(*(v)->items)))
#define kb_vec_push(a, v, x) \
  (kb_vec_reserve((a), (v), 1) ? ((v)->items[(v)->len++] = (x), true) : false)
#define kb_vec_free(a, v) \
  (kb_free((a), (v)->items, (v)->cap * sizeof(*(v)->items)), (v)->items = NULL, (v)->len = (v)->cap = 0)

/* ---- arena ---------------------------------------------------------------
 * Bump allocation in chunks; everything is freed at once by kb_arena_free.
 * Allocations are 16-byte aligned and zeroed. */
typedef struct kb_arena_chunk kb_arena_chunk;
typedef struct kb_arena {
  const kumi_allocator *alloc;
  kb_arena_chunk *head;
  size_t used, cap; /* in head */
} kb_arena;
void kb_arena_init(kb_arena *ar, const kumi_allocator *a);
void *kb_arena_alloc(kb_arena *ar, size_t size); /* NULL on OOM */
char *kb_arena_strndup(kb_arena *ar, const char *s, size_t n);
void kb_arena_free(kb_arena *ar);

/* ---- hash map (string key -> void *) --------------------------------------
 * Open addressing. Keys are copied. Used for export lookup, registries. */
typedef struct kb_map_entry {
  char *key;
  size_t key_len;
  uint64_t hash;
  void *value;
} kb_map_entry;
typedef struct kb_map {
  const kumi_allocator *alloc;
  kb_map_entry *slots;
  size_t count, cap; /* cap is 0 or a power of two */
} kb_map;
void kb_map_init(kb_map *m, const kumi_allocator *a);
void kb_map_free(kb_map *m);
/* Sets key to value, replacing an older value. false on OOM. */
bool kb_map_put(kb_map *m, const char *key, size_t key_len, void *value);
/* Returns true and stores the value if key is present. */
bool kb_map_get(const kb_map *m, const char *key, size_t key_len, void **value);
uint64_t kb_hash_bytes(const void *p, size_t n);

/* ---- LEB128 ----------------------------------------------------------------
 * Read an unsigned/signed LEB128 of at most `bits` significant bits from
 * p[*pos..end). On success advances *pos and returns true. On failure
 * returns false and sets *why to "unexpected end", "integer representation
 * too long" or "integer too large" (the spec's malformed messages). */
bool kb_leb_u(const uint8_t *p, size_t end, size_t *pos, unsigned bits, uint64_t *out, const char **why);
bool kb_leb_s(const uint8_t *p, size_t end, size_t *pos, unsigned bits, int64_t *out, const char **why);

/* ---- UTF-8 ------------------------------------------------------------------ */
/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates, > U+10FFFF). */
bool kb_utf8_valid(const uint8_t *s, size_t n);

/* ---- errors ----------------------------------------------------------------
 * kumi_error (include/kumi.h) is a heap value; these build one. The message
 * is formatted printf-style. offset is a byte offset in the input, or
 * KUMI_NO_OFFSET. Returns NULL only if allocation itself failed, in which case
 * callers return kb_error_oom(): a static, never-freed error value. */
kumi_error *kb_error(const kumi_allocator *a, kumi_error_kind kind, uint64_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
kumi_error *kb_error_oom(void);

/* The error value behind the public kumi_error. The accessors kumi_error_*
 * of include/kumi.h are implemented in base/error.c. */
struct kumi_error {
  const kumi_allocator *alloc; /* NULL only for the static OOM error */
  kumi_error_kind kind;
  kumi_trap_code trap; /* KUMI_TRAP_NONE unless kind == KUMI_ERR_TRAP */
  int exit_code;       /* kind == KUMI_ERR_EXIT */
  uint64_t offset;     /* KUMI_NO_OFFSET when none */
  char *message;
  size_t nframes, frames_cap;
  kumi_frame *frames; /* innermost first; names are owned copies */
};
/* A trap error whose message is kumi_trap_message(code). */
kumi_error *kb_trap(const kumi_allocator *a, kumi_trap_code code);
/* Appends a backtrace frame (names are copied; either may be NULL).
 * Returns false on OOM, leaving the error usable. */
bool kb_error_add_frame(kumi_error *e, uint32_t func_index, uint32_t offset, const char *name, const char *module);
/* Prepends "prefix: " to the message (for context such as a file name). */
void kb_error_prefix(kumi_error *e, const char *prefix);

/* ---- files ------------------------------------------------------------------ */
/* Reads a whole file. On failure returns an error of kind KUMI_ERR_IO. */
kumi_error *kb_read_file(const kumi_allocator *a, const char *path, uint8_t **data, size_t *len);

#endif
