/* A small JSON reader for the Canonical ABI vector runner. Unlike cJSON it
 * keeps numbers as their text, so 64-bit integers up to 2^64-1 are exact.
 * Everything is allocated from one arena (jdoc) freed at once. */
#ifndef KUMI_TESTS_ABI_JSON_H
#define KUMI_TESTS_ABI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ } jkind;

typedef struct jv {
  jkind k;
  const char *s; /* J_STR: decoded bytes (NUL-terminated, may hold NUL); J_NUM: the text */
  size_t n;      /* J_STR/J_NUM: byte length; J_ARR/J_OBJ: item count */
  struct jv *items;
  const char **keys; /* J_OBJ */
  size_t *keylens;
} jv;

typedef struct jchunk {
  struct jchunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
} jchunk;

typedef struct jdoc {
  jchunk *head;
  const char *p, *end;
  bool bad;
} jdoc;

static void *j_alloc(jdoc *d, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!d->head || d->head->used + n > d->head->cap) {
    size_t cap = n > (1u << 20) ? n : (1u << 20);
    jchunk *c = malloc(sizeof *c + cap);
    if (!c) {
      d->bad = true;
      return NULL;
    }
    c->next = d->head;
    c->used = 0;
    c->cap = cap;
    d->head = c;
  }
  void *r = d->head->data + d->head->used;
  d->head->used += n;
  return r;
}

static void j_free(jdoc *d) {
  while (d->head) {
    jchunk *n = d->head->next;
    free(d->head);
    d->head = n;
  }
}

static void j_ws(jdoc *d) {
  while (d->p < d->end && (*d->p == ' ' || *d->p == '\n' || *d->p == '\r' || *d->p == '\t')) d->p++;
}

static size_t j_utf8(char *o, uint32_t c) {
  if (c < 0x80) { o[0] = (char)c; return 1; }
  if (c < 0x800) { o[0] = (char)(0xC0 | c >> 6); o[1] = (char)(0x80 | (c & 0x3F)); return 2; }
  if (c < 0x10000) {
    o[0] = (char)(0xE0 | c >> 12); o[1] = (char)(0x80 | (c >> 6 & 0x3F)); o[2] = (char)(0x80 | (c & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | c >> 18); o[1] = (char)(0x80 | (c >> 12 & 0x3F)); o[2] = (char)(0x80 | (c >> 6 & 0x3F));
  o[3] = (char)(0x80 | (c & 0x3F));
  return 4;
}

static bool j_str(jdoc *d, const char **out, size_t *len) {
  d->p++; /* " */
  const char *b = d->p;
  while (d->p < d->end && *d->p != '"') d->p += *d->p == '\\' ? 2 : 1;
  if (d->p >= d->end) return false;
  char *o = j_alloc(d, (size_t)(d->p - b) + 1);
  if (!o) return false;
  size_t n = 0;
  for (const char *q = b; q < d->p;) {
    if (*q != '\\') {
      o[n++] = *q++;
      continue;
    }
    q++;
    char c = *q++;
    switch (c) {
    case 'n': o[n++] = '\n'; break;
    case 't': o[n++] = '\t'; break;
    case 'r': o[n++] = '\r'; break;
    case 'b': o[n++] = '\b'; break;
    case 'f': o[n++] = '\f'; break;
    case 'u': {
      uint32_t u = (uint32_t)strtoul((char[5]){q[0], q[1], q[2], q[3], 0}, NULL, 16);
      q += 4;
      if (u >= 0xD800 && u < 0xDC00 && q[0] == '\\' && q[1] == 'u') {
        uint32_t l = (uint32_t)strtoul((char[5]){q[2], q[3], q[4], q[5], 0}, NULL, 16);
        if (l >= 0xDC00 && l < 0xE000) {
          u = 0x10000 + ((u - 0xD800) << 10) + (l - 0xDC00);
          q += 6;
        }
      }
      n += j_utf8(o + n, u);
      break;
    }
    default: o[n++] = c; break;
    }
  }
  o[n] = 0;
  d->p++;
  *out = o;
  *len = n;
  return true;
}

static bool j_value(jdoc *d, jv *v, int depth);

static bool j_list(jdoc *d, jv *v, bool obj, int depth) {
  d->p++;
  size_t cap = 8, n = 0;
  jv *items = malloc(cap * sizeof *items);
  const char **keys = obj ? malloc(cap * sizeof *keys) : NULL;
  size_t *kl = obj ? malloc(cap * sizeof *kl) : NULL;
  bool ok = items && (!obj || (keys && kl));
  j_ws(d);
  if (ok && d->p < d->end && *d->p == (obj ? '}' : ']')) {
    d->p++;
  } else {
    while (ok) {
      if (n == cap) {
        cap *= 2;
        jv *ni = realloc(items, cap * sizeof *items);
        if (ni) items = ni;
        ok = ni != NULL;
        if (ok && obj) {
          const char **nk = realloc(keys, cap * sizeof *keys);
          if (nk) keys = nk;
          size_t *nl = realloc(kl, cap * sizeof *kl);
          if (nl) kl = nl;
          ok = nk && nl;
        }
        if (!ok) break;
      }
      j_ws(d);
      if (obj) {
        ok = d->p < d->end && *d->p == '"' && j_str(d, &keys[n], &kl[n]);
        j_ws(d);
        ok = ok && d->p < d->end && *d->p++ == ':';
      }
      ok = ok && j_value(d, &items[n], depth + 1);
      if (!ok) break;
      n++;
      j_ws(d);
      if (d->p < d->end && *d->p == ',') {
        d->p++;
        continue;
      }
      ok = d->p < d->end && *d->p++ == (obj ? '}' : ']');
      break;
    }
  }
  if (ok) {
    v->k = obj ? J_OBJ : J_ARR;
    v->n = n;
    v->items = j_alloc(d, n * sizeof *items + 1);
    ok = v->items != NULL;
    if (ok && n) memcpy(v->items, items, n * sizeof *items);
    if (ok && obj) {
      v->keys = j_alloc(d, n * sizeof *keys + 1);
      v->keylens = j_alloc(d, n * sizeof *kl + 1);
      ok = v->keys && v->keylens;
      if (ok && n) {
        memcpy(v->keys, keys, n * sizeof *keys);
        memcpy(v->keylens, kl, n * sizeof *kl);
      }
    }
  }
  free(items);
  free(keys);
  free(kl);
  return ok;
}

static bool j_value(jdoc *d, jv *v, int depth) {
  memset(v, 0, sizeof *v);
  if (depth > 500) return false;
  j_ws(d);
  if (d->p >= d->end) return false;
  char c = *d->p;
  if (c == '{' || c == '[') return j_list(d, v, c == '{', depth);
  if (c == '"') {
    v->k = J_STR;
    return j_str(d, &v->s, &v->n);
  }
  if (d->end - d->p >= 4 && memcmp(d->p, "null", 4) == 0) { d->p += 4; v->k = J_NULL; return true; }
  if (d->end - d->p >= 4 && memcmp(d->p, "true", 4) == 0) { d->p += 4; v->k = J_TRUE; return true; }
  if (d->end - d->p >= 5 && memcmp(d->p, "false", 5) == 0) { d->p += 5; v->k = J_FALSE; return true; }
  const char *b = d->p;
  while (d->p < d->end && (strchr("+-.eE", *d->p) || (*d->p >= '0' && *d->p <= '9'))) d->p++;
  if (d->p == b) return false;
  char *t = j_alloc(d, (size_t)(d->p - b) + 1);
  if (!t) return false;
  memcpy(t, b, (size_t)(d->p - b));
  t[d->p - b] = 0;
  v->k = J_NUM;
  v->s = t;
  v->n = (size_t)(d->p - b);
  return true;
}

static bool j_parse(jdoc *d, const char *text, size_t len, jv *root) {
  memset(d, 0, sizeof *d);
  d->p = text;
  d->end = text + len;
  return j_value(d, root, 0) && !d->bad;
}

static const jv *j_get(const jv *o, const char *key) {
  if (!o || o->k != J_OBJ) return NULL;
  size_t kl = strlen(key);
  for (size_t i = 0; i < o->n; i++)
    if (o->keylens[i] == kl && memcmp(o->keys[i], key, kl) == 0) return &o->items[i];
  return NULL;
}

static uint64_t j_u64(const jv *v) { return v && v->k == J_NUM ? strtoull(v->s, NULL, 10) : 0; }
static int64_t j_i64(const jv *v) {
  if (!v || v->k != J_NUM) return 0;
  if (v->s[0] == '-') return strtoll(v->s, NULL, 10);
  return (int64_t)strtoull(v->s, NULL, 10);
}
static bool j_is(const jv *v, const char *s) { return v && v->k == J_STR && strlen(s) == v->n && memcmp(v->s, s, v->n) == 0; }
static bool j_true(const jv *v) { return v && v->k == J_TRUE; }

#endif
