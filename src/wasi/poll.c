/* poll_oneoff: wait for clock deadlines and descriptor readiness.
 *
 * Regular files, directories and in-memory streams are always ready (as
 * POSIX poll says of files); pipes, terminals and sockets are polled with
 * ppoll. Clock subscriptions become one timeout on the monotonic clock; an
 * absolute deadline on another clock is converted once, at entry. */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SUB_SIZE 48
#define EVENT_SIZE 32

typedef struct sub {
  uint64_t userdata;
  uint8_t type;      /* 0 clock, 1 fd_read, 2 fd_write */
  uint64_t deadline; /* clock: monotonic ns */
  int pollix;        /* fd: index in the pollfd array, or -1 when ready now */
  wasi_errno error;  /* set: report at once with this error */
  bool ready;
  uint64_t nbytes;
  uint16_t rwflags;
} sub;

static void put_event(uint8_t *p, const sub *s) {
  memset(p, 0, EVENT_SIZE);
  wasi_put_u64(p, s->userdata);
  wasi_put_u16(p + 8, s->error);
  p[10] = s->type;
  if (s->type != 0) {
    wasi_put_u64(p + 16, s->nbytes);
    wasi_put_u16(p + 24, s->rwflags);
  }
}

/* Fills nbytes for a ready host descriptor: what can be read without
 * blocking, where the host can tell. */
static void ready_bytes(const wasi_fd *e, sub *s) {
  s->nbytes = 0;
  if (s->type != 1) return;
  if (e->kind == WASI_FD_MEMIN) {
    s->nbytes = e->len - e->pos;
    return;
  }
  if (e->kind != WASI_FD_HOST) return;
  if (e->filetype == WASI_FT_REG) {
    struct stat st;
    off_t pos = lseek(e->host, 0, SEEK_CUR);
    if (fstat(e->host, &st) == 0 && pos >= 0 && st.st_size > pos) s->nbytes = (uint64_t)(st.st_size - pos);
    return;
  }
  int avail = 0;
  if (ioctl(e->host, FIONREAD, &avail) == 0 && avail > 0) s->nbytes = (uint64_t)avail;
}

wasi_errno wasi_poll_oneoff(wasi_call *c, const kumi_val *a) {
  uint32_t in = WASI_ARG_I32(0), out = WASI_ARG_I32(1), n = WASI_ARG_I32(2), nev_ptr = WASI_ARG_I32(3);
  if (n == 0) return WASI_EINVAL;
  const uint8_t *ip = wasi_mem_at(&c->mem, in, (uint64_t)n * SUB_SIZE);
  uint8_t *op = wasi_mem_at(&c->mem, out, (uint64_t)n * EVENT_SIZE);
  if (!ip || !op || !wasi_mem_at(&c->mem, nev_ptr, 4)) return WASI_EFAULT;
  if (n > 4096) return WASI_ENOTSUP;
  kumi_wasi *w = c->w;
  sub *subs = kb_zalloc(w->alloc, n * sizeof *subs);
  struct pollfd *pfds = kb_zalloc(w->alloc, n * sizeof *pfds);
  if (!subs || !pfds) {
    kb_free(w->alloc, subs, n * sizeof *subs);
    kb_free(w->alloc, pfds, n * sizeof *pfds);
    return WASI_ENOMEM;
  }
  wasi_errno err = WASI_ESUCCESS;
  uint64_t now;
  wasi_clock_now(1, &now);
  uint64_t min_deadline = UINT64_MAX;
  nfds_t npoll = 0;
  bool any_now = false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *r = ip + (size_t)i * SUB_SIZE;
    sub *s = &subs[i];
    s->userdata = wasi_get_u64(r);
    s->type = r[8];
    s->pollix = -1;
    if (s->type == 0) {
      uint32_t id = wasi_get_u32(r + 16);
      uint64_t timeout = wasi_get_u64(r + 24);
      uint16_t flags = wasi_get_u16(r + 40);
      uint64_t cnow;
      if (!wasi_clock_now(id, &cnow)) {
        s->error = WASI_EINVAL;
        s->ready = any_now = true;
        continue;
      }
      uint64_t rel = timeout;
      if (flags & 1) rel = timeout > cnow ? timeout - cnow : 0;
      s->deadline = rel > UINT64_MAX - now ? UINT64_MAX : now + rel;
      if (s->deadline < min_deadline) min_deadline = s->deadline;
    } else if (s->type == 1 || s->type == 2) {
      wasi_fd *e;
      wasi_errno fe = wasi_fd_get(w, wasi_get_u32(r + 16), WASI_R_POLL_FD_READWRITE, &e);
      if (!fe && (e->base & (s->type == 1 ? WASI_R_FD_READ : WASI_R_FD_WRITE)) == 0) fe = WASI_EBADF;
      if (fe) {
        s->error = fe;
        s->ready = any_now = true;
        continue;
      }
      bool pollable = e->kind == WASI_FD_HOST && e->filetype != WASI_FT_REG && e->filetype != WASI_FT_DIR &&
                      e->filetype != WASI_FT_BLOCK;
      if (!pollable) {
        ready_bytes(e, s);
        s->ready = any_now = true;
        continue;
      }
      s->pollix = (int)npoll;
      pfds[npoll].fd = e->host;
      pfds[npoll].events = s->type == 1 ? POLLIN : POLLOUT;
      npoll++;
    } else {
      err = WASI_EINVAL;
      goto done;
    }
  }

  for (;;) {
    struct timespec ts, *tsp = NULL;
    if (any_now) {
      ts.tv_sec = 0;
      ts.tv_nsec = 0;
      tsp = &ts;
    } else if (min_deadline != UINT64_MAX) {
      wasi_clock_now(1, &now);
      uint64_t rel = min_deadline > now ? min_deadline - now : 0;
      ts.tv_sec = (time_t)(rel / 1000000000u);
      ts.tv_nsec = (long)(rel % 1000000000u);
      tsp = &ts;
    }
    int r = ppoll(npoll ? pfds : NULL, npoll, tsp, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      err = wasi_errno_last();
      goto done;
    }
    for (uint32_t i = 0; i < n; i++) {
      sub *s = &subs[i];
      if (s->pollix < 0) continue;
      short re = pfds[s->pollix].revents;
      if (!re) continue;
      s->ready = true;
      if (re & POLLNVAL) s->error = WASI_EBADF;
      else if ((re & POLLERR) && !(re & (POLLIN | POLLOUT))) s->error = WASI_EIO;
      if (re & POLLHUP) s->rwflags = 1;
      if (!s->error) {
        wasi_fd *e;
        if (!wasi_fd_get(w, wasi_get_u32(ip + (size_t)i * SUB_SIZE + 16), 0, &e)) ready_bytes(e, s);
      }
      any_now = true;
    }
    wasi_clock_now(1, &now);
    for (uint32_t i = 0; i < n; i++) {
      sub *s = &subs[i];
      if (s->type == 0 && !s->ready && !s->error && s->deadline <= now) s->ready = any_now = true;
    }
    if (any_now) break;
    if (min_deadline == UINT64_MAX && npoll == 0) break; /* nothing could ever happen */
  }

  uint32_t nev = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!subs[i].ready) continue;
    put_event(op + (size_t)nev * EVENT_SIZE, &subs[i]);
    nev++;
  }
  wasi_store_u32(&c->mem, nev_ptr, nev);
done:
  kb_free(w->alloc, subs, n * sizeof *subs);
  kb_free(w->alloc, pfds, n * sizeof *pfds);
  return err;
}
