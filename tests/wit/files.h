/* File helpers shared by the WIT tests (plain libc: the tests read the
 * WASI trees and reference outputs, not through kumi's allocator). */
#ifndef KUMI_TESTS_WIT_FILES_H
#define KUMI_TESTS_WIT_FILES_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A whole file, malloc'd and NUL-terminated (so it also serves as text);
 * NULL when it cannot be read. */
static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *b = malloc(cap);
  for (size_t got; b && (got = fread(b + n, 1, cap - n - 1, f)) > 0;) {
    n += got;
    if (n + 1 == cap) {
      char *nb = realloc(b, cap * 2);
      if (!nb) {
        free(b);
        b = NULL;
        break;
      }
      b = nb;
      cap *= 2;
    }
  }
  fclose(f);
  if (!b) return NULL;
  b[n] = 0;
  *len = n;
  return b;
}

static bool is_dir(const char *p) {
  struct stat st;
  return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted entries of a directory (malloc'd); returns the count. */
static size_t list_dir(const char *dir, char ***out) {
  DIR *d = opendir(dir);
  *out = NULL;
  if (!d) return 0;
  size_t n = 0, cap = 0;
  char **v = NULL;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 16;
      char **nv = realloc(v, cap * sizeof *v);
      if (!nv) break;
      v = nv;
    }
    size_t l = strlen(de->d_name);
    v[n] = malloc(l + 1);
    if (!v[n]) break;
    memcpy(v[n], de->d_name, l + 1);
    n++;
  }
  closedir(d);
  if (n) qsort(v, n, sizeof *v, cmp_str);
  *out = v;
  return n;
}

static void free_list(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

#endif
