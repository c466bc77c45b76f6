/* wasi share: host helpers that WASI 0.2 and 0.3 both use. Each is defined
 * in the 0.2 file of its interface (named on its line) and reused by the
 * 0.3 one, so the two hosts keep one copy of the logic. */
#ifndef KUMI_WASI_SHARE_H
#define KUMI_WASI_SHARE_H

#include <stdarg.h>
#include <time.h>

#include "wasi.h"

/* ---- errors (p2.c) ---- */
/* A KUMI_ERR_TRAP (trap = KUMI_TRAP_HOST) "wasi: <fmt...>" allocated with al;
 * the OOM error when that fails. */
kumi_error *wasi_trap_v(const kumi_allocator *al, const char *fmt, va_list ap);
/* A KUMI_ERR_EXIT error carrying exit_code = code. */
kumi_error *wasi_exit_error(const kumi_allocator *al, int code);

/* ---- wasi:clocks (p2_clocks.c) ---- */
/* Now on clock id in nanoseconds (0 when the clock fails). */
uint64_t wasi_clock_ns(clockid_t id);
/* The resolution of clock id in nanoseconds (at least 1). */
uint64_t wasi_clock_res(clockid_t id);
/* monotonic-clock now / get-resolution as host functions (env unused). */
kumi_error *wasi_clock_mono_now(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r);
kumi_error *wasi_clock_mono_res(void *env, const kumi_allocator *a, const kumi_cval *args, size_t n, kumi_cval *r);

/* ---- wasi:random (p2_random.c) ---- */
/* Fills buf[0..len) from getrandom (retrying on EINTR); false when it fails. */
bool wasi_random_fill(uint8_t *buf, size_t len);
/* One random u64; false when the generator fails. */
bool wasi_random_u64(uint64_t *v);
/* *r = a list<u8> of len random bytes (cvals allocated with a, the scratch
 * buffer with host). Returns an OOM error, or NULL with *failed set when the
 * generator failed (the caller traps its own way). */
kumi_error *wasi_random_list(const kumi_allocator *host, const kumi_allocator *a, size_t len, kumi_cval *r,
                             bool *failed);

/* ---- wasi:cli (p2_cli.c) ---- */
/* get-environment: w's environment as list<tuple<string, string>>. */
kumi_error *wasi_cli_environment(kumi_wasi *w, const kumi_allocator *a, kumi_cval *result);
/* initial-cwd as a host function (env unused): none, the guest has no
 * working directory of its own (paths are relative to the preopens). */
kumi_error *wasi_cli_initial_cwd(void *env, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                 kumi_cval *result);
/* get-arguments: w's arguments as list<string>. */
kumi_error *wasi_cli_arguments(kumi_wasi *w, const kumi_allocator *a, kumi_cval *result);
/* The status of exit (with_code false: result<_,_> ok 0, else 1) or
 * exit-with-code (with_code true: the u8 argument; 1 when absent). */
int wasi_cli_exit_status(const kumi_cval *args, size_t nargs, bool with_code);
/* Whether kumi_wasi descriptor which is a host descriptor on a terminal. */
bool wasi_cli_is_tty(const kumi_wasi *w, uint32_t which);

/* ---- output capture (p2_io.c) ---- */
/* Appends to a captured output buffer up to its cap (growing with al); 0,
 * ENOMEM, or EFBIG when some bytes were past the cap (the rest are kept). */
int wasi_outbuf_capture(const kumi_allocator *al, wasi_outbuf *o, const uint8_t *buf, size_t len);

#endif
