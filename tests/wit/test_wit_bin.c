/* Tests for the WIT binary form (src/wit/encode.c, decode.c).
 *  - every WASI package in ../shared/spec/wasi/<version>/<proposal>: text ->
 *    package binary -> text gives the same text (docs and gates included),
 *    and encoding the decoded package gives the same bytes (package-docs
 *    aside, whose function order follows the binary);
 *  - the kitchen-sink package of test_wit.c round-trips the same way, with
 *    and without all features, and each of its worlds through the
 *    component-type form;
 *  - every world of those packages encodes (as a `component-type` payload)
 *    to the bytes `jco embed` wrote (tests/wit/jco/worlds, made by
 *    tests/wit/jco/generate.mjs), the producers section aside; jco's bytes
 *    decode, and re-encode to themselves;
 *  - every component of the wasi-testsuite (*-wasip2-adapted, rust-wasip3)
 *    prints as the same WIT text as `jco wit` (tests/wit/jco/components);
 *  - tests/wit/jco/extra: a world with world-level types, resources and
 *    functions encodes to jco's bytes, and the component jco made from it
 *    prints as `jco wit` prints it;
 *  - mutated binaries never crash the decoder; running out of memory at
 *    any allocation of encoding or decoding fails cleanly;
 *  - everything goes through the allocator hook and nothing leaks.
 * The shared folder is $KUMI_SHARED_DIR or <source>/../shared; without it
 * those parts print a 'skipped' line. */
#define _XOPEN_SOURCE 700
#include "wit/wit.h"
#include "wit/wit_bin.h"

#include "wit_harness.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "files.h"

/* Equal except for the `producers` custom section (ours names kumi). */
static bool leb(const uint8_t *b, size_t len, size_t *pos, uint64_t *out) {
  uint64_t r = 0;
  for (int s = 0; s < 64 && *pos < len; s += 7) {
    uint8_t x = b[(*pos)++];
    r |= (uint64_t)(x & 0x7f) << s;
    if (!(x & 0x80)) {
      *out = r;
      return true;
    }
  }
  return false;
}
static bool next_section(const uint8_t *b, size_t len, size_t *pos, size_t *start, size_t *end, const char *skip) {
  size_t sl = strlen(skip);
  for (;;) {
    if (*pos >= len) return false;
    *start = *pos;
    uint8_t id = b[(*pos)++];
    uint64_t n, nl;
    if (!leb(b, len, pos, &n) || n > len - *pos) return false;
    *end = *pos + (size_t)n;
    size_t p = *pos;
    *pos = *end;
    if (id == 0 && leb(b, *end, &p, &nl) && nl == sl && p + sl <= *end && !memcmp(b + p, skip, sl)) continue;
    return true;
  }
}
static bool same_except(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen, const char *skip) {
  if (alen < 8 || blen < 8 || memcmp(a, b, 8)) return false;
  size_t pa = 8, pb = 8, sa, ea, sb, eb;
  for (;;) {
    bool ha = next_section(a, alen, &pa, &sa, &ea, skip), hb = next_section(b, blen, &pb, &sb, &eb, skip);
    if (ha != hb) return false;
    if (!ha) return pa >= alen && pb >= blen;
    if (ea - sa != eb - sb || memcmp(a + sa, b + sb, ea - sa)) return false;
  }
}
static bool same_but_producers(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen) {
  return same_except(a, alen, b, blen, "producers");
}

/* ---- WASI packages ---- */

static int pkg_roundtrips, world_total, world_same, jco_reencoded;

static char *print_pkg(wit_resolve *r, uint32_t pkg, size_t *len) {
  char *text = NULL;
  kumi_error *e = wit_print_package(r, pkg, &text, len);
  CHECK(!e, "print: %s", e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  return text;
}

static void check_world(const char *jco_dir, const char *ver, const char *prop, wit_resolve *r, uint32_t w) {
  const char *wname = wit_get_world(r, w)->name;
  uint8_t *mine = NULL;
  size_t mlen = 0;
  kumi_error *e = wit_encode_world_metadata(r, w, &mine, &mlen);
  CHECK(!e, "%s/%s world %s: encode: %s", ver, prop, wname, e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    return;
  }
  world_total++;
  char path[4096];
  (void)FMT(path, "%s/worlds/%s/%s-%s.wasm", jco_dir, ver, prop, wname);
  size_t flen = 0;
  uint8_t *file = (uint8_t *)read_file(path, &flen);
  CHECK(file != NULL, "%s: missing (run tests/wit/jco/generate.mjs)", path);
  if (file) {
    size_t slen = 0;
    const uint8_t *sec = wit_find_custom(file, flen, "component-type", true, &slen);
    CHECK(sec != NULL, "%s: no component-type section", path);
    if (sec) {
      bool same = same_but_producers(sec, slen, mine, mlen);
      CHECK(same, "%s/%s world %s: bytes differ from jco", ver, prop, wname);
      world_same += same;
      /* jco's bytes decode and re-encode to themselves. */
      wit_resolve *r2 = wit_resolve_new(alloc_hook);
      uint32_t pkg2;
      e = r2 ? wit_decode(r2, file, flen, &pkg2) : kb_error_oom();
      CHECK(!e, "%s: decode: %s", path, e ? kumi_error_message(e) : "");
      if (e) kumi_error_free(e);
      if (!e) {
        const wit_package *p = wit_get_package(r2, pkg2);
        CHECK(p->nworlds == 1, "%s: %u worlds decoded", path, p->nworlds);
        if (p->nworlds == 1) {
          uint8_t *again = NULL;
          size_t alen = 0;
          e = wit_encode_world_metadata(r2, p->worlds[0], &again, &alen);
          CHECK(!e, "%s: re-encode: %s", path, e ? kumi_error_message(e) : "");
          if (e) kumi_error_free(e);
          bool same2 = !e && same_but_producers(sec, slen, again, alen);
          CHECK(same2, "%s: decoded and re-encoded bytes differ", path);
          jco_reencoded += same2;
          if (again) kb_free(alloc_hook, again, alen);
        }
      }
      wit_resolve_free(r2);
    }
    free(file);
  }
  kb_free(alloc_hook, mine, mlen);
}

static void check_package(const char *jco_dir, const char *vdir, const char *ver, const char *prop) {
  char dir[4096];
  (void)FMT(dir, "%s/%s", vdir, prop);
  const char *deps[1] = {vdir};
  wit_load_opts o = wit_path_opts(dir, deps);
  wit_resolve *r = wit_resolve_new(alloc_hook);
  uint32_t pkg;
  kumi_error *e = r ? wit_resolve_load(r, &o, &pkg) : kb_error_oom();
  CHECK(!e, "%s: load: %s", dir, e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    wit_resolve_free(r);
    return;
  }
  size_t tlen = 0, blen = 0, t2len = 0, b2len = 0;
  char *text = print_pkg(r, pkg, &tlen);
  uint8_t *bin = NULL, *bin2 = NULL;
  e = wit_encode_package(r, pkg, &bin, &blen);
  CHECK(!e, "%s: encode: %s", dir, e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  if (bin) {
    wit_resolve *r2 = wit_resolve_new(alloc_hook);
    uint32_t pkg2;
    e = r2 ? wit_decode(r2, bin, blen, &pkg2) : kb_error_oom();
    CHECK(!e, "%s: decode: %s", dir, e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
    if (!e) {
      char *text2 = print_pkg(r2, pkg2, &t2len);
      bool same = text && text2 && tlen == t2len && !memcmp(text, text2, tlen);
      CHECK(same, "%s: text -> wasm -> text differs", dir);
      pkg_roundtrips += same;
      if (!same && text2) {
        FILE *f = fopen("/tmp/wit-bin-a.wit", "wb");
        if (f) fwrite(text, 1, tlen, f), fclose(f);
        f = fopen("/tmp/wit-bin-b.wit", "wb");
        if (f) fwrite(text2, 1, t2len, f), fclose(f);
      }
      if (text2) kb_free(alloc_hook, text2, t2len + 1);
      e = wit_encode_package(r2, pkg2, &bin2, &b2len);
      CHECK(!e, "%s: re-encode: %s", dir, e ? kumi_error_message(e) : "");
      if (e) kumi_error_free(e);
      /* The same bytes, but for the order of functions in package-docs
       * (decoded interfaces list functions grouped by resource, as the
       * binary has them, not in source order). */
      CHECK(bin2 && b2len == blen && same_except(bin, blen, bin2, b2len, "package-docs"), "%s: re-encoded bytes differ",
            dir);
      if (bin2) kb_free(alloc_hook, bin2, b2len);
    }
    wit_resolve_free(r2);
  }
  const wit_package *p = wit_get_package(r, pkg);
  for (uint32_t i = 0; i < p->nworlds; i++) check_world(jco_dir, ver, prop, r, p->worlds[i]);
  if (bin) kb_free(alloc_hook, bin, blen);
  if (text) kb_free(alloc_hook, text, tlen + 1);
  wit_resolve_free(r);
}

static void wasi_package(void *jco_dir, const char *vdir, const char *version, const char *proposal,
                         const char *pdir) {
  (void)pdir;
  check_package(jco_dir, vdir, version, proposal);
}

static void test_wasi(const char *shared, const char *jco_dir) {
  (void)wit_each_wasi_package(shared, "WASI packages", wasi_package, (void *)jco_dir);
}

/* ---- a package using every construct (the one of test_wit.c) ---- */

#include "kitchen.h"


static int kitchen_roundtrips;

static void test_kitchen(bool all) {
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.source = kitchen;
  o.source_len = sizeof kitchen - 1;
  o.source_name = "kitchen.wit";
  wit_resolve *r = wit_resolve_new(alloc_hook);
  if (!r) return;
  if (all) wit_resolve_enable_all_features(r);
  uint32_t pkg;
  kumi_error *e = wit_resolve_load(r, &o, &pkg);
  CHECK(!e, "kitchen: %s", e ? kumi_error_message(e) : "");
  if (e) {
    kumi_error_free(e);
    wit_resolve_free(r);
    return;
  }
  size_t tl = 0, bl = 0, t2 = 0;
  char *text = print_pkg(r, pkg, &tl);
  uint8_t *bin = NULL;
  e = wit_encode_package(r, pkg, &bin, &bl);
  CHECK(!e, "kitchen: encode: %s", e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  if (bin) {
    wit_resolve *r2 = wit_resolve_new(alloc_hook);
    uint32_t pkg2;
    e = r2 ? wit_decode(r2, bin, bl, &pkg2) : kb_error_oom();
    CHECK(!e, "kitchen: decode: %s", e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
    if (!e) {
      char *text2 = print_pkg(r2, pkg2, &t2);
      bool same = text && text2 && tl == t2 && !memcmp(text, text2, tl);
      CHECK(same, "kitchen (all features: %d): text -> wasm -> text differs", all);
      kitchen_roundtrips += same;
      if (text2) kb_free(alloc_hook, text2, t2 + 1);
    }
    wit_resolve_free(r2);
    kb_free(alloc_hook, bin, bl);
  }
  /* Each world through the component-type form and back. */
  const wit_package *p = wit_get_package(r, pkg);
  for (uint32_t i = 0; i < p->nworlds; i++) {
    uint8_t *w = NULL, *w2 = NULL;
    size_t wl = 0, wl2 = 0;
    e = wit_encode_world_metadata(r, p->worlds[i], &w, &wl);
    CHECK(!e, "kitchen world: %s", e ? kumi_error_message(e) : "");
    if (e) {
      kumi_error_free(e);
      continue;
    }
    wit_resolve *r2 = wit_resolve_new(alloc_hook);
    uint32_t pkg2;
    e = r2 ? wit_decode(r2, w, wl, &pkg2) : kb_error_oom();
    CHECK(!e, "kitchen world: decode: %s", e ? kumi_error_message(e) : "");
    if (e) kumi_error_free(e);
    if (!e && wit_get_package(r2, pkg2)->nworlds == 1) {
      e = wit_encode_world_metadata(r2, wit_get_package(r2, pkg2)->worlds[0], &w2, &wl2);
      if (e) kumi_error_free(e);
      CHECK(w2 && wl2 == wl && !memcmp(w, w2, wl), "kitchen world %u: re-encoded bytes differ", i);
      if (w2) kb_free(alloc_hook, w2, wl2);
    }
    wit_resolve_free(r2);
    kb_free(alloc_hook, w, wl);
  }
  if (text) kb_free(alloc_hook, text, tl + 1);
  wit_resolve_free(r);
}

/* ---- components ---- */

/* Decodes the component bin (the file path) and prints its WIT: true when
 * that is want (jco's text) to the byte. */
static bool prints_as(const char *path, const uint8_t *bin, size_t bl, const void *want, size_t wl) {
  wit_resolve *r = wit_resolve_new(alloc_hook);
  uint32_t pkg;
  kumi_error *e = r ? wit_decode(r, bin, bl, &pkg) : kb_error_oom();
  CHECK(!e, "%s: decode: %s", path, e ? kumi_error_message(e) : "");
  bool same = false;
  if (e) {
    kumi_error_free(e);
  } else {
    size_t tl = 0;
    char *text = print_pkg(r, pkg, &tl);
    same = text && tl == wl && !memcmp(text, want, wl);
    CHECK(same, "%s: printed world differs from jco's", path);
    if (text) kb_free(alloc_hook, text, tl + 1);
  }
  wit_resolve_free(r);
  return same;
}

static int comp_total, comp_same;

static void test_components(const char *shared, const char *jco_dir) {
  char suites_dir[4096], cdir[4096];
  (void)FMT(suites_dir, "%s/conformance/wasi-testsuite", shared);
  (void)FMT(cdir, "%s/components", jco_dir);
  if (!is_dir(suites_dir)) {
    printf("skipped: wasi-testsuite components (%s not found)\n", suites_dir);
    return;
  }
  char **suites;
  size_t ns = list_dir(cdir, &suites);
  for (size_t s = 0; s < ns; s++) {
    char sdir[4096];
    (void)FMT(sdir, "%s/%s", cdir, suites[s]);
    char **files;
    size_t nf = list_dir(sdir, &files);
    for (size_t i = 0; i < nf; i++) {
      size_t l = strlen(files[i]);
      if (l < 5 || strcmp(files[i] + l - 4, ".wit")) continue;
      char want_path[4096], wasm_path[4096];
      (void)FMT(want_path, "%s/%s", sdir, files[i]);
      (void)FMT(wasm_path, "%s/%s/%.*s.wasm", suites_dir, suites[s], (int)(l - 4), files[i]);
      size_t wl = 0, bl = 0;
      uint8_t *want = (uint8_t *)read_file(want_path, &wl), *bin = (uint8_t *)read_file(wasm_path, &bl);
      CHECK(want && bin, "%s: cannot read", wasm_path);
      comp_total++;
      if (want && bin) comp_same += prints_as(wasm_path, bin, bl, want, wl);
      free(want);
      free(bin);
    }
    free_list(files, nf);
  }
  free_list(suites, ns);
}

/* ---- extra/: a world with world-level types, resources and functions ---- */

static int extra_same;

static void test_extra(const char *jco_dir) {
  char wit[4300], emb[4300], comp[4300], want[4300];
  if (!FMT(wit, "%s/extra/kitchen.wit", jco_dir) || !FMT(emb, "%s/extra/kitchen-combined.wasm", jco_dir) ||
      !FMT(comp, "%s/extra/kitchen-component.wasm", jco_dir) || !FMT(want, "%s/extra/kitchen-component.wit", jco_dir))
    return;
  wit_load_opts o;
  memset(&o, 0, sizeof o);
  o.path = wit;
  wit_resolve *r = wit_resolve_new(alloc_hook);
  uint32_t pkg;
  kumi_error *e = r ? wit_resolve_load(r, &o, &pkg) : kb_error_oom();
  CHECK(!e, "%s: %s", wit, e ? kumi_error_message(e) : "");
  if (e) kumi_error_free(e);
  if (!e) {
    const wit_package *p = wit_get_package(r, pkg);
    uint8_t *mine = NULL;
    size_t ml = 0, fl = 0, sl = 0;
    e = p->nworlds == 1 ? wit_encode_world_metadata(r, p->worlds[0], &mine, &ml) : kb_error_oom();
    if (e) kumi_error_free(e);
    uint8_t *file = (uint8_t *)read_file(emb, &fl);
    const uint8_t *sec = file ? wit_find_custom(file, fl, "component-type", true, &sl) : NULL;
    bool same = mine && sec && same_but_producers(sec, sl, mine, ml);
    CHECK(same, "%s: world bytes differ from jco", emb);
    extra_same += same;
    free(file);
    if (mine) kb_free(alloc_hook, mine, ml);
  }
  wit_resolve_free(r);
  size_t bl = 0, wl = 0;
  uint8_t *bin = (uint8_t *)read_file(comp, &bl), *w = (uint8_t *)read_file(want, &wl);
  CHECK(bin && w, "%s: cannot read", comp);
  if (bin && w) extra_same += prints_as(comp, bin, bl, w, wl);
  free(bin);
  free(w);
}

/* ---- mutation fuzz of the decoder ---- */

static int fuzz_inputs, fuzz_decoded;

static void fuzz_one(const uint8_t *bin, size_t len) {
  wit_resolve *r = wit_resolve_new(alloc_hook);
  if (!r) return;
  uint32_t pkg;
  kumi_error *e = wit_decode(r, bin, len, &pkg);
  fuzz_inputs++;
  if (e) {
    kumi_error_free(e);
  } else {
    fuzz_decoded++;
    size_t tl = 0;
    char *text = NULL;
    e = wit_print_package(r, pkg, &text, &tl);
    if (e) kumi_error_free(e);
    if (text) kb_free(alloc_hook, text, tl + 1);
    uint8_t *again = NULL;
    size_t al = 0;
    e = wit_encode_package(r, pkg, &again, &al);
    if (e) kumi_error_free(e);
    if (again) kb_free(alloc_hook, again, al);
  }
  wit_resolve_free(r);
}

static void mutate_run(const uint8_t *bin, size_t len, int iters, uint64_t seed) {
  uint8_t *buf = malloc(len);
  for (int i = 0; buf && len > 9 && i < iters; i++) {
    memcpy(buf, bin, len);
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    size_t n = len;
    int k = (int)(seed % 4);
    for (int m = 0; m <= k; m++) {
      seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
      size_t at = 8 + (size_t)(seed % (len - 8));
      buf[at] = (uint8_t)(seed >> 32);
    }
    if (i % 10 == 0) n = 8 + (size_t)((seed >> 20) % (len - 8));
    fuzz_one(buf, n);
  }
  free(buf);
}

/* Mutates a file (a component or a jco world encoding). */
static void fuzz_file(const char *path, int iters) {
  size_t len = 0;
  uint8_t *bin = (uint8_t *)read_file(path, &len);
  if (!bin) return;
  mutate_run(bin, len, iters, 0x2545f4914f6cdd1dull ^ len);
  free(bin);
}

/* Loads the WASI 0.2.12 io package and encodes it: *bin (NULL when the
 * package is missing or anything failed), *pkg; the resolve to free. */
static wit_resolve *load_io(const char *shared, uint32_t *pkg, uint8_t **bin, size_t *len) {
  char dir[4096], vdir[4096];
  (void)FMT(dir, "%s/spec/wasi/0.2.12/io", shared);
  (void)FMT(vdir, "%s/spec/wasi/0.2.12", shared);
  *bin = NULL;
  *len = 0;
  if (!is_dir(dir)) return NULL;
  const char *deps[1] = {vdir};
  wit_load_opts o = wit_path_opts(dir, deps);
  wit_resolve *r = wit_resolve_new(alloc_hook);
  kumi_error *e = r ? wit_resolve_load(r, &o, pkg) : kb_error_oom();
  if (!e) e = wit_encode_package(r, *pkg, bin, len);
  if (e) kumi_error_free(e);
  return r;
}

static void test_fuzz(const char *shared) {
  uint32_t pkg;
  uint8_t *bin;
  size_t len;
  wit_resolve_free(load_io(shared, &pkg, &bin, &len));
  if (!bin) return;
  mutate_run(bin, len, 3000, 0x9e3779b97f4a7c15ull);
  kb_free(alloc_hook, bin, len);
  static const uint8_t junk[][12] = {
      {0, 'a', 's', 'm', 1, 0, 0, 0},
      {0, 'a', 's', 'm', 0x0d, 0, 1, 0},
      {0, 'a', 's', 'm', 0x0d, 0, 1, 0, 7, 2, 1, 0x42},
  };
  for (size_t i = 0; i < sizeof junk / sizeof junk[0]; i++) fuzz_one(junk[i], 12);
  fuzz_one((const uint8_t *)"", 0);
  char path[4096];
  if (FMT(path, "%s/conformance/wasi-testsuite/rust-wasip3/cli-exit.wasm", shared)) fuzz_file(path, 300);
  if (FMT(path, "%s/conformance/wasi-testsuite/c-wasip2-adapted/clock_getres-monotonic.wasm", shared)) fuzz_file(path, 300);
}

/* Out of memory at every point of encoding and decoding (the io package):
 * an error or success, never a crash or a leak. */
static int oom_points;
static void test_oom(const char *shared, counts *c) {
  uint32_t pkg;
  uint8_t *bin;
  size_t len;
  wit_resolve *r = load_io(shared, &pkg, &bin, &len);
  kumi_error *e;
  for (long long n = 1; bin && n < 100000; n++) {
    c->fail_in = n;
    uint8_t *b2 = NULL;
    size_t l2 = 0;
    e = wit_encode_package(r, pkg, &b2, &l2);
    if (e) kumi_error_free(e);
    if (b2) kb_free(alloc_hook, b2, l2);
    bool reached = c->fail_in == 0;
    c->fail_in = 0;
    if (!reached) break;
    oom_points++;
  }
  for (long long n = 1; bin && n < 100000; n++) {
    wit_resolve *r2 = wit_resolve_new(alloc_hook);
    if (!r2) break;
    c->fail_in = n;
    uint32_t p2;
    e = wit_decode(r2, bin, len, &p2);
    if (e) kumi_error_free(e);
    bool reached = c->fail_in == 0;
    c->fail_in = 0;
    wit_resolve_free(r2);
    if (!reached) break;
    oom_points++;
  }
  if (bin) kb_free(alloc_hook, bin, len);
  wit_resolve_free(r);
}

int main(void) {
  counts c = {0, 0, 0};
  kumi_allocator a = {counting_realloc, &c};
  alloc_hook = &a;
  char src[4096], shared[4200], jco_dir[4200];
  wit_test_dirs(__FILE__, src, sizeof src, shared, sizeof shared);
  (void)FMT(jco_dir, "%s/jco", src);

  test_oom(shared, &c);
  test_kitchen(false);
  test_kitchen(true);
  test_wasi(shared, jco_dir);
  test_components(shared, jco_dir);
  test_extra(jco_dir);
  test_fuzz(shared);
  {
    char path[4300];
    if (FMT(path, "%s/worlds/0.3.0/http-service.wasm", jco_dir)) fuzz_file(path, 1000);
  }

  CHECK(c.blocks == 0 && c.bytes == 0, "leaked %lld blocks, %lld bytes through the allocator hook", c.blocks, c.bytes);
  printf("wit-bin: kitchen sink round-trips %d/2; %d WASI packages round-trip through the binary form; %d/%d worlds byte-equal to jco, %d jco "
         "encodings re-encode to themselves; %d/%d components print as jco wit; extra (world-level items) %d/2 as jco; fuzz: %d inputs, %d decoded; %d out-of-memory points\n",
         kitchen_roundtrips, pkg_roundtrips, world_same, world_total, jco_reencoded, comp_same, comp_total, extra_same, fuzz_inputs, fuzz_decoded, oom_points);
  printf("%d passed, %d failed\n", passed, failed);
  return failed != 0;
}
