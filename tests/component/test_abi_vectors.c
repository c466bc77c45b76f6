/* Runs the Canonical ABI conformance vectors (../shared/canonical-abi,
 * computed by the spec's reference implementation) through kumi's
 * implementation (src/component/abi*.c). Prints `N passed, N failed` per
 * file and in total; exits non-zero when any vector fails. The vectors are
 * found through $KUMI_SHARED_DIR or ../shared next to the source tree; when
 * they are missing the test prints a skip and succeeds. async.json's
 * scenarios run against the component runtime in test_abi_async_vectors.c. */
#include "component/abi.h"
#include "component/abi_handles.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "abi_json.h"

/* ---- harness state ------------------------------------------------------------- */

typedef struct harness {
  uint8_t *mem;
  uint64_t size, next;
  const jv *script; /* realloc_script, or NULL for the bump allocator */
  size_t script_i;
  uint64_t (*log)[5];
  size_t nlog, caplog;
} harness;

static kumi_error *h_realloc(void *ud, uint64_t old_ptr, uint64_t old_size, uint64_t align, uint64_t new_size,
                             uint64_t *ret) {
  harness *h = ud;
  uint64_t p;
  if (h->script) {
    if (h->script_i >= h->script->n) return kb_error(NULL, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "script exhausted");
    p = j_u64(&h->script->items[h->script_i++]);
  } else if (old_ptr != 0 && new_size < old_size) {
    p = (old_ptr + align - 1) / align * align;
  } else {
    p = (h->next + align - 1) / align * align;
    if (p + new_size > h->size) return kb_error(NULL, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "bump allocator out of memory");
    h->next = p + new_size;
    if (old_size) memmove(h->mem + p, h->mem + old_ptr, (size_t)old_size);
  }
  if (h->nlog == h->caplog) {
    h->caplog = h->caplog ? h->caplog * 2 : 16;
    h->log = realloc(h->log, h->caplog * sizeof *h->log);
  }
  uint64_t *l = h->log[h->nlog++];
  l[0] = old_ptr, l[1] = old_size, l[2] = align, l[3] = new_size, l[4] = p;
  *ret = p;
  return NULL;
}

static void harness_free(harness *h) {
  free(h->mem);
  free(h->log);
  memset(h, 0, sizeof *h);
}

static int hexval(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10; }

/* Bytes of a hex string into a fresh buffer (at least 1 byte allocated). */
static uint8_t *unhex(const jv *s, size_t *n) {
  size_t len = s && s->k == J_STR ? s->n / 2 : 0;
  uint8_t *b = calloc(len + 1, 1);
  for (size_t i = 0; i < len; i++) b[i] = (uint8_t)(hexval(s->s[2 * i]) << 4 | hexval(s->s[2 * i + 1]));
  *n = len;
  return b;
}

static void harness_fill(harness *h, uint64_t size, uint8_t fill, uint64_t heap) {
  free(h->mem);
  h->mem = malloc((size_t)size + 1);
  memset(h->mem, fill, (size_t)size + 1);
  h->size = size;
  h->next = heap;
  h->nlog = 0;
  h->script = NULL;
  h->script_i = 0;
}

static void harness_load(harness *h, const jv *hex) {
  size_t n;
  free(h->mem);
  h->mem = unhex(hex, &n);
  h->size = n;
  h->next = n;
  h->nlog = 0;
  h->script = NULL;
}

static uint8_t enc_of(const jv *e) {
  return j_is(e, "utf16") ? ABI_UTF16 : j_is(e, "latin1+utf16") ? ABI_LATIN1_UTF16 : ABI_UTF8;
}

static abi_cx make_cx(harness *h, const comp_types *ts, const jv *c) {
  abi_cx cx;
  memset(&cx, 0, sizeof cx);
  cx.alloc = kb_default_allocator();
  cx.ts = ts;
  cx.mem64 = j_is(j_get(c, "addrtype"), "i64");
  cx.encoding = enc_of(j_get(c, "encoding"));
  cx.mem = h->mem;
  cx.mem_size = h->size;
  cx.hooks.realloc = h_realloc;
  cx.hooks.ud = h;
  return cx;
}

/* ---- failure reporting ----------------------------------------------------------- */

typedef struct counts {
  long passed, failed;
  int shown;
} counts;

static char why[512];

static void report(counts *k, bool ok, const char *file, const char *what) {
  if (ok) {
    k->passed++;
    return;
  }
  k->failed++;
  if (k->shown++ < 8) printf("  FAIL %s: %s: %s\n", file, what, why);
}

static bool failwhy_(void) { return false; }
#define FAILWHY(...) (snprintf(why, sizeof why, __VA_ARGS__), failwhy_())

/* ---- JSON values -> kumi_cval ------------------------------------------------------ */

static uint32_t hex32(const jv *v) { return v && v->k == J_STR ? (uint32_t)strtoul(v->s, NULL, 16) : 0; }
static uint64_t hex64(const jv *v) { return v && v->k == J_STR ? strtoull(v->s, NULL, 16) : 0; }

static bool label_eq(comp_str l, const char *s, size_t n) { return l.len == n && memcmp(l.s, s, n) == 0; }

static bool to_cval(const comp_types *ts, comp_vt vt, const jv *j, kumi_cval *out);

static bool to_case(const comp_types *ts, const comp_type *t, kumi_cvalkind kind, const jv *j, kumi_cval *out) {
  const jv *c = j_get(j, "case"), *val = j_get(j, "value");
  if (!c || c->k != J_STR) return false;
  uint32_t idx = UINT32_MAX, n = abi_ncases(t);
  if (t->dkind == 0x6b) idx = j_is(c, "none") ? 0 : j_is(c, "some") ? 1 : idx;
  else if (t->dkind == 0x6a) idx = j_is(c, "ok") ? 0 : j_is(c, "error") ? 1 : idx;
  else
    for (uint32_t i = 0; i < n; i++)
      if (label_eq(t->fields[i].name, c->s, c->n)) {
        idx = i;
        break;
      }
  if (idx == UINT32_MAX) return false;
  comp_vt ct;
  if (abi_case_type(t, idx, &ct)) {
    kumi_cval p;
    if (!val || !to_cval(ts, ct, val, &p)) return false;
    if (!kumi_cval_case(NULL, kind, idx, &p, out)) {
      kumi_cval_free(NULL, &p);
      return false;
    }
    return true;
  }
  return kumi_cval_case(NULL, kind, idx, NULL, out);
}

static bool to_cval(const comp_types *ts, comp_vt vt, const jv *j, kumi_cval *out) {
  const comp_type *t;
  uint8_t p = abi_resolve(ts, vt, &t);
  *out = kumi_cval_bool(false);
  switch (p) {
  case COMP_BOOL: *out = kumi_cval_bool(j_true(j)); return j->k == J_TRUE || j->k == J_FALSE;
  case COMP_S8: *out = kumi_cval_int(KUMI_CV_S8, j_i64(j)); return true;
  case COMP_U8: *out = kumi_cval_int(KUMI_CV_U8, j_i64(j)); return true;
  case COMP_S16: *out = kumi_cval_int(KUMI_CV_S16, j_i64(j)); return true;
  case COMP_U16: *out = kumi_cval_int(KUMI_CV_U16, j_i64(j)); return true;
  case COMP_S32: *out = kumi_cval_int(KUMI_CV_S32, j_i64(j)); return true;
  case COMP_U32: *out = kumi_cval_int(KUMI_CV_U32, j_i64(j)); return true;
  case COMP_S64: *out = kumi_cval_int(KUMI_CV_S64, j_i64(j)); return true;
  case COMP_U64: *out = kumi_cval_int(KUMI_CV_U64, j_i64(j)); return true;
  case COMP_F32: *out = kumi_cval_f32(hex32(j)); return true;
  case COMP_F64: *out = kumi_cval_f64(hex64(j)); return true;
  case COMP_CHAR: *out = kumi_cval_char((uint32_t)j_u64(j)); return true;
  case COMP_STRING: return j->k == J_STR && kumi_cval_string(NULL, j->s, j->n, out);
  case COMP_ERROR_CONTEXT: *out = kumi_cval_handle(KUMI_CV_ERROR_CONTEXT, (uint32_t)j_u64(j)); return true;
  default: break;
  }
  switch (t->dkind) {
  case 0x70: case 0x67: case 0x6f: case 0x63: {
    if (j->k != J_ARR) return false;
    kumi_cvalkind kind = t->dkind == 0x6f ? KUMI_CV_TUPLE : t->dkind == 0x63 ? KUMI_CV_MAP : KUMI_CV_LIST;
    if (t->dkind == 0x6f && j->n != t->n) return false;
    if (!kumi_cval_agg(NULL, kind, j->n, out)) return false;
    for (size_t i = 0; i < j->n; i++) {
      bool ok;
      if (t->dkind == 0x63) {
        const jv *kv = &j->items[i];
        kumi_cval *it = &out->of.agg.items[i];
        ok = kv->k == J_ARR && kv->n == 2 && kumi_cval_agg(NULL, KUMI_CV_TUPLE, 2, it) &&
             to_cval(ts, t->a, &kv->items[0], &it->of.agg.items[0]) &&
             to_cval(ts, t->b, &kv->items[1], &it->of.agg.items[1]);
      } else {
        ok = to_cval(ts, t->dkind == 0x6f ? t->fields[i].type : t->a, &j->items[i], &out->of.agg.items[i]);
      }
      if (!ok) {
        kumi_cval_free(NULL, out);
        return false;
      }
    }
    return true;
  }
  case 0x72:
    if (j->k != J_OBJ || j->n != t->n || !kumi_cval_agg(NULL, KUMI_CV_RECORD, t->n, out)) return false;
    for (uint32_t i = 0; i < t->n; i++) {
      const jv *f = NULL;
      for (size_t k = 0; k < j->n; k++)
        if (label_eq(t->fields[i].name, j->keys[k], j->keylens[k])) f = &j->items[k];
      if (!f || !to_cval(ts, t->fields[i].type, f, &out->of.agg.items[i])) {
        kumi_cval_free(NULL, out);
        return false;
      }
    }
    return true;
  case 0x71: return to_case(ts, t, KUMI_CV_VARIANT, j, out);
  case 0x6d: return to_case(ts, t, KUMI_CV_ENUM, j, out);
  case 0x6b: return to_case(ts, t, KUMI_CV_OPTION, j, out);
  case 0x6a: return to_case(ts, t, KUMI_CV_RESULT, j, out);
  case 0x6e: {
    if (j->k != J_ARR) return false;
    uint32_t bits = 0;
    for (size_t i = 0; i < j->n; i++) {
      bool found = false;
      for (uint32_t k = 0; k < t->n; k++)
        if (label_eq(t->fields[k].name, j->items[i].s, j->items[i].n)) bits |= 1u << k, found = true;
      if (!found) return false;
    }
    *out = kumi_cval_flags(bits);
    return true;
  }
  case 0x69: *out = kumi_cval_handle(KUMI_CV_OWN, (uint32_t)j_u64(j)); return true;
  case 0x68: *out = kumi_cval_handle(KUMI_CV_BORROW, (uint32_t)j_u64(j)); return true;
  case 0x66: *out = kumi_cval_handle(KUMI_CV_STREAM, (uint32_t)j_u64(j)); return true;
  case 0x65: *out = kumi_cval_handle(KUMI_CV_FUTURE, (uint32_t)j_u64(j)); return true;
  default: return false;
  }
}

/* ---- comparisons ---------------------------------------------------------------------- */

static uint8_t core_code(const jv *s) {
  return j_is(s, "i32") ? ABI_I32 : j_is(s, "i64") ? ABI_I64 : j_is(s, "f32") ? ABI_F32 : j_is(s, "f64") ? ABI_F64 : 0;
}

static bool types_match(const jv *want, const uint8_t *got, size_t n) {
  if (!want || want->k != J_ARR || want->n != n) return false;
  for (size_t i = 0; i < n; i++)
    if (core_code(&want->items[i]) != got[i]) return false;
  return true;
}

/* A JSON core value list into kumi_vals (malloc'd, at least one slot). */
static kumi_val *core_vals(const jv *flat, size_t *n) {
  size_t len = flat && flat->k == J_ARR ? flat->n : 0;
  kumi_val *v = calloc(len + 1, sizeof *v);
  for (size_t i = 0; i < len; i++) {
    const jv *p = &flat->items[i];
    uint8_t c = core_code(&p->items[0]);
    const jv *x = &p->items[1];
    switch (c) {
    case ABI_I32: v[i].kind = KUMI_I32; v[i].of.i32 = (int32_t)(uint32_t)j_u64(x); break;
    case ABI_I64: v[i].kind = KUMI_I64; v[i].of.i64 = (int64_t)j_u64(x); break;
    case ABI_F32: v[i].kind = KUMI_F32; v[i].of.f32_bits = hex32(x); break;
    default: v[i].kind = KUMI_F64; v[i].of.f64_bits = hex64(x); break;
    }
  }
  *n = len;
  return v;
}

static bool vals_match(const jv *want, const abi_vals *got) {
  size_t n;
  kumi_val *w = core_vals(want, &n);
  bool ok = n == got->len;
  for (size_t i = 0; ok && i < n; i++) {
    const kumi_val *a = &w[i], *b = &got->items[i];
    ok = a->kind == b->kind;
    if (ok) {
      if (a->kind == KUMI_I32 || a->kind == KUMI_F32) ok = a->of.f32_bits == b->of.f32_bits;
      else ok = a->of.f64_bits == b->of.f64_bits;
    }
    if (!ok) FAILWHY("flat value %zu differs", i);
  }
  if (n != got->len) FAILWHY("flat count %zu, want %zu", got->len, n);
  free(w);
  return ok;
}

static bool log_match(const harness *h, const jv *want) {
  size_t n = want && want->k == J_ARR ? want->n : 0;
  if (n != h->nlog) return FAILWHY("%zu realloc calls, want %zu", h->nlog, n);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < 5; k++)
      if (j_u64(&want->items[i].items[k]) != h->log[i][k])
        return FAILWHY("realloc call %zu field %d: %" PRIu64 ", want %" PRIu64, i, k, h->log[i][k],
                       j_u64(&want->items[i].items[k]));
  return true;
}

static bool mem_match(const harness *h, const jv *want) {
  size_t n;
  uint8_t *w = unhex(want, &n);
  bool ok = n == h->size;
  if (!ok) FAILWHY("memory size %" PRIu64 ", want %zu", h->size, n);
  for (size_t i = 0; ok && i < n; i++)
    if (w[i] != h->mem[i]) ok = FAILWHY("memory byte %zu is %02x, want %02x", i, h->mem[i], w[i]);
  free(w);
  return ok;
}

static bool err_ok(kumi_error *e, const char *what) {
  if (!e) return true;
  snprintf(why, sizeof why, "%s: %s", what, kumi_error_message(e));
  kumi_error_free(e);
  return false;
}

static bool value_match(const comp_types *ts, comp_vt vt, const kumi_cval *got, const jv *want) {
  kumi_cval w;
  if (!to_cval(ts, vt, want, &w)) return FAILWHY("cannot convert the expected value");
  bool ok = kumi_cval_equal(&w, got);
  kumi_cval_free(NULL, &w);
  return ok ? true : FAILWHY("value differs");
}

/* ---- a type cache per file ---------------------------------------------------------------- */

typedef struct types {
  comp_types ts;
  abi_typestr_cx p;
  kb_map cache; /* type text -> vt (packed) */
} types;

static bool get_type(types *T, const jv *s, comp_vt *out) {
  void *found;
  if (!s || s->k != J_STR) return FAILWHY("no type");
  if (kb_map_get(&T->cache, s->s, s->n, &found)) {
    uint64_t x = (uint64_t)(uintptr_t)found;
    out->prim = (uint8_t)(x >> 32);
    out->id = (comp_tid)x;
    return true;
  }
  char err[200];
  if (!abi_typestr_parse(&T->p, s->s, s->n, out, err, sizeof err)) return FAILWHY("type %.60s: %s", s->s, err);
  kb_map_put(&T->cache, s->s, s->n, (void *)(uintptr_t)((uint64_t)out->prim << 32 | out->id));
  return true;
}

static void types_init(types *T) {
  comp_types_init(&T->ts, kb_default_allocator());
  abi_typestr_init(&T->p, &T->ts);
  kb_map_init(&T->cache, kb_default_allocator());
}

static void types_free(types *T) {
  kb_map_free(&T->cache);
  abi_typestr_free(&T->p);
  comp_types_free(&T->ts);
}

/* ---- per-category runners -------------------------------------------------------------------- */

static bool run_layout_one(types *T, comp_vt vt, const jv *L, bool mem64) {
  const comp_types *ts = &T->ts;
  if (abi_align(ts, vt, mem64) != j_u64(j_get(L, "align"))) return FAILWHY("align %u", abi_align(ts, vt, mem64));
  if (abi_size(ts, vt, mem64) != j_u64(j_get(L, "size"))) return FAILWHY("size %" PRIu64, abi_size(ts, vt, mem64));
  const jv *flat = j_get(L, "flat");
  if (flat && flat->k == J_ARR) {
    uint8_t buf[4200];
    size_t n;
    if (!abi_flatten(kb_default_allocator(), ts, vt, mem64, buf, sizeof buf, &n) || !types_match(flat, buf, n))
      return FAILWHY("flat differs (%zu values)", n);
  } else if (abi_flat_count(ts, vt) != j_u64(j_get(L, "flat_count"))) {
    return FAILWHY("flat_count %" PRIu64, abi_flat_count(ts, vt));
  }
  const comp_type *t;
  abi_resolve(ts, vt, &t);
  const jv *fo = j_get(L, "field_offsets");
  if (fo) {
    uint64_t off = 0;
    if (!t || fo->n != t->n) return FAILWHY("field count");
    for (uint32_t i = 0; i < t->n; i++) {
      uint32_t a = abi_align(ts, t->fields[i].type, mem64);
      off = (off + a - 1) / a * a;
      if (off != j_u64(&fo->items[i])) return FAILWHY("field %u offset %" PRIu64, i, off);
      off += abi_size(ts, t->fields[i].type, mem64);
    }
  }
  if (j_get(L, "disc_size")) {
    if (!t || abi_disc_size(t) != j_u64(j_get(L, "disc_size"))) return FAILWHY("disc_size");
    if (abi_payload_offset(ts, t, mem64) != j_u64(j_get(L, "payload_offset"))) return FAILWHY("payload_offset");
  }
  return true;
}

static void run_layout(types *T, const jv *root, counts *k, const char *file) {
  const jv *vs = j_get(root, "vectors");
  for (size_t i = 0; vs && i < vs->n; i++) {
    const jv *v = &vs->items[i];
    comp_vt vt;
    bool ok = get_type(T, j_get(v, "type"), &vt) && run_layout_one(T, vt, j_get(v, "i32"), false) &&
              run_layout_one(T, vt, j_get(v, "i64"), true);
    if (ok && (abi_size(&T->ts, vt, true) < ((uint64_t)1 << 28)) != j_true(j_get(v, "valid_size")))
      ok = FAILWHY("valid_size");
    report(k, ok, file, j_get(v, "type")->s);
  }
}

/* store_load (flat == false) and lower_lift (flat == true). */
static bool run_roundtrip(types *T, comp_vt vt, const jv *c, bool flat) {
  harness h = {0};
  const jv *fill = j_get(c, "fill");
  harness_fill(&h, j_u64(j_get(c, "mem_size")), fill ? (uint8_t)(hexval(fill->s[0]) << 4 | hexval(fill->s[1])) : 0xee,
               j_u64(j_get(c, "heap_start")));
  abi_cx cx = make_cx(&h, &T->ts, c);
  kumi_cval v, back;
  bool ok = to_cval(&T->ts, vt, j_get(c, "value"), &v) || FAILWHY("cannot convert the value");
  abi_vals fv = {0};
  if (ok) {
    if (flat) ok = err_ok(abi_lower_flat(&cx, vt, &v, &fv), "lower_flat") && vals_match(j_get(c, "flat"), &fv);
    else ok = err_ok(abi_store(&cx, vt, &v, j_u64(j_get(c, "ptr"))), "store");
    ok = ok && log_match(&h, j_get(c, "realloc")) && mem_match(&h, j_get(c, "memory"));
    if (ok) {
      if (flat) {
        abi_iter it = {fv.items, fv.len, 0};
        ok = err_ok(abi_lift_flat(&cx, vt, &it, &back), "lift_flat");
        if (ok && it.i != it.n) ok = FAILWHY("lift consumed %zu of %zu", it.i, it.n);
      } else {
        ok = err_ok(abi_load(&cx, vt, j_u64(j_get(c, "ptr")), &back), "load");
      }
      if (ok) {
        ok = kumi_cval_equal(&v, &back) || FAILWHY("round trip value differs");
        kumi_cval_free(NULL, &back);
      }
    }
    kumi_cval_free(NULL, &v);
  }
  kb_vec_free(kb_default_allocator(), &fv);
  harness_free(&h);
  return ok;
}

/* load.json / lift.json: hand-made inputs, no trap. */
static bool run_input(types *T, comp_vt vt, const jv *c, bool flat) {
  harness h = {0};
  harness_load(&h, j_get(c, "memory"));
  abi_cx cx = make_cx(&h, &T->ts, c);
  kumi_cval got;
  bool ok;
  if (flat) {
    size_t n;
    kumi_val *fv = core_vals(j_get(c, "flat"), &n);
    abi_iter it = {fv, n, 0};
    ok = err_ok(abi_lift_flat(&cx, vt, &it, &got), "lift_flat");
    free(fv);
  } else {
    ok = err_ok(abi_load(&cx, vt, j_u64(j_get(c, "ptr")), &got), "load");
  }
  if (ok) {
    ok = value_match(&T->ts, vt, &got, j_get(c, "value"));
    kumi_cval_free(NULL, &got);
  }
  harness_free(&h);
  return ok;
}

static void run_groups(types *T, const jv *root, counts *k, const char *file, int mode) {
  const jv *gs = j_get(root, "groups");
  for (size_t g = 0; gs && g < gs->n; g++) {
    const jv *grp = &gs->items[g], *cases = j_get(grp, "cases");
    comp_vt vt;
    bool tok = get_type(T, j_get(grp, "type"), &vt);
    for (size_t i = 0; cases && i < cases->n; i++) {
      bool ok = tok;
      if (ok) {
        if (mode == 0) ok = run_roundtrip(T, vt, &cases->items[i], false);
        else if (mode == 1) ok = run_roundtrip(T, vt, &cases->items[i], true);
        else ok = run_input(T, vt, &cases->items[i], mode == 3);
      }
      report(k, ok, file, j_get(grp, "type")->s);
    }
  }
}

/* Encodes UTF-8 text s into a host string of the given source encoding
 * (form: latin1 or utf16 for latin1+utf16). */
static uint8_t *encode_src(const char *s, size_t n, uint8_t enc, bool utf16_form, bool mem64, size_t *blen,
                           uint64_t *tagged) {
  uint8_t *o = calloc(2 * n + 2, 1);
  size_t bl = 0, units = 0;
  for (size_t i = 0; i < n;) {
    uint8_t b = (uint8_t)s[i];
    uint32_t c;
    int k = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
    c = k == 1 ? b : k == 2 ? b & 0x1F : k == 3 ? b & 0x0F : b & 0x07;
    for (int j = 1; j < k; j++) c = c << 6 | ((uint8_t)s[i + j] & 0x3F);
    if (enc == ABI_UTF8) {
      memcpy(o + bl, s + i, (size_t)k);
      bl += (size_t)k;
      units += (size_t)k;
    } else if (enc == ABI_LATIN1_UTF16 && !utf16_form) {
      o[bl++] = (uint8_t)c;
      units++;
    } else if (c >= 0x10000) {
      uint32_t v = c - 0x10000, hi = 0xD800 + (v >> 10), lo = 0xDC00 + (v & 0x3FF);
      o[bl++] = (uint8_t)hi, o[bl++] = (uint8_t)(hi >> 8), o[bl++] = (uint8_t)lo, o[bl++] = (uint8_t)(lo >> 8);
      units += 2;
    } else {
      o[bl++] = (uint8_t)c, o[bl++] = (uint8_t)(c >> 8);
      units++;
    }
    i += (size_t)k;
  }
  *blen = bl;
  *tagged = units;
  if (enc == ABI_LATIN1_UTF16 && utf16_form) *tagged |= (uint64_t)1 << (mem64 ? 63 : 31);
  return o;
}

static bool run_transcode(const jv *c) {
  harness h = {0};
  harness_fill(&h, j_u64(j_get(c, "mem_size")), 0xee, j_u64(j_get(c, "heap_start")));
  abi_cx cx;
  memset(&cx, 0, sizeof cx);
  cx.alloc = kb_default_allocator();
  cx.mem64 = j_is(j_get(c, "addrtype"), "i64");
  cx.encoding = enc_of(j_get(c, "dst_encoding"));
  cx.mem = h.mem;
  cx.mem_size = h.size;
  cx.hooks.realloc = h_realloc;
  cx.hooks.ud = &h;
  size_t n;
  uint8_t *src = unhex(j_get(c, "src_bytes"), &n);
  abi_str s = {src, enc_of(j_get(c, "src_encoding")), cx.mem64, j_u64(j_get(c, "src_tagged_code_units"))};
  uint64_t ptr = 0, units = 0;
  bool ok = err_ok(abi_store_string_range(&cx, &s, &ptr, &units), "store_string") && log_match(&h, j_get(c, "realloc"));
  if (ok && ptr != j_u64(j_get(c, "ptr"))) ok = FAILWHY("ptr %" PRIu64, ptr);
  if (ok && units != j_u64(j_get(c, "tagged_code_units"))) ok = FAILWHY("tagged_code_units %" PRIu64, units);
  if (ok) {
    size_t dn;
    uint8_t *d = unhex(j_get(c, "dst_bytes"), &dn);
    if (ptr + dn > h.size || (dn && memcmp(h.mem + ptr, d, dn) != 0)) ok = FAILWHY("dst_bytes differ");
    free(d);
  }
  free(src);
  harness_free(&h);
  return ok;
}

static bool run_decode(const jv *c) {
  harness h = {0};
  harness_load(&h, j_get(c, "memory"));
  abi_cx cx = make_cx(&h, NULL, c);
  kumi_cval got;
  bool ok = err_ok(abi_load_string_range(&cx, j_u64(j_get(c, "ptr")), j_u64(j_get(c, "tagged_code_units")), &got),
                   "load_string");
  if (ok) {
    const jv *w = j_get(c, "string");
    ok = (got.of.str.len == w->n && memcmp(got.of.str.ptr, w->s, w->n) == 0) || FAILWHY("string differs");
    kumi_cval_free(NULL, &got);
  }
  harness_free(&h);
  return ok;
}

static void run_strings(const jv *root, counts *k, const char *file) {
  const jv *gs = j_get(root, "groups");
  for (size_t g = 0; gs && g < gs->n; g++) {
    const jv *grp = &gs->items[g], *cases = j_get(grp, "cases");
    bool tc = j_is(j_get(grp, "kind"), "transcode");
    for (size_t i = 0; cases && i < cases->n; i++)
      report(k, tc ? run_transcode(&cases->items[i]) : run_decode(&cases->items[i]), file, tc ? "transcode" : "decode");
  }
}

static void run_functypes(types *T, const jv *root, counts *k, const char *file) {
  const jv *gs = j_get(root, "groups");
  for (size_t g = 0; gs && g < gs->n; g++) {
    const jv *grp = &gs->items[g], *cases = j_get(grp, "cases"), *fs = j_get(grp, "functype");
    comp_tid ft = 0;
    char err[200];
    bool tok = abi_typestr_parse_func(&T->p, fs->s, fs->n, &ft, err, sizeof err) || FAILWHY("functype: %s", err);
    for (size_t i = 0; cases && i < cases->n; i++) {
      const jv *c = &cases->items[i];
      bool ok = tok;
      if (ok) {
        abi_sigopts o = {j_is(j_get(c, "addrtype"), "i64"), j_true(j_get(c, "async")), j_true(j_get(c, "callback")),
                         j_is(j_get(c, "context"), "lift")};
        uint8_t params[20], results[4];
        uint32_t np, nr;
        ok = abi_flatten_functype(kb_default_allocator(), &T->ts, comp_ty(&T->ts, ft), &o, params, &np, results, &nr) ||
             FAILWHY("flatten_functype failed");
        if (ok && !types_match(j_get(c, "params"), params, np)) ok = FAILWHY("params differ (%u)", np);
        if (ok && !types_match(j_get(c, "results"), results, nr)) ok = FAILWHY("results differ (%u)", nr);
      }
      report(k, ok, file, fs->s);
    }
  }
}

/* Type list and value list of a flat_values / traps case. */
static bool get_types(types *T, const jv *list, comp_vt **out, size_t *n) {
  *n = list ? list->n : 0;
  *out = calloc(*n + 1, sizeof **out);
  for (size_t i = 0; i < *n; i++)
    if (!get_type(T, &list->items[i], &(*out)[i])) return false;
  return true;
}

static bool get_values(types *T, const comp_vt *ts, size_t n, const jv *list, kumi_cval **out) {
  *out = calloc(n + 1, sizeof **out);
  if (!list || list->n != n) return FAILWHY("value count");
  for (size_t i = 0; i < n; i++)
    if (!to_cval(&T->ts, ts[i], &list->items[i], &(*out)[i])) return FAILWHY("cannot convert value %zu", i);
  return true;
}

static void free_values(kumi_cval *v, size_t n) {
  for (size_t i = 0; v && i < n; i++) kumi_cval_free(NULL, &v[i]);
  free(v);
}

static bool run_flat_values(types *T, const jv *c, bool lower) {
  comp_vt *ts;
  size_t n;
  kumi_cval *vs = NULL;
  harness h = {0};
  bool ok = get_types(T, j_get(c, "types"), &ts, &n);
  uint32_t max_flat = (uint32_t)j_u64(j_get(c, "max_flat"));
  if (ok && lower) {
    harness_fill(&h, j_u64(j_get(c, "mem_size")), 0xee, j_u64(j_get(c, "heap_start")));
    abi_cx cx = make_cx(&h, &T->ts, c);
    abi_vals fv = {0};
    const jv *rp = j_get(c, "retptr");
    uint64_t retptr = j_u64(rp);
    ok = get_values(T, ts, n, j_get(c, "values"), &vs) &&
         err_ok(abi_lower_flat_values(&cx, max_flat, ts, vs, n, rp && rp->k == J_NUM ? &retptr : NULL, &fv),
                "lower_flat_values") &&
         vals_match(j_get(c, "flat"), &fv) && log_match(&h, j_get(c, "realloc")) && mem_match(&h, j_get(c, "memory"));
    kb_vec_free(kb_default_allocator(), &fv);
  } else if (ok) {
    harness_load(&h, j_get(c, "memory"));
    abi_cx cx = make_cx(&h, &T->ts, c);
    size_t nf;
    kumi_val *fv = core_vals(j_get(c, "flat"), &nf);
    abi_iter it = {fv, nf, 0};
    kumi_cval *got = calloc(n + 1, sizeof *got);
    ok = err_ok(abi_lift_flat_values(&cx, max_flat, ts, n, &it, got), "lift_flat_values");
    const jv *want = j_get(c, "values");
    for (size_t i = 0; ok && i < n; i++) ok = value_match(&T->ts, ts[i], &got[i], &want->items[i]);
    if (ok && it.i != nf) ok = FAILWHY("consumed %zu of %zu core values", it.i, nf);
    free_values(got, n);
    free(fv);
  }
  free_values(vs, n);
  free(ts);
  harness_free(&h);
  return ok;
}

static void run_flat_values_file(types *T, const jv *root, counts *k, const char *file) {
  const jv *gs = j_get(root, "groups");
  for (size_t g = 0; gs && g < gs->n; g++) {
    const jv *grp = &gs->items[g], *cases = j_get(grp, "cases");
    bool lower = j_is(j_get(grp, "kind"), "lower_values");
    for (size_t i = 0; cases && i < cases->n; i++)
      report(k, run_flat_values(T, &cases->items[i], lower), file, lower ? "lower_values" : "lift_values");
  }
}

/* traps.json: every case must end in a trap (and realloc calls as logged). */
static bool run_trap(types *T, const jv *c) {
  const jv *op = j_get(c, "op");
  harness h = {0};
  bool lowering = j_is(op, "lower_flat") || j_is(op, "store") || j_is(op, "lower_flat_values");
  if (lowering) {
    harness_fill(&h, j_u64(j_get(c, "mem_size")), 0xee, 0);
    h.script = j_get(c, "realloc_script");
  } else {
    harness_load(&h, j_get(c, "memory"));
  }
  abi_cx cx = make_cx(&h, &T->ts, c);
  kumi_error *e = NULL;
  comp_vt vt, *ts = NULL;
  size_t n = 0;
  kumi_cval v = kumi_cval_bool(false), *vs = NULL;
  abi_vals fv = {0};
  bool ok = true;
  if (j_is(op, "load") || j_is(op, "lift_flat")) {
    ok = get_type(T, j_get(c, "type"), &vt);
    if (ok && j_is(op, "load")) {
      e = abi_load(&cx, vt, j_u64(j_get(c, "ptr")), &v);
    } else if (ok) {
      size_t nf;
      kumi_val *f = core_vals(j_get(c, "flat"), &nf);
      abi_iter it = {f, nf, 0};
      e = abi_lift_flat(&cx, vt, &it, &v);
      free(f);
    }
  } else if (j_is(op, "lift_flat_values")) {
    ok = get_types(T, j_get(c, "types"), &ts, &n);
    if (ok) {
      size_t nf;
      kumi_val *f = core_vals(j_get(c, "flat"), &nf);
      abi_iter it = {f, nf, 0};
      kumi_cval *got = calloc(n + 1, sizeof *got);
      e = abi_lift_flat_values(&cx, (uint32_t)j_u64(j_get(c, "max_flat")), ts, n, &it, got);
      if (!e) free_values(got, n);
      else free(got);
      free(f);
    }
  } else if (j_is(op, "lower_flat_values")) {
    ok = get_types(T, j_get(c, "types"), &ts, &n) && get_values(T, ts, n, j_get(c, "values"), &vs);
    const jv *rp = j_get(c, "retptr");
    uint64_t retptr = j_u64(rp);
    if (ok)
      e = abi_lower_flat_values(&cx, (uint32_t)j_u64(j_get(c, "max_flat")), ts, vs, n,
                                rp && rp->k == J_NUM ? &retptr : NULL, &fv);
  } else {
    ok = get_type(T, j_get(c, "type"), &vt) && (to_cval(&T->ts, vt, j_get(c, "value"), &v) || FAILWHY("value"));
    uint8_t src = enc_of(j_get(c, "src_encoding"));
    if (ok && vt.prim == COMP_STRING && src != ABI_UTF8) {
      size_t bl;
      uint64_t tagged;
      uint8_t *b = encode_src(v.of.str.ptr, v.of.str.len, src, j_is(j_get(c, "src_form"), "utf16"), cx.mem64, &bl, &tagged);
      abi_str s = {b, src, cx.mem64, tagged};
      uint64_t p, u;
      e = abi_store_string_range(&cx, &s, &p, &u);
      free(b);
    } else if (ok && j_is(op, "store")) {
      e = abi_store(&cx, vt, &v, j_u64(j_get(c, "ptr")));
    } else if (ok) {
      e = abi_lower_flat(&cx, vt, &v, &fv);
    }
  }
  if (ok && !e) ok = FAILWHY("did not trap");
  if (ok && kumi_error_kind_of(e) != KUMI_ERR_TRAP) ok = FAILWHY("error but not a trap: %s", kumi_error_message(e));
  if (ok && lowering) ok = log_match(&h, j_get(c, "realloc_calls"));
  if (e) kumi_error_free(e);
  kumi_cval_free(NULL, &v);
  free_values(vs, n);
  free(ts);
  kb_vec_free(kb_default_allocator(), &fv);
  harness_free(&h);
  return ok;
}

static void run_traps(types *T, const jv *root, counts *k, const char *file) {
  const jv *gs = j_get(root, "groups");
  for (size_t g = 0; gs && g < gs->n; g++) {
    const jv *grp = &gs->items[g], *cases = j_get(grp, "cases");
    for (size_t i = 0; cases && i < cases->n; i++) {
      const jv *c = &cases->items[i], *note = j_get(c, "note");
      report(k, run_trap(T, c), file, note ? note->s : "trap");
    }
  }
}

static void run_invalid(types *T, const jv *root, counts *k, const char *file) {
  const jv *vs = j_get(root, "vectors");
  for (size_t i = 0; vs && i < vs->n; i++) {
    const jv *t = j_get(&vs->items[i], "type");
    comp_vt vt;
    char err[200];
    bool ok;
    if (!abi_typestr_parse(&T->p, t->s, t->n, &vt, err, sizeof err)) ok = FAILWHY("does not parse: %s", err);
    else ok = !abi_typestr_check(&T->ts, vt, err, sizeof err) || FAILWHY("accepted");
    report(k, ok, file, t->s);
  }
}

/* ---- resources.json: handle-table scenarios ------------------------------------------------ */

typedef struct rscn {
  types *T;
  const jv *imports;
  harness h;
  abi_table table;
  abi_scope scope; /* the export call's borrow scope */
  abi_lends lends;
  abi_handle_hooks hk;
} rscn;

static kumi_error *r_lift(void *ud, const comp_type *t, uint32_t i, uint32_t *out) {
  return abi_hook_lift_handle(&((rscn *)ud)->hk, t, i, out);
}
static kumi_error *r_lower(void *ud, const comp_type *t, uint32_t v, uint32_t *out) {
  return abi_hook_lower_handle(&((rscn *)ud)->hk, t, v, out);
}
static kumi_error *r_realloc(void *ud, uint64_t op, uint64_t os, uint64_t al, uint64_t ns, uint64_t *ret) {
  return h_realloc(&((rscn *)ud)->h, op, os, al, ns, ret);
}

static uint32_t rid_of(types *T, const char *name, size_t n) {
  char buf[64];
  int len = snprintf(buf, sizeof buf, "own<%.*s>", (int)n, name);
  comp_vt vt;
  char err[100];
  if (!abi_typestr_parse(&T->p, buf, (size_t)len, &vt, err, sizeof err)) return 0;
  return comp_ty(&T->ts, comp_ty(&T->ts, vt.id)->res)->rid;
}

/* S is implemented by the guest itself. */
static bool r_implements(void *ud, uint32_t rid) { return rid == rid_of(ud, "S", 1); }

static abi_cx r_cx(rscn *r) {
  abi_cx cx;
  memset(&cx, 0, sizeof cx);
  cx.alloc = kb_default_allocator();
  cx.ts = &r->T->ts;
  cx.mem = r->h.mem;
  cx.mem_size = r->h.size;
  cx.hooks.realloc = r_realloc;
  cx.hooks.lift_handle = r_lift;
  cx.hooks.lower_handle = r_lower;
  cx.hooks.ud = r;
  return cx;
}

static bool func_types(types *T, const jv *fs, const comp_type **ft) {
  comp_tid id;
  char err[200];
  if (!fs || fs->k != J_STR || !abi_typestr_parse_func(&T->p, fs->s, fs->n, &id, err, sizeof err))
    return FAILWHY("functype");
  *ft = comp_ty(&T->ts, id);
  return true;
}

/* The parameter types (results == false) or the result type list. */
static comp_vt *sig_types(const comp_type *ft, bool results, size_t *n) {
  comp_vt *v = calloc(ft->n + 2, sizeof *v);
  if (results) {
    *n = ft->has_result ? 1 : 0;
    v[0] = ft->result;
  } else {
    *n = ft->n;
    for (uint32_t i = 0; i < ft->n; i++) v[i] = ft->fields[i].type;
  }
  return v;
}

static bool ints_match(const jv *want, const abi_vals *got) {
  if (!want || want->k != J_ARR || want->n != got->len) return FAILWHY("result count %zu", got->len);
  for (size_t i = 0; i < want->n; i++) {
    uint64_t g = got->items[i].kind == KUMI_I64 ? (uint64_t)got->items[i].of.i64 : (uint32_t)got->items[i].of.i32;
    if (g != j_u64(&want->items[i])) return FAILWHY("result %zu is %" PRIu64, i, g);
  }
  return true;
}

static kumi_val *i32_vals(const jv *list, size_t *n) {
  *n = list && list->k == J_ARR ? list->n : 0;
  kumi_val *v = calloc(*n + 1, sizeof *v);
  for (size_t i = 0; i < *n; i++) v[i] = kumi_val_i32((int32_t)(uint32_t)j_u64(&list->items[i]));
  return v;
}

static bool values_match(types *T, const comp_vt *ts, const kumi_cval *got, size_t n, const jv *want) {
  if (!want || want->k != J_ARR || want->n != n) return FAILWHY("value count");
  for (size_t i = 0; i < n; i++)
    if (!value_match(&T->ts, ts[i], &got[i], &want->items[i])) return false;
  return true;
}

/* canon lower of a host import called by the guest with core args. */
static kumi_error *r_call_import(rscn *r, const jv *st, abi_vals *res, bool *host_ok) {
  types *T = r->T;
  const jv *name = j_get(st, "import");
  const jv *imp = name ? j_get(r->imports, name->s) : NULL;
  const comp_type *ft;
  *host_ok = true;
  if (!imp || !func_types(T, j_get(imp, "functype"), &ft)) {
    *host_ok = false;
    return NULL;
  }
  size_t np, nr, na;
  comp_vt *pt = sig_types(ft, false, &np), *rt = sig_types(ft, true, &nr);
  kumi_val *args = i32_vals(j_get(st, "args"), &na);
  kumi_cval *got = calloc(np + 1, sizeof *got), *rv = NULL;
  abi_lends lends = {0};
  r->hk.lends = &lends;
  r->hk.scope = NULL;
  abi_cx cx = r_cx(r);
  abi_iter it = {args, na, 0};
  kumi_error *e = abi_lift_flat_values(&cx, ABI_MAX_FLAT_PARAMS, pt, np, &it, got);
  if (!e) {
    *host_ok = values_match(T, pt, got, np, j_get(j_get(st, "expect"), "host_received"));
    for (size_t i = 0; i < np; i++) kumi_cval_free(NULL, &got[i]);
    /* the host returns `returns`; lower them into the guest */
    const jv *ret = j_get(imp, "returns");
    if (*host_ok && !get_values(T, rt, nr, ret, &rv)) *host_ok = false;
    if (*host_ok) {
      uint64_t retptr = it.i < na ? (uint32_t)args[it.i].of.i32 : 0;
      e = abi_lower_flat_values(&cx, ABI_MAX_FLAT_RESULTS, rt, rv, nr, it.i < na ? &retptr : NULL, res);
    }
    free_values(rv, nr);
  }
  abi_release_lends(&r->table, &lends);
  r->hk.lends = NULL;
  free(got);
  free(args);
  free(pt);
  free(rt);
  return e;
}

static bool r_step(rscn *r, const jv *st, bool *trapped) {
  types *T = r->T;
  const jv *op = j_get(st, "op"), *expect = j_get(st, "expect"), *rt = j_get(st, "rt");
  const kumi_allocator *a = kb_default_allocator();
  abi_vals res = {0};
  KB_VEC(uint32_t) dtors = {0}; /* pairs: rid, rep */
  kumi_error *e = NULL;
  char *readhex = NULL;
  bool host_ok = true;
  uint32_t rid = rt && rt->k == J_STR ? rid_of(T, rt->s, rt->n) : 0;
  if (j_is(op, "resource.new")) {
    uint32_t idx;
    if (!(e = abi_resource_new(&r->table, rid, (uint32_t)j_u64(j_get(st, "rep")), &idx)))
      kb_vec_push(a, &res, kumi_val_i32((int32_t)idx));
  } else if (j_is(op, "resource.rep")) {
    uint32_t rep;
    if (!(e = abi_resource_rep(&r->table, rid, (uint32_t)j_u64(j_get(st, "handle")), &rep)))
      kb_vec_push(a, &res, kumi_val_i32((int32_t)rep));
  } else if (j_is(op, "resource.drop")) {
    bool run;
    uint32_t rep;
    /* R and S have destructors, T has none */
    if (!(e = abi_resource_drop(&r->table, rid, (uint32_t)j_u64(j_get(st, "handle")), &run, &rep)) && run &&
        !j_is(rt, "T")) {
      kb_vec_push(a, &dtors, rid);
      kb_vec_push(a, &dtors, rep);
    }
  } else if (j_is(op, "mem.write")) {
    size_t n;
    uint8_t *b = unhex(j_get(st, "hex"), &n);
    uint64_t p = j_u64(j_get(st, "ptr"));
    if (p + n <= r->h.size) memcpy(r->h.mem + p, b, n);
    free(b);
  } else if (j_is(op, "mem.read")) {
    uint64_t p = j_u64(j_get(st, "ptr")), n = j_u64(j_get(st, "len"));
    readhex = calloc(2 * n + 1, 1);
    for (uint64_t i = 0; i < n && p + i < r->h.size; i++) snprintf(readhex + 2 * i, 3, "%02x", r->h.mem[p + i]);
  } else if (j_is(op, "call_import")) {
    e = r_call_import(r, st, &res, &host_ok);
  }
  *trapped = e != NULL;
  if (e) kumi_error_free(e);
  bool pass;
  if (j_is(expect, "trap")) {
    pass = *trapped || FAILWHY("step did not trap");
  } else if (*trapped) {
    pass = FAILWHY("step trapped");
  } else if (!host_ok) {
    pass = false;
  } else {
    const jv *want = j_get(expect, "result");
    if (readhex) pass = (want && want->k == J_STR && strcmp(want->s, readhex) == 0) || FAILWHY("mem.read differs");
    else pass = ints_match(want, &res);
    const jv *dc = j_get(expect, "dtor_calls");
    size_t nd = dc ? dc->n : 0;
    if (pass && nd * 2 != dtors.len) pass = FAILWHY("%zu destructor calls, want %zu", dtors.len / 2, nd);
    for (size_t i = 0; pass && i < nd; i++)
      if (rid_of(T, dc->items[i].items[0].s, dc->items[i].items[0].n) != dtors.items[2 * i] ||
          j_u64(&dc->items[i].items[1]) != dtors.items[2 * i + 1])
        pass = FAILWHY("destructor call %zu differs", i);
  }
  free(readhex);
  kb_vec_free(a, &res);
  kb_vec_free(a, &dtors);
  return pass;
}

static bool table_match(rscn *r, const jv *want) {
  size_t k = 0, n = want ? want->n : 0;
  for (uint32_t i = 1; i < r->table.slots.len; i++) {
    abi_handle *h = abi_table_get(&r->table, i);
    if (!h) continue;
    if (k >= n) return FAILWHY("extra live handle %u", i);
    const jv *w = &want->items[k++];
    if (j_u64(&w->items[0]) != i || rid_of(r->T, w->items[1].s, w->items[1].n) != h->rid ||
        j_u64(&w->items[2]) != h->rep || j_is(&w->items[3], "own") != h->own)
      return FAILWHY("table entry %u differs", i);
  }
  return k == n || FAILWHY("%zu live handles, want %zu", k, n);
}

static bool run_scenario(types *T, const jv *v) {
  rscn r;
  memset(&r, 0, sizeof r);
  r.T = T;
  r.imports = j_get(v, "imports");
  harness_fill(&r.h, 256, 0, 128);
  abi_table_init(&r.table, kb_default_allocator());
  r.hk.ts = &T->ts;
  r.hk.table = &r.table;
  r.hk.implements = r_implements;
  r.hk.ud = T;
  const jv *ex = j_get(v, "export"), *expect = j_get(v, "expect"), *want_trap = j_get(expect, "trap");
  const comp_type *ft;
  bool ok = func_types(T, j_get(ex, "functype"), &ft);
  size_t np = 0, nr = 0;
  comp_vt *pt = ok ? sig_types(ft, false, &np) : NULL, *rt = ok ? sig_types(ft, true, &nr) : NULL;
  kumi_cval *args = NULL;
  bool trapped = false;
  char where[32] = "";
  if (ok) ok = get_values(T, pt, np, j_get(ex, "args"), &args);
  if (ok) {
    /* canon lift: lower the host's arguments into the guest */
    abi_vals fv = {0};
    r.hk.scope = &r.scope;
    abi_cx cx = r_cx(&r);
    kumi_error *e = abi_lower_flat_values(&cx, ABI_MAX_FLAT_PARAMS, pt, args, np, NULL, &fv);
    r.hk.scope = NULL;
    ok = err_ok(e, "lowering the arguments") && ints_match(j_get(v, "guest_flat_args"), &fv);
    kb_vec_free(kb_default_allocator(), &fv);
  }
  const jv *steps = j_get(v, "steps");
  for (size_t i = 0; ok && steps && i < steps->n && !trapped; i++) {
    ok = r_step(&r, &steps->items[i], &trapped);
    if (trapped) snprintf(where, sizeof where, "step %zu", i);
  }
  kumi_cval *res = calloc(nr + 1, sizeof *res);
  if (ok && !trapped) {
    /* the guest returns: lift its core results, then end the borrow scope */
    size_t nf;
    kumi_val *fv = i32_vals(j_get(ex, "returns"), &nf);
    abi_iter it = {fv, nf, 0};
    abi_cx cx = r_cx(&r);
    kumi_error *e = abi_lift_flat_values(&cx, ABI_MAX_FLAT_RESULTS, rt, nr, &it, res);
    if (!e) e = abi_scope_end(&r.table, &r.scope);
    if (e) {
      trapped = true;
      snprintf(where, sizeof where, "return");
      kumi_error_free(e);
    } else if (!want_trap) {
      ok = values_match(T, rt, res, nr, j_get(expect, "results")) && table_match(&r, j_get(expect, "guest_table_after"));
    }
    free(fv);
  }
  if (ok && want_trap && (!trapped || !j_is(want_trap, where)))
    ok = FAILWHY("trap at '%s', want '%.20s'", where, want_trap->s);
  if (ok && !want_trap && trapped) ok = FAILWHY("trapped at %s", where);
  free_values(res, trapped ? 0 : nr);
  free_values(args, np);
  free(pt);
  free(rt);
  abi_table_free(&r.table);
  harness_free(&r.h);
  return ok;
}

static void run_resources(types *T, const jv *root, counts *k, const char *file) {
  const jv *vs = j_get(root, "vectors");
  for (size_t i = 0; vs && i < vs->n; i++) report(k, run_scenario(T, &vs->items[i]), file, j_get(&vs->items[i], "name")->s);
}

/* ---- main -------------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) b[n] = 0;
  *len = (size_t)n;
  return b;
}

int main(void) {
  char dir[1024];
  const char *env = getenv("KUMI_SHARED_DIR");
  if (env) {
    snprintf(dir, sizeof dir, "%s/canonical-abi/vectors", env);
  } else {
    /* __FILE__ is .../tests/component/test_abi_vectors.c: ../shared is beside the tree */
    snprintf(dir, sizeof dir, "%s", __FILE__);
    for (int up = 0; up < 3; up++) {
      char *s = strrchr(dir, '/');
      if (s) *s = 0;
    }
    size_t l = strlen(dir);
    snprintf(dir + l, sizeof dir - l, "/../shared/canonical-abi/vectors");
  }
  static const char *files[] = {"layout",      "store_load", "lower_lift",    "load",      "lift",  "strings",
                                "functypes",   "flat_values", "traps",        "invalid_types", "resources"};
  long tp = 0, tf = 0;
  int missing = 0;
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[1200];
    snprintf(path, sizeof path, "%s/%s.json", dir, files[f]);
    size_t len;
    char *text = read_all(path, &len);
    if (!text) {
      missing++;
      continue;
    }
    jdoc d;
    jv root;
    counts k = {0, 0, 0};
    if (!j_parse(&d, text, len, &root)) {
      printf("%s: cannot parse\n", path);
      tf++;
    } else {
      types T;
      types_init(&T);
      const char *name = files[f];
      if (!strcmp(name, "layout")) run_layout(&T, &root, &k, name);
      else if (!strcmp(name, "store_load")) run_groups(&T, &root, &k, name, 0);
      else if (!strcmp(name, "lower_lift")) run_groups(&T, &root, &k, name, 1);
      else if (!strcmp(name, "load")) run_groups(&T, &root, &k, name, 2);
      else if (!strcmp(name, "lift")) run_groups(&T, &root, &k, name, 3);
      else if (!strcmp(name, "strings")) run_strings(&root, &k, name);
      else if (!strcmp(name, "functypes")) run_functypes(&T, &root, &k, name);
      else if (!strcmp(name, "flat_values")) run_flat_values_file(&T, &root, &k, name);
      else if (!strcmp(name, "traps")) run_traps(&T, &root, &k, name);
      else if (!strcmp(name, "invalid_types")) run_invalid(&T, &root, &k, name);
      else run_resources(&T, &root, &k, name);
      types_free(&T);
      printf("%-14s %ld passed, %ld failed\n", name, k.passed, k.failed);
      tp += k.passed;
      tf += k.failed;
    }
    j_free(&d);
    free(text);
  }
  if (missing == (int)(sizeof files / sizeof files[0])) {
    printf("SKIP: no Canonical ABI vectors at %s (set KUMI_SHARED_DIR)\n", dir);
    return 0;
  }
  printf("total          %ld passed, %ld failed\n", tp, tf);
  return tf ? 1 : 0;
}
