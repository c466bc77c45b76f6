/* fd_read, fd_write, fd_pread, fd_pwrite: data through (c)iovec lists,
 * each buffer checked against guest memory before any byte moves. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* Appends to a captured output stream, up to its cap. */
static size_t capture(kumi_wasi *w, wasi_outbuf *o, const wasi_iovs *v, wasi_errno *err) {
  size_t room = o->max - o->len, want = v->total < room ? v->total : room;
  *err = WASI_ESUCCESS;
  if (v->total > 0 && room == 0) {
    *err = WASI_EFBIG;
    return 0;
  }
  if (o->len + want > o->cap) {
    size_t cap = o->cap ? o->cap : 4096;
    while (cap < o->len + want) cap = cap > SIZE_MAX / 2 ? o->len + want : cap * 2;
    if (cap > o->max) cap = o->max;
    uint8_t *nb = kb_realloc(w->alloc, o->buf, o->cap, cap);
    if (!nb) {
      *err = WASI_ENOMEM;
      return 0;
    }
    o->buf = nb;
    o->cap = cap;
  }
  size_t done = 0;
  for (size_t i = 0; i < v->n && done < want; i++) {
    size_t n = v->v[i].iov_len < want - done ? v->v[i].iov_len : want - done;
    memcpy(o->buf + o->len + done, v->v[i].iov_base, n);
    done += n;
  }
  o->len += done;
  return done;
}

static size_t mem_read(wasi_fd *e, const wasi_iovs *v) {
  size_t done = 0;
  for (size_t i = 0; i < v->n && e->pos < e->len; i++) {
    size_t n = e->len - e->pos;
    if (n > v->v[i].iov_len) n = v->v[i].iov_len;
    memcpy(v->v[i].iov_base, e->buf + e->pos, n);
    e->pos += n;
    done += n;
  }
  return done;
}

/* Shared body: positional (pread/pwrite) when off >= 0. */
static wasi_errno do_io(wasi_call *c, const kumi_val *a, bool write, bool positional) {
  uint64_t need = write ? WASI_R_FD_WRITE : WASI_R_FD_READ;
  if (positional) need |= WASI_R_FD_SEEK;
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), need, &e);
  if (err) return err;
  uint32_t result_ptr = positional ? WASI_ARG_I32(4) : WASI_ARG_I32(3);
  uint64_t off = positional ? WASI_ARG_I64(3) : 0;
  if (!wasi_mem_at(&c->mem, result_ptr, 4)) return WASI_EFAULT;
  if (positional && off > (uint64_t)INT64_MAX) return WASI_EINVAL;
  wasi_iovs v;
  if ((err = wasi_iovs_load(c->w, &c->mem, WASI_ARG_I32(1), WASI_ARG_I32(2), &v))) return err;
  size_t done = 0;
  switch (e->kind) {
  case WASI_FD_NULL:
    if (positional) err = WASI_ESPIPE;
    else done = write ? v.total : 0;
    break;
  case WASI_FD_MEMIN:
    if (positional) err = WASI_ESPIPE;
    else done = mem_read(e, &v);
    break;
  case WASI_FD_MEMOUT:
    if (positional) err = WASI_ESPIPE;
    else done = capture(c->w, &c->w->out[e->stream], &v, &err);
    break;
  case WASI_FD_HOST: {
    if (e->filetype == WASI_FT_DIR) {
      err = WASI_EISDIR;
      break;
    }
    ssize_t r;
    int iovcnt = (int)v.n;
    do {
      if (iovcnt == 0) r = 0;
      else if (positional) r = write ? pwritev(e->host, v.v, iovcnt, (off_t)off) : preadv(e->host, v.v, iovcnt, (off_t)off);
      else if (write && (e->filetype == WASI_FT_STREAM || e->filetype == WASI_FT_DGRAM)) {
        /* Sockets: no SIGPIPE for a peer that went away. */
        struct msghdr mh;
        memset(&mh, 0, sizeof mh);
        mh.msg_iov = v.v;
        mh.msg_iovlen = v.n;
        r = sendmsg(e->host, &mh, MSG_NOSIGNAL);
        if (r < 0 && errno == ENOTSOCK) r = writev(e->host, v.v, iovcnt);
      } else r = write ? writev(e->host, v.v, iovcnt) : readv(e->host, v.v, iovcnt);
    } while (r < 0 && errno == EINTR);
    if (r < 0) err = wasi_errno_last();
    else done = (size_t)r;
    break;
  }
  default: err = WASI_EBADF; break;
  }
  wasi_iovs_free(c->w, &v);
  if (err) return err;
  return wasi_store_u32(&c->mem, result_ptr, done > UINT32_MAX ? UINT32_MAX : (uint32_t)done);
}

wasi_errno wasi_fd_read(wasi_call *c, const kumi_val *a) { return do_io(c, a, false, false); }
wasi_errno wasi_fd_write(wasi_call *c, const kumi_val *a) { return do_io(c, a, true, false); }
wasi_errno wasi_fd_pread(wasi_call *c, const kumi_val *a) { return do_io(c, a, false, true); }
wasi_errno wasi_fd_pwrite(wasi_call *c, const kumi_val *a) { return do_io(c, a, true, true); }
