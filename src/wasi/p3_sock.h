/* wasi:sockets@0.3.0 (types: tcp-socket, udp-socket; ip-name-lookup):
 * private to p3_sock*.c. p3_sock.c holds the state and registration,
 * p3_sock_addr.c address conversion, validation, errno mapping and the
 * network policy, p3_sock_tcp.c (+ p3_sock_tcp_io.c: listen, send,
 * receive), p3_sock_udp.c and p3_sock_lookup.c the functions.
 *
 * Sockets are non-blocking host descriptors. An operation that cannot
 * finish at once (connect, accept, send, receive) waits for its descriptor
 * in the calling instance's event loop (kumi_async_watch_fd) and completes
 * its call, or copies into its stream, from the watch's callback.
 *
 * Ownership: a socket object (wasi_sock) is shared by its resource handle
 * and by every operation still running on it (WIT's shared ownership: the
 * streams of send/receive/listen outlive the handle); each holds one
 * reference and the descriptor is closed when the last goes. Operations
 * are kept in a list of the state so that whatever is still running when
 * the kumi_wasi is freed is stopped and freed then. */
#ifndef KUMI_WASI_P3_SOCK_H
#define KUMI_WASI_P3_SOCK_H

#include <sys/socket.h>

#include "p3.h"

#define WASI_P3_SOCK_TYPES WASI_P3_IFACE("wasi:sockets/types")
#define WASI_P3_SOCK_LOOKUP WASI_P3_IFACE("wasi:sockets/ip-name-lookup")

/* wasi:sockets/types#error-code cases, in WIT order. */
enum {
  SOCK_E_ACCESS_DENIED, SOCK_E_NOT_SUPPORTED, SOCK_E_INVALID_ARGUMENT, SOCK_E_OUT_OF_MEMORY, SOCK_E_TIMEOUT,
  SOCK_E_INVALID_STATE, SOCK_E_ADDRESS_NOT_BINDABLE, SOCK_E_ADDRESS_IN_USE, SOCK_E_REMOTE_UNREACHABLE,
  SOCK_E_CONNECTION_REFUSED, SOCK_E_CONNECTION_BROKEN, SOCK_E_CONNECTION_RESET, SOCK_E_CONNECTION_ABORTED,
  SOCK_E_DATAGRAM_TOO_LARGE, SOCK_E_OTHER
};

/* TCP states (TcpSocketOperationalSemantics-0.3.0). */
enum { SOCK_UNBOUND, SOCK_BOUND, SOCK_LISTENING, SOCK_CONNECTING, SOCK_CONNECTED, SOCK_CLOSED };

typedef struct wasi_p3_sock wasi_p3_sock;
typedef struct wasi_sock_op wasi_sock_op;

typedef struct wasi_sock {
  wasi_p3_sock *st;
  int fd;
  uint32_t refs;
  bool v6, udp;
  uint8_t state;          /* TCP: SOCK_*; UDP: UNBOUND or BOUND */
  bool sending, receiving; /* TCP: send/receive was called */
  bool udp_connected;      /* UDP: connect()ed to `remote` */
  struct sockaddr_storage remote;
  socklen_t remote_len;
  uint64_t rcvbuf, sndbuf; /* the last sizes set (0: ask the kernel) */
  int backlog;
} wasi_sock;

/* A running operation. stop (only when the kumi_wasi is freed, after the
 * instances) frees the operation, its host stream ends (which then only
 * frees them) and its socket reference; it leaves its watch and call
 * alone: the instance's loop freed those with the instance. */
struct wasi_sock_op {
  wasi_sock_op *prev, *next;
  void (*stop)(wasi_sock_op *op);
};

typedef KB_VEC(wasi_sock *) wasi_sock_vec;

struct wasi_p3_sock {
  kumi_wasi *w;
  const kumi_allocator *alloc;
  wasi_sock_vec tcp; /* rep -> socket (NULL: free slot) */
  wasi_sock_vec udp;
  wasi_sock_op *ops;       /* running operations */
};

/* ---- p3_sock.c --------------------------------------------------------------- */
/* A new socket object with one reference (the caller's), fd owned. NULL on OOM. */
wasi_sock *wasi_sock_new(wasi_p3_sock *st, int fd, bool v6, bool udp);
void wasi_sock_ref(wasi_sock *s);
/* Drops a reference; the last closes the descriptor and frees s. */
void wasi_sock_unref(wasi_sock *s);
/* Puts s in its table (taking the caller's reference) and sets *rep; false on OOM. */
bool wasi_sock_add(wasi_p3_sock *st, wasi_sock *s, uint32_t *rep);
/* The socket of a handle argument (borrow or own rep), or NULL. */
wasi_sock *wasi_sock_get(wasi_p3_sock *st, bool udp, const kumi_cval *handle);
void wasi_sock_op_link(wasi_p3_sock *st, wasi_sock_op *op);
void wasi_sock_op_unlink(wasi_p3_sock *st, wasi_sock_op *op);
/* Completes an async call with err(code) / ok() (a trap on OOM). */
void wasi_sock_call_err(wasi_p3_sock *st, kumi_async_call *call, uint32_t code);
void wasi_sock_call_ok(wasi_p3_sock *st, kumi_async_call *call);
/* A trap for a call that cannot go on (bad handle, OOM). */
kumi_error *wasi_sock_trap(wasi_p3_sock *st, const char *what);
/* The socket of a method's self argument (args[0]) in the TCP or UDP
 * table, or NULL. */
wasi_sock *wasi_sock_self(wasi_p3_sock *st, bool udp, const kumi_cval *args, size_t nargs);
/* [static]create for TCP or UDP: a non-blocking socket of the address
 * family argument, *result = ok(own socket) or err(code). */
kumi_error *wasi_sock_create(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, size_t nargs, bool udp,
                             kumi_cval *result);
/* [method]bind for TCP or UDP (wasi_sock_do_bind). */
kumi_error *wasi_sock_bind_method(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, size_t nargs,
                                  bool udp, kumi_cval *result);

/* ---- p3_sock_addr.c ---------------------------------------------------------- */
/* The error-code for a host errno (the general mapping; callers handle
 * the cases their function documents differently first). */
uint32_t wasi_sock_errno_code(int host_errno);
/* result<T, error-code>: err(code); false on OOM. */
bool wasi_sock_err(const kumi_allocator *a, uint32_t code, kumi_cval *out);
/* ok(payload) (payload NULL: none, else moved); false on OOM. */
bool wasi_sock_ok(const kumi_allocator *a, kumi_cval *payload, kumi_cval *out);
/* The same for a host function's result: NULL, or a trap on OOM. */
kumi_error *wasi_sock_fail_with(wasi_p3_sock *st, const kumi_allocator *a, uint32_t code, kumi_cval *out);
kumi_error *wasi_sock_ok_with(wasi_p3_sock *st, const kumi_allocator *a, kumi_cval *payload, kumi_cval *out);
/* *result = ok(the socket's local address, or its peer's: `peer`) or
 * err(code) (ENOTCONN: invalid-state). */
kumi_error *wasi_sock_name(wasi_p3_sock *st, const kumi_allocator *a, wasi_sock *s, bool peer, kumi_cval *result);
/* *result = the socket's ip-address-family (ipv4, ipv6). */
kumi_error *wasi_sock_family(wasi_p3_sock *st, const kumi_allocator *a, const wasi_sock *s, kumi_cval *result);
/* An ip-socket-address value -> sockaddr; false for a value that is not one. */
bool wasi_sock_addr_from_cval(const kumi_cval *v, struct sockaddr_storage *ss, socklen_t *len);
/* sockaddr (AF_INET / AF_INET6) -> ip-socket-address; false on OOM or another family. */
bool wasi_sock_addr_to_cval(const kumi_allocator *a, const struct sockaddr *sa, kumi_cval *out);
/* ip-address of a sockaddr's address only (ip-name-lookup). */
bool wasi_sock_ip_to_cval(const kumi_allocator *a, const struct sockaddr *sa, kumi_cval *out);

/* Checks of an address the guest gave, in the order the WIT documents
 * them; each returns SOCK_E_* or UINT32_MAX when fine. */
#define SOCK_OK UINT32_MAX
/* Right family for the socket, not IPv4-mapped, and for TCP unicast. */
uint32_t wasi_sock_check_addr(const wasi_sock *s, const struct sockaddr_storage *ss);
/* Remote addresses: also not the unspecified address, port not 0. */
uint32_t wasi_sock_check_remote(const wasi_sock *s, const struct sockaddr_storage *ss);
/* The network policy: access-denied unless allowed (the unspecified
 * address is allowed for binding: `bind` true). */
uint32_t wasi_sock_check_policy(const wasi_p3_sock *st, const struct sockaddr_storage *ss, bool bind);
/* The error-code of a failed bind(2), for bind and the implicit binds. */
uint32_t wasi_sock_bind_errno(int host_errno);

/* ---- the interfaces -------------------------------------------------------------- */
kumi_error *wasi_p3_sock_add_tcp(kumi_component_linker *l, wasi_p3_sock *st);    /* p3_sock_tcp.c */
kumi_error *wasi_p3_sock_add_tcp_io(kumi_component_linker *l, wasi_p3_sock *st); /* p3_sock_tcp_io.c */
kumi_error *wasi_p3_sock_add_udp(kumi_component_linker *l, wasi_p3_sock *st);    /* p3_sock_udp.c */
kumi_error *wasi_p3_sock_add_lookup(kumi_component_linker *l, wasi_p3_sock *st); /* p3_sock_lookup.c */
/* The synchronous (non-async) functions of tcp-socket / udp-socket by
 * WIT name ("[static]udp-socket.create"), env the state; NULL when none.
 * For tests, which call them directly with component values. */
kumi_component_host_fn wasi_p3_sock_tcp_fn(const char *name);
kumi_component_host_fn wasi_p3_sock_udp_fn(const char *name);
/* Shared by TCP and UDP (p3_sock_tcp.c): bind with the checks, the
 * policy and bind(2) (SOCK_OK or a code); the buffer-size options. */
uint32_t wasi_sock_do_bind(wasi_sock *s, const kumi_cval *addr);
kumi_error *wasi_sock_buffer_size(wasi_p3_sock *st, const kumi_allocator *a, const kumi_cval *args, bool udp,
                                  bool set, bool recv, kumi_cval *result);

#endif
