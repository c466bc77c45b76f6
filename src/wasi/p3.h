/* wasi p3: the host side of WASI 0.3.0 for components
 * (kumi_component_linker_add_wasi_p3 in include/kumi_wasi.h), built on the
 * async host API of include/kumi_async.h (host functions with a call
 * context, the host's ends of streams and futures, the instance's event
 * loop). Backed by the same kumi_wasi as preview1 and 0.2, so a component
 * importing both 0.2.x and 0.3.0 interfaces sees one set of descriptors,
 * one stdio, one environment.
 *
 * Files: p3.c (the shared state, registration), p3_cli.c (wasi:cli),
 * p3_clocks.c, p3_random.c, p3_fs*.c (wasi:filesystem), p3_sock*.c
 * (wasi:sockets). Every interface is defined at @0.3.0; imports of
 * 0.3.x match by semver. Resource reps follow p2's convention (a slot
 * index in a table the host owns; the dtor frees the object). */
#ifndef KUMI_WASI_P3_H
#define KUMI_WASI_P3_H

#include "wasi.h"
#include "kumi_async.h"

#define WASI_P3_VERSION "0.3.0"
/* "wasi:cli/stdout" -> "wasi:cli/stdout@0.3.0" (string literals only). */
#define WASI_P3_IFACE(name) name "@" WASI_P3_VERSION

typedef struct wasi_p3 wasi_p3;

/* Each part keeps its own state, made when its interfaces are defined and
 * freed with the wasi_p3 (kumi_wasi_free frees the wasi_p3). p3.c calls
 * these in this order; each returns NULL or an error (OOM, a linker
 * error). `w` is the guest's kumi_wasi (descriptors, preopens, stdio, args,
 * environment, the preview1 sandbox resolver). */
typedef struct wasi_p3_part {
  void *state;
  void (*free)(void *state);
} wasi_p3_part;

kumi_error *wasi_p3_add_cli(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part);     /* p3_cli.c */
kumi_error *wasi_p3_add_clocks(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part);  /* p3_clocks.c */
kumi_error *wasi_p3_add_random(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part);  /* p3_random.c */
kumi_error *wasi_p3_add_filesystem(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part); /* p3_fs*.c */
kumi_error *wasi_p3_add_sockets(kumi_component_linker *l, kumi_wasi *w, wasi_p3_part *part); /* p3_sock*.c */

/* ---- helpers shared by the parts (p3.c) ------------------------------------------ */
/* A trap-kind error (KUMI_TRAP_HOST) for a host function that cannot go on. */
kumi_error *wasi_p3_trap(kumi_wasi *w, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* An exit request with status code (what wasi:cli/exit makes). */
kumi_error *wasi_p3_exit(kumi_wasi *w, int code);

#endif
