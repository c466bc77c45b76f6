/* Escape attempts. The driver lays out, beside each other:
 *   outside/secret            "SECRET\n"        (must never be reached)
 *   sandbox/                  preopen fd 3, "/sandbox"
 *     sub/ok.txt              "inside\n"
 *     sub/up -> ..            (stays inside)
 *     sub/upup -> ../..       (climbs out)
 *     abs -> /abs/path/of/outside
 *     rel -> ../outside
 *     relfile -> ../outside/secret
 *     inner -> sub
 *     loop1 -> loop2, loop2 -> loop1
 *   ro/file                   "readonly\n", preopen fd 4, "/ro", read-only
 * Every escape must fail with EPERM (the spec's NOTCAPABLE is accepted
 * too) and change nothing; the driver checks outside/ afterwards. */
#include "common.h"

#define RO 4
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW

/* Asks for rights r as wasi-libc does: no more than the directory can
 * pass on, and passing on all of that. */
static int open_in(__wasi_fd_t dir, const char *p, __wasi_lookupflags_t lf, __wasi_oflags_t of, __wasi_rights_t r,
                   __wasi_fd_t *fd) {
  __wasi_fdstat_t ds;
  int e = __wasi_fd_fdstat_get(dir, &ds);
  if (e) return e;
  return __wasi_path_open(dir, lf, p, of, r & ds.fs_rights_inheriting, ds.fs_rights_inheriting, 0, fd);
}

/* Opens p and returns its first bytes (or the errno name). */
static const char *read_start(__wasi_fd_t dir, const char *p, __wasi_lookupflags_t lf) {
  static char buf[32];
  __wasi_fd_t fd;
  int e = open_in(dir, p, lf, 0, __WASI_RIGHTS_FD_READ, &fd);
  if (e) return en(e);
  __wasi_iovec_t iov = {(uint8_t *)buf, sizeof buf - 1};
  __wasi_size_t n = 0;
  memset(buf, 0, sizeof buf);
  e = __wasi_fd_read(fd, &iov, 1, &n);
  (void)__wasi_fd_close(fd);
  if (e) return en(e);
  char *nl = strchr(buf, '\n');
  if (nl) *nl = 0;
  return buf;
}

#define ESCAPE(label, call) EXPECT2(label, call, __WASI_ERRNO_PERM, __WASI_ERRNO_NOTCAPABLE)

int main(void) {
  __wasi_fd_t fd;
  __wasi_filestat_t st;
  printf("read sub/ok.txt: %s\n", read_start(SANDBOX, "sub/ok.txt", 0));
  printf("read inner/ok.txt: %s\n", read_start(SANDBOX, "inner/ok.txt", 0));
  printf("read sub/../sub/ok.txt: %s\n", read_start(SANDBOX, "sub/../sub/ok.txt", 0));
  printf("read sub/up/sub/ok.txt: %s\n", read_start(SANDBOX, "sub/up/sub/ok.txt", 0));
  printf("read ./sub//ok.txt: %s\n", read_start(SANDBOX, "./sub//ok.txt", 0));

  ESCAPE("open ../outside/secret", open_in(SANDBOX, "../outside/secret", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open /etc/passwd", open_in(SANDBOX, "/etc/passwd", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open sub/../../outside/secret", open_in(SANDBOX, "sub/../../outside/secret", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open ..", open_in(SANDBOX, "..", 0, __WASI_OFLAGS_DIRECTORY, 0, &fd));
  ESCAPE("open rel/secret", open_in(SANDBOX, "rel/secret", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open abs/secret", open_in(SANDBOX, "abs/secret", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open relfile following", open_in(SANDBOX, "relfile", FOLLOW, 0, __WASI_RIGHTS_FD_READ, &fd));
  EXPECT("open relfile not following", open_in(SANDBOX, "relfile", 0, 0, __WASI_RIGHTS_FD_READ, &fd), __WASI_ERRNO_LOOP);
  ESCAPE("open rel/ (slash follows)", open_in(SANDBOX, "rel/", 0, 0, 0, &fd));
  ESCAPE("open sub/upup/outside/secret", open_in(SANDBOX, "sub/upup/outside/secret", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open abs following", open_in(SANDBOX, "abs", FOLLOW, __WASI_OFLAGS_DIRECTORY, 0, &fd));

  ESCAPE("filestat rel following", __wasi_path_filestat_get(SANDBOX, FOLLOW, "rel", &st));
  EXPECT("filestat rel not following", __wasi_path_filestat_get(SANDBOX, 0, "rel", &st), 0);
  CHECK("rel is a link", st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK);
  ESCAPE("filestat rel/secret", __wasi_path_filestat_get(SANDBOX, 0, "rel/secret", &st));
  ESCAPE("filestat ../outside", __wasi_path_filestat_get(SANDBOX, 0, "../outside", &st));
  char buf[64] = {0};
  __wasi_size_t n = 0;
  EXPECT("readlink rel (reading the link is fine)", __wasi_path_readlink(SANDBOX, "rel", (uint8_t *)buf, sizeof buf, &n), 0);
  printf("rel -> %.*s\n", (int)n, buf);

  ESCAPE("create rel/new", open_in(SANDBOX, "rel/new", 0, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, &fd));
  ESCAPE("create ../new", open_in(SANDBOX, "../new", 0, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, &fd));
  ESCAPE("truncate relfile following", open_in(SANDBOX, "relfile", FOLLOW, __WASI_OFLAGS_TRUNC, __WASI_RIGHTS_FD_WRITE, &fd));
  ESCAPE("mkdir ../evil", __wasi_path_create_directory(SANDBOX, "../evil"));
  ESCAPE("mkdir rel/evil", __wasi_path_create_directory(SANDBOX, "rel/evil"));
  ESCAPE("mkdir abs/evil", __wasi_path_create_directory(SANDBOX, "abs/evil"));
  ESCAPE("symlink evil -> /etc", __wasi_path_symlink("/etc", SANDBOX, "evil"));
  ESCAPE("symlink ../evil -> x", __wasi_path_symlink("x", SANDBOX, "../evil"));
  ESCAPE("rename sub/ok.txt -> ../stolen", __wasi_path_rename(SANDBOX, "sub/ok.txt", SANDBOX, "../stolen"));
  ESCAPE("rename sub/ok.txt -> rel/stolen", __wasi_path_rename(SANDBOX, "sub/ok.txt", SANDBOX, "rel/stolen"));
  ESCAPE("rename ../outside/secret -> got", __wasi_path_rename(SANDBOX, "../outside/secret", SANDBOX, "got"));
  ESCAPE("link sub/ok.txt -> rel/x", __wasi_path_link(SANDBOX, 0, "sub/ok.txt", SANDBOX, "rel/x"));
  ESCAPE("link rel/secret -> got", __wasi_path_link(SANDBOX, 0, "rel/secret", SANDBOX, "got"));
  ESCAPE("link relfile following -> got", __wasi_path_link(SANDBOX, FOLLOW, "relfile", SANDBOX, "got"));
  ESCAPE("unlink ../outside/secret", __wasi_path_unlink_file(SANDBOX, "../outside/secret"));
  ESCAPE("unlink rel/secret", __wasi_path_unlink_file(SANDBOX, "rel/secret"));
  ESCAPE("rmdir ../outside", __wasi_path_remove_directory(SANDBOX, "../outside"));
  ESCAPE("set times relfile following", __wasi_path_filestat_set_times(SANDBOX, FOLLOW, "relfile", 0, 0,
                                                                       __WASI_FSTFLAGS_MTIM_NOW));
  ESCAPE("set times rel/secret", __wasi_path_filestat_set_times(SANDBOX, 0, "rel/secret", 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  EXPECT("open loop1 following", open_in(SANDBOX, "loop1", FOLLOW, 0, 0, &fd), __WASI_ERRNO_LOOP);
  EXPECT("open loop1/x", open_in(SANDBOX, "loop1/x", 0, 0, 0, &fd), __WASI_ERRNO_LOOP);

  /* A directory descriptor is a capability of its own: ".." cannot leave
   * it even where the parent is still inside the preopen. */
  __wasi_fd_t sub;
  EXPECT("open sub", open_in(SANDBOX, "sub", 0, __WASI_OFLAGS_DIRECTORY, R_DIR, &sub), 0);
  printf("read ok.txt from sub: %s\n", read_start(sub, "ok.txt", 0));
  ESCAPE("open ../inner/ok.txt from sub", open_in(sub, "../inner/ok.txt", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  ESCAPE("open up/sub/ok.txt from sub", open_in(sub, "up/sub/ok.txt", 0, 0, __WASI_RIGHTS_FD_READ, &fd));
  (void)__wasi_fd_close(sub);

  /* The read-only preopen. */
  __wasi_fdstat_t fs;
  EXPECT("fdstat ro", __wasi_fd_fdstat_get(RO, &fs), 0);
  CHECK("ro has no write rights", !(fs.fs_rights_base & __WASI_RIGHTS_PATH_CREATE_FILE) &&
                                      !(fs.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE));
  printf("read ro/file: %s\n", read_start(RO, "file", 0));
  EXPECT("ro: create", open_in(RO, "new", 0, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, &fd), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: truncate", open_in(RO, "file", 0, __WASI_OFLAGS_TRUNC, 0, &fd), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: open for writing", open_in(RO, "file", 0, 0, __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_READ, &fd), 0);
  __wasi_ciovec_t iov = {(const uint8_t *)"x", 1};
  EXPECT("ro: the descriptor cannot write", __wasi_fd_write(fd, &iov, 1, &n), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: nor grow its rights", __wasi_fd_fdstat_set_rights(fd, R_ALL, 0), __WASI_ERRNO_NOTCAPABLE);
  (void)__wasi_fd_close(fd);
  EXPECT("ro: mkdir", __wasi_path_create_directory(RO, "d"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: unlink", __wasi_path_unlink_file(RO, "file"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: rename", __wasi_path_rename(RO, "file", RO, "file2"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: rename into it", __wasi_path_rename(SANDBOX, "sub/ok.txt", RO, "moved"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: symlink", __wasi_path_symlink("file", RO, "l"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: link", __wasi_path_link(RO, 0, "file", RO, "l"), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: set times", __wasi_path_filestat_set_times(RO, 0, "file", 0, 0, __WASI_FSTFLAGS_MTIM_NOW),
         __WASI_ERRNO_NOTCAPABLE);
  EXPECT("ro: sub-directory inherits no write", open_in(RO, ".", 0, __WASI_OFLAGS_DIRECTORY, R_ALL, &fd), 0);
  EXPECT("ro: ... so it cannot create either", __wasi_path_create_directory(fd, "d"), __WASI_ERRNO_NOTCAPABLE);
  return finish();
}
