/* kumi_wasi: WASI preview1 (wasi_snapshot_preview1) for core modules.
 *
 * Usage:
 *
 *   kumi_wasi_config *cfg = kumi_wasi_config_new(NULL);
 *   kumi_wasi_config_arg(cfg, "prog.wasm");            // argv[0]
 *   kumi_wasi_config_env(cfg, "HOME", "/");
 *   kumi_wasi_config_preopen_dir(cfg, "./data", "/data", 0);
 *   kumi_wasi_config_stdio_inherit(cfg, KUMI_WASI_STDOUT);
 *   kumi_wasi *wasi = kumi_wasi_new(cfg, &err);       // opens the preopens now
 *   kumi_wasi_config_free(cfg);                        // no longer needed
 *   kumi_linker_add_wasi_preview1(linker, wasi);       // defines the 46 functions
 *   ... instantiate, call "_start" ...
 *   // proc_exit(n) makes the call return an error of kind KUMI_ERR_EXIT
 *   // whose kumi_error_exit_code is n.
 *   kumi_store_free(store);
 *   kumi_wasi_free(wasi);                              // after the store
 *
 * The sandbox: a guest reaches the host file system only through the
 * preopened directories. Every path is resolved beneath the directory
 * descriptor it is relative to: absolute paths, ".." past that directory
 * and symbolic links leading out of it fail with ERRNO_PERM, and the check
 * cannot be raced (openat2 RESOLVE_BENEATH where the kernel has it, else a
 * component-by-component openat walk that never lets the kernel follow a
 * link). A read-only preopen lacks every right that would change the file
 * system.
 *
 * Guest pointers and lengths are never trusted: an access outside the
 * guest's memory makes the call return ERRNO_FAULT, never a host crash.
 *
 * A kumi_wasi is the state of one running guest (its descriptor table,
 * captured output); give each instance its own. It must outlive every call
 * into the instance it serves. Nothing here is thread-safe. */
#ifndef KUMI_WASI_H
#define KUMI_WASI_H

#include "kumi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kumi_wasi_config kumi_wasi_config;
typedef struct kumi_wasi kumi_wasi;

typedef enum kumi_wasi_stdio {
  KUMI_WASI_STDIN = 0,
  KUMI_WASI_STDOUT = 1,
  KUMI_WASI_STDERR = 2,
} kumi_wasi_stdio;

/* A new, empty configuration: no arguments, no environment, no preopens,
 * stdio connected to nothing (reads see end of file, writes are dropped).
 * allocator may be NULL (malloc). Returns NULL on OOM. */
kumi_wasi_config *kumi_wasi_config_new(const kumi_allocator *allocator);
void kumi_wasi_config_free(kumi_wasi_config *c);

/* Arguments, in order; the first is the program name by convention.
 * kumi_wasi_config_args appends argc strings. Strings are copied. */
kumi_error *kumi_wasi_config_arg(kumi_wasi_config *c, const char *arg);
kumi_error *kumi_wasi_config_args(kumi_wasi_config *c, int argc, const char *const *argv);

/* Environment variables, in order. name must not contain '='. A later
 * definition of the same name replaces the earlier one. */
kumi_error *kumi_wasi_config_env(kumi_wasi_config *c, const char *name, const char *value);
/* Copies the whole host environment (as it is now) into the guest's. */
kumi_error *kumi_wasi_config_inherit_env(kumi_wasi_config *c);

/* Preopens the host directory host_path under the name guest_path (what
 * fd_prestat_dir_name reports; e.g. "/", ".", "/data"). guest_path NULL
 * means the same as host_path. Preopens become descriptors 3, 4, ... in the
 * order given; sockets (below) follow the directories. */
#define KUMI_WASI_DIR_READONLY 0x1u
kumi_error *kumi_wasi_config_preopen_dir(kumi_wasi_config *c, const char *host_path, const char *guest_path,
                                         uint32_t flags);
/* Preopens a listening stream socket for sock_accept. The descriptor is
 * duplicated at kumi_wasi_new; the caller keeps its own. */
kumi_error *kumi_wasi_config_preopen_socket(kumi_wasi_config *c, int host_fd);
/* Preopens a TCP socket listening on addr, "HOST:PORT" with a numeric IPv4
 * host or "[IPv6]:PORT"; bound at kumi_wasi_new. */
kumi_error *kumi_wasi_config_preopen_tcp_listen(kumi_wasi_config *c, const char *addr);

/* Standard streams. Each setting replaces the previous one for `which`. */
kumi_error *kumi_wasi_config_stdio_null(kumi_wasi_config *c, kumi_wasi_stdio which);    /* the default */
kumi_error *kumi_wasi_config_stdio_inherit(kumi_wasi_config *c, kumi_wasi_stdio which); /* host 0/1/2 */
/* A host descriptor, duplicated at kumi_wasi_new (the caller keeps its own). */
kumi_error *kumi_wasi_config_stdio_fd(kumi_wasi_config *c, kumi_wasi_stdio which, int host_fd);
/* A host file: stdin opens it for reading; stdout/stderr create or truncate it. */
kumi_error *kumi_wasi_config_stdio_file(kumi_wasi_config *c, kumi_wasi_stdio which, const char *path);
/* stdin reads these bytes (copied), then end of file. */
kumi_error *kumi_wasi_config_stdin_bytes(kumi_wasi_config *c, const void *data, size_t len);
/* stdout/stderr are captured in memory; read them with kumi_wasi_output.
 * max_bytes caps the buffer (0: 64 MiB); writes past it fail with ERRNO_FBIG. */
kumi_error *kumi_wasi_config_stdio_capture(kumi_wasi_config *c, kumi_wasi_stdio which, size_t max_bytes);

/* Makes the state of one guest from c: copies the arguments and
 * environment, opens the preopened directories and the stdio files. c may
 * be freed right after. Returns NULL and sets *error on failure (e.g. a
 * preopen that is not a directory: KUMI_ERR_IO). */
kumi_wasi *kumi_wasi_new(const kumi_wasi_config *c, kumi_error **error);
/* Closes every descriptor the guest still holds and frees the state. */
void kumi_wasi_free(kumi_wasi *w);

/* Defines every function of wasi_snapshot_preview1 in l, bound to w. The
 * functions find the guest's memory through its export "memory". */
kumi_error *kumi_linker_add_wasi_preview1(kumi_linker *l, kumi_wasi *w);
/* Defines WASI 0.2 for components in l, backed by w (the same arguments,
 * environment, preopens and stdio as preview1): wasi:io (error, poll,
 * streams), wasi:cli (environment, exit, stdin/stdout/stderr, terminal-*),
 * wasi:clocks (monotonic-clock, wall-clock), wasi:random (random, insecure,
 * insecure-seed) and wasi:filesystem (types, preopens), all at @0.2.12 so
 * that every 0.2.x import matches by semver. w must outlive the instances. */
kumi_error *kumi_component_linker_add_wasi_p2(kumi_component_linker *l, kumi_wasi *w);

/* Defines WASI 0.3.0 for components in l (wasi:cli, wasi:clocks,
 * wasi:random, wasi:filesystem, wasi:sockets @0.3.0), backed by w: the same
 * arguments, environment, stdio and preopens as preview1 and 0.2, so a
 * component importing both 0.2.x and 0.3.0 interfaces (as Rust's
 * wasm32-wasip3 output does) sees one of each. Needs the async host API
 * (kumi_async.h). */
kumi_error *kumi_component_linker_add_wasi_p3(kumi_component_linker *l, kumi_wasi *w);
/* Network access of WASI 0.3 sockets: loopback addresses (127.0.0.0/8,
 * ::1) are always allowed; any other address only inside a network given
 * here in CIDR form ("192.168.1.0/24", "0.0.0.0/0" for every IPv4 address,
 * "::/0"). Binding, connecting, sending to and accepting from an address
 * outside them fails with access-denied. */
kumi_error *kumi_wasi_config_allow_ip(kumi_wasi_config *c, const char *cidr);

/* Captured output of stdout or stderr (see kumi_wasi_config_stdio_capture);
 * NULL with *len = 0 when that stream is not captured. Valid until the next
 * call into the guest or kumi_wasi_free. */
const uint8_t *kumi_wasi_output(const kumi_wasi *w, kumi_wasi_stdio which, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
