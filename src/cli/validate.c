/* `kumi validate FILE...`: decode and validate core modules and
 * components, reporting the first error of each with its byte offset. */
#include "base/base.h"
#include "cli.h"
#include "component/component.h"

#include <string.h>

static const char validate_usage[] =
    "usage: kumi validate FILE...\n"
    "\n"
    "Decodes and validates each core WebAssembly module or component (binary\n"
    "format; components with every Component Model feature enabled) and\n"
    "prints \"FILE: valid\", or the first error as \"FILE:0xOFFSET: error: ...\".\n"
    "Exits 0 when every file is valid, 1 otherwise.\n";

/* Returns true when file is a valid core module; prints the verdict. */
static bool validate_one(const char *file) {
  const kumi_allocator *a = kb_default_allocator();
  uint8_t *bytes = NULL;
  size_t len = 0;
  kumi_error *e = kb_read_file(a, file, &bytes, &len);
  if (e) {
    fprintf(stderr, "%s: error: %s\n", file, kumi_error_message(e));
    kumi_error_free(e);
    return false;
  }
  bool ok = false;
  kumi_engine *engine = NULL;
  if (comp_is_component(bytes, len)) {
    comp_features f = comp_features_all();
    e = comp_validate_bytes(a, bytes, len, &f);
  } else {
    engine = kumi_engine_new(NULL);
    if (!engine) {
      fprintf(stderr, "%s: error: out of memory\n", file);
      goto done;
    }
    e = kumi_module_validate(engine, bytes, len);
  }
  if (!e) {
    printf("%s: valid\n", file);
    ok = true;
  } else {
    if (kumi_error_offset(e) != KUMI_NO_OFFSET)
      fprintf(stderr, "%s:0x%llx: error: %s\n", file, (unsigned long long)kumi_error_offset(e), kumi_error_message(e));
    else
      fprintf(stderr, "%s: error: %s\n", file, kumi_error_message(e));
    kumi_error_free(e);
  }
  if (engine) kumi_engine_free(engine);
done:
  kb_free(a, bytes, len);
  return ok;
}

int cli_validate(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
    fputs(validate_usage, stdout);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "--") == 0) first = 2;
  if (first >= argc) {
    fprintf(stderr, "error: no FILE given\n%s", validate_usage);
    return 1;
  }
  int status = 0;
  for (int i = first; i < argc; i++)
    if (!validate_one(argv[i])) status = 1;
  return status;
}
