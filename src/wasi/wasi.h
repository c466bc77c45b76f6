/* wasi: the host side of WASI preview1 (include/kumi_wasi.h). Every
 * operating-system call of kumi lives in this folder. Internal prefix:
 * wasi_. POSIX (Linux first); the guest-visible numbers follow the witx in
 * shared/spec/wasi/preview1/. */
#ifndef KUMI_WASI_INTERNAL_H
#define KUMI_WASI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "base/base.h"
#include "kumi_wasi.h"

/* ---- errno ------------------------------------------------------------------
 * The witx order gives the numbers. X(NAME) has a host errno E##NAME of the
 * same meaning for every name but NOTCAPABLE (listed apart). */
#define WASI_ERRNO_LIST(X)                                                                                       \
  X(2BIG) X(ACCES) X(ADDRINUSE) X(ADDRNOTAVAIL) X(AFNOSUPPORT) X(AGAIN) X(ALREADY) X(BADF) X(BADMSG) X(BUSY)      \
  X(CANCELED) X(CHILD) X(CONNABORTED) X(CONNREFUSED) X(CONNRESET) X(DEADLK) X(DESTADDRREQ) X(DOM) X(DQUOT)        \
  X(EXIST) X(FAULT) X(FBIG) X(HOSTUNREACH) X(IDRM) X(ILSEQ) X(INPROGRESS) X(INTR) X(INVAL) X(IO) X(ISCONN)         \
  X(ISDIR) X(LOOP) X(MFILE) X(MLINK) X(MSGSIZE) X(MULTIHOP) X(NAMETOOLONG) X(NETDOWN) X(NETRESET) X(NETUNREACH)  \
  X(NFILE) X(NOBUFS) X(NODEV) X(NOENT) X(NOEXEC) X(NOLCK) X(NOLINK) X(NOMEM) X(NOMSG) X(NOPROTOOPT) X(NOSPC)      \
  X(NOSYS) X(NOTCONN) X(NOTDIR) X(NOTEMPTY) X(NOTRECOVERABLE) X(NOTSOCK) X(NOTSUP) X(NOTTY) X(NXIO) X(OVERFLOW)   \
  X(OWNERDEAD) X(PERM) X(PIPE) X(PROTO) X(PROTONOSUPPORT) X(PROTOTYPE) X(RANGE) X(ROFS) X(SPIPE) X(SRCH)        \
  X(STALE) X(TIMEDOUT) X(TXTBSY) X(XDEV)

enum {
  WASI_ESUCCESS = 0,
#define WASI_ERRNO_ENUM(n) WASI_E##n,
  WASI_ERRNO_LIST(WASI_ERRNO_ENUM)
#undef WASI_ERRNO_ENUM
  WASI_ENOTCAPABLE
};
typedef uint16_t wasi_errno;

/* The WASI errno for a host errno value (WASI_EIO for one with no match). */
wasi_errno wasi_errno_from_host(int host_errno);
/* The same for the current value of errno. */
wasi_errno wasi_errno_last(void);

/* ---- other guest-visible numbers ------------------------------------------- */
enum { WASI_FT_UNKNOWN, WASI_FT_BLOCK, WASI_FT_CHAR, WASI_FT_DIR, WASI_FT_REG, WASI_FT_DGRAM, WASI_FT_STREAM, WASI_FT_LINK };
enum { WASI_FDF_APPEND = 1, WASI_FDF_DSYNC = 2, WASI_FDF_NONBLOCK = 4, WASI_FDF_RSYNC = 8, WASI_FDF_SYNC = 16 };
enum { WASI_O_CREAT = 1, WASI_O_DIRECTORY = 2, WASI_O_EXCL = 4, WASI_O_TRUNC = 8 };
enum { WASI_LOOKUP_FOLLOW = 1 };
enum { WASI_FST_ATIM = 1, WASI_FST_ATIM_NOW = 2, WASI_FST_MTIM = 4, WASI_FST_MTIM_NOW = 8 };

/* Rights, bit i in witx order. */
#define WASI_R(i) ((uint64_t)1 << (i))
#define WASI_R_FD_DATASYNC WASI_R(0)
#define WASI_R_FD_READ WASI_R(1)
#define WASI_R_FD_SEEK WASI_R(2)
#define WASI_R_FD_FDSTAT_SET_FLAGS WASI_R(3)
#define WASI_R_FD_SYNC WASI_R(4)
#define WASI_R_FD_TELL WASI_R(5)
#define WASI_R_FD_WRITE WASI_R(6)
#define WASI_R_FD_ADVISE WASI_R(7)
#define WASI_R_FD_ALLOCATE WASI_R(8)
#define WASI_R_PATH_CREATE_DIRECTORY WASI_R(9)
#define WASI_R_PATH_CREATE_FILE WASI_R(10)
#define WASI_R_PATH_LINK_SOURCE WASI_R(11)
#define WASI_R_PATH_LINK_TARGET WASI_R(12)
#define WASI_R_PATH_OPEN WASI_R(13)
#define WASI_R_FD_READDIR WASI_R(14)
#define WASI_R_PATH_READLINK WASI_R(15)
#define WASI_R_PATH_RENAME_SOURCE WASI_R(16)
#define WASI_R_PATH_RENAME_TARGET WASI_R(17)
#define WASI_R_PATH_FILESTAT_GET WASI_R(18)
#define WASI_R_PATH_FILESTAT_SET_SIZE WASI_R(19)
#define WASI_R_PATH_FILESTAT_SET_TIMES WASI_R(20)
#define WASI_R_FD_FILESTAT_GET WASI_R(21)
#define WASI_R_FD_FILESTAT_SET_SIZE WASI_R(22)
#define WASI_R_FD_FILESTAT_SET_TIMES WASI_R(23)
#define WASI_R_PATH_SYMLINK WASI_R(24)
#define WASI_R_PATH_REMOVE_DIRECTORY WASI_R(25)
#define WASI_R_PATH_UNLINK_FILE WASI_R(26)
#define WASI_R_POLL_FD_READWRITE WASI_R(27)
#define WASI_R_SOCK_SHUTDOWN WASI_R(28)
#define WASI_R_SOCK_ACCEPT WASI_R(29)
#define WASI_R_ALL (WASI_R(30) - 1)

/* What applies to each kind of descriptor. */
#define WASI_RIGHTS_REG                                                                                          \
  (WASI_R_FD_DATASYNC | WASI_R_FD_READ | WASI_R_FD_SEEK | WASI_R_FD_FDSTAT_SET_FLAGS | WASI_R_FD_SYNC |           \
   WASI_R_FD_TELL | WASI_R_FD_WRITE | WASI_R_FD_ADVISE | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_GET |            \
   WASI_R_FD_FILESTAT_SET_SIZE | WASI_R_FD_FILESTAT_SET_TIMES | WASI_R_POLL_FD_READWRITE)
#define WASI_RIGHTS_DIR                                                                                          \
  (WASI_R_FD_FDSTAT_SET_FLAGS | WASI_R_FD_SYNC | WASI_R_FD_ADVISE | WASI_R_PATH_CREATE_DIRECTORY |                \
   WASI_R_PATH_CREATE_FILE | WASI_R_PATH_LINK_SOURCE | WASI_R_PATH_LINK_TARGET | WASI_R_PATH_OPEN |               \
   WASI_R_FD_READDIR | WASI_R_PATH_READLINK | WASI_R_PATH_RENAME_SOURCE | WASI_R_PATH_RENAME_TARGET |             \
   WASI_R_PATH_FILESTAT_GET | WASI_R_PATH_FILESTAT_SET_SIZE | WASI_R_PATH_FILESTAT_SET_TIMES |                    \
   WASI_R_FD_FILESTAT_GET | WASI_R_FD_FILESTAT_SET_TIMES | WASI_R_PATH_SYMLINK | WASI_R_PATH_REMOVE_DIRECTORY |   \
   WASI_R_PATH_UNLINK_FILE | WASI_R_POLL_FD_READWRITE)
/* Character devices, pipes and sockets: no seeking, no sizes. */
#define WASI_RIGHTS_STREAM                                                                                       \
  (WASI_R_FD_READ | WASI_R_FD_WRITE | WASI_R_FD_FDSTAT_SET_FLAGS | WASI_R_FD_FILESTAT_GET |                       \
   WASI_R_POLL_FD_READWRITE | WASI_R_FD_SYNC | WASI_R_FD_DATASYNC | WASI_R_FD_ADVISE)
#define WASI_RIGHTS_SOCKET                                                                                       \
  (WASI_R_FD_READ | WASI_R_FD_WRITE | WASI_R_FD_FDSTAT_SET_FLAGS | WASI_R_FD_FILESTAT_GET |                       \
   WASI_R_POLL_FD_READWRITE | WASI_R_SOCK_SHUTDOWN | WASI_R_SOCK_ACCEPT)
/* Rights that change the file system; a read-only preopen has none. */
#define WASI_RIGHTS_MUTATE                                                                                       \
  (WASI_R_FD_DATASYNC | WASI_R_FD_WRITE | WASI_R_FD_ALLOCATE | WASI_R_PATH_CREATE_DIRECTORY |                     \
   WASI_R_PATH_CREATE_FILE | WASI_R_PATH_LINK_SOURCE | WASI_R_PATH_LINK_TARGET | WASI_R_PATH_RENAME_SOURCE |     \
   WASI_R_PATH_RENAME_TARGET | WASI_R_PATH_FILESTAT_SET_SIZE | WASI_R_PATH_FILESTAT_SET_TIMES |                   \
   WASI_R_FD_FILESTAT_SET_SIZE | WASI_R_FD_FILESTAT_SET_TIMES | WASI_R_PATH_SYMLINK |                             \
   WASI_R_PATH_REMOVE_DIRECTORY | WASI_R_PATH_UNLINK_FILE)

/* ---- guest memory ------------------------------------------------------------
 * A view of the calling instance's memory for the length of one host call
 * (WASI functions never call back into wasm, so it cannot move). Every
 * access goes through wasi_mem_at, which refuses ranges outside it. */
typedef struct wasi_mem {
  uint8_t *base;
  uint64_t size; /* 0 when the guest exports no memory */
} wasi_mem;

/* The host address of guest bytes [ptr, ptr + len), or NULL when the range
 * is not inside the memory. len 0 is allowed anywhere up to the end. */
static inline uint8_t *wasi_mem_at(const wasi_mem *m, uint32_t ptr, uint64_t len) {
  if ((uint64_t)ptr > m->size || len > m->size - ptr) return NULL;
  return m->base + ptr;
}
static inline void wasi_put_u16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void wasi_put_u32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void wasi_put_u64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t wasi_get_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t wasi_get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t wasi_get_u64(const uint8_t *p) {
  return (uint64_t)wasi_get_u32(p) | ((uint64_t)wasi_get_u32(p + 4) << 32);
}
/* Stores a u32/u64 result at guest address ptr; WASI_EFAULT if it does not fit. */
wasi_errno wasi_store_u32(const wasi_mem *m, uint32_t ptr, uint32_t v);
wasi_errno wasi_store_u64(const wasi_mem *m, uint32_t ptr, uint64_t v);

/* A scatter/gather list read from guest (c)iovec records, every buffer
 * checked against the memory. At most WASI_IOV_MAX entries (more is
 * WASI_EINVAL, like the host's IOV_MAX). */
#define WASI_IOV_MAX 1024
typedef struct wasi_iovs {
  struct iovec *v;
  size_t n;
  size_t total;  /* sum of the lengths, capped at SIZE_MAX */
  size_t heap_n; /* entries allocated when v is not small */
  struct iovec small[8];
} wasi_iovs;
wasi_errno wasi_iovs_load(kumi_wasi *w, const wasi_mem *m, uint32_t iovs, uint32_t n, wasi_iovs *out);
void wasi_iovs_free(kumi_wasi *w, wasi_iovs *v);

/* ---- configuration ------------------------------------------------------------ */
typedef enum { WASI_STDIO_NULL, WASI_STDIO_INHERIT, WASI_STDIO_FD, WASI_STDIO_FILE, WASI_STDIO_BYTES, WASI_STDIO_CAPTURE } wasi_stdio_kind;
typedef struct wasi_stdio_cfg {
  wasi_stdio_kind kind;
  int fd;       /* WASI_STDIO_FD */
  char *path;   /* WASI_STDIO_FILE */
  uint8_t *bytes; /* WASI_STDIO_BYTES */
  size_t len;     /* bytes: length; capture: the cap */
} wasi_stdio_cfg;

typedef struct wasi_preopen_cfg {
  char *host, *guest; /* a directory; both NULL for a socket */
  uint32_t flags;
  int sock;     /* a socket descriptor to duplicate, or -1 */
  char *listen; /* a TCP address to listen on, or NULL */
} wasi_preopen_cfg;

/* ---- network policy (WASI 0.3 sockets, kumi_wasi_config_allow_ip) -------------
 * Loopback is always allowed; other addresses only inside one of these
 * networks. Parsing and the check live in p3_sock_addr.c. */
typedef struct wasi_cidr {
  uint8_t addr[16]; /* network bytes, host bits cleared; IPv4 in the first 4 */
  uint8_t prefix;   /* 0..32 or 0..128 */
  bool v6;
} wasi_cidr;
#define WASI_MAX_NETS 32
typedef struct wasi_netlist {
  uint32_t n;
  wasi_cidr nets[WASI_MAX_NETS];
} wasi_netlist;
/* "A.B.C.D/N", "IPv6/N", or a bare address (one host); false when malformed. */
bool wasi_cidr_parse(const char *s, wasi_cidr *out);
/* Whether the address (4 or 16 network-order bytes) may be used: loopback,
 * or inside a network of l. */
bool wasi_net_allowed(const wasi_netlist *l, bool v6, const uint8_t *addr);

struct kumi_wasi_config {
  const kumi_allocator *alloc;
  KB_VEC(char *) args;
  KB_VEC(char *) env; /* "NAME=VALUE" */
  KB_VEC(wasi_preopen_cfg) preopens;
  wasi_stdio_cfg stdio[3];
  bool walk_only; /* resolve paths by the openat walk even where openat2 exists (tests) */
  wasi_netlist nets; /* kumi_wasi_config_allow_ip */
};
/* Tests: force the portable openat walk instead of openat2. */
void wasi_config_force_walk(kumi_wasi_config *c, bool on);

/* ---- descriptors ------------------------------------------------------------ */
typedef enum { WASI_FD_FREE = 0, WASI_FD_HOST, WASI_FD_NULL, WASI_FD_MEMIN, WASI_FD_MEMOUT } wasi_fd_kind;

/* One directory entry kept for fd_readdir. */
typedef struct wasi_dirent {
  uint64_t ino;
  uint8_t type;
  uint32_t name_len;
  char *name;
} wasi_dirent;

typedef struct wasi_fd {
  wasi_fd_kind kind;
  uint8_t filetype;
  uint16_t fdflags; /* as the guest sees them */
  int host;         /* WASI_FD_HOST: the host descriptor */
  bool own;         /* close host on fd_close (false for inherited stdio) */
  uint64_t base, inheriting;
  char *preopen; /* guest name of a preopened directory, else NULL */
  size_t preopen_len;
  /* Directories: a snapshot of the entries, taken when fd_readdir is called
   * with cookie 0 (or first). The cookie of entry i is i; d_next is i + 1. */
  wasi_dirent *ents;
  size_t nents, ents_cap;
  bool have_ents;
  /* WASI_FD_MEMIN: the bytes and the read position. */
  uint8_t *buf;
  size_t len, cap, pos;
  /* WASI_FD_MEMOUT: which kumi_wasi.out buffer it appends to. */
  uint8_t stream;
} wasi_fd;

/* A captured output stream. It belongs to kumi_wasi, not to the
 * descriptor, so it survives the guest closing its stdout. */
typedef struct wasi_outbuf {
  uint8_t *buf;
  size_t len, cap, max;
} wasi_outbuf;

struct kumi_wasi {
  const kumi_allocator *alloc;
  char **args, **env;
  size_t nargs, nenv;
  size_t args_bytes, env_bytes; /* with the NULs */
  KB_VEC(wasi_fd) fds;
  wasi_outbuf out[3]; /* [1] stdout, [2] stderr when captured */
  bool use_openat2; /* cleared when the kernel says ENOSYS */
  uint32_t nbindings;
  struct wasi_binding *bindings;
  struct wasi_p2 *p2; /* WASI 0.2 state (p2.h), made by kumi_component_linker_add_wasi_p2 */
  struct wasi_p3 *p3; /* WASI 0.3 state (p3.h), made by kumi_component_linker_add_wasi_p3 */
  wasi_netlist nets;  /* networks WASI 0.3 sockets may use besides loopback (copied from the config) */
};

/* Frees the WASI 0.3 state (p3.c); kumi_wasi_free calls it first. NULL is fine. */
void wasi_p3_free(struct wasi_p3 *p);

/* The descriptor fd if it is open and has every right in `need`:
 * WASI_EBADF when not open, WASI_ENOTCAPABLE when rights are missing. */
wasi_errno wasi_fd_get(kumi_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out);
/* A free slot for a new descriptor (the lowest); WASI_ENFILE/ENOMEM when none. */
wasi_errno wasi_fd_alloc(kumi_wasi *w, uint32_t *out);
/* Closes the host side of e and frees what it holds; the slot becomes free. */
void wasi_fd_release(kumi_wasi *w, wasi_fd *e);
void wasi_fd_drop_dirents(kumi_wasi *w, wasi_fd *e);
/* The WASI filetype of a host st_mode. */
uint8_t wasi_filetype_from_mode(unsigned mode);
/* The rights that apply to a descriptor of this type. */
uint64_t wasi_rights_for_type(uint8_t filetype);

/* ---- paths ---------------------------------------------------------------------
 * Guest path resolution beneath a directory descriptor. The resolved form is
 * a directory (host descriptor, owned when `own`) and one last component
 * `name` (never empty, never "..", may be "."). `slash` records that the
 * guest path ended in '/'. The guest path must be valid: no NUL inside,
 * not empty (WASI_ENOENT), not absolute (WASI_EPERM). Leaving the
 * directory, by ".." or by a link, is WASI_EPERM. */
typedef struct wasi_path {
  int dir;
  bool own;
  bool slash;
  char *name;
  char *buf; /* owns name */
  size_t buf_size;
} wasi_path;

/* Resolves path[0..len) beneath dirfd. With follow, a last component that
 * is a symbolic link is followed (repeatedly, beneath dirfd) so that `name`
 * is not a link when this returns. A trailing '/' implies follow. */
wasi_errno wasi_path_resolve(kumi_wasi *w, int dirfd, const char *path, size_t len, bool follow, wasi_path *out);
void wasi_path_free(kumi_wasi *w, wasi_path *p);
/* Whether openat2(RESOLVE_BENEATH) works here: the kernel may lack it and
 * a seccomp filter may refuse it with any errno. Tried once, on the first
 * preopened directory, at kumi_wasi_new. */
bool wasi_openat2_works(kumi_wasi *w);
/* Reads the guest path string [ptr, ptr + len) and resolves it. */
wasi_errno wasi_path_from_guest(kumi_wasi *w, const wasi_mem *m, int dirfd, uint32_t ptr, uint32_t len, bool follow,
                                wasi_path *out);
/* The name with its trailing '/' put back (for calls that never follow,
 * so the kernel applies its own trailing-slash rules); points into p. */
const char *wasi_path_name_slash(wasi_path *p);

/* ---- the functions ---------------------------------------------------------------
 * Each takes the call's arguments as kumi_vals and returns the errno. A
 * function that must stop the guest (proc_exit, proc_raise) sets *stop. */
typedef struct wasi_call {
  kumi_wasi *w;
  kumi_caller *caller;
  wasi_mem mem;
  kumi_error *stop;
} wasi_call;
typedef wasi_errno (*wasi_impl)(wasi_call *c, const kumi_val *a);

/* One imported function: name, core parameter kinds ('i' i32, 'I' i64),
 * whether it returns an errno (all but proc_exit), implementation. */
typedef struct wasi_func_desc {
  const char *name;
  const char *params;
  bool returns_errno;
  wasi_impl impl;
} wasi_func_desc;
/* The env pointer of each host function. */
struct wasi_binding {
  kumi_wasi *w;
  const wasi_func_desc *desc;
};

#define WASI_ARG_I32(i) ((uint32_t)a[i].of.i32)
#define WASI_ARG_I64(i) ((uint64_t)a[i].of.i64)

/* args, environ, clocks, random, proc, sched: misc.c */
wasi_errno wasi_args_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_args_sizes_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_environ_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_environ_sizes_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_clock_res_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_clock_time_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_random_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_proc_exit(wasi_call *c, const kumi_val *a);
wasi_errno wasi_proc_raise(wasi_call *c, const kumi_val *a);
wasi_errno wasi_sched_yield(wasi_call *c, const kumi_val *a);
/* Reads a host clock in nanoseconds; false for an unknown WASI clock id. */
bool wasi_clock_now(uint32_t id, uint64_t *ns);
/* fd_*: fd.c, fd_io.c (read/write), readdir.c */
wasi_errno wasi_fd_advise(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_allocate(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_close(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_datasync(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_fdstat_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_fdstat_set_flags(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_fdstat_set_rights(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_filestat_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_filestat_set_size(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_filestat_set_times(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_pread(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_prestat_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_prestat_dir_name(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_pwrite(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_read(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_readdir(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_renumber(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_seek(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_sync(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_tell(wasi_call *c, const kumi_val *a);
wasi_errno wasi_fd_write(wasi_call *c, const kumi_val *a);
/* path_*: path_ops.c */
wasi_errno wasi_path_create_directory(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_filestat_get(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_filestat_set_times(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_link(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_open(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_readlink(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_remove_directory(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_rename(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_symlink(wasi_call *c, const kumi_val *a);
wasi_errno wasi_path_unlink_file(wasi_call *c, const kumi_val *a);
/* poll.c */
wasi_errno wasi_poll_oneoff(wasi_call *c, const kumi_val *a);
/* sock.c */
wasi_errno wasi_sock_accept(wasi_call *c, const kumi_val *a);
wasi_errno wasi_sock_recv(wasi_call *c, const kumi_val *a);
wasi_errno wasi_sock_send(wasi_call *c, const kumi_val *a);
wasi_errno wasi_sock_shutdown(wasi_call *c, const kumi_val *a);

/* Shared by fd_filestat_get and path_filestat_get: writes a 64-byte
 * filestat for a host struct stat at guest ptr. */
struct stat;
wasi_errno wasi_store_filestat(const wasi_mem *m, uint32_t ptr, const struct stat *st);
/* Shared by fd_filestat_set_times and path_filestat_set_times: the two
 * timespecs for utimensat/futimens; WASI_EINVAL for contradictory flags. */
struct timespec;
wasi_errno wasi_times_from_flags(uint64_t atim, uint64_t mtim, uint32_t fst, struct timespec ts[2]);

#endif
