/* wit: arena vectors and maps, the source map and error rendering, semver,
 * doc comments, and the resolve object itself. */
#include "wit_int.h"

#include <stdarg.h>
#include <stdio.h>

/* ---- arena vectors and maps ---- */

bool wit_vec_grow_(kb_arena *ar, void **items, uint32_t *cap, uint32_t need, size_t elem) {
  uint64_t ncap = *cap ? *cap : 4;
  while (ncap < need) ncap *= 2;
  if (ncap > UINT32_MAX || ncap * elem > SIZE_MAX / 2) return false;
  void *p = kb_arena_alloc(ar, (size_t)ncap * elem);
  if (!p) return false;
  if (*items && *cap) memcpy(p, *items, (size_t)*cap * elem);
  *items = p;
  *cap = (uint32_t)ncap;
  return true;
}

static uint64_t str_hash(const char *s) { return kb_hash_bytes(s, strlen(s)); }

bool wit_smap_put(kb_arena *ar, wit_smap *m, const char *key, void *value) {
  if ((m->count + 1) * 4 > m->cap * 3) {
    uint32_t ncap = m->cap ? m->cap * 2 : 16;
    wit_smap_slot *ns = kb_arena_alloc(ar, sizeof *ns * ncap);
    if (!ns) return false;
    for (uint32_t i = 0; i < m->cap; i++) {
      if (!m->slots[i].key) continue;
      uint32_t j = (uint32_t)m->slots[i].hash & (ncap - 1);
      while (ns[j].key) j = (j + 1) & (ncap - 1);
      ns[j] = m->slots[i];
    }
    m->slots = ns;
    m->cap = ncap;
  }
  uint64_t h = str_hash(key);
  uint32_t j = (uint32_t)h & (m->cap - 1);
  while (m->slots[j].key) {
    if (m->slots[j].hash == h && !strcmp(m->slots[j].key, key)) {
      m->slots[j].value = value;
      return true;
    }
    j = (j + 1) & (m->cap - 1);
  }
  m->slots[j].key = key;
  m->slots[j].hash = h;
  m->slots[j].value = value;
  m->count++;
  return true;
}

void *wit_smap_get(const wit_smap *m, const char *key) {
  if (!m->cap) return NULL;
  uint64_t h = str_hash(key);
  uint32_t j = (uint32_t)h & (m->cap - 1);
  while (m->slots[j].key) {
    if (m->slots[j].hash == h && !strcmp(m->slots[j].key, key)) return m->slots[j].value;
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

/* ---- sources and errors ---- */

const wit_source *wit_add_source(wit_resolve *r, const char *path, const char *text, size_t len, kumi_error **err) {
  /* Offsets are 32-bit; one extra position per file keeps an end-of-file span
   * inside its own file. */
  if (len >= UINT32_MAX / 2 || (uint64_t)r->next_base + len + 1 >= UINT32_MAX) {
    *err = kb_error(r->alloc, KUMI_ERR_LIMIT, KUMI_NO_OFFSET, "%s: WIT input too large", path);
    return NULL;
  }
  wit_source s;
  s.path = kb_arena_strndup(&r->arena, path, strlen(path));
  s.text = kb_arena_strndup(&r->arena, text, len);
  s.len = (uint32_t)len;
  s.base = r->next_base;
  if (!s.path || !s.text || !wit_vec_push(&r->arena, &r->sources, s)) {
    *err = kb_error_oom();
    return NULL;
  }
  r->next_base += (uint32_t)len + 1;
  return &r->sources.items[r->sources.len - 1];
}

static const wit_source *source_for(const wit_resolve *r, uint32_t offset) {
  const wit_source *best = NULL;
  for (uint32_t i = 0; i < r->sources.len; i++)
    if (r->sources.items[i].base <= offset) best = &r->sources.items[i];
  return best;
}

/* Line and column (both 0-based, column in bytes) of a file offset. */
static void linecol(const wit_source *s, uint32_t rel, uint32_t *line, uint32_t *col, uint32_t *line_start) {
  uint32_t l = 0, start = 0;
  for (uint32_t i = 0; i < rel && i < s->len; i++) {
    if (s->text[i] == '\n') {
      l++;
      start = i + 1;
    }
  }
  *line = l;
  *col = rel - start;
  *line_start = start;
}

const char *wit_render_location(wit_resolve *r, uint32_t offset) {
  const wit_source *s = source_for(r, offset);
  if (!s) return "<unknown>";
  uint32_t line, col, ls;
  linecol(s, offset - s->base, &line, &col, &ls);
  char buf[64];
  snprintf(buf, sizeof buf, ":%u:%u", line + 1, col + 1);
  size_t n = strlen(s->path), m = strlen(buf);
  char *out = kb_arena_alloc(&r->arena, n + m + 1);
  if (!out) return "<oom>";
  memcpy(out, s->path, n);
  memcpy(out + n, buf, m + 1);
  return out;
}

kumi_error *wit_span_error(wit_resolve *r, kumi_error_kind kind, wit_span span, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  const wit_source *s = source_for(r, span.start);
  if (!s) return kb_error(r->alloc, kind, KUMI_NO_OFFSET, "%s", msg);
  uint32_t rel = span.start - s->base;
  if (rel > s->len) rel = s->len;
  uint32_t line, col, ls;
  linecol(s, rel, &line, &col, &ls);
  uint32_t le = ls;
  while (le < s->len && s->text[le] != '\n') le++;
  uint32_t snip_end = le;
  if (snip_end > ls && s->text[snip_end - 1] == '\r') snip_end--;
  /* The marker: '^' under the start, '-' for each further character of the
   * span on the same line. */
  uint32_t extra = 0;
  if (span.end > span.start) {
    uint32_t e = span.end - s->base;
    if (e > le) e = le;
    for (uint32_t i = rel + 1; i < e; i++)
      if (((unsigned char)s->text[i] & 0xC0) != 0x80) extra++;
  }
  if (extra > 200) extra = 200;
  char dashes[201];
  memset(dashes, '-', extra);
  dashes[extra] = 0;
  return kb_error(r->alloc, kind, s->base + rel,
                  "%s\n     --> %s:%u:%u\n      |\n %4u | %.*s\n      | %*s%s", msg, s->path, line + 1, col + 1,
                  line + 1, (int)(snip_end - ls), s->text + ls, (int)col + 1, "^", dashes);
}

/* ---- semver ---- */

static bool ident_char(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

/* Parses a numeric component (k: 0 major, 1 minor, 2 patch); false when
 * empty, not all digits, with a leading zero, or too big. */
static bool parse_num(const char *s, size_t n, uint64_t *out, const char **why, int k) {
  static const char *const empty[] = {"empty major version number", "empty minor version number",
                                      "empty patch version number"};
  static const char *const bad[] = {"unexpected character in major version number",
                                    "unexpected character in minor version number",
                                    "unexpected character in patch version number"};
  static const char *const big[] = {"value of major version number exceeds u64::MAX",
                                    "value of minor version number exceeds u64::MAX",
                                    "value of patch version number exceeds u64::MAX"};
  static const char *const zero[] = {"invalid leading zero in major version number",
                                     "invalid leading zero in minor version number",
                                     "invalid leading zero in patch version number"};
  if (n == 0) {
    *why = empty[k];
    return false;
  }
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') {
      *why = bad[k];
      return false;
    }
    if (v > (UINT64_MAX - 9) / 10) {
      *why = big[k];
      return false;
    }
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (n > 1 && s[0] == '0') {
    *why = zero[k];
    return false;
  }
  *out = v;
  return true;
}

/* Dot-separated identifiers of a pre-release (numeric ones without leading
 * zeros) or of build metadata. */
static bool check_idents(const char *s, size_t n, bool pre, const char **why) {
  size_t i = 0;
  if (n == 0) {
    *why = pre ? "empty identifier segment in pre-release identifier" : "empty identifier segment in build metadata";
    return false;
  }
  while (i <= n) {
    size_t j = i;
    bool digits = true;
    while (j < n && s[j] != '.') {
      if (!ident_char(s[j])) {
        *why = pre ? "unexpected character in pre-release identifier" : "unexpected character in build metadata";
        return false;
      }
      if (s[j] < '0' || s[j] > '9') digits = false;
      j++;
    }
    if (j == i) {
      *why = pre ? "empty identifier segment in pre-release identifier" : "empty identifier segment in build metadata";
      return false;
    }
    if (pre && digits && j - i > 1 && s[i] == '0') {
      *why = "invalid leading zero in pre-release identifier";
      return false;
    }
    i = j + 1;
  }
  return true;
}

wit_version *wit_parse_version(kb_arena *ar, const char *s, size_t n, const char **why) {
  wit_version v;
  memset(&v, 0, sizeof v);
  size_t i = 0, j;
  uint64_t *dst[3] = {&v.major, &v.minor, &v.patch};
  for (int k = 0; k < 3; k++) {
    j = i;
    while (j < n && s[j] >= '0' && s[j] <= '9') j++;
    if (!parse_num(s + i, j - i, dst[k], why, k)) return NULL;
    i = j;
    if (k < 2) {
      if (i >= n || s[i] != '.') {
        *why = "expected three dot-separated version numbers";
        return NULL;
      }
      i++;
    }
  }
  size_t pre_s = 0, pre_n = 0, build_s = 0, build_n = 0;
  if (i < n && s[i] == '-') {
    pre_s = ++i;
    while (i < n && s[i] != '+') i++;
    pre_n = i - pre_s;
    if (!check_idents(s + pre_s, pre_n, true, why)) return NULL;
  }
  if (i < n && s[i] == '+') {
    build_s = ++i;
    i = n;
    build_n = i - build_s;
    if (!check_idents(s + build_s, build_n, false, why)) return NULL;
  }
  if (i != n) {
    *why = "unexpected character after patch version number";
    return NULL;
  }
  wit_version *out = kb_arena_alloc(ar, sizeof *out);
  if (!out) {
    *why = NULL;
    return NULL;
  }
  *out = v;
  out->pre = kb_arena_strndup(ar, s + pre_s, pre_n);
  out->build = kb_arena_strndup(ar, s + build_s, build_n);
  out->text = kb_arena_strndup(ar, s, n);
  if (!out->pre || !out->build || !out->text) {
    *why = NULL;
    return NULL;
  }
  return out;
}

static bool all_digits(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return n > 0;
}

int wit_version_cmp(const wit_version *a, const wit_version *b) {
  if (a->major != b->major) return a->major < b->major ? -1 : 1;
  if (a->minor != b->minor) return a->minor < b->minor ? -1 : 1;
  if (a->patch != b->patch) return a->patch < b->patch ? -1 : 1;
  /* A version with a pre-release sorts before the same version without. */
  bool ap = a->pre[0] != 0, bp = b->pre[0] != 0;
  if (ap != bp) return ap ? -1 : 1;
  const char *x = a->pre, *y = b->pre;
  while (*x || *y) {
    if (!*x) return -1;
    if (!*y) return 1;
    size_t nx = strcspn(x, "."), ny = strcspn(y, ".");
    bool dx = all_digits(x, nx), dy = all_digits(y, ny);
    int c;
    if (dx && dy) {
      c = nx != ny ? (nx < ny ? -1 : 1) : memcmp(x, y, nx);
    } else if (dx != dy) {
      c = dx ? -1 : 1; /* numeric identifiers sort first */
    } else {
      size_t m = nx < ny ? nx : ny;
      c = memcmp(x, y, m);
      if (!c && nx != ny) c = nx < ny ? -1 : 1;
    }
    if (c) return c < 0 ? -1 : 1;
    x += nx;
    y += ny;
    if (*x == '.') x++;
    if (*y == '.') y++;
  }
  return 0;
}

bool wit_stability_eq(const wit_stability *a, const wit_stability *b) {
  if (a->kind != b->kind) return false;
  if ((a->deprecated == NULL) != (b->deprecated == NULL)) return false;
  if (a->deprecated && wit_version_cmp(a->deprecated, b->deprecated)) return false;
  if (a->kind == WIT_STAB_STABLE) return !wit_version_cmp(a->since, b->since);
  if (a->kind == WIT_STAB_UNSTABLE) return !strcmp(a->feature, b->feature);
  return true;
}

/* ---- doc comments ---- */

wit_docs wit_docs_from_comments(kb_arena *ar, const char *const *comments, const uint32_t *lens, uint32_t n, bool *oom) {
  if (n == 0) return NULL;
  /* The content of each comment: block comments lose their markers, line
   * comments their leading slashes; trailing whitespace goes. */
  const char **cs = kb_arena_alloc(ar, sizeof *cs * n);
  uint32_t *cl = kb_arena_alloc(ar, sizeof *cl * n);
  if (!cs || !cl) {
    *oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    const char *c = comments[i];
    uint32_t len = lens[i];
    if (len >= 3 && !memcmp(c, "/**", 3)) {
      c += 3;
      len -= 3;
      if (len >= 2 && !memcmp(c + len - 2, "*/", 2)) len -= 2;
      else len = 0; /* the degenerate block comment slash-star-star-slash */
    } else {
      while (len && *c == '/') {
        c++;
        len--;
      }
    }
    while (len && (c[len - 1] == ' ' || c[len - 1] == '\t' || c[len - 1] == '\n' || c[len - 1] == '\r' ||
                   c[len - 1] == '\f' || c[len - 1] == '\v'))
      len--;
    cs[i] = c;
    cl[i] = len;
  }
  /* Common leading indentation of the non-empty comments is removed. */
  uint32_t min_ws = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++) {
    if (!cl[i]) continue;
    uint32_t w = 0;
    while (w < cl[i] && (cs[i][w] == ' ' || cs[i][w] == '\t' || cs[i][w] == '\n' || cs[i][w] == '\r' ||
                         cs[i][w] == '\f'))
      w++;
    if (w < min_ws) min_ws = w;
  }
  if (min_ws == UINT32_MAX) min_ws = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t k = 0;
    while (k < min_ws && k < cl[i] && cs[i][k] == ' ') k++;
    if (k == min_ws) {
      cs[i] += k;
      cl[i] -= k;
    }
  }
  size_t total = 0;
  for (uint32_t i = 0; i < n; i++) total += cl[i] + 1;
  char *out = kb_arena_alloc(ar, total + 1);
  if (!out) {
    *oom = true;
    return NULL;
  }
  size_t o = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!cl[i]) {
      out[o++] = '\n';
      continue;
    }
    /* Each line of the comment without its trailing whitespace: a line
     * comment loses it when read, so a block comment's lines must too, or
     * printing would not reach a fixed point. */
    uint32_t p = 0;
    while (p < cl[i]) {
      uint32_t q = p;
      while (q < cl[i] && cs[i][q] != '\n') q++;
      uint32_t e = q;
      while (e > p && (cs[i][e - 1] == '\r' || cs[i][e - 1] == ' ' || cs[i][e - 1] == '\t' || cs[i][e - 1] == '\f' ||
                       cs[i][e - 1] == '\v'))
        e--;
      memcpy(out + o, cs[i] + p, e - p);
      o += e - p;
      out[o++] = '\n';
      p = q + 1;
    }
  }
  while (o && out[o - 1] == '\n') o--;
  out[o] = 0;
  return o ? out : NULL;
}

/* ---- names ---- */

const char *wit_prim_name(wit_type t) {
  static const char *const names[] = {NULL,  "bool", "u8",  "u16", "u32",  "u64",    "s8",           "s16",
                                      "s32", "s64",  "f32", "f64", "char", "string", "error-context"};
  return t < sizeof names / sizeof names[0] ? names[t] : NULL;
}

const char *wit_func_item_name(const wit_func *f) {
  const char *n = f->name;
  if (f->kind == WIT_FUNC_FREESTANDING) return n;
  if (f->kind == WIT_FUNC_CONSTRUCTOR) return "constructor";
  const char *dot = strchr(n, '.');
  return dot ? dot + 1 : n;
}

const char *wit_package_name_string(kb_arena *ar, const char *ns, const char *name, const wit_version *v) {
  size_t a = strlen(ns), b = strlen(name), c = v ? strlen(v->text) + 1 : 0;
  char *s = kb_arena_alloc(ar, a + b + c + 2);
  if (!s) return NULL;
  memcpy(s, ns, a);
  s[a] = ':';
  memcpy(s + a + 1, name, b);
  if (v) {
    s[a + 1 + b] = '@';
    memcpy(s + a + 2 + b, v->text, c - 1);
  }
  s[a + b + c + 1] = 0;
  return s;
}

/* ---- the resolve ---- */

wit_resolve *wit_resolve_new(const kumi_allocator *a) {
  if (!a) a = kb_default_allocator();
  wit_resolve *r = kb_zalloc(a, sizeof *r);
  if (!r) return NULL;
  r->alloc = a;
  kb_arena_init(&r->arena, a);
  return r;
}

void wit_resolve_free(wit_resolve *r) {
  if (!r) return;
  kb_arena_free(&r->arena);
  kb_free(r->alloc, r, sizeof *r);
}

bool wit_resolve_enable_feature(wit_resolve *r, const char *feature) {
  const char *f = kb_arena_strndup(&r->arena, feature, strlen(feature));
  return f && wit_vec_push(&r->arena, &r->features, f);
}

void wit_resolve_enable_all_features(wit_resolve *r) { r->all_features = true; }

size_t wit_package_count(const wit_resolve *r) { return r->packages.len; }
const wit_package *wit_get_package(const wit_resolve *r, uint32_t id) { return &r->packages.items[id]; }
const wit_interface *wit_get_interface(const wit_resolve *r, uint32_t id) { return &r->interfaces.items[id]; }
const wit_world *wit_get_world(const wit_resolve *r, uint32_t id) { return &r->worlds.items[id]; }
const wit_typedef *wit_get_typedef(const wit_resolve *r, uint32_t id) { return &r->types.items[id]; }

const char *wit_package_id_string(wit_resolve *r, uint32_t pkg) {
  const wit_package *p = &r->packages.items[pkg];
  return wit_package_name_string(&r->arena, p->ns, p->name, p->version);
}

const char *wit_interface_id_string(wit_resolve *r, uint32_t iface) {
  const wit_interface *i = &r->interfaces.items[iface];
  if (!i->name) return "<inline interface>";
  const wit_package *p = &r->packages.items[i->package];
  size_t a = strlen(p->ns), b = strlen(p->name), c = strlen(i->name), d = p->version ? strlen(p->version->text) + 1 : 0;
  char *s = kb_arena_alloc(&r->arena, a + b + c + d + 3);
  if (!s) return "<oom>";
  snprintf(s, a + b + c + d + 3, "%s:%s/%s%s%s", p->ns, p->name, i->name, p->version ? "@" : "",
           p->version ? p->version->text : "");
  return s;
}
