/* Guest path resolution: the sandbox.
 *
 * A guest path is always relative to a directory descriptor it holds, and
 * it must never name anything outside that directory. Resolution splits
 * the path into the directory part and the last component. The directory
 * part is opened beneath the base descriptor:
 *  - with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) where the kernel
 *    has it: the kernel itself refuses "..", absolute symlinks and links
 *    that climb out, atomically (EXDEV, reported as ERRNO_PERM);
 *  - else by walking one component at a time with
 *    openat(O_PATH | O_DIRECTORY | O_NOFOLLOW), keeping a stack of the directories
 *    entered: ".." pops the stack (popping past the base is ERRNO_PERM),
 *    a symbolic link is read and its target spliced in front of the rest
 *    of the path (absolute targets are ERRNO_PERM), so the kernel never
 *    follows a link on our behalf.
 * The last component is then handled by the caller with *at() calls that
 * do not follow links (AT_SYMLINK_NOFOLLOW, O_NOFOLLOW), relative to the
 * directory descriptor. When the operation should follow a final link,
 * resolution reads the link itself and starts over with the spliced path.
 * Because every step is relative to a descriptor we hold and no step lets
 * the kernel follow a link outside our checks, renaming or replacing
 * entries between the check and the use cannot lead outside: the worst
 * a race can do is make the operation fail (ERRNO_LOOP). */
#define _GNU_SOURCE
#include "wasi.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__linux__) && defined(SYS_openat2)
#include <linux/openat2.h>
#define WASI_HAVE_OPENAT2 1
#endif

/* Opening a directory only to walk through it: O_PATH where there is one. */
#ifdef O_PATH
#define WASI_O_SEARCH O_PATH
#else
#define WASI_O_SEARCH O_RDONLY
#endif

/* Link expansions allowed in one resolution (Linux's limit too). */
#define WASI_MAX_LINKS 40
/* Longest guest path accepted, and longest after splicing links. */
#define WASI_PATH_MAX 4096
#define WASI_SPLICED_MAX (WASI_PATH_MAX * 4)

/* A growable byte string on the kumi allocator. */
typedef struct pbuf {
  char *s;
  size_t len, cap;
} pbuf;

static bool pbuf_set(kumi_wasi *w, pbuf *b, const char *s, size_t n) {
  if (n > SIZE_MAX / 2) return false;
  if (n + 2 > b->cap) {
    size_t cap = n + 2 < 64 ? 64 : n + 2;
    char *ns = kb_realloc(w->alloc, b->s, b->cap, cap);
    if (!ns) return false;
    b->s = ns;
    b->cap = cap;
  }
  memmove(b->s, s, n);
  b->s[n] = 0;
  b->len = n;
  return true;
}

static void pbuf_free(kumi_wasi *w, pbuf *b) {
  kb_free(w->alloc, b->s, b->cap);
  b->s = NULL;
  b->len = b->cap = 0;
}

/* Reads the target of the symbolic link `name` in dir into *out.
 * ERRNO_NOENT for an empty target. */
static wasi_errno read_link(kumi_wasi *w, int dir, const char *name, pbuf *out) {
  size_t cap = 256;
  for (;;) {
    char *buf = kb_alloc(w->alloc, cap);
    if (!buf) return WASI_ENOMEM;
    ssize_t n = readlinkat(dir, name, buf, cap);
    if (n < 0) {
      wasi_errno e = wasi_errno_last();
      kb_free(w->alloc, buf, cap);
      return e;
    }
    if ((size_t)n < cap) {
      bool ok = pbuf_set(w, out, buf, (size_t)n);
      kb_free(w->alloc, buf, cap);
      if (!ok) return WASI_ENOMEM;
      return n == 0 ? WASI_ENOENT : WASI_ESUCCESS;
    }
    kb_free(w->alloc, buf, cap);
    if (cap >= WASI_PATH_MAX * 2) return WASI_ENAMETOOLONG;
    cap *= 2;
  }
}

/* ---- the portable walk ----------------------------------------------------------- */

typedef KB_VEC(int) fd_stack;

static void stack_close(kumi_wasi *w, fd_stack *st) {
  for (size_t i = 0; i < st->len; i++) close(st->items[i]);
  kb_vec_free(w->alloc, st);
}

/* Opens the directory `path` (relative, may be empty) beneath base by
 * walking it; *nlinks counts link expansions across the whole resolution. */
static wasi_errno walk_dir(kumi_wasi *w, int base, const char *path, size_t len, int *nlinks, int *out) {
  fd_stack st = {NULL, 0, 0};
  pbuf rest = {NULL, 0, 0}, target = {NULL, 0, 0};
  wasi_errno err = WASI_ESUCCESS;
  if (!pbuf_set(w, &rest, path, len)) return WASI_ENOMEM;
  size_t pos = 0;
  char comp[256 + 1];
  while (pos < rest.len) {
    /* Next component: rest.s[pos..end). */
    size_t end = pos;
    while (end < rest.len && rest.s[end] != '/') end++;
    size_t clen = end - pos;
    size_t next = end < rest.len ? end + 1 : end;
    if (clen == 0 || (clen == 1 && rest.s[pos] == '.')) {
      pos = next;
      continue;
    }
    if (clen == 2 && rest.s[pos] == '.' && rest.s[pos + 1] == '.') {
      if (st.len == 0) {
        err = WASI_EPERM;
        goto done;
      }
      close(st.items[--st.len]);
      pos = next;
      continue;
    }
    if (clen >= sizeof comp) {
      err = WASI_ENAMETOOLONG;
      goto done;
    }
    memcpy(comp, rest.s + pos, clen);
    comp[clen] = 0;
    int top = st.len ? st.items[st.len - 1] : base;
    /* One call in the common case: a directory opens; a link (or anything
     * else) does not, because of O_NOFOLLOW | O_DIRECTORY. */
    int fd = openat(top, comp, WASI_O_SEARCH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
      if (!kb_vec_push(w->alloc, &st, fd)) {
        close(fd);
        err = WASI_ENOMEM;
        goto done;
      }
      pos = next;
      continue;
    }
    int open_errno = errno;
    struct stat sb;
    if (fstatat(top, comp, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
      err = wasi_errno_last();
      goto done;
    }
    if (!S_ISLNK(sb.st_mode)) {
      err = S_ISDIR(sb.st_mode) ? wasi_errno_from_host(open_errno) : WASI_ENOTDIR;
      goto done;
    }
    /* A link: read it, then walk its target from the same directory. If
     * the name changed meanwhile, the target is still walked by these
     * rules, so a race can only make the walk fail. */
    if (++*nlinks > WASI_MAX_LINKS) {
      err = WASI_ELOOP;
      goto done;
    }
    if ((err = read_link(w, top, comp, &target))) goto done;
    if (target.s[0] == '/') {
      err = WASI_EPERM;
      goto done;
    }
    size_t tail = rest.len - next;
    if (target.len + 1 + tail > WASI_SPLICED_MAX) {
      err = WASI_ENAMETOOLONG;
      goto done;
    }
    pbuf spliced = {NULL, 0, 0};
    if (!pbuf_set(w, &spliced, target.s, target.len)) {
      pbuf_free(w, &spliced);
      err = WASI_ENOMEM;
      goto done;
    }
    if (tail) {
      if (spliced.cap < target.len + tail + 2) {
        char *ns = kb_realloc(w->alloc, spliced.s, spliced.cap, target.len + tail + 2);
        if (!ns) {
          pbuf_free(w, &spliced);
          err = WASI_ENOMEM;
          goto done;
        }
        spliced.s = ns;
        spliced.cap = target.len + tail + 2;
      }
      spliced.s[target.len] = '/';
      memcpy(spliced.s + target.len + 1, rest.s + next, tail);
      spliced.len = target.len + 1 + tail;
      spliced.s[spliced.len] = 0;
    }
    pbuf_free(w, &rest);
    rest = spliced;
    pos = 0;
  }
done:
  pbuf_free(w, &rest);
  pbuf_free(w, &target);
  if (err) {
    stack_close(w, &st);
    return err;
  }
  if (st.len == 0) {
    /* The base itself: hand out a descriptor the caller may close. */
    *out = fcntl(base, F_DUPFD_CLOEXEC, 0);
    kb_vec_free(w->alloc, &st);
    return *out < 0 ? wasi_errno_last() : WASI_ESUCCESS;
  }
  *out = st.items[--st.len];
  stack_close(w, &st);
  return WASI_ESUCCESS;
}

/* Opens the directory `path` beneath base; *out is a new descriptor. */
static wasi_errno open_dir_beneath(kumi_wasi *w, int base, const char *path, size_t len, int *nlinks, int *out) {
#ifdef WASI_HAVE_OPENAT2
  if (w->use_openat2) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    char stackbuf[512];
    char *p = len < sizeof stackbuf ? stackbuf : kb_alloc(w->alloc, len + 1);
    if (!p) return WASI_ENOMEM;
    memcpy(p, path, len);
    p[len] = 0;
    long fd = -1;
    /* EAGAIN: a concurrent rename somewhere on the filesystem made the
     * kernel unsure; it asks us to retry. */
    for (int tries = 0; tries < 16; tries++) {
      fd = syscall(SYS_openat2, base, p, &how, sizeof how);
      if (fd >= 0 || errno != EAGAIN) break;
    }
    int saved = errno;
    if (p != stackbuf) kb_free(w->alloc, p, len + 1);
    if (fd >= 0) {
      *out = (int)fd;
      return WASI_ESUCCESS;
    }
    if (saved == EXDEV) return WASI_EPERM;
    if (saved != ENOSYS && saved != EAGAIN) return wasi_errno_from_host(saved);
    /* No openat2 here (or a seccomp filter hides it): walk from now on. */
    if (saved == ENOSYS) w->use_openat2 = false;
  }
#endif
  return walk_dir(w, base, path, len, nlinks, out);
}

/* True when path[0..len) has only "" and "." components: the base itself. */
static bool names_base(const char *path, size_t len) {
  size_t i = 0;
  while (i < len) {
    size_t end = i;
    while (end < len && path[end] != '/') end++;
    if (!(end == i || (end == i + 1 && path[i] == '.'))) return false;
    i = end + 1;
  }
  return true;
}

bool wasi_openat2_works(kumi_wasi *w) {
#ifdef WASI_HAVE_OPENAT2
  for (size_t i = 0; i < w->fds.len; i++) {
    const wasi_fd *e = &w->fds.items[i];
    if (e->kind != WASI_FD_HOST || e->filetype != WASI_FT_DIR) continue;
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    long fd = syscall(SYS_openat2, e->host, ".", &how, sizeof how);
    if (fd < 0) return false;
    close((int)fd);
    return true;
  }
  return true; /* no directory to try it on: nothing will resolve paths */
#else
  (void)w;
  return false;
#endif
}

void wasi_path_free(kumi_wasi *w, wasi_path *p) {
  if (p->own && p->dir >= 0) close(p->dir);
  kb_free(w->alloc, p->buf, p->buf_size);
  memset(p, 0, sizeof *p);
  p->dir = -1;
}

const char *wasi_path_name_slash(wasi_path *p) {
  if (p->slash) {
    size_t n = strlen(p->name);
    if (n == 0 || p->name[n - 1] != '/') {
      /* buf was sized with room for one more byte. */
      p->name[n] = '/';
      p->name[n + 1] = 0;
    }
  }
  return p->name;
}

wasi_errno wasi_path_resolve(kumi_wasi *w, int dirfd, const char *path, size_t len, bool follow, wasi_path *out) {
  memset(out, 0, sizeof *out);
  out->dir = -1;
  if (len == 0) return WASI_ENOENT;
  if (memchr(path, 0, len)) return WASI_EINVAL;
  if (len > WASI_PATH_MAX) return WASI_ENAMETOOLONG;
  if (!kb_utf8_valid((const uint8_t *)path, len)) return WASI_EILSEQ;
  if (path[0] == '/') return WASI_EPERM;

  pbuf cur = {NULL, 0, 0}, target = {NULL, 0, 0};
  if (!pbuf_set(w, &cur, path, len)) return WASI_ENOMEM;
  int nlinks = 0;
  wasi_errno err = WASI_ESUCCESS;
  for (;;) {
    size_t n = cur.len;
    bool slash = false;
    while (n > 0 && cur.s[n - 1] == '/') {
      n--;
      slash = true;
    }
    if (n == 0) { /* only reachable through a link target of "/"s */
      err = WASI_EPERM;
      break;
    }
    size_t cut = n;
    while (cut > 0 && cur.s[cut - 1] != '/') cut--;
    /* The directory part is cur.s[0..dir_len), the last component
     * cur.s[cut..n). */
    const char *last = cur.s + cut;
    size_t last_len = n - cut, dir_len = cut;
    if ((last_len == 1 && last[0] == '.') || (last_len == 2 && last[0] == '.' && last[1] == '.')) {
      /* "x/." and "x/..": resolve all of it as a directory, name ".". */
      dir_len = n;
      last = ".";
      last_len = 1;
    }
    int dir = dirfd;
    bool own = false;
    bool dir_is_base = names_base(cur.s, dir_len);
    if (!dir_is_base) {
      err = open_dir_beneath(w, dirfd, cur.s, dir_len, &nlinks, &dir);
      if (err) break;
      own = true;
    }
    bool is_dot = last_len == 1 && last[0] == '.';
    if ((follow || slash) && !is_dot) {
      char name[256 + 1];
      if (last_len >= sizeof name) {
        err = WASI_ENAMETOOLONG;
      } else {
        memcpy(name, last, last_len);
        name[last_len] = 0;
        struct stat sb;
        if (fstatat(dir, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(sb.st_mode)) {
          /* Follow: start over with directory part + link target. */
          if (++nlinks > WASI_MAX_LINKS) err = WASI_ELOOP;
          else if (!(err = read_link(w, dir, name, &target)) && target.s[0] == '/') err = WASI_EPERM;
          if (own) close(dir);
          if (err) break;
          size_t total = dir_len + target.len + (slash ? 1 : 0);
          if (total > WASI_SPLICED_MAX) {
            err = WASI_ENAMETOOLONG;
            break;
          }
          pbuf next = {NULL, 0, 0};
          if (!pbuf_set(w, &next, cur.s, dir_len)) {
            pbuf_free(w, &next);
            err = WASI_ENOMEM;
            break;
          }
          if (next.cap < total + 2) {
            char *ns = kb_realloc(w->alloc, next.s, next.cap, total + 2);
            if (!ns) {
              pbuf_free(w, &next);
              err = WASI_ENOMEM;
              break;
            }
            next.s = ns;
            next.cap = total + 2;
          }
          memcpy(next.s + dir_len, target.s, target.len);
          if (slash) next.s[dir_len + target.len] = '/';
          next.len = total;
          next.s[total] = 0;
          pbuf_free(w, &cur);
          cur = next;
          continue;
        }
      }
      if (err) {
        if (own) close(dir);
        break;
      }
    }
    /* Done: the result owns a copy of the last component, with room for a
     * trailing '/'. */
    out->buf_size = last_len + 2;
    out->buf = kb_alloc(w->alloc, out->buf_size);
    if (!out->buf) {
      if (own) close(dir);
      err = WASI_ENOMEM;
      break;
    }
    memcpy(out->buf, last, last_len);
    out->buf[last_len] = 0;
    out->name = out->buf;
    out->dir = dir;
    out->own = own;
    out->slash = slash && !is_dot;
    break;
  }
  pbuf_free(w, &cur);
  pbuf_free(w, &target);
  if (err) {
    out->buf = NULL;
    out->dir = -1;
  }
  return err;
}

wasi_errno wasi_path_from_guest(kumi_wasi *w, const wasi_mem *m, int dirfd, uint32_t ptr, uint32_t len, bool follow,
                                wasi_path *out) {
  memset(out, 0, sizeof *out);
  out->dir = -1;
  const uint8_t *p = wasi_mem_at(m, ptr, len);
  if (!p) return WASI_EFAULT;
  return wasi_path_resolve(w, dirfd, (const char *)p, len, follow, out);
}
