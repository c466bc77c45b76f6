/* The allocator hook, vectors and the arena. */
#include "base.h"

#include <stdlib.h>

static void *default_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  (void)ud;
  (void)old_size;
  if (new_size == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, new_size);
}

static const kumi_allocator default_allocator = {default_realloc, NULL};

const kumi_allocator *kb_default_allocator(void) { return &default_allocator; }

void *kb_alloc(const kumi_allocator *a, size_t size) {
  if (size == 0) size = 1;
  return a->realloc(a->ud, NULL, 0, size);
}

void *kb_zalloc(const kumi_allocator *a, size_t size) {
  void *p = kb_alloc(a, size);
  if (p) memset(p, 0, size);
  return p;
}

void *kb_realloc(const kumi_allocator *a, void *p, size_t old_size, size_t new_size) {
  if (new_size == 0) new_size = 1;
  return a->realloc(a->ud, p, old_size, new_size);
}

void kb_free(const kumi_allocator *a, void *p, size_t size) {
  if (p) a->realloc(a->ud, p, size, 0);
}

char *kb_strndup(const kumi_allocator *a, const char *s, size_t n) {
  char *r = kb_alloc(a, n + 1);
  if (!r) return NULL;
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

bool kb_vec_grow_(const kumi_allocator *a, void **items, size_t *cap, size_t need, size_t elem) {
  size_t ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return false;
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem) return false;
  void *p = kb_realloc(a, *items, *cap * elem, ncap * elem);
  if (!p) return false;
  *items = p;
  *cap = ncap;
  return true;
}

/* ---- arena ---- */

struct kb_arena_chunk {
  kb_arena_chunk *next;
  size_t size; /* bytes of data[] */
  _Alignas(16) unsigned char data[];
};

#define ARENA_CHUNK 16384u

void kb_arena_init(kb_arena *ar, const kumi_allocator *a) {
  ar->alloc = a;
  ar->head = NULL;
  ar->used = ar->cap = 0;
}

void *kb_arena_alloc(kb_arena *ar, size_t size) {
  size_t need = (size + 15) & ~(size_t)15;
  if (need < size) return NULL;
  if (!ar->head || ar->cap - ar->used < need) {
    size_t csize = need > ARENA_CHUNK / 2 ? need : ARENA_CHUNK;
    if (csize > SIZE_MAX - sizeof(kb_arena_chunk)) return NULL;
    kb_arena_chunk *c = kb_alloc(ar->alloc, sizeof(kb_arena_chunk) + csize);
    if (!c) return NULL;
    c->size = csize;
    if (need > ARENA_CHUNK / 2 && ar->head) {
      /* A big block gets a chunk of its own behind the head, so the head's
       * free space is kept for later small allocations. */
      c->next = ar->head->next;
      ar->head->next = c;
      memset(c->data, 0, need);
      return c->data;
    }
    c->next = ar->head;
    ar->head = c;
    ar->used = 0;
    ar->cap = csize;
  }
  void *p = ar->head->data + ar->used;
  ar->used += need;
  memset(p, 0, need);
  return p;
}

char *kb_arena_strndup(kb_arena *ar, const char *s, size_t n) {
  char *r = kb_arena_alloc(ar, n + 1);
  if (!r) return NULL;
  memcpy(r, s, n);
  r[n] = 0;
  return r;
}

void kb_arena_free(kb_arena *ar) {
  kb_arena_chunk *c = ar->head;
  while (c) {
    kb_arena_chunk *next = c->next;
    kb_free(ar->alloc, c, sizeof(kb_arena_chunk) + c->size);
    c = next;
  }
  ar->head = NULL;
  ar->used = ar->cap = 0;
}
