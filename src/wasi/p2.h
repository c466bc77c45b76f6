/* wasi p2: the host side of WASI 0.2 for components
 * (kumi_component_linker_add_wasi_p2 in include/kumi_wasi.h). Shared by
 * p2.c (registration, resource tables), p2_io.c (wasi:io), p2_cli.c,
 * p2_clocks.c, p2_random.c and the wasi:filesystem half (p2_fs*.c).
 *
 * Every interface is defined at @0.2.12; the component linker matches
 * imports of any 0.2.x to it by semver. Host functions are defined untyped
 * (they take the import's type) with env = the wasi_p2 state. Resources are
 * host resources: a rep is an index into one of the tables below, chosen by
 * the host; when the guest drops the last handle, the resource's dtor
 * frees the object and the slot. Whatever is still in a table when the
 * kumi_wasi is freed is freed then (kumi_wasi_free calls wasi_p2_free).
 *
 * Argument conventions (the Component Model lifts them for us): a method's
 * first argument is the borrow<self> (KUMI_CV_BORROW, of.handle = rep); a
 * returned own<R> is kumi_cval_handle(KUMI_CV_OWN, rep). Variant, enum,
 * option and result case indices follow the WIT case order. */
#ifndef KUMI_WASI_P2_H
#define KUMI_WASI_P2_H

#include "wasi.h"

#define WASI_P2_VERSION "0.2.12"
/* "wasi:io/streams" -> "wasi:io/streams@0.2.12" (string literals only). */
#define WASI_P2_IFACE(name) name "@" WASI_P2_VERSION

typedef struct wasi_p2 wasi_p2;

/* ---- resource tables -----------------------------------------------------------
 * rep -> object. Reps are slot indices, reused after removal (lowest free
 * first). free_obj frees an object left over at wasi_p2_free; it is also
 * what a resource dtor usually calls after wasi_p2_table_take. */
typedef struct wasi_p2_table {
  KB_VEC(void *) slots; /* NULL: free */
  void (*free_obj)(wasi_p2 *p, void *obj);
} wasi_p2_table;

/* Stores obj (not NULL) and sets *rep; false on OOM (obj is not freed). */
bool wasi_p2_table_add(wasi_p2 *p, wasi_p2_table *t, void *obj, uint32_t *rep);
/* The object of rep, or NULL when rep is not in the table. */
void *wasi_p2_table_get(const wasi_p2_table *t, uint32_t rep);
/* Removes rep and returns its object (NULL when not there). */
void *wasi_p2_table_take(wasi_p2_table *t, uint32_t rep);

/* ---- streams (wasi:io/streams) -------------------------------------------------- */
typedef enum { WASI_P2_STREAM_STDIO, WASI_P2_STREAM_FILE } wasi_p2_stream_kind;
typedef struct wasi_p2_stream {
  wasi_p2_stream_kind kind;
  bool output;
  bool closed;     /* end of file read, or the stream failed: every later call says `closed` */
  uint32_t stdio;  /* STDIO: the kumi_wasi descriptor (0, 1 or 2) it reads or writes */
  int fd;          /* FILE: a host descriptor owned by the stream (a dup of the file's) */
  uint64_t offset; /* FILE: where the next read/write goes */
  bool append;     /* FILE output: every write goes to the end of the file */
} wasi_p2_stream;

/* For wasi:filesystem/types: [method]descriptor.read-via-stream,
 * write-via-stream, append-via-stream. fd is the descriptor's host
 * descriptor; it is duplicated, so the stream outlives the descriptor
 * (reads/writes are positional: pread/pwrite at the stream's offset).
 * Returns 0 and sets *rep (an own<input-stream> / own<output-stream>), or a
 * host errno value (ENOMEM when out of memory) for the caller to map to
 * its error-code. */
int wasi_p2_input_stream_new(wasi_p2 *p, int fd, uint64_t offset, uint32_t *rep);
int wasi_p2_output_stream_new(wasi_p2 *p, int fd, uint64_t offset, bool append, uint32_t *rep);

/* For wasi:cli/stdin, stdout, stderr (p2_cli.c): a stream over kumi_wasi
 * descriptor `which` (0, 1, 2); 0 or ENOMEM. */
int wasi_p2_stdio_stream_new(wasi_p2 *p, uint32_t which, uint32_t *rep);

/* ---- errors (wasi:io/error) --------------------------------------------------------
 * A stream's last-operation-failed(error) carries the host errno, so that
 * wasi:filesystem/types#filesystem-error-code can map it. */
typedef struct wasi_p2_error {
  int host_errno; /* 0 when the failure was not an OS error */
  char *msg;      /* NUL-terminated, owned */
} wasi_p2_error;
/* Adds an error resource (msg copied; NULL: strerror(host_errno)); false on OOM. */
bool wasi_p2_error_new(wasi_p2 *p, int host_errno, const char *msg, uint32_t *rep);
/* The host errno of error rep; false when rep is no error or has none. */
bool wasi_p2_error_host_errno(wasi_p2 *p, uint32_t rep, int *host_errno);

/* ---- pollables (wasi:io/poll) ----------------------------------------------------- */
typedef enum {
  WASI_P2_POLL_READY, /* always ready (files, captured/null stdio) */
  WASI_P2_POLL_TIMER, /* ready at a monotonic-clock instant */
  WASI_P2_POLL_FD,    /* ready when a host descriptor is readable/writable */
} wasi_p2_poll_kind;
typedef struct wasi_p2_pollable {
  wasi_p2_poll_kind kind;
  uint64_t deadline; /* TIMER: CLOCK_MONOTONIC nanoseconds */
  bool write;        /* FD: wait for POLLOUT rather than POLLIN */
  uint32_t stream;   /* FD: the rep of the stream whose descriptor it watches */
  bool output;       /* FD: which stream table (outputs or inputs) */
  const wasi_p2_stream *obj; /* FD: the stream when subscribed (a dropped stream makes it ready) */
} wasi_p2_pollable;
/* Adds a pollable that is always ready (e.g. for a file descriptor's
 * stream or a directory); false on OOM. */
bool wasi_p2_pollable_ready_new(wasi_p2 *p, uint32_t *rep);
/* A pollable ready at a CLOCK_MONOTONIC instant (ns); false on OOM. */
bool wasi_p2_pollable_timer_new(wasi_p2 *p, uint64_t deadline, uint32_t *rep);

/* ---- the state ------------------------------------------------------------------------ */
struct wasi_p2 {
  kumi_wasi *w;
  const kumi_allocator *alloc; /* w->alloc */
  wasi_p2_table errors, pollables, inputs, outputs, term_in, term_out;
  /* wasi:filesystem (p2_fs*.c sets free_obj and uses them as it likes). */
  wasi_p2_table descriptors, dirstreams;
  /* Private state of the filesystem half, freed by fs_free at wasi_p2_free. */
  void *fs;
  void (*fs_free)(wasi_p2 *p);
};

/* The p2 state of w, made on first use; NULL on OOM. Freed by kumi_wasi_free. */
wasi_p2 *wasi_p2_of(kumi_wasi *w);
void wasi_p2_free(wasi_p2 *p);

/* Defines host function `name` in interface iface (a full name with
 * version, e.g. WASI_P2_IFACE("wasi:filesystem/types")), untyped, env p. */
kumi_error *wasi_p2_define(kumi_component_linker *l, const char *iface, const char *name, kumi_component_host_fn fn,
                           wasi_p2 *p);

/* The host functions of one part, as registered (tests call them directly
 * with component values). */
typedef struct wasi_p2_fn {
  const char *iface, *name;
  kumi_component_host_fn fn;
} wasi_p2_fn;
const wasi_p2_fn *wasi_p2_io_fns(size_t *n);
/* Sets the tables' free_obj for the wasi:io objects (wasi_p2_of does). */
void wasi_p2_io_init(wasi_p2 *p);

/* The interfaces, each defining its resources and functions in l. */
kumi_error *wasi_p2_add_io(kumi_component_linker *l, wasi_p2 *p);      /* p2_io.c: error, poll, streams */
kumi_error *wasi_p2_add_cli(kumi_component_linker *l, wasi_p2 *p);     /* p2_cli.c */
kumi_error *wasi_p2_add_clocks(kumi_component_linker *l, wasi_p2 *p);  /* p2_clocks.c */
kumi_error *wasi_p2_add_random(kumi_component_linker *l, wasi_p2 *p);  /* p2_random.c */
/* Implemented by the filesystem half (src/wasi/p2_fs*.c): wasi:filesystem
 * types (resources descriptor, directory-entry-stream; every function)
 * and preopens (get-directories over the kumi_wasi preopens, fds 3...). */
kumi_error *wasi_p2_add_filesystem(kumi_component_linker *l, wasi_p2 *p);

/* ---- small helpers for host functions --------------------------------------------- */
/* A trap-kind error for a host function that cannot go on (bad handle, OOM
 * building the result). */
kumi_error *wasi_p2_trap(wasi_p2 *p, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* An exit request with status code (store-free kumi_error_new_exit). */
kumi_error *wasi_p2_exit(wasi_p2 *p, int code);
/* result<_, _> / result<T, E> cases: *out = ok(payload) or err(payload);
 * payload may be NULL (no payload) and is moved. false on OOM. */
bool wasi_p2_ok(const kumi_allocator *a, const kumi_cval *payload, kumi_cval *out);
bool wasi_p2_err(const kumi_allocator *a, const kumi_cval *payload, kumi_cval *out);

#endif
