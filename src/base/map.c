/* A string-keyed hash map with open addressing and linear probing. */
#include "base.h"

uint64_t kb_hash_bytes(const void *p, size_t n) {
  /* FNV-1a, 64-bit: small, and good enough for names. */
  const unsigned char *s = p;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i < n; i++) {
    h ^= s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

void kb_map_init(kb_map *m, const kumi_allocator *a) {
  m->alloc = a;
  m->slots = NULL;
  m->count = m->cap = 0;
}

void kb_map_free(kb_map *m) {
  for (size_t i = 0; i < m->cap; i++)
    if (m->slots[i].key) kb_free(m->alloc, m->slots[i].key, m->slots[i].key_len + 1);
  kb_free(m->alloc, m->slots, m->cap * sizeof(kb_map_entry));
  m->slots = NULL;
  m->count = m->cap = 0;
}

static kb_map_entry *find_slot(kb_map_entry *slots, size_t cap, const char *key, size_t len, uint64_t h) {
  size_t i = (size_t)h & (cap - 1);
  for (;;) {
    kb_map_entry *e = &slots[i];
    if (!e->key || (e->hash == h && e->key_len == len && memcmp(e->key, key, len) == 0)) return e;
    i = (i + 1) & (cap - 1);
  }
}

static bool map_resize(kb_map *m, size_t ncap) {
  kb_map_entry *slots = kb_zalloc(m->alloc, ncap * sizeof(kb_map_entry));
  if (!slots) return false;
  for (size_t i = 0; i < m->cap; i++) {
    kb_map_entry *e = &m->slots[i];
    if (e->key) *find_slot(slots, ncap, e->key, e->key_len, e->hash) = *e;
  }
  kb_free(m->alloc, m->slots, m->cap * sizeof(kb_map_entry));
  m->slots = slots;
  m->cap = ncap;
  return true;
}

bool kb_map_put(kb_map *m, const char *key, size_t key_len, void *value) {
  if ((m->count + 1) * 4 > m->cap * 3 && !map_resize(m, m->cap ? m->cap * 2 : 16)) return false;
  uint64_t h = kb_hash_bytes(key, key_len);
  kb_map_entry *e = find_slot(m->slots, m->cap, key, key_len, h);
  if (!e->key) {
    char *k = kb_strndup(m->alloc, key, key_len);
    if (!k) return false;
    e->key = k;
    e->key_len = key_len;
    e->hash = h;
    m->count++;
  }
  e->value = value;
  return true;
}

bool kb_map_get(const kb_map *m, const char *key, size_t key_len, void **value) {
  if (!m->cap) return false;
  kb_map_entry *e = find_slot(m->slots, m->cap, key, key_len, kb_hash_bytes(key, key_len));
  if (!e->key) return false;
  if (value) *value = e->value;
  return true;
}
