/* fd_*: prestat, fdstat, read/write/pread/pwrite, seek/tell, filestat and
 * its setters, advise, allocate, sync, flags, rights, renumber, close,
 * readdir with cookies; and their error paths. Works in the preopen at
 * fd 3 (named /sandbox), which starts empty. */
#include "common.h"

#define RW_RIGHTS                                                                                              \
  (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL |              \
   __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES |     \
   __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC |      \
   __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS)

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t of, __wasi_rights_t rights, __wasi_fdflags_t ff) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  int e = __wasi_path_open(SANDBOX, 0, path, of, rights, 0, ff, &fd);
  if (e) {
    printf("open %s: %s  FAIL\n", path, en(e));
    fails++;
  }
  return fd;
}

static int rd(__wasi_fd_t fd, char *buf, size_t n, __wasi_size_t *got) {
  __wasi_iovec_t iov = {(uint8_t *)buf, n};
  return __wasi_fd_read(fd, &iov, 1, got);
}

static int wr(__wasi_fd_t fd, const char *s, __wasi_size_t *put) {
  __wasi_ciovec_t iov = {(const uint8_t *)s, strlen(s)};
  return __wasi_fd_write(fd, &iov, 1, put);
}

static uint64_t size_of(__wasi_fd_t fd) {
  __wasi_filestat_t st;
  memset(&st, 0, sizeof st);
  if (__wasi_fd_filestat_get(fd, &st)) return (uint64_t)-1;
  return st.size;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void readdir_test(void) {
  EXPECT("mkdir d", __wasi_path_create_directory(SANDBOX, "d"), 0);
  const char *names[] = {"a", "bb", "a-much-longer-file-name-than-the-others", "ccc"};
  for (int i = 0; i < 4; i++) {
    char p[64];
    snprintf(p, sizeof p, "d/%s", names[i]);
    __wasi_fd_t f = open_file(p, __WASI_OFLAGS_CREAT, 0, 0);
    (void)__wasi_fd_close(f);
  }
  __wasi_fd_t d;
  EXPECT("open d", __wasi_path_open(SANDBOX, 0, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, 0, 0, &d), 0);
  /* All at once. */
  static uint8_t buf[4096];
  __wasi_size_t used = 0;
  EXPECT("fd_readdir", __wasi_fd_readdir(d, buf, sizeof buf, 0, &used), 0);
  char *seen[16];
  int n = 0;
  for (size_t off = 0; off + sizeof(__wasi_dirent_t) <= used && n < 16;) {
    __wasi_dirent_t de;
    memcpy(&de, buf + off, sizeof de);
    off += sizeof de;
    seen[n] = strndup((char *)buf + off, de.d_namlen);
    char line[128];
    snprintf(line, sizeof line, "%s:%s", seen[n],
             de.d_type == __WASI_FILETYPE_DIRECTORY ? "dir" : de.d_type == __WASI_FILETYPE_REGULAR_FILE ? "file" : "?");
    free(seen[n]);
    seen[n++] = strdup(line);
    off += de.d_namlen;
  }
  qsort(seen, (size_t)n, sizeof *seen, cmp_names);
  printf("readdir:");
  for (int i = 0; i < n; i++) printf(" %s", seen[i]);
  printf("\n");
  /* Small buffers, resuming at each complete entry's d_next. */
  __wasi_dircookie_t cookie = 0;
  int count = 0, calls = 0;
  for (;;) {
    uint8_t small[40];
    EXPECT2("fd_readdir 40 bytes", __wasi_fd_readdir(d, small, sizeof small, cookie, &used), 0, 0);
    calls++;
    size_t off = 0;
    int complete = 0;
    while (off + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t de;
      memcpy(&de, small + off, sizeof de);
      if (off + sizeof de + de.d_namlen > used) break;
      off += sizeof de + de.d_namlen;
      cookie = de.d_next;
      complete++;
    }
    count += complete;
    if (used < sizeof small) break;
    if (complete == 0) { /* one entry does not fit: skip the long name */
      __wasi_dirent_t de;
      memcpy(&de, small, sizeof de);
      cookie = de.d_next;
      count++;
    }
    if (calls > 50) break;
  }
  printf("readdir with 40-byte buffers: %d entries\n", count);
  __wasi_size_t used2 = 0;
  EXPECT("fd_readdir past the end", __wasi_fd_readdir(d, buf, sizeof buf, 1000, &used2), 0);
  CHECK("past the end is empty", used2 == 0);
  EXPECT("fd_readdir buffer out of bounds", raw_fd_readdir((int32_t)d, (int32_t)mem_end() - 10, 100, 0, ADDR(&used2)),
         __WASI_ERRNO_FAULT);
  __wasi_fd_t f = open_file("d/a", 0, __WASI_RIGHTS_FD_READ, 0);
  EXPECT2("fd_readdir on a file", __wasi_fd_readdir(f, buf, sizeof buf, 0, &used), __WASI_ERRNO_NOTDIR,
          __WASI_ERRNO_NOTCAPABLE);
  (void)__wasi_fd_close(f);
  (void)__wasi_fd_close(d);
  for (int i = 0; i < 4; i++) {
    char p[64];
    snprintf(p, sizeof p, "d/%s", names[i]);
    (void)__wasi_path_unlink_file(SANDBOX, p);
  }
  EXPECT("rmdir d", __wasi_path_remove_directory(SANDBOX, "d"), 0);
}

int main(void) {
  /* prestat */
  __wasi_prestat_t ps;
  EXPECT("fd_prestat_get 3", __wasi_fd_prestat_get(SANDBOX, &ps), 0);
  CHECK("prestat is a dir named /sandbox", ps.tag == __WASI_PREOPENTYPE_DIR && ps.u.dir.pr_name_len == 8);
  char name[16] = {0};
  EXPECT("fd_prestat_dir_name", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, 8), 0);
  CHECK("name", !strcmp(name, "/sandbox"));
  EXPECT2("fd_prestat_dir_name short buffer", __wasi_fd_prestat_dir_name(SANDBOX, (uint8_t *)name, 3),
          __WASI_ERRNO_NAMETOOLONG, __WASI_ERRNO_NOBUFS);
  EXPECT("fd_prestat_dir_name out of bounds", raw_fd_prestat_dir_name(SANDBOX, (int32_t)mem_end() - 4, 8),
         __WASI_ERRNO_FAULT);
  EXPECT("fd_prestat_get 0", __wasi_fd_prestat_get(0, &ps), __WASI_ERRNO_BADF);
  EXPECT("fd_prestat_get 99", __wasi_fd_prestat_get(99, &ps), __WASI_ERRNO_BADF);

  /* fdstat of the directory */
  __wasi_fdstat_t fs;
  EXPECT("fd_fdstat_get 3", __wasi_fd_fdstat_get(SANDBOX, &fs), 0);
  CHECK("a directory with path rights", fs.fs_filetype == __WASI_FILETYPE_DIRECTORY &&
                                            (fs.fs_rights_base & __WASI_RIGHTS_PATH_OPEN) &&
                                            (fs.fs_rights_inheriting & __WASI_RIGHTS_FD_WRITE));
  EXPECT("fd_fdstat_get out of bounds", raw_fd_fdstat_get(SANDBOX, (int32_t)mem_end() - 8), __WASI_ERRNO_FAULT);
  EXPECT("fd_fdstat_get bad fd", __wasi_fd_fdstat_get(1234, &fs), __WASI_ERRNO_BADF);

  /* write, read, seek, tell */
  __wasi_fd_t f = open_file("f.txt", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW_RIGHTS, 0);
  EXPECT("fd_fdstat_get file", __wasi_fd_fdstat_get(f, &fs), 0);
  CHECK("a regular file with the rights asked", fs.fs_filetype == __WASI_FILETYPE_REGULAR_FILE &&
                                                    (fs.fs_rights_base & RW_RIGHTS) == RW_RIGHTS);
  __wasi_ciovec_t two[2] = {{(const uint8_t *)"hello ", 6}, {(const uint8_t *)"world\n", 6}};
  __wasi_size_t n = 0;
  EXPECT("fd_write 2 iovecs", __wasi_fd_write(f, two, 2, &n), 0);
  CHECK("12 bytes", n == 12);
  __wasi_filesize_t pos = 0;
  EXPECT("fd_tell", __wasi_fd_tell(f, &pos), 0);
  CHECK("at 12", pos == 12);
  char buf[64] = {0};
  EXPECT("fd_seek SET 0", __wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos), 0);
  EXPECT("fd_read 5", rd(f, buf, 5, &n), 0);
  CHECK("hello", n == 5 && !memcmp(buf, "hello", 5));
  EXPECT("fd_seek END -3", __wasi_fd_seek(f, -3, __WASI_WHENCE_END, &pos), 0);
  CHECK("at 9", pos == 9);
  EXPECT("fd_read rest", rd(f, buf, sizeof buf, &n), 0);
  CHECK("ld\\n", n == 3 && !memcmp(buf, "ld\n", 3));
  EXPECT("fd_read at end", rd(f, buf, sizeof buf, &n), 0);
  CHECK("0 at end", n == 0);
  EXPECT("fd_seek CUR +2", __wasi_fd_seek(f, 2, __WASI_WHENCE_CUR, &pos), 0);
  CHECK("at 14", pos == 14);
  EXPECT("fd_seek before start", __wasi_fd_seek(f, -100, __WASI_WHENCE_CUR, &pos), __WASI_ERRNO_INVAL);
  EXPECT("fd_seek bad whence", __wasi_fd_seek(f, 0, 3, &pos), __WASI_ERRNO_INVAL);
  EXPECT("fd_seek result out of bounds", raw_fd_seek((int32_t)f, 0, 0, (int32_t)mem_end() - 4), __WASI_ERRNO_FAULT);
  __wasi_iovec_t five = {(uint8_t *)buf, 5};
  EXPECT("fd_pread at 6", __wasi_fd_pread(f, &five, 1, 6, &n), 0);
  CHECK("world", n == 5 && !memcmp(buf, "world", 5));
  EXPECT("fd_tell after pread", __wasi_fd_tell(f, &pos), 0);
  CHECK("pread keeps the offset", pos == 14);
  __wasi_ciovec_t up = {(const uint8_t *)"HELLO", 5};
  EXPECT("fd_pwrite at 0", __wasi_fd_pwrite(f, &up, 1, 0, &n), 0);
  __wasi_iovec_t all = {(uint8_t *)buf, sizeof buf};
  memset(buf, 0, sizeof buf);
  EXPECT("fd_pread all", __wasi_fd_pread(f, &all, 1, 0, &n), 0);
  CHECK("HELLO world", n == 12 && !memcmp(buf, "HELLO world\n", 12));
  EXPECT("fd_pread past the end", __wasi_fd_pread(f, &all, 1, 1000, &n), 0);
  CHECK("reads 0 past the end", n == 0);
  EXPECT("fd_pread buffer out of bounds", raw_fd_pread((int32_t)f, (int32_t)mem_end() - 4, 1, 0, ADDR(&n)),
         __WASI_ERRNO_FAULT);

  /* filestat */
  __wasi_filestat_t st;
  EXPECT("fd_filestat_get", __wasi_fd_filestat_get(f, &st), 0);
  CHECK("regular, 12 bytes, 1 link", st.filetype == __WASI_FILETYPE_REGULAR_FILE && st.size == 12 && st.nlink == 1);
  EXPECT("fd_filestat_get out of bounds", raw_fd_filestat_get((int32_t)f, (int32_t)mem_end() - 63), __WASI_ERRNO_FAULT);
  EXPECT("fd_filestat_set_size 20", __wasi_fd_filestat_set_size(f, 20), 0);
  CHECK("size 20", size_of(f) == 20);
  EXPECT("fd_filestat_set_size 5", __wasi_fd_filestat_set_size(f, 5), 0);
  CHECK("size 5", size_of(f) == 5);
  EXPECT("fd_filestat_set_times", __wasi_fd_filestat_set_times(f, 1000000000000ull, 2000000000000ull,
                                                               __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM), 0);
  (void)__wasi_fd_filestat_get(f, &st);
  CHECK("times set", st.atim == 1000000000000ull && st.mtim == 2000000000000ull);
  EXPECT("fd_filestat_set_times mtim now", __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW), 0);
  (void)__wasi_fd_filestat_get(f, &st);
  CHECK("mtim now, atim kept", st.mtim > 1577836800ull * 1000000000ull && st.atim == 1000000000000ull);
  EXPECT("fd_filestat_set_times ATIM|ATIM_NOW",
         __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW), __WASI_ERRNO_INVAL);

  /* advise, allocate, sync */
  EXPECT("fd_advise sequential", __wasi_fd_advise(f, 0, 0, __WASI_ADVICE_SEQUENTIAL), 0);
  EXPECT("fd_advise dontneed", __wasi_fd_advise(f, 0, 100, __WASI_ADVICE_DONTNEED), 0);
  EXPECT("fd_advise bad advice", raw_fd_advise((int32_t)f, 0, 0, 9), __WASI_ERRNO_INVAL);
  EXPECT("fd_allocate 0+100", __wasi_fd_allocate(f, 0, 100), 0);
  CHECK("size 100", size_of(f) == 100);
  EXPECT("fd_allocate inside", __wasi_fd_allocate(f, 10, 10), 0);
  CHECK("still 100", size_of(f) == 100);
  EXPECT("fd_sync", __wasi_fd_sync(f), 0);
  EXPECT("fd_datasync", __wasi_fd_datasync(f), 0);

  /* flags: append */
  EXPECT("fd_fdstat_set_flags APPEND", __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND), 0);
  EXPECT("fd_fdstat_get flags", __wasi_fd_fdstat_get(f, &fs), 0);
  CHECK("APPEND reported", fs.fs_flags == __WASI_FDFLAGS_APPEND);
  (void)__wasi_fd_seek(f, 0, __WASI_WHENCE_SET, &pos);
  EXPECT("fd_write appends", wr(f, "Z", &n), 0);
  CHECK("size 101", size_of(f) == 101);
  EXPECT("fd_fdstat_set_flags 0", __wasi_fd_fdstat_set_flags(f, 0), 0);
  EXPECT("fd_fdstat_set_flags bad bits", raw_fd_fdstat_set_flags((int32_t)f, 0x100), __WASI_ERRNO_INVAL);

  /* rights: drop, then try to use and regain */
  EXPECT("fd_fdstat_set_rights drop write",
         __wasi_fd_fdstat_set_rights(f, RW_RIGHTS & ~__WASI_RIGHTS_FD_WRITE, 0), 0);
  EXPECT2("fd_write without the right", wr(f, "x", &n), __WASI_ERRNO_NOTCAPABLE, __WASI_ERRNO_BADF);
  EXPECT("fd_fdstat_set_rights regain", __wasi_fd_fdstat_set_rights(f, RW_RIGHTS, 0), __WASI_ERRNO_NOTCAPABLE);
  EXPECT("fd_read still allowed", rd(f, buf, 1, &n), 0);

  /* renumber, close */
  __wasi_fd_t g = open_file("g.txt", __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_READ, 0);
  EXPECT("fd_renumber f -> g", __wasi_fd_renumber(f, g), 0);
  CHECK("g is now f.txt", size_of(g) == 101);
  EXPECT("f is closed", __wasi_fd_fdstat_get(f, &fs), __WASI_ERRNO_BADF);
  EXPECT("fd_renumber from a closed fd", __wasi_fd_renumber(f, g), __WASI_ERRNO_BADF);
  EXPECT("fd_renumber to a closed fd", __wasi_fd_renumber(g, 200), __WASI_ERRNO_BADF);
  EXPECT("fd_close", __wasi_fd_close(g), 0);
  EXPECT("fd_close again", __wasi_fd_close(g), __WASI_ERRNO_BADF);
  EXPECT("fd_write bad fd", wr(77, "x", &n), __WASI_ERRNO_BADF);
  EXPECT("fd_read bad fd", rd(0xffffffffu, buf, 1, &n), __WASI_ERRNO_BADF);
  EXPECT2("fd_read on a directory", rd(SANDBOX, buf, 1, &n), __WASI_ERRNO_ISDIR, __WASI_ERRNO_NOTCAPABLE);
  EXPECT2("fd_seek on a directory", __wasi_fd_seek(SANDBOX, 0, __WASI_WHENCE_SET, &pos), __WASI_ERRNO_ISDIR,
          __WASI_ERRNO_NOTCAPABLE);

  /* bad iovecs */
  __wasi_fd_t h = open_file("f.txt", 0, RW_RIGHTS, 0);
  EXPECT("fd_write iovec array out of bounds", raw_fd_write((int32_t)h, (int32_t)mem_end() - 4, 1, ADDR(&n)),
         __WASI_ERRNO_FAULT);
  uint32_t bad_iov[2] = {mem_end() - 2, 8};
  EXPECT("fd_write buffer out of bounds", raw_fd_write((int32_t)h, ADDR(bad_iov), 1, ADDR(&n)), __WASI_ERRNO_FAULT);
  EXPECT("fd_read result out of bounds", raw_fd_read((int32_t)h, ADDR(&all), 1, (int32_t)mem_end()), __WASI_ERRNO_FAULT);
  (void)__wasi_fd_close(h);
  EXPECT("unlink f.txt", __wasi_path_unlink_file(SANDBOX, "f.txt"), 0);
  EXPECT("unlink g.txt", __wasi_path_unlink_file(SANDBOX, "g.txt"), 0);

  readdir_test();
  return finish();
}
