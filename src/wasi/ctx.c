/* kumi_wasi: the state of one guest (arguments, environment, descriptor
 * table), made from a config; and the descriptor table's bookkeeping. */
#define _GNU_SOURCE
#include "wasi.h"
#include "p2.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

uint8_t wasi_filetype_from_mode(unsigned mode) {
  switch (mode & S_IFMT) {
  case S_IFREG: return WASI_FT_REG;
  case S_IFDIR: return WASI_FT_DIR;
  case S_IFCHR: return WASI_FT_CHAR;
  case S_IFBLK: return WASI_FT_BLOCK;
  case S_IFLNK: return WASI_FT_LINK;
  /* Sockets: whether stream or datagram needs getsockopt; callers that
   * care ask. A pipe is reported as unknown, like other runtimes do. */
  case S_IFSOCK: return WASI_FT_STREAM;
  default: return WASI_FT_UNKNOWN;
  }
}

uint64_t wasi_rights_for_type(uint8_t ft) {
  switch (ft) {
  case WASI_FT_REG: return WASI_RIGHTS_REG;
  case WASI_FT_DIR: return WASI_RIGHTS_DIR;
  case WASI_FT_STREAM:
  case WASI_FT_DGRAM: return WASI_RIGHTS_SOCKET;
  case WASI_FT_BLOCK: return WASI_RIGHTS_REG; /* seekable like a file */
  default: return WASI_RIGHTS_STREAM;
  }
}

wasi_errno wasi_fd_get(kumi_wasi *w, uint32_t fd, uint64_t need, wasi_fd **out) {
  if (fd >= w->fds.len || w->fds.items[fd].kind == WASI_FD_FREE) return WASI_EBADF;
  wasi_fd *e = &w->fds.items[fd];
  if ((e->base & need) != need) return WASI_ENOTCAPABLE;
  *out = e;
  return WASI_ESUCCESS;
}

/* Guests cannot hold more descriptors than this; a runaway loop of opens
 * gets ERRNO_NFILE instead of exhausting the host. */
#define WASI_MAX_FDS 65536

wasi_errno wasi_fd_alloc(kumi_wasi *w, uint32_t *out) {
  for (size_t i = 0; i < w->fds.len; i++) {
    if (w->fds.items[i].kind == WASI_FD_FREE) {
      *out = (uint32_t)i;
      return WASI_ESUCCESS;
    }
  }
  if (w->fds.len >= WASI_MAX_FDS) return WASI_ENFILE;
  wasi_fd empty;
  memset(&empty, 0, sizeof empty);
  empty.host = -1;
  if (!kb_vec_push(w->alloc, &w->fds, empty)) return WASI_ENOMEM;
  *out = (uint32_t)(w->fds.len - 1);
  return WASI_ESUCCESS;
}

void wasi_fd_drop_dirents(kumi_wasi *w, wasi_fd *e) {
  for (size_t i = 0; i < e->nents; i++) kb_free(w->alloc, e->ents[i].name, e->ents[i].name_len + 1);
  kb_free(w->alloc, e->ents, e->ents_cap * sizeof *e->ents);
  e->ents = NULL;
  e->nents = e->ents_cap = 0;
  e->have_ents = false;
}

void wasi_fd_release(kumi_wasi *w, wasi_fd *e) {
  if (e->kind == WASI_FD_HOST && e->own && e->host >= 0) close(e->host);
  if (e->preopen) kb_free(w->alloc, e->preopen, e->preopen_len + 1);
  wasi_fd_drop_dirents(w, e);
  if (e->buf) kb_free(w->alloc, e->buf, e->cap);
  memset(e, 0, sizeof *e);
  e->kind = WASI_FD_FREE;
  e->host = -1;
}

/* ---- making the state ------------------------------------------------------ */

static kumi_error *io_error(kumi_wasi *w, const char *what, const char *path, int err) {
  return kb_error(w->alloc, KUMI_ERR_IO, KUMI_NO_OFFSET, "wasi: %s %s: %s", what, path, strerror(err));
}

/* Copies a NULL-less list of C strings; *bytes gets the sum of their
 * lengths plus NULs (what *_sizes_get reports). */
static bool copy_strings(kumi_wasi *w, char *const *src, size_t n, char ***dst, size_t *bytes) {
  *bytes = 0;
  *dst = kb_zalloc(w->alloc, (n ? n : 1) * sizeof(char *));
  if (!*dst) return false;
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(src[i]);
    (*dst)[i] = kb_strndup(w->alloc, src[i], len);
    if (!(*dst)[i]) return false;
    *bytes += len + 1;
  }
  return true;
}

static void free_strings(kumi_wasi *w, char **v, size_t n) {
  if (!v) return;
  for (size_t i = 0; i < n; i++)
    if (v[i]) kb_free(w->alloc, v[i], strlen(v[i]) + 1);
  kb_free(w->alloc, v, (n ? n : 1) * sizeof(char *));
}

/* Fills slot e for a host descriptor: type, rights, flags from the host. */
static void describe_host(wasi_fd *e, int fd, bool own) {
  struct stat st;
  e->kind = WASI_FD_HOST;
  e->host = fd;
  e->own = own;
  e->filetype = fstat(fd, &st) == 0 ? wasi_filetype_from_mode(st.st_mode) : WASI_FT_UNKNOWN;
  if (e->filetype == WASI_FT_STREAM) {
    int type = 0;
    socklen_t tl = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_DGRAM) e->filetype = WASI_FT_DGRAM;
  }
  e->base = wasi_rights_for_type(e->filetype);
  e->inheriting = 0;
  int fl = fcntl(fd, F_GETFL);
  e->fdflags = 0;
  if (fl >= 0) {
    if (fl & O_APPEND) e->fdflags |= WASI_FDF_APPEND;
    if (fl & O_NONBLOCK) e->fdflags |= WASI_FDF_NONBLOCK;
    int acc = fl & O_ACCMODE;
    if (acc == O_RDONLY) e->base &= ~(WASI_R_FD_WRITE | WASI_R_FD_ALLOCATE | WASI_R_FD_FILESTAT_SET_SIZE);
    if (acc == O_WRONLY) e->base &= ~(WASI_R_FD_READ | WASI_R_FD_READDIR);
  }
}

static kumi_error *setup_stdio(kumi_wasi *w, const wasi_stdio_cfg *s, int which) {
  wasi_fd *e = &w->fds.items[which];
  memset(e, 0, sizeof *e);
  e->host = -1;
  switch (s->kind) {
  case WASI_STDIO_NULL:
    e->kind = WASI_FD_NULL;
    e->filetype = WASI_FT_UNKNOWN; /* like a pipe: not a terminal, not seekable */
    e->base = WASI_RIGHTS_STREAM;
    return NULL;
  case WASI_STDIO_INHERIT: {
    struct stat st;
    if (fstat(which, &st) != 0) { /* the host stream is closed: give nothing */
      e->kind = WASI_FD_NULL;
      e->filetype = WASI_FT_UNKNOWN;
      e->base = WASI_RIGHTS_STREAM;
      return NULL;
    }
    describe_host(e, which, false);
    return NULL;
  }
  case WASI_STDIO_FD: {
    int fd = fcntl(s->fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0) return io_error(w, "cannot use descriptor for", which == 0 ? "stdin" : "stdout/stderr", errno);
    describe_host(e, fd, true);
    return NULL;
  }
  case WASI_STDIO_FILE: {
    int flags = which == 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC;
    int fd = open(s->path, flags | O_CLOEXEC, 0666);
    if (fd < 0) return io_error(w, "cannot open", s->path, errno);
    describe_host(e, fd, true);
    return NULL;
  }
  case WASI_STDIO_BYTES:
    e->kind = WASI_FD_MEMIN;
    e->filetype = WASI_FT_UNKNOWN;
    e->base = WASI_RIGHTS_STREAM & ~WASI_R_FD_WRITE;
    e->cap = s->len ? s->len : 1;
    e->buf = kb_alloc(w->alloc, e->cap);
    if (!e->buf) return kb_error_oom();
    if (s->len) memcpy(e->buf, s->bytes, s->len);
    e->len = s->len;
    return NULL;
  case WASI_STDIO_CAPTURE:
    e->kind = WASI_FD_MEMOUT;
    e->filetype = WASI_FT_UNKNOWN;
    e->base = WASI_RIGHTS_STREAM & ~WASI_R_FD_READ;
    e->stream = (uint8_t)which;
    w->out[which].max = s->len;
    return NULL;
  }
  return NULL;
}

/* Binds and listens on "A.B.C.D:PORT" or "[IPv6]:PORT". */
static kumi_error *wasi_listen_tcp(kumi_wasi *w, const char *addr, int *out) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  size_t hl = colon ? (size_t)(colon - addr) : 0;
  bool v6 = hl >= 2 && addr[0] == '[' && addr[hl - 1] == ']';
  if (v6) {
    addr++;
    hl -= 2;
  }
  char *end = NULL;
  long port = colon ? strtol(colon + 1, &end, 10) : -1;
  if (!colon || hl == 0 || hl >= sizeof host || !end || *end || end == colon + 1 || port < 0 || port > 65535)
    return kb_error(w->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi: bad listen address '%s' (want HOST:PORT)", addr);
  memcpy(host, addr, hl);
  host[hl] = 0;
  struct sockaddr_storage ss;
  socklen_t sl;
  memset(&ss, 0, sizeof ss);
  if (v6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1) goto bad;
    sl = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &s4->sin_addr) != 1) goto bad;
    sl = sizeof *s4;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return io_error(w, "cannot make a socket for", host, errno);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    return io_error(w, "cannot listen on", host, e);
  }
  *out = fd;
  return NULL;
bad:
  return kb_error(w->alloc, KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi: bad listen address host '%s'", host);
}

static kumi_error *setup_preopen(kumi_wasi *w, const wasi_preopen_cfg *p, size_t slot) {
  wasi_fd *e = &w->fds.items[slot];
  memset(e, 0, sizeof *e);
  e->host = -1;
  if (!p->host) { /* a socket */
    int fd = -1;
    if (p->listen) {
      kumi_error *err = wasi_listen_tcp(w, p->listen, &fd);
      if (err) return err;
    } else {
      fd = fcntl(p->sock, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) return kb_error(w->alloc, KUMI_ERR_IO, KUMI_NO_OFFSET, "wasi: bad socket descriptor %d: %s", p->sock,
                                  strerror(errno));
    }
    describe_host(e, fd, true);
    e->base = WASI_RIGHTS_SOCKET;
    e->inheriting = WASI_RIGHTS_SOCKET;
    return NULL;
  }
  int fd = open(p->host, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error(w, "cannot open directory", p->host, errno);
  e->kind = WASI_FD_HOST;
  e->host = fd;
  e->own = true;
  e->filetype = WASI_FT_DIR;
  e->base = WASI_RIGHTS_DIR;
  e->inheriting = WASI_R_ALL;
  if (p->flags & KUMI_WASI_DIR_READONLY) {
    e->base &= ~WASI_RIGHTS_MUTATE;
    e->inheriting &= ~WASI_RIGHTS_MUTATE;
  }
  e->preopen_len = strlen(p->guest);
  e->preopen = kb_strndup(w->alloc, p->guest, e->preopen_len);
  if (!e->preopen) return kb_error_oom();
  return NULL;
}

kumi_wasi *kumi_wasi_new(const kumi_wasi_config *c, kumi_error **error) {
  *error = NULL;
  if (!c) {
    *error = kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET, "wasi: null config");
    return NULL;
  }
  kumi_wasi *w = kb_zalloc(c->alloc, sizeof *w);
  if (!w) {
    *error = kb_error_oom();
    return NULL;
  }
  w->alloc = c->alloc;
  w->use_openat2 = !c->walk_only;
  w->nets = c->nets;
  w->nargs = c->args.len;
  w->nenv = c->env.len;
  size_t nfds = 3 + c->preopens.len;
  if (!copy_strings(w, c->args.items, c->args.len, &w->args, &w->args_bytes) ||
      !copy_strings(w, c->env.items, c->env.len, &w->env, &w->env_bytes) || !kb_vec_reserve(w->alloc, &w->fds, nfds)) {
    *error = kb_error_oom();
    goto fail;
  }
  for (size_t i = 0; i < nfds; i++) {
    memset(&w->fds.items[i], 0, sizeof w->fds.items[i]);
    w->fds.items[i].host = -1;
  }
  w->fds.len = nfds;
  for (int i = 0; i < 3; i++)
    if ((*error = setup_stdio(w, &c->stdio[i], i))) goto fail;
  for (size_t i = 0; i < c->preopens.len; i++)
    if ((*error = setup_preopen(w, &c->preopens.items[i], 3 + i))) goto fail;
  if (w->use_openat2) w->use_openat2 = wasi_openat2_works(w);
  return w;
fail:
  kumi_wasi_free(w);
  return NULL;
}

void kumi_wasi_free(kumi_wasi *w) {
  if (!w) return;
  wasi_p3_free(w->p3); /* its streams and watches refer to the descriptors */
  wasi_p2_free(w->p2); /* its streams refer to the descriptors */
  for (size_t i = 0; i < w->fds.len; i++) wasi_fd_release(w, &w->fds.items[i]);
  kb_vec_free(w->alloc, &w->fds);
  free_strings(w, w->args, w->nargs);
  free_strings(w, w->env, w->nenv);
  for (int i = 0; i < 3; i++) kb_free(w->alloc, w->out[i].buf, w->out[i].cap);
  if (w->bindings) kb_free(w->alloc, w->bindings, w->nbindings * sizeof *w->bindings);
  kb_free(w->alloc, w, sizeof *w);
}

const uint8_t *kumi_wasi_output(const kumi_wasi *w, kumi_wasi_stdio which, size_t *len) {
  *len = 0;
  if (!w || (unsigned)which > 2 || w->out[which].max == 0) return NULL;
  *len = w->out[which].len;
  return w->out[which].buf ? w->out[which].buf : (const uint8_t *)"";
}
