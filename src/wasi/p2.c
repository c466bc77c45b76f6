/* WASI 0.2 for components: the shared state (resource tables) and
 * kumi_component_linker_add_wasi_p2, which defines every interface. */
#define _GNU_SOURCE
#include "p2.h"
#include "wasi_share.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool wasi_p2_table_add(wasi_p2 *p, wasi_p2_table *t, void *obj, uint32_t *rep) {
  for (size_t i = 0; i < t->slots.len; i++)
    if (!t->slots.items[i]) {
      t->slots.items[i] = obj;
      *rep = (uint32_t)i;
      return true;
    }
  if (t->slots.len >= UINT32_MAX || !kb_vec_push(p->alloc, &t->slots, obj)) return false;
  *rep = (uint32_t)(t->slots.len - 1);
  return true;
}

void *wasi_p2_table_get(const wasi_p2_table *t, uint32_t rep) {
  return rep < t->slots.len ? t->slots.items[rep] : NULL;
}

void *wasi_p2_table_take(wasi_p2_table *t, uint32_t rep) {
  if (rep >= t->slots.len) return NULL;
  void *obj = t->slots.items[rep];
  t->slots.items[rep] = NULL;
  return obj;
}

static void table_free(wasi_p2 *p, wasi_p2_table *t) {
  for (size_t i = 0; i < t->slots.len; i++)
    if (t->slots.items[i] && t->free_obj) t->free_obj(p, t->slots.items[i]);
  kb_vec_free(p->alloc, &t->slots);
}

wasi_p2 *wasi_p2_of(kumi_wasi *w) {
  if (w->p2) return w->p2;
  wasi_p2 *p = kb_zalloc(w->alloc, sizeof *p);
  if (!p) return NULL;
  p->w = w;
  p->alloc = w->alloc;
  wasi_p2_io_init(p);
  w->p2 = p;
  return p;
}

void wasi_p2_free(wasi_p2 *p) {
  if (!p) return;
  /* Pollables and errors refer to nothing that needs closing; streams own
   * host descriptors; the filesystem half may hold more. */
  wasi_p2_table *all[] = {&p->pollables, &p->errors, &p->inputs, &p->outputs, &p->term_in, &p->term_out,
                          &p->dirstreams, &p->descriptors};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) table_free(p, all[i]);
  if (p->fs_free) p->fs_free(p);
  const kumi_allocator *a = p->alloc;
  if (p->w) p->w->p2 = NULL;
  kb_free(a, p, sizeof *p);
}

kumi_error *wasi_p2_define(kumi_component_linker *l, const char *iface, const char *name, kumi_component_host_fn fn,
                           wasi_p2 *p) {
  return kumi_component_linker_define_func(l, iface, name, NULL, fn, p);
}

kumi_error *wasi_trap_v(const kumi_allocator *al, const char *fmt, va_list ap) {
  char buf[256];
  vsnprintf(buf, sizeof buf, fmt, ap);
  kumi_error *e = kb_error(al, KUMI_ERR_TRAP, KUMI_NO_OFFSET, "wasi: %s", buf);
  if (e && e->alloc) e->trap = KUMI_TRAP_HOST;
  return e ? e : kb_error_oom();
}

kumi_error *wasi_exit_error(const kumi_allocator *al, int code) {
  kumi_error *e = kb_error(al, KUMI_ERR_EXIT, KUMI_NO_OFFSET, "exit with status %d", code);
  if (e && e->alloc) e->exit_code = code;
  return e ? e : kb_error_oom();
}

kumi_error *wasi_p2_trap(wasi_p2 *p, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kumi_error *e = wasi_trap_v(p->alloc, fmt, ap);
  va_end(ap);
  return e;
}

kumi_error *wasi_p2_exit(wasi_p2 *p, int code) { return wasi_exit_error(p->alloc, code); }

bool wasi_p2_ok(const kumi_allocator *a, const kumi_cval *payload, kumi_cval *out) {
  return kumi_cval_case(a, KUMI_CV_RESULT, 0, payload, out);
}

bool wasi_p2_err(const kumi_allocator *a, const kumi_cval *payload, kumi_cval *out) {
  return kumi_cval_case(a, KUMI_CV_RESULT, 1, payload, out);
}

kumi_error *kumi_component_linker_add_wasi_p2(kumi_component_linker *l, kumi_wasi *w) {
  if (!l || !w) return kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi p2: null argument");
  wasi_p2 *p = wasi_p2_of(w);
  if (!p) return kb_error_oom();
  kumi_error *e;
  if ((e = wasi_p2_add_io(l, p)) || (e = wasi_p2_add_cli(l, p)) || (e = wasi_p2_add_clocks(l, p)) ||
      (e = wasi_p2_add_random(l, p)))
    return e;
  return wasi_p2_add_filesystem(l, p);
}
