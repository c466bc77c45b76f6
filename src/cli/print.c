/* `kumi print FILE.wasm [-o FILE.wat]`: a core module or component binary
 * in the text format (src/text/print.h and text.h: flat instructions,
 * numeric references, identifiers from the name sections; other custom
 * sections are not printed). Without -o the text goes to standard output. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "base/base.h"
#include "text/print.h"
#include "text/text.h"

static void usage(FILE *f) {
  fprintf(f,
          "usage: kumi print FILE.wasm [-o FILE.wat]\n"
          "Prints a core module or component binary in the WebAssembly text\n"
          "format, which `kumi parse` turns back into the same binary. Names from\n"
          "the `name`/`component-name` sections become $identifiers; other custom\n"
          "sections are left out. Without -o the text goes to standard output.\n");
}

int cli_print(int argc, char **argv) {
  const char *in, *out;
  int status = cli_in_out_args(argc, argv, usage, &in, &out);
  if (status >= 0) return status;
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *bin;
  size_t len;
  kumi_error *e = kb_read_file(a, in, &bin, &len);
  if (e) {
    fprintf(stderr, "error: %s\n", kumi_error_message(e));
    kumi_error_free(e);
    return 1;
  }
  char *text;
  size_t text_len;
  e = text_print(a, bin, len, &text, &text_len);
  kb_free(a, bin, len);
  if (e) {
    if (kumi_error_offset(e) != KUMI_NO_OFFSET)
      fprintf(stderr, "%s:0x%llx: %s\n", in, (unsigned long long)kumi_error_offset(e), kumi_error_message(e));
    else
      fprintf(stderr, "%s: %s\n", in, kumi_error_message(e));
    kumi_error_free(e);
    return 1;
  }
  FILE *f = out && strcmp(out, "-") != 0 ? fopen(out, "wb") : stdout;
  bool ok = f != NULL;
  if (ok) {
    ok = fwrite(text, 1, text_len, f) == text_len;
    ok = (f == stdout ? fflush(f) == 0 : fclose(f) == 0) && ok;
  }
  if (!ok) fprintf(stderr, "error: cannot write %s\n", out ? out : "standard output");
  kb_free(a, text, text_len + 1);
  return ok ? 0 : 1;
}
