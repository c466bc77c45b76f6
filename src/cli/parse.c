/* `kumi parse FILE.wat [-o FILE.wasm]`: the text format to the binary, for
 * core modules and components alike. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "text/text.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kumi parse FILE.wat [-o FILE.wasm]\n"
          "Encodes a core module or a component written in the WebAssembly text\n"
          "format as a binary.\n"
          "Without -o the output is FILE with its .wat extension replaced by .wasm;\n"
          "-o - writes to standard output.\n");
}

/* Prints the source line holding byte offset pos with a caret under it. */
static void show_source_line(const char *src, size_t len, uint64_t pos) {
  if (pos > len) return;
  size_t start = (size_t)pos, end = (size_t)pos;
  while (start > 0 && src[start - 1] != '\n') start--;
  while (end < len && src[end] != '\n' && src[end] != '\r') end++;
  fprintf(stderr, "  %.*s\n  ", (int)(end - start), src + start);
  for (size_t k = start; k < pos; k++) fputc(src[k] == '\t' ? '\t' : ' ', stderr);
  fputs("^\n", stderr);
}

static int write_all(const char *path, const uint8_t *data, size_t len) {
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
  if (!f) {
    fprintf(stderr, "error: cannot write %s\n", path);
    return 1;
  }
  bool ok = fwrite(data, 1, len, f) == len;
  if (f != stdout) ok = fclose(f) == 0 && ok;
  else ok = fflush(f) == 0 && ok;
  if (!ok) {
    fprintf(stderr, "error: cannot write %s\n", path);
    return 1;
  }
  return 0;
}

int cli_parse(int argc, char **argv) {
  const char *in, *out;
  int status = cli_in_out_args(argc, argv, usage, &in, &out);
  if (status >= 0) return status;
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *src;
  size_t len;
  kumi_error *e = kb_read_file(a, in, &src, &len);
  if (e) {
    fprintf(stderr, "error: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return 1;
  }
  uint8_t *bin;
  size_t bin_len;
  e = text_parse_any(a, (const char *)src, len, &bin, &bin_len);
  if (e) {
    fprintf(stderr, "%s:%s\n", in, kumi_error_message(e));
    if (kumi_error_offset(e) != KUMI_NO_OFFSET) show_source_line((const char *)src, len, kumi_error_offset(e));
    kumi_error_free(e);
    kb_free(a, src, len);
    return 1;
  }
  kb_free(a, src, len);

  char *path = NULL;
  size_t path_cap = 0;
  if (!out) {
    size_t n = strlen(in);
    if (n > 4 && strcmp(in + n - 4, ".wat") == 0) n -= 4;
    path_cap = n + 6;
    path = kb_alloc(a, path_cap);
    if (!path) {
      kb_free(a, bin, bin_len);
      fprintf(stderr, "error: out of memory\n");
      return 1;
    }
    memcpy(path, in, n);
    memcpy(path + n, ".wasm", 6);
    out = path;
  }
  int rc = write_all(out, bin, bin_len);
  kb_free(a, path, path_cap);
  kb_free(a, bin, bin_len);
  return rc;
}
