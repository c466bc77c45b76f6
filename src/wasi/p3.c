/* WASI 0.3 for components: kumi_component_linker_add_wasi_p3, which has
 * each part (cli, clocks, random, filesystem, sockets) define its
 * interfaces, and the wasi_p3 that keeps the parts' states until the
 * kumi_wasi is freed. */
#define _GNU_SOURCE
#include "p3.h"
#include "wasi_share.h"

#include <stdarg.h>
#include <stdio.h>

/* Every part state ever made for this kumi_wasi: one set per call of
 * kumi_component_linker_add_wasi_p3 (each linker gets its own). */
struct wasi_p3 {
  kumi_wasi *w;
  const kumi_allocator *alloc;
  KB_VEC(wasi_p3_part) parts;
};

static wasi_p3 *p3_of(kumi_wasi *w) {
  if (w->p3) return w->p3;
  wasi_p3 *p = kb_zalloc(w->alloc, sizeof *p);
  if (!p) return NULL;
  p->w = w;
  p->alloc = w->alloc;
  w->p3 = p;
  return p;
}

void wasi_p3_free(wasi_p3 *p) {
  if (!p) return;
  /* Last made, first freed: a later part may refer to an earlier one. */
  for (size_t i = p->parts.len; i-- > 0;)
    if (p->parts.items[i].free) p->parts.items[i].free(p->parts.items[i].state);
  kb_vec_free(p->alloc, &p->parts);
  if (p->w) p->w->p3 = NULL;
  kb_free(p->alloc, p, sizeof *p);
}

kumi_error *wasi_p3_trap(kumi_wasi *w, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kumi_error *e = wasi_trap_v(w->alloc, fmt, ap);
  va_end(ap);
  return e;
}

kumi_error *wasi_p3_exit(kumi_wasi *w, int code) { return wasi_exit_error(w->alloc, code); }

typedef kumi_error *(*p3_add_fn)(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part);

kumi_error *kumi_component_linker_add_wasi_p3(kumi_component_linker *l, kumi_wasi *w) {
  if (!l || !w) return kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi p3: null argument");
  wasi_p3 *p = p3_of(w);
  if (!p) return kb_error_oom();
  static const p3_add_fn adds[] = {wasi_p3_add_cli, wasi_p3_add_clocks, wasi_p3_add_random, wasi_p3_add_filesystem,
                                   wasi_p3_add_sockets};
  for (size_t i = 0; i < sizeof adds / sizeof adds[0]; i++) {
    wasi_p3_part part = {NULL, NULL};
    kumi_error *e = adds[i](l, w, &part);
    /* A part that made state before failing still hands it over. */
    if (part.free && !kb_vec_push(p->alloc, &p->parts, part)) {
      part.free(part.state);
      if (!e) e = kb_error_oom();
    }
    if (e) return e;
  }
  return NULL;
}
