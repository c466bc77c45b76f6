/* Directory streams: opendir/readdir (fd_readdir in the adapter, over
 * wasi:filesystem read-directory's directory-entry-stream) on the fixture
 * made by check.cmake, walked recursively and printed sorted with entry
 * types and file sizes; rewinddir, telldir/seekdir, scandir; an empty
 * directory; a directory of 300 entries this program makes itself (more
 * than one fd_readdir buffer); and the errors of opendir on a file and on a
 * missing name. */
#include "common.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static char type_of(unsigned char t) {
  switch (t) {
  case DT_DIR: return 'd';
  case DT_REG: return 'f';
  case DT_LNK: return 'l';
  case DT_UNKNOWN: return '?';
  default: return 'o';
  }
}

/* Entries are "<type letter><name>": compare the names. */
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a + 1, *(char *const *)b + 1); }

/* The entries of `path` ("." and ".." included) as "<type><name>", sorted
 * by name, in *out; returns their count. */
static size_t names(const char *path, char ***out) {
  DIR *d = opendir(path);
  *out = NULL;
  if (!d) return 0;
  size_t n = 0, cap = 0;
  char **v = NULL;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      v = realloc(v, cap * sizeof *v);
    }
    size_t len = strlen(e->d_name);
    v[n] = malloc(len + 2);
    memcpy(v[n] + 1, e->d_name, len + 1);
    v[n][0] = type_of(e->d_type);
    n++;
  }
  closedir(d);
  if (n) qsort(v, n, sizeof *v, cmp);
  *out = v;
  return n;
}

static void free_names(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

static void walk(const char *path, int depth) {
  char **v;
  size_t n = names(path, &v);
  for (size_t i = 0; i < n; i++) {
    const char *name = v[i] + 1;
    char full[512];
    snprintf(full, sizeof full, "%s/%s", path, name);
    struct stat st;
    int isdot = !strcmp(name, ".") || !strcmp(name, "..");
    int have = lstat(full, &st) == 0;
    printf("%*s%c %s", depth * 2, "", v[i][0], name);
    if (have && S_ISREG(st.st_mode)) printf(" (%lld bytes)", (long long)st.st_size);
    if (have && S_ISLNK(st.st_mode)) {
      char target[256];
      ssize_t k = readlink(full, target, sizeof target - 1);
      if (k >= 0) printf(" -> %.*s", (int)k, target);
    }
    printf("%s\n", have ? "" : " (lstat failed)");
    if (!isdot && v[i][0] == 'd') walk(full, depth + 1);
  }
  free_names(v, n);
}

int main(void) {
  printf("walk /tree:\n");
  walk("/tree", 1);

  char **v;
  size_t n = names("/empty", &v);
  printf("/empty entries: %zu", n);
  for (size_t i = 0; i < n; i++) printf(" %s", v[i] + 1);
  printf("\n");
  free_names(v, n);

  /* rewinddir and telldir/seekdir give the same entries again. */
  DIR *d = opendir("/tree");
  CHECK("opendir /tree", d != NULL);
  if (d) {
    size_t first = 0;
    long mark = -1;
    char at_mark[256] = "";
    while (readdir(d)) {
      first++;
      if (first == 2) mark = telldir(d);
    }
    rewinddir(d);
    size_t second = 0;
    while (readdir(d)) second++;
    printf("entries: %zu, after rewinddir: %zu\n", first, second);
    seekdir(d, mark);
    struct dirent *e = readdir(d);
    if (e) snprintf(at_mark, sizeof at_mark, "%s", e->d_name);
    size_t rest = e ? 1 : 0;
    while (readdir(d)) rest++;
    printf("after seekdir to the 3rd entry: %zu left\n", rest);
    closedir(d);
  }

  struct dirent **list;
  int k = scandir("/tree/b", &list, NULL, alphasort);
  printf("scandir /tree/b:");
  for (int i = 0; i < k; i++) {
    printf(" %s", list[i]->d_name);
    free(list[i]);
  }
  printf(" (%d)\n", k);
  if (k >= 0) free(list);

  /* 300 entries: more than fit one fd_readdir buffer of wasi-libc's. */
  EXPECT("mkdir /many", mkdir("/many", 0755), 0);
  int made = 0;
  for (int i = 0; i < 300; i++) {
    char p[64];
    snprintf(p, sizeof p, "/many/entry-with-a-longish-name-%03d", i);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
      made++;
      close(fd);
    }
  }
  printf("made %d files\n", made);
  n = names("/many", &v);
  int in_order = n == 302;
  for (size_t i = 2; in_order && i < n; i++) {
    char want[64];
    snprintf(want, sizeof want, "entry-with-a-longish-name-%03zu", i - 2);
    in_order = !strcmp(v[i] + 1, want) && v[i][0] == 'f';
  }
  printf("/many lists %zu entries, each once: %s\n", n, in_order ? "yes" : "no");
  free_names(v, n);

  errno = 0;
  d = opendir("/hello.txt");
  printf("opendir on a file: %s\n", d ? "OK" : en(errno));
  if (d) closedir(d);
  errno = 0;
  d = opendir("/no-such-dir");
  printf("opendir on a missing name: %s\n", d ? "OK" : en(errno));
  if (d) closedir(d);
  int fd = open("/hello.txt", O_RDONLY);
  errno = 0;
  d = fdopendir(fd);
  printf("fdopendir on a file: %s\n", d ? "OK" : en(errno));
  if (d) closedir(d);
  else close(fd);
  return finish();
}
