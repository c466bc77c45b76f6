/* Tests for src/wit.
 *  - every WASI package in ../shared/spec/wasi/<version>/<proposal> (with its
 *    version folder as dependency folder) parses, resolves and prints, and the
 *    printed text printed again is the same (with and without all features,
 *    and self-contained with the dependencies as nested packages);
 *  - a kitchen-sink package using every construct round-trips;
 *  - each case in tests/wit/errors gives its expected message at its
 *    expected line:column (first line of the file: `// ERROR L:C message`,
 *    or expect.txt in a directory case; `-` when no location);
 *  - a brief mutation fuzz: no input crashes, and every input that resolves
 *    prints to a fixed point;
 *  - everything goes through the allocator hook and nothing leaks.
 * The shared folder is $KUMI_SHARED_DIR or <source>/../shared; without it the
 * WASI part prints a 'skipped' line. */
#define _XOPEN_SOURCE 700
#include "wit/wit.h"

#include "wit_harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* ---- helpers ---- */

#include "files.h"

/* Loads and prints the main package (plus its dependencies nested when
 * with_deps); NULL on error with *err set. */
static char *load_print(const wit_load_opts *o, bool all_features, bool with_deps, kumi_error **err, size_t *len) {
  wit_resolve *r = wit_resolve_new(alloc_hook);
  if (!r) return NULL;
  if (all_features) wit_resolve_enable_all_features(r);
  uint32_t pkg;
  char *text = NULL;
  *err = wit_resolve_load(r, o, &pkg);
  if (!*err) {
    uint32_t nested[256];
    size_t n = 0;
    for (uint32_t i = 0; with_deps && i < wit_package_count(r) && n < 256; i++)
      if (i != pkg) nested[n++] = i;
    *err = wit_print(r, pkg, nested, n, &text, len);
  }
  wit_resolve_free(r);
  return text;
}

static void free_text(char *t, size_t len) {
  if (t) kb_free(alloc_hook, t, len + 1);
}

/* ---- WASI ---- */

static void check_fixed_point(const char *label, const char *text, size_t len, const char *const *deps, size_t ndeps,
                              bool all, bool with_deps) {
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.source = text;
  o.source_len = len;
  o.source_name = "printed.wit";
  o.deps = deps;
  o.ndeps = ndeps;
  kumi_error *e;
  size_t len2;
  char *again = load_print(&o, all, with_deps, &e, &len2);
  CHECK(!e, "%s: printed text does not load: %s", label, e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  if (again) {
    CHECK(len2 == len && !memcmp(again, text, len), "%s: printing is not a fixed point", label);
    if (len2 != len || memcmp(again, text, len)) {
      FILE *f = fopen("/tmp/wit-fixed-point-a.wit", "wb");
      if (f) fwrite(text, 1, len, f), fclose(f);
      f = fopen("/tmp/wit-fixed-point-b.wit", "wb");
      if (f) fwrite(again, 1, len2, f), fclose(f);
    }
  }
  free_text(again, len2);
}

static int wasi_packages;

static void wasi_package(void *ctx, const char *vdir, const char *version, const char *proposal, const char *pdir) {
  (void)ctx;
  char label[4300];
  const char *deps[1] = {vdir};
  for (int all = 0; all < 2; all++) {
    (void)FMT(label, "wasi %s/%s%s", version, proposal, all ? " (all features)" : "");
    wit_load_opts o = wit_path_opts(pdir, deps);
    kumi_error *e;
    size_t len;
    char *text = load_print(&o, all, false, &e, &len);
    CHECK(!e && text && len > 0, "%s: %s", label, e ? kumi_error_message(e) : "no output");
    if (e) kumi_error_free(e);
    if (!text) continue;
    wasi_packages += !all;
    check_fixed_point(label, text, len, deps, 1, all, false);
    free_text(text, len);
    /* Self-contained: the dependencies printed as nested packages. */
    text = load_print(&o, all, true, &e, &len);
    CHECK(!e && text, "%s (with deps): %s", label, e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
    if (text) check_fixed_point(label, text, len, NULL, 0, all, true);
    free_text(text, len);
  }
}

static void test_wasi(const char *shared) {
  if (!wit_each_wasi_package(shared, "WASI WIT tests", wasi_package, NULL)) return;
  CHECK(wasi_packages >= 13, "only %d WASI packages found", wasi_packages);

  /* A feature selected by name: wasi:clocks@0.2.12 timezone is unstable. */
  char clocks[4200], vdir[4200];
  (void)FMT(vdir, "%s/spec/wasi/0.2.12", shared);
  (void)FMT(clocks, "%s/spec/wasi/0.2.12/clocks", shared);
  if (is_dir(clocks)) {
    for (int with = 0; with < 2; with++) {
      wit_resolve *r = wit_resolve_new(alloc_hook);
      if (with) wit_resolve_enable_feature(r, "clocks-timezone");
      const char *deps[1] = {vdir};
      wit_load_opts o = wit_path_opts(clocks, deps);
      uint32_t pkg;
      char *text = NULL;
      size_t len = 0;
      kumi_error *e = wit_resolve_load(r, &o, &pkg);
      if (!e) e = wit_print_package(r, pkg, &text, &len);
      CHECK(!e, "clocks: %s", e ? kumi_error_message(e) : "");
      if (e) kumi_error_free(e);
      if (text) {
        bool has = strstr(text, "interface timezone {") != NULL;
        CHECK(has == (with != 0), "clocks-timezone feature %s: timezone %s", with ? "on" : "off",
              has ? "present" : "absent");
        CHECK(strstr(text, "@unstable(feature = clocks-timezone)\n") == NULL || with, "gate printed when off");
      }
      free_text(text, len);
      wit_resolve_free(r);
    }
  }
}

/* ---- kitchen sink ---- */

#include "kitchen.h"

static void test_kitchen(void) {
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.source = kitchen;
  o.source_len = sizeof kitchen - 1;
  o.source_name = "kitchen.wit";
  for (int all = 0; all < 2; all++) {
    kumi_error *e;
    size_t len;
    char *text = load_print(&o, all, true, &e, &len);
    CHECK(!e && text, "kitchen sink: %s", e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
    if (!text) continue;
    static const char *const expect[] = {
        "/// The package docs.\npackage my:kitchen@1.2.3-rc.1+build.5;\n\n/// Block doc\n@since(version = 1.0.0)\n"
        "interface shapes {\n  @since(version = 1.0.0)\n  use other:dep/types@0.1.0.{id as dep-id, color};\n\n"
        "  type %type = u32;\n",
        "  /// a point\n  record point {\n    /// x coordinate\n    x: s32,\n    y: s32,\n  }\n",
        "  resource blob {\n    constructor(init: list<u8>);\n    /// read it\n    @since(version = 1.1.0)\n"
        "    @deprecated(version = 1.2.0)\n    read: func(n: u32) -> list<u8>;\n"
        "    merge: static func(a: borrow<blob>, b: blob) -> blob;\n    wait: async func();\n"
        "    make: static async func() -> blob;\n  }\n",
        "  resource res2 {\n    constructor() -> result<res2, mode>;\n  }\n",
        "  type owned = own<blob>;\n\n  type borrowed = borrow<blob>;\n\n  type alias-blob = blob;\n",
        "  %variant: func(%enum: mode) -> dep-id;\n",
        "  type fixed = list<u8, 4>;\n\n  type m = map<string, list<point>>;\n\n  type opt = option<result<_, mode>>;\n",
        "  type bare = result;\n\n  type fut = future<stream<u8>>;\n\n  type bare-fut = future;\n",
        "world combined {\n  import other:dep/types@0.1.0;\n  import shapes;\n  use shapes.{mode};\n\n"
        "  type local = list<mode>;\n\n  resource wr {\n    constructor();\n    m: func() -> local;\n  }\n"
        "  import helper: func(l: local) -> wr;\n  import renamed-a: func();\n\n  export renamed-b: func();\n"
        "  export uses-shapes;\n  export run: interface {\n    go: func();\n  }\n}\n",
        "package other:dep@0.1.0 {\n  interface types {\n    type id = u64;\n\n    enum color {\n",
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++)
      CHECK(strstr(text, expect[i]) != NULL, "kitchen sink output lacks:\n%s\n--- output:\n%s", expect[i], text);
    bool hidden = strstr(text, "hidden: func();") != NULL;
    CHECK(hidden == (all != 0), "unstable function %s", hidden ? "kept" : "dropped");
    check_fixed_point(all ? "kitchen (all features)" : "kitchen", text, len, NULL, 0, all, true);
    free_text(text, len);
  }
}

/* ---- error cases ---- */

static int error_cases;

static void run_error_case(const char *path, const char *expect_line) {
  /* expect_line: "// ERROR L:C message" */
  const char *p = expect_line + strlen("// ERROR ");
  char loc[32];
  size_t k = 0;
  while (*p && *p != ' ' && k + 1 < sizeof loc) loc[k++] = *p++;
  loc[k] = 0;
  if (*p == ' ') p++;
  const char *msg = p;
  size_t msglen = strcspn(msg, "\r\n");
  wit_resolve *r = wit_resolve_new(alloc_hook);
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.path = path;
  uint32_t pkg;
  kumi_error *e = wit_resolve_load(r, &o, &pkg);
  error_cases++;
  CHECK(e != NULL, "%s: no error (expected %.*s)", path, (int)msglen, msg);
  if (e) {
    const char *m = kumi_error_message(e);
    size_t first = strcspn(m, "\n");
    CHECK(first == msglen && !memcmp(m, msg, msglen), "%s: message\n  got:      %.*s\n  expected: %.*s", path,
          (int)first, m, (int)msglen, msg);
    if (strcmp(loc, "-")) {
      char want[4200];
      (void)FMT(want, ":%s\n", loc);
      const char *arrow = strstr(m, "--> ");
      const char *at = arrow ? strchr(arrow, '\n') : NULL;
      bool ok = false;
      if (at) {
        size_t wl = strlen(want);
        ok = (size_t)(at + 1 - arrow) >= wl && !memcmp(at + 1 - wl, want, wl);
      }
      CHECK(ok, "%s: location, expected %s in:\n%s", path, loc, m);
      CHECK(arrow && strstr(arrow, "\n      |\n") && strchr(arrow, '^'), "%s: no source line with caret:\n%s", path, m);
    }
    kumi_error_free(e);
  }
  wit_resolve_free(r);
}

static void test_errors(const char *dir) {
  char **names;
  size_t n = list_dir(dir, &names);
  for (size_t i = 0; i < n; i++) {
    char path[4200], exp[4400];
    (void)FMT(path, "%s/%s", dir, names[i]);
    size_t len;
    char *text;
    if (is_dir(path)) {
      (void)FMT(exp, "%s/expect.txt", path);
      text = read_file(exp, &len);
    } else {
      text = read_file(path, &len);
    }
    CHECK(text && !strncmp(text, "// ERROR ", 9), "%s: no `// ERROR` line", path);
    if (text && !strncmp(text, "// ERROR ", 9)) run_error_case(path, text);
    free(text);
  }
  free_list(names, n);
  CHECK(error_cases >= 40, "only %d error cases", error_cases);
}

/* ---- fuzz ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static const char *const fragments[] = {"{", "}", "<", ">", ";", ",", ":", "@", "(", ")", ".", "/", "-", "->",
                                        "%", "use ", "interface ", "world ", "import ", "export ", "include ",
                                        "type ", "resource ", "func", "async ", "static ", "constructor",
                                        "borrow<", "own<", "list<", "map<", "result<", "option<", "tuple<", "_",
                                        "/*", "*/", "///", "//", "\n", "0", "1.0.0", "@since(version = 0.2.0)",
                                        "@unstable(feature = f)", "@deprecated(version = 0.1.0)", "package a:b;",
                                        "package c:d {", "with { a as b }", "u32", "string", "x", "a-b", "\xc3\xa9",
                                        "\xe2\x80\xae", "\x01", "\r\n", "\xff"};

static size_t mutate(const char *seed, size_t n, char *out, size_t cap) {
  size_t len = n < cap ? n : cap;
  memcpy(out, seed, len);
  int rounds = 1 + (int)(rnd() % 3);
  for (int k = 0; k < rounds; k++) {
    size_t at = len ? (size_t)(rnd() % (len + 1)) : 0;
    switch (rnd() % 5) {
    case 0: /* flip a byte */
      if (len) out[at % len] ^= (char)(1u << (rnd() % 8));
      break;
    case 1: { /* delete a range */
      size_t d = (size_t)(rnd() % 32);
      if (at + d > len) d = len - at;
      memmove(out + at, out + at + d, len - at - d);
      len -= d;
      break;
    }
    case 2: { /* insert a fragment */
      const char *f = fragments[rnd() % (sizeof fragments / sizeof fragments[0])];
      size_t fl = strlen(f);
      if (len + fl > cap) break;
      memmove(out + at + fl, out + at, len - at);
      memcpy(out + at, f, fl);
      len += fl;
      break;
    }
    case 3: { /* duplicate a range */
      size_t d = (size_t)(rnd() % 64);
      if (at + d > len) d = len - at;
      if (len + d > cap) break;
      memmove(out + at + d, out + at, len - at);
      len += d;
      break;
    }
    default: /* truncate */
      len = at;
    }
  }
  return len;
}

static void test_fuzz(const char *shared) {
  int iters = 2000;
  const char *env = getenv("KUMI_WIT_FUZZ_ITERS");
  if (env) iters = atoi(env);
  /* Seeds: the kitchen sink and, when present, whole WASI packages (their
   * files joined, the `package` line kept once) with their version folder
   * as dependencies. */
  char *seeds[8];
  size_t lens[8], nseeds = 0;
  const char *seed_deps[8];
  static char vdirs[2][4200];
  seeds[nseeds] = malloc(sizeof kitchen);
  if (seeds[nseeds]) {
    memcpy(seeds[nseeds], kitchen, sizeof kitchen);
    seed_deps[nseeds] = NULL;
    lens[nseeds++] = sizeof kitchen - 1;
  }
  static const char *const pkgs[] = {"0.2.12/io", "0.3.0/http", "0.2.12/sockets", "0.3.0/cli"};
  snprintf(vdirs[0], sizeof vdirs[0], "%s/spec/wasi/0.2.12", shared);
  snprintf(vdirs[1], sizeof vdirs[1], "%s/spec/wasi/0.3.0", shared);
  for (size_t i = 0; i < sizeof pkgs / sizeof pkgs[0]; i++) {
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/spec/wasi/%s", shared, pkgs[i]);
    char **names;
    size_t nn = list_dir(dir, &names);
    size_t total = 0;
    char *joined = NULL;
    for (size_t k = 0; k < nn; k++) {
      char p[4400];
      snprintf(p, sizeof p, "%s/%s", dir, names[k]);
      size_t len;
      char *t = read_file(p, &len);
      if (!t) continue;
      char *body = t;
      if (total) { /* drop the package line of later files */
        char *pk = strstr(t, "package ");
        char *semi = pk ? strchr(pk, ';') : NULL;
        if (semi) memset(pk, ' ', (size_t)(semi + 1 - pk));
      }
      char *nj = realloc(joined, total + len + 2);
      if (nj) {
        joined = nj;
        memcpy(joined + total, body, len);
        total += len;
        joined[total++] = '\n';
        joined[total] = 0;
      }
      free(t);
    }
    free_list(names, nn);
    if (joined) {
      seeds[nseeds] = joined;
      seed_deps[nseeds] = vdirs[pkgs[i][2] == '2' ? 0 : 1];
      lens[nseeds++] = total;
    }
  }
  size_t cap = 1 << 17;
  char *buf = malloc(cap);
  int resolved = 0;
  for (int i = 0; buf && i < iters; i++) {
    size_t s = (size_t)(rnd() % nseeds);
    size_t len = mutate(seeds[s], lens[s], buf, cap);
    wit_load_opts o;
    memset(&o, 0, sizeof o);
    o.source = buf;
    o.source_len = len;
    o.source_name = "fuzz.wit";
    o.deps = &seed_deps[s];
    o.ndeps = seed_deps[s] ? 1 : 0;
    kumi_error *e;
    size_t tl;
    char *text = load_print(&o, (i & 1) != 0, true, &e, &tl);
    if (e) {
      CHECK(kumi_error_message(e)[0] != 0, "empty error message");
      kumi_error_free(e);
    }
    if (text) {
      resolved++;
      check_fixed_point("fuzz", text, tl, NULL, 0, (i & 1) != 0, true);
    }
    free_text(text, tl);
  }
  free(buf);
  for (size_t i = 0; i < nseeds; i++) free(seeds[i]);
  printf("fuzz: %d mutated inputs, %d resolved\n", iters, resolved);
}

int main(void) {
  counts c = {0, 0, 0};
  kumi_allocator a = {counting_realloc, &c};
  alloc_hook = &a;
  char src[4096], shared[4200], errors[4200];
  wit_test_dirs(__FILE__, src, sizeof src, shared, sizeof shared);
  (void)FMT(errors, "%s/errors", src);

  test_kitchen();
  test_errors(errors);
  test_wasi(shared);
  test_fuzz(shared);

  CHECK(c.blocks == 0 && c.bytes == 0, "leaked %lld blocks, %lld bytes through the allocator hook", c.blocks, c.bytes);
  printf("wit: %d WASI packages, %d error cases\n", wasi_packages, error_cases);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
