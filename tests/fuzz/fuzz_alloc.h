/* A checking allocator for the fuzz targets, plugged in through the one
 * kumi_allocator hook. It catches what AddressSanitizer cannot see through
 * the hook's contract:
 *   - a block freed or resized with a size other than the one it was
 *     allocated with (kb_free/kb_realloc pass the size back);
 *   - a block that was never freed once the engine is gone (live count);
 * and, when fail_at is set, it fails exactly that allocation (1-based), so
 * out-of-memory paths can be fuzzed. Everything is per input: the state
 * lives in a fuzz_alloc on the caller's stack. */
#ifndef KUMI_FUZZ_ALLOC_H
#define KUMI_FUZZ_ALLOC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "kumi.h"

typedef struct fuzz_alloc {
  size_t live_blocks, live_bytes;
  uint64_t requests; /* allocations and resizes asked for so far */
  uint64_t fail_at;  /* the request to refuse (1-based); 0: never */
  kumi_allocator hook;
} fuzz_alloc;

/* The header before each block: 16 bytes keep malloc's alignment. */
typedef struct fuzz_block_header {
  size_t size;
  size_t magic;
} fuzz_block_header;
#define FUZZ_BLOCK_MAGIC ((size_t)0x6b756d69a110c8edull)

static inline void fuzz_alloc_die(const char *what, size_t have, size_t told) {
  fprintf(stderr, "fuzz allocator: %s (block of %zu bytes, caller said %zu)\n", what, have, told);
  abort();
}

/* kb_alloc turns a 0-byte request into 1 byte but kb_free passes the
 * caller's 0 back; that pairing is tolerated. */
static inline void fuzz_alloc_check(const fuzz_block_header *h, size_t told) {
  if (h->magic != FUZZ_BLOCK_MAGIC) fuzz_alloc_die("pointer was not allocated through this allocator", 0, told);
  if (h->size != told && !(h->size == 1 && told == 0)) fuzz_alloc_die("size mismatch on free/resize", h->size, told);
}

static inline void *fuzz_alloc_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  fuzz_alloc *fa = ud;
  fuzz_block_header *h = p ? (fuzz_block_header *)p - 1 : NULL;
  if (h) fuzz_alloc_check(h, old_size);
  if (new_size == 0) {
    if (h) {
      h->magic = 0;
      fa->live_blocks--;
      fa->live_bytes -= h->size;
      free(h);
    }
    return NULL;
  }
  fa->requests++;
  if (fa->fail_at && fa->requests == fa->fail_at) return NULL;
  if (new_size > SIZE_MAX - sizeof *h) return NULL;
  size_t old = h ? h->size : 0;
  fuzz_block_header *n = realloc(h, sizeof *h + new_size);
  if (!n) return NULL;
  if (!h) fa->live_blocks++;
  fa->live_bytes = fa->live_bytes - old + new_size;
  n->size = new_size;
  n->magic = FUZZ_BLOCK_MAGIC;
  return n + 1;
}

static inline void fuzz_alloc_init(fuzz_alloc *fa, uint64_t fail_at) {
  fa->live_blocks = fa->live_bytes = 0;
  fa->requests = 0;
  fa->fail_at = fail_at;
  fa->hook.realloc = fuzz_alloc_realloc;
  fa->hook.ud = fa;
}

/* Call once everything made with the allocator is freed. */
static inline void fuzz_alloc_finish(const fuzz_alloc *fa) {
  if (fa->live_blocks) {
    fprintf(stderr, "fuzz allocator: leak: %zu blocks (%zu bytes) still live after kumi_engine_free\n",
            fa->live_blocks, fa->live_bytes);
    abort();
  }
}

#endif
