/* Sandbox escapes: the fixture root is the only preopen ("/"), and next to
 * it on the host lies outside.txt (check.cmake makes both). Every way out
 * must fail, with the error wasi:filesystem gives for leaving the preopen,
 * not-permitted, which the adapter turns into EPERM; a name that only looks
 * like the host's (/etc/passwd) is looked up inside the sandbox (ENOENT);
 * a symbolic-link cycle gives ELOOP. Controls show that the same calls work
 * inside. check.cmake also checks afterwards that nothing outside the root
 * was made, changed or removed. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_close(const char *path, int flags) {
  int fd = open(path, flags, 0644);
  if (fd >= 0) close(fd);
  return fd;
}

static int opendir_err(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    closedir(d);
    return 0;
  }
  return -1;
}

int main(void) {
  struct stat st;
  /* Controls: inside the sandbox. */
  EXPECT("open /hello.txt", open_close("/hello.txt", O_RDONLY), 0);
  EXPECT("open sub/../hello.txt", open_close("sub/../hello.txt", O_RDONLY), 0);
  EXPECT("open ok_link (to sub/inner.txt)", open_close("ok_link", O_RDONLY), 0);
  EXPECT("open sub/up_one/hello.txt (link to ..)", open_close("sub/up_one/hello.txt", O_RDONLY), 0);

  /* Dot-dot out of the root. */
  EXPECT("open ../outside.txt", open_close("../outside.txt", O_RDONLY), EPERM);
  EXPECT("open /../outside.txt", open_close("/../outside.txt", O_RDONLY), EPERM);
  EXPECT("open sub/../../outside.txt", open_close("sub/../../outside.txt", O_RDONLY), EPERM);
  EXPECT("stat ../outside.txt", stat("../outside.txt", &st), EPERM);
  EXPECT("opendir ..", opendir_err(".."), EPERM);
  EXPECT("create ../created.txt", open_close("../created.txt", O_WRONLY | O_CREAT), EPERM);
  EXPECT("mkdir ../newdir", mkdir("../newdir", 0755), EPERM);
  EXPECT("unlink ../outside.txt", unlink("../outside.txt"), EPERM);
  EXPECT("rename hello.txt to ../moved.txt", rename("hello.txt", "../moved.txt"), EPERM);
  EXPECT("link ../outside.txt to hard", link("../outside.txt", "hard"), EPERM);

  /* Absolute names stay inside. */
  EXPECT("open /etc/passwd", open_close("/etc/passwd", O_RDONLY), ENOENT);

  /* Symbolic links that point out. */
  EXPECT("open out_abs (-> /etc/passwd)", open_close("out_abs", O_RDONLY), EPERM);
  EXPECT("open out_rel (-> ../outside.txt)", open_close("out_rel", O_RDONLY), EPERM);
  EXPECT("open sub/up_two/outside.txt (up_two -> ../..)", open_close("sub/up_two/outside.txt", O_RDONLY), EPERM);
  EXPECT("stat out_rel", stat("out_rel", &st), EPERM);
  EXPECT("lstat out_rel (the link itself is inside)", lstat("out_rel", &st), 0);
  char target[64];
  ssize_t k = readlink("out_rel", target, sizeof target - 1);
  printf("readlink out_rel: %s [%.*s]\n", k < 0 ? en(errno) : "OK", k < 0 ? 0 : (int)k, target);
  EXPECT("create through out_new (-> ../new.txt)", open_close("out_new", O_WRONLY | O_CREAT), EPERM);
  EXPECT("opendir sub/up_two", opendir_err("sub/up_two"), EPERM);

  /* Cycles. */
  EXPECT("open loop1 (loop1 -> loop2 -> loop1)", open_close("loop1", O_RDONLY), ELOOP);
  EXPECT("open self (self -> self)", open_close("self", O_RDONLY), ELOOP);
  EXPECT("stat loop1", stat("loop1", &st), ELOOP);
  EXPECT("open out_rel with O_NOFOLLOW", open_close("out_rel", O_RDONLY | O_NOFOLLOW), ELOOP);
  return finish();
}
