/* The printer's acceptance test: print then parse must give back the
 * identical binary, byte for byte (custom sections included), for every
 * valid core module and component of the conformance corpus.
 *
 * The corpus is every .wasm that a JSON manifest under
 * $KUMI_SHARED_DIR/conformance (or <source>/../shared/conformance) names in
 * a `module` or `module_definition` command (as "filename" of a binary
 * module, or "binary_filename" of a text one): core/json/<group>/ for core
 * modules, component/json/... for components. assert_invalid and
 * assert_malformed binaries are not in it.
 *
 * Each binary lands in exactly one bucket:
 *   identical    parse(print(b)) == b
 *   excluded     listed in roundtrip_exclusions.txt (beside this file, or
 *                the file $KUMI_ROUNDTRIP_EXCLUSIONS names) with a reason:
 *                an encoding the text format cannot express (a padded
 *                LEB128, an empty section, ...). Counted and printed, never
 *                silent; an excluded binary that now round-trips is
 *                reported as stale, and fails the test.
 *   unreadable   kumi's own decoder rejects it (a proposal kumi does not
 *                implement, e.g. GC or exceptions): it cannot be printed at
 *                all. Counted per decoder message (listed with
 *                $KUMI_ROUNDTRIP_VERBOSE).
 *   differ       everything else (a different binary, a print error, or
 *                printed text that does not parse): the test fails. A
 *                binary equal to the original once custom sections are
 *                removed on both sides differs too (custom sections print
 *                as (@custom) annotations, name sections as identifiers);
 *                the report says how many differ only that way.
 *
 * Components parse with text_parse_component (text.h); when that cannot
 * even read "(component)", the component part prints "component text
 * parser not available" and only the core part counts.
 *
 * Prints "core modules: N identical, M differ (...)" and the same for
 * components. Exits non-zero when any binary differs. */
#define _DEFAULT_SOURCE
#include "text/print.h"
#include "text/text.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../test.h"

/* ---- exclusions -------------------------------------------------------------- */

typedef struct exclusion {
  char *pattern; /* path relative to conformance/, fnmatch pattern */
  char *reason;
  size_t hits, stale;
} exclusion;

typedef struct exclusions {
  exclusion *items;
  size_t n;
} exclusions;

/* Reads "PATTERN REASON" lines ('#' starts a comment line). A line without
 * a reason is an error: every exclusion must say why. */
static bool load_exclusions(const char *path, exclusions *ex) {
  memset(ex, 0, sizeof *ex);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    return false;
  }
  char line[4096];
  bool ok = true;
  unsigned lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = 0;
    char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    if (!*s || *s == '#') continue;
    char *sp = s;
    while (*sp && *sp != ' ' && *sp != '\t') sp++;
    char *reason = sp;
    while (*reason == ' ' || *reason == '\t') reason++;
    if (!*reason) {
      fprintf(stderr, "%s:%u: exclusion without a reason\n", path, lineno);
      ok = false;
      continue;
    }
    *sp = 0;
    exclusion *grown = realloc(ex->items, (ex->n + 1) * sizeof *grown);
    if (!grown) {
      ok = false;
      break;
    }
    ex->items = grown;
    exclusion *e = &ex->items[ex->n++];
    e->pattern = strdup(s);
    e->reason = strdup(reason);
    e->hits = e->stale = 0;
    if (!e->pattern || !e->reason) ok = false;
  }
  fclose(f);
  return ok;
}

static exclusion *find_exclusion(exclusions *ex, const char *rel) {
  for (size_t k = 0; k < ex->n; k++)
    if (fnmatch(ex->items[k].pattern, rel, FNM_PATHNAME) == 0) return &ex->items[k];
  return NULL;
}

static void free_exclusions(exclusions *ex) {
  for (size_t k = 0; k < ex->n; k++) {
    free(ex->items[k].pattern);
    free(ex->items[k].reason);
  }
  free(ex->items);
}

/* ---- the manifests --------------------------------------------------------------- */

/* Calls fn for each binary a manifest names as a module (see the top). The
 * manifests are machine-written JSON: a small scanner that tracks nesting
 * and reads the string-valued keys of each command object suffices. */
typedef void (*binary_fn)(void *ud, const char *dir, const char *file);

static size_t json_string(const char *s, size_t n, size_t i, char *out, size_t outn) {
  /* s[i] == '"'; returns the index after the closing quote. Escapes are
   * kept as the character after the backslash (file names have none). */
  size_t o = 0;
  i++;
  while (i < n && s[i] != '"') {
    if (s[i] == '\\' && i + 1 < n) i++;
    if (o + 1 < outn) out[o++] = s[i];
    i++;
  }
  if (outn) out[o] = 0;
  return i < n ? i + 1 : n;
}

static void copy_str(char *d, size_t n, const char *s) {
  size_t l = strlen(s);
  if (l >= n) l = n - 1;
  memcpy(d, s, l);
  d[l] = 0;
}

static void scan_manifest(const char *path, const char *dir, binary_fn fn, void *ud) {
  FILE *f = fopen(path, "rb");
  if (!f) return;
  char *s = NULL;
  size_t n = 0, cap = 0, got;
  char chunk[65536];
  while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if (n + got > cap) {
      cap = 2 * (n + got);
      char *g = realloc(s, cap);
      if (!g) break;
      s = g;
    }
    memcpy(s + n, chunk, got);
    n += got;
  }
  fclose(f);
  if (!s) return;
  int depth = 0;
  char type[64] = "", module_type[64] = "", filename[1024] = "", binary_filename[1024] = "";
  char key[64] = "", str[1024];
  bool expect_value = false;
  for (size_t i = 0; i < n;) {
    char c = s[i];
    if (c == '"') {
      i = json_string(s, n, i, str, sizeof str);
      if (depth == 3 && expect_value) {
        if (strcmp(key, "type") == 0) copy_str(type, sizeof type, str);
        else if (strcmp(key, "module_type") == 0) copy_str(module_type, sizeof module_type, str);
        else if (strcmp(key, "filename") == 0) copy_str(filename, sizeof filename, str);
        else if (strcmp(key, "binary_filename") == 0) copy_str(binary_filename, sizeof binary_filename, str);
        expect_value = false;
      } else if (depth == 3) {
        copy_str(key, sizeof key, str);
      }
      continue;
    }
    if (c == ':') expect_value = true;
    else if (c == ',') expect_value = false;
    else if (c == '{' || c == '[') {
      depth++;
      expect_value = false;
      if (depth == 3) type[0] = module_type[0] = filename[0] = binary_filename[0] = 0;
    } else if (c == '}' || c == ']') {
      if (depth == 3 && c == '}' && (strcmp(type, "module") == 0 || strcmp(type, "module_definition") == 0)) {
        bool binary = module_type[0] == 0 || strcmp(module_type, "binary") == 0;
        if (binary && filename[0]) fn(ud, dir, filename);
        else if (binary_filename[0]) fn(ud, dir, binary_filename);
      }
      depth--;
    }
    i++;
  }
  free(s);
}

static int by_name(const void *x, const void *y) { return strcmp(*(char *const *)x, *(char *const *)y); }

/* The entries of dir (sorted; no dot files), or NULL. */
static char **list_dir(const char *dir, size_t *count) {
  *count = 0;
  DIR *d = opendir(dir);
  if (!d) return NULL;
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *ent;
  while ((ent = readdir(d))) {
    if (ent->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? 2 * cap : 64;
      char **g = realloc(names, cap * sizeof *names);
      if (!g) break;
      names = g;
    }
    names[n] = strdup(ent->d_name);
    if (names[n]) n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, by_name);
  *count = n;
  return names;
}

static bool is_dir(const char *p) {
  struct stat st;
  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Every manifest in dir and its subdirectories. */
static void walk_manifests(const char *dir, binary_fn fn, void *ud) {
  size_t n;
  char **names = list_dir(dir, &n);
  for (size_t k = 0; k < n; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, names[k]);
    size_t len = strlen(names[k]);
    if (is_dir(path)) walk_manifests(path, fn, ud);
    else if (len > 5 && strcmp(names[k] + len - 5, ".json") == 0) scan_manifest(path, dir, fn, ud);
    free(names[k]);
  }
  free(names);
}

/* ---- the round trip ---------------------------------------------------------------- */

typedef kumi_error *(*print_fn)(const kumi_allocator *, const uint8_t *, size_t, char **, size_t *);

enum { MAX_REASONS = 32 };
typedef struct reason_count {
  char msg[120];
  size_t count;
} reason_count;

typedef struct kind_run {
  const char *what;
  const char *root;   /* conformance dir */
  bool is_component;
  bool can_parse;
  exclusions *ex;
  bool verbose; /* $KUMI_ROUNDTRIP_VERBOSE: list the RT_UNREADABLE binaries */
  size_t total, identical, custom, differ, excluded, unreadable, stale, seen_dupes;
  reason_count reasons[MAX_REASONS]; /* why binaries were unreadable */
  size_t nreasons, other_reasons;
  char **seen; /* relative paths already counted (a manifest may name a file twice) */
  size_t nseen, capseen;
} kind_run;

/* Counts one more unreadable binary under its decoder message. */
static void tally(kind_run *r, const char *why) {
  size_t k = 0;
  while (k < r->nreasons && strcmp(r->reasons[k].msg, why) != 0) k++;
  if (k == r->nreasons) {
    if (k == MAX_REASONS) {
      r->other_reasons++;
      return;
    }
    copy_str(r->reasons[k].msg, sizeof r->reasons[k].msg, why);
    r->reasons[k].count = 0;
    r->nreasons++;
  }
  r->reasons[k].count++;
}

static bool seen_before(kind_run *r, const char *rel) {
  for (size_t k = 0; k < r->nseen; k++)
    if (strcmp(r->seen[k], rel) == 0) return true;
  if (r->nseen == r->capseen) {
    r->capseen = r->capseen ? 2 * r->capseen : 256;
    char **g = realloc(r->seen, r->capseen * sizeof *g);
    if (!g) return false;
    r->seen = g;
  }
  r->seen[r->nseen] = strdup(rel);
  if (r->seen[r->nseen]) r->nseen++;
  return false;
}

/* The binary b[0..n) without custom sections, nested components and core
 * modules of a component included, into out (room for n bytes; section
 * sizes are rewritten minimally, so the result is never longer). Returns
 * the length, or SIZE_MAX when b is not well-formed. */
static size_t strip_custom(const uint8_t *b, size_t n, uint8_t *out) {
  if (n < 8) return SIZE_MAX;
  bool component = b[4] == 0x0d && b[6] == 1;
  memcpy(out, b, 8);
  size_t pos = 8, len = 8;
  while (pos < n) {
    uint8_t id = b[pos++];
    uint64_t size;
    const char *why;
    if (!kb_leb_u(b, n, &pos, 32, &size, &why) || size > n - pos) return SIZE_MAX;
    const uint8_t *body = b + pos;
    pos += size;
    if (id == 0) continue;
    uint8_t *tmp = NULL;
    size_t body_len = size;
    if (component && (id == 1 || id == 4)) {
      tmp = malloc(size ? size : 1);
      if (!tmp) return SIZE_MAX;
      body_len = strip_custom(body, size, tmp);
      if (body_len == SIZE_MAX) {
        free(tmp);
        return SIZE_MAX;
      }
      body = tmp;
    }
    out[len++] = id;
    uint64_t v = body_len;
    do {
      uint8_t c = v & 0x7f;
      v >>= 7;
      out[len++] = v ? (uint8_t)(c | 0x80) : c;
    } while (v);
    memcpy(out + len, body, body_len);
    len += body_len;
    free(tmp);
  }
  return len;
}

/* True when x and y are equal once custom sections are removed. */
static bool same_without_custom(const uint8_t *x, size_t nx, const uint8_t *y, size_t ny) {
  uint8_t *sx = malloc(nx ? nx : 1), *sy = malloc(ny ? ny : 1);
  bool same = false;
  if (sx && sy) {
    size_t lx = strip_custom(x, nx, sx), ly = strip_custom(y, ny, sy);
    same = lx != SIZE_MAX && lx == ly && memcmp(sx, sy, lx) == 0;
  }
  free(sx);
  free(sy);
  return same;
}

/* RT_CUSTOM: the binaries differ only in custom sections (a failure, told
 * apart for the report). RT_UNREADABLE: kumi's own
 * decoder rejects the binary (the printer decodes with every proposal
 * kumi knows; the first failure is its error). */
typedef enum { RT_IDENTICAL, RT_CUSTOM, RT_DIFFER, RT_UNREADABLE } rt_outcome;

static rt_outcome round_trip(const kumi_allocator *a, bool component, const uint8_t *b, size_t n, char *why,
                             size_t whyn) {
  char *text = NULL;
  size_t text_len = 0;
  kumi_error *e = component ? text_print_component(a, b, n, &text, &text_len) : text_print_module(a, b, n, &text, &text_len);
  if (e) {
    rt_outcome r = kumi_error_kind_of(e) == KUMI_ERR_MALFORMED ? RT_UNREADABLE : RT_DIFFER;
    snprintf(why, whyn, "%s%s", r == RT_DIFFER ? "print error: " : "", kumi_error_message(e));
    kumi_error_free(e);
    return r;
  }
  uint8_t *back = NULL;
  size_t back_len = 0;
  e = component ? text_parse_component(a, text, text_len, &back, &back_len)
                : text_parse_wat(a, text, text_len, &back, &back_len);
  kb_free(a, text, text_len + 1);
  if (e) {
    snprintf(why, whyn, "printed text does not parse: %s", kumi_error_message(e));
    kumi_error_free(e);
    return RT_DIFFER;
  }
  rt_outcome r = RT_IDENTICAL;
  if (back_len != n || memcmp(back, b, n) != 0) {
    size_t k = 0;
    while (k < n && k < back_len && b[k] == back[k]) k++;
    snprintf(why, whyn, "first difference at byte 0x%zx (%zu bytes in, %zu out)", k, n, back_len);
    r = same_without_custom(b, n, back, back_len) ? RT_CUSTOM : RT_DIFFER;
  }
  kb_free(a, back, back_len);
  return r;
}

static void one_binary(void *ud, const char *dir, const char *file) {
  kind_run *r = ud;
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  size_t rootlen = strlen(r->root);
  const char *rel = strncmp(path, r->root, rootlen) == 0 && path[rootlen] == '/' ? path + rootlen + 1 : path;
  if (seen_before(r, rel)) {
    r->seen_dupes++;
    return;
  }
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *b;
  size_t n;
  kumi_error *e = kb_read_file(a, path, &b, &n);
  if (e) {
    kumi_error_free(e);
    return;
  }
  /* The header tells a component from a core module. */
  bool component = n >= 8 && b[4] == 0x0d && b[6] == 1 && b[7] == 0;
  if (component != r->is_component) {
    kb_free(a, b, n);
    return;
  }
  r->total++;
  char why[512] = "";
  rt_outcome out = round_trip(a, component, b, n, why, sizeof why);
  kb_free(a, b, n);
  exclusion *x = find_exclusion(r->ex, rel);
  if (out == RT_UNREADABLE) {
    r->unreadable++;
    if (r->verbose) printf("unreadable: %s: %s\n", rel, why);
    tally(r, why);
  } else if (x) {
    r->excluded++;
    x->hits++;
    if (out == RT_IDENTICAL) {
      r->stale++;
      x->stale++;
      printf("stale exclusion (now identical): %s\n", rel);
    }
  } else if (out == RT_IDENTICAL) {
    r->identical++;
  } else if (out == RT_CUSTOM) {
    r->custom++;
    r->differ++;
    fprintf(stderr, "differs (only in custom sections): %s: %s\n", rel, why);
  } else {
    r->differ++;
    fprintf(stderr, "differs: %s: %s\n", rel, why);
  }
}

static void report(kind_run *r) {
  printf("%s: %zu identical, %zu differ (%zu of them only in custom sections) (of %zu: %zu excluded with a "
         "reason, %zu stale exclusions, %zu unreadable by kumi's decoder)\n",
         r->what, r->identical, r->differ, r->custom, r->total, r->excluded, r->stale, r->unreadable);
  for (size_t k = 0; k < r->nreasons; k++)
    printf("  unreadable by kumi's decoder: %zu x \"%s\"\n", r->reasons[k].count, r->reasons[k].msg);
  if (r->other_reasons) printf("  unreadable by kumi's decoder: %zu x other messages\n", r->other_reasons);
  CHECKF(r->differ == 0, "%s: %zu binaries do not round-trip", r->what, r->differ);
  /* A stale line would excuse a later regression of that binary. */
  CHECKF(r->stale == 0, "%s: %zu stale exclusions (remove them from the list)", r->what, r->stale);
  for (size_t k = 0; k < r->nseen; k++) free(r->seen[k]);
  free(r->seen);
}

/* True when the text parser reads components. */
static bool component_parser_available(void) {
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *b = NULL;
  size_t n = 0;
  kumi_error *e = text_parse_component(a, "(component)", 11, &b, &n);
  if (e) {
    kumi_error_free(e);
    return false;
  }
  kb_free(a, b, n);
  return true;
}

int main(void) {
  char src[4096], shared[4200], conf[4300], exfile[4300];
  snprintf(src, sizeof src, "%s", __FILE__);
  char *slash = strrchr(src, '/');
  if (slash) *slash = 0; /* tests/text */
  else snprintf(src, sizeof src, ".");
  const char *env = getenv("KUMI_SHARED_DIR");
  if (env && *env) snprintf(shared, sizeof shared, "%s", env);
  else snprintf(shared, sizeof shared, "%s/../../../shared", src);
  snprintf(conf, sizeof conf, "%s/conformance", shared);
  const char *exenv = getenv("KUMI_ROUNDTRIP_EXCLUSIONS"); /* another list, e.g. /dev/null to see everything */
  if (exenv && *exenv) snprintf(exfile, sizeof exfile, "%s", exenv);
  else snprintf(exfile, sizeof exfile, "%s/roundtrip_exclusions.txt", src);

  exclusions ex;
  CHECKF(load_exclusions(exfile, &ex), "reading %s", exfile);
  if (!is_dir(conf)) {
    printf("skipped: round trip (%s not found; set KUMI_SHARED_DIR)\n", conf);
    free_exclusions(&ex);
    return test_summary();
  }

  char dir[4400];
  bool verbose = getenv("KUMI_ROUNDTRIP_VERBOSE") != NULL;
  kind_run core = {.what = "core modules", .root = conf, .ex = &ex, .can_parse = true, .verbose = verbose};
  snprintf(dir, sizeof dir, "%s/core/json", conf);
  walk_manifests(dir, one_binary, &core);
  report(&core);

  kind_run comp = {.what = "components", .root = conf, .is_component = true, .ex = &ex, .verbose = verbose};
  comp.can_parse = component_parser_available();
  if (!comp.can_parse) {
    printf("components: component text parser not available (not counted)\n");
  } else {
    snprintf(dir, sizeof dir, "%s/component/json", conf);
    walk_manifests(dir, one_binary, &comp);
    report(&comp);
  }

  /* An exclusion that matches nothing is a stale line in the list. */
  for (size_t k = 0; k < ex.n; k++)
    if (ex.items[k].hits == 0 && (comp.can_parse || strncmp(ex.items[k].pattern, "component/", 10) != 0))
      printf("note: exclusion matches no binary: %s\n", ex.items[k].pattern);
  free_exclusions(&ex);
  return test_summary();
}
