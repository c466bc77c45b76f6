/* sock_*: preview1 can only use sockets the host handed over (listening
 * sockets preopened with kumi_wasi_config_preopen_socket) and what
 * sock_accept makes from them. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* fd must be open and a socket (ERRNO_NOTSOCK otherwise), with `need`. */
static wasi_errno get_sock(wasi_call *c, uint32_t fd, uint64_t need, wasi_fd **out) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, fd, 0, &e);
  if (err) return err;
  if (e->kind != WASI_FD_HOST || (e->filetype != WASI_FT_STREAM && e->filetype != WASI_FT_DGRAM))
    return WASI_ENOTSOCK;
  if ((e->base & need) != need) return WASI_ENOTCAPABLE;
  *out = e;
  return WASI_ESUCCESS;
}

wasi_errno wasi_sock_accept(wasi_call *c, const kumi_val *a) {
  uint32_t listen_fd = WASI_ARG_I32(0), flags = WASI_ARG_I32(1), out_ptr = WASI_ARG_I32(2);
  wasi_fd *e;
  wasi_errno err = get_sock(c, listen_fd, WASI_R_SOCK_ACCEPT, &e);
  if (err) return err;
  if (flags & ~(uint32_t)WASI_FDF_NONBLOCK) return WASI_EINVAL;
  if (!wasi_mem_at(&c->mem, out_ptr, 4)) return WASI_EFAULT;
  uint32_t slot;
  if ((err = wasi_fd_alloc(c->w, &slot))) return err;
  e = &c->w->fds.items[listen_fd];
  int fd;
  do fd = accept4(e->host, NULL, NULL, SOCK_CLOEXEC | ((flags & WASI_FDF_NONBLOCK) ? SOCK_NONBLOCK : 0));
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return wasi_errno_last();
  wasi_fd *n = &c->w->fds.items[slot];
  memset(n, 0, sizeof *n);
  n->kind = WASI_FD_HOST;
  n->host = fd;
  n->own = true;
  n->filetype = e->filetype;
  n->base = (WASI_RIGHTS_SOCKET & ~WASI_R_SOCK_ACCEPT) & (e->inheriting ? e->inheriting : WASI_RIGHTS_SOCKET);
  n->fdflags = (uint16_t)flags;
  return wasi_store_u32(&c->mem, out_ptr, slot);
}

wasi_errno wasi_sock_recv(wasi_call *c, const kumi_val *a) {
  uint32_t ri_flags = WASI_ARG_I32(3), len_ptr = WASI_ARG_I32(4), oflags_ptr = WASI_ARG_I32(5);
  wasi_fd *e;
  wasi_errno err = get_sock(c, WASI_ARG_I32(0), WASI_R_FD_READ, &e);
  if (err) return err;
  if (ri_flags & ~3u) return WASI_EINVAL;
  if (!wasi_mem_at(&c->mem, len_ptr, 4) || !wasi_mem_at(&c->mem, oflags_ptr, 2)) return WASI_EFAULT;
  wasi_iovs v;
  if ((err = wasi_iovs_load(c->w, &c->mem, WASI_ARG_I32(1), WASI_ARG_I32(2), &v))) return err;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = v.v;
  mh.msg_iovlen = v.n;
  int hflags = ((ri_flags & 1) ? MSG_PEEK : 0) | ((ri_flags & 2) ? MSG_WAITALL : 0);
  ssize_t r;
  do r = recvmsg(e->host, &mh, hflags);
  while (r < 0 && errno == EINTR);
  wasi_iovs_free(c->w, &v);
  if (r < 0) return wasi_errno_last();
  wasi_store_u32(&c->mem, len_ptr, (uint32_t)r);
  wasi_put_u16(wasi_mem_at(&c->mem, oflags_ptr, 2), (mh.msg_flags & MSG_TRUNC) ? 1 : 0);
  return WASI_ESUCCESS;
}

wasi_errno wasi_sock_send(wasi_call *c, const kumi_val *a) {
  uint32_t si_flags = WASI_ARG_I32(3), len_ptr = WASI_ARG_I32(4);
  wasi_fd *e;
  wasi_errno err = get_sock(c, WASI_ARG_I32(0), WASI_R_FD_WRITE, &e);
  if (err) return err;
  if (si_flags != 0) return WASI_EINVAL; /* no send flags are defined */
  if (!wasi_mem_at(&c->mem, len_ptr, 4)) return WASI_EFAULT;
  wasi_iovs v;
  if ((err = wasi_iovs_load(c->w, &c->mem, WASI_ARG_I32(1), WASI_ARG_I32(2), &v))) return err;
  struct msghdr mh;
  memset(&mh, 0, sizeof mh);
  mh.msg_iov = v.v;
  mh.msg_iovlen = v.n;
  ssize_t r;
  do r = sendmsg(e->host, &mh, MSG_NOSIGNAL);
  while (r < 0 && errno == EINTR);
  wasi_iovs_free(c->w, &v);
  if (r < 0) return wasi_errno_last();
  return wasi_store_u32(&c->mem, len_ptr, (uint32_t)r);
}

wasi_errno wasi_sock_shutdown(wasi_call *c, const kumi_val *a) {
  uint32_t how = WASI_ARG_I32(1);
  wasi_fd *e;
  wasi_errno err = get_sock(c, WASI_ARG_I32(0), WASI_R_SOCK_SHUTDOWN, &e);
  if (err) return err;
  static const int host_how[] = {0, SHUT_RD, SHUT_WR, SHUT_RDWR};
  if (how == 0 || how > 3) return WASI_EINVAL;
  return shutdown(e->host, host_how[how]) == 0 ? WASI_ESUCCESS : wasi_errno_last();
}
