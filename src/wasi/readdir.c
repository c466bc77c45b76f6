/* fd_readdir. The entries of a directory are read into a snapshot when the
 * guest starts over (cookie 0) or first asks; the cookie of entry i is i,
 * so any cookie the guest got back can resume exactly, in O(1), however
 * the buffer sizes fall. A snapshot is what POSIX allows readdir to see:
 * entries made or removed after a rewind may or may not appear. */
#define _GNU_SOURCE
#include "wasi.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint8_t type_from_dirent(int dfd, const struct dirent *d) {
  switch (d->d_type) {
  case DT_REG: return WASI_FT_REG;
  case DT_DIR: return WASI_FT_DIR;
  case DT_LNK: return WASI_FT_LINK;
  case DT_CHR: return WASI_FT_CHAR;
  case DT_BLK: return WASI_FT_BLOCK;
  case DT_SOCK: return WASI_FT_STREAM;
  case DT_FIFO: return WASI_FT_UNKNOWN;
  default: {
    /* The filesystem did not say: ask without following links. */
    struct stat st;
    if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return WASI_FT_UNKNOWN;
    return wasi_filetype_from_mode(st.st_mode);
  }
  }
}

static wasi_errno snapshot(kumi_wasi *w, wasi_fd *e) {
  wasi_fd_drop_dirents(w, e);
  /* A descriptor of our own, so the guest's file offset is not touched. */
  int fd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return wasi_errno_last();
  DIR *d = fdopendir(fd);
  if (!d) {
    wasi_errno err = wasi_errno_last();
    close(fd);
    return err;
  }
  wasi_errno err = WASI_ESUCCESS;
  for (;;) {
    errno = 0;
    struct dirent *de = readdir(d);
    if (!de) {
      if (errno) err = wasi_errno_last();
      break;
    }
    if (e->nents == e->ents_cap) {
      size_t ncap = e->ents_cap ? e->ents_cap * 2 : 16;
      wasi_dirent *n = kb_realloc(w->alloc, e->ents, e->ents_cap * sizeof *n, ncap * sizeof *n);
      if (!n) {
        err = WASI_ENOMEM;
        break;
      }
      e->ents = n;
      e->ents_cap = ncap;
    }
    wasi_dirent *x = &e->ents[e->nents];
    x->name_len = (uint32_t)strlen(de->d_name);
    x->name = kb_strndup(w->alloc, de->d_name, x->name_len);
    if (!x->name) {
      err = WASI_ENOMEM;
      break;
    }
    x->ino = (uint64_t)de->d_ino;
    x->type = type_from_dirent(dirfd(d), de);
    e->nents++;
  }
  closedir(d);
  if (err) {
    wasi_fd_drop_dirents(w, e);
    return err;
  }
  e->have_ents = true;
  return WASI_ESUCCESS;
}

wasi_errno wasi_fd_readdir(wasi_call *c, const kumi_val *a) {
  wasi_fd *e;
  wasi_errno err = wasi_fd_get(c->w, WASI_ARG_I32(0), WASI_R_FD_READDIR, &e);
  if (err) return err;
  uint32_t buf = WASI_ARG_I32(1), buf_len = WASI_ARG_I32(2), used_ptr = WASI_ARG_I32(4);
  uint64_t cookie = WASI_ARG_I64(3);
  uint8_t *out = wasi_mem_at(&c->mem, buf, buf_len);
  if (!out || !wasi_mem_at(&c->mem, used_ptr, 4)) return WASI_EFAULT;
  if (e->kind != WASI_FD_HOST || e->filetype != WASI_FT_DIR) return WASI_ENOTDIR;
  if (cookie == 0 || !e->have_ents) {
    if ((err = snapshot(c->w, e))) return err;
  }
  size_t used = 0;
  for (uint64_t i = cookie; i < e->nents && used < buf_len; i++) {
    const wasi_dirent *x = &e->ents[i];
    uint8_t rec[24];
    memset(rec, 0, sizeof rec);
    wasi_put_u64(rec, i + 1);
    wasi_put_u64(rec + 8, x->ino);
    wasi_put_u32(rec + 16, x->name_len);
    rec[20] = x->type;
    /* Copy what fits: a truncated last entry tells the guest to come back
     * with a bigger buffer (buffer full). */
    size_t n = buf_len - used < sizeof rec ? buf_len - used : sizeof rec;
    memcpy(out + used, rec, n);
    used += n;
    n = buf_len - used < x->name_len ? buf_len - used : x->name_len;
    memcpy(out + used, x->name, n);
    used += n;
  }
  return wasi_store_u32(&c->mem, used_ptr, (uint32_t)used);
}
