/* The component layer's entry points: feature sets, telling components
 * from core modules, and decode + validate in one call. */
#include "component.h"

#include "ast.h"
#include "validate.h"
#include "inst.h"

comp_features comp_features_default(void) {
  comp_features f;
  memset(&f, 0, sizeof f);
  f.async = true;
  f.map = true;
  f.implements = true;
  f.exceptions = true;
  f.gc = true; /* GC core types in type definitions (a WebAssembly 3.0 default) */
  return f;
}

comp_features comp_features_all(void) {
  comp_features f;
  memset(&f, 1, sizeof f);
  /* GC core types are accepted in type definitions, but kumi's core engine
   * has no GC, so the GC-based canonical ABI stays off. */
  f.cm_gc = false;
  return f;
}

static bool *feature_flag(comp_features *f, const char *name, size_t n) {
  static const struct {
    const char *name;
    size_t off;
  } table[] = {
      {"cm-async", offsetof(comp_features, async)},
      {"cm-more-async-builtins", offsetof(comp_features, async_builtins)},
      {"cm-async-builtins", offsetof(comp_features, async_builtins)},
      {"cm-async-stackful", offsetof(comp_features, async_stackful)},
      {"cm-threading", offsetof(comp_features, threading)},
      {"shared-everything-threads", offsetof(comp_features, shared_threads)},
      {"cm-fixed-length-lists", offsetof(comp_features, fixed_length_lists)},
      {"cm-fixed-size-list", offsetof(comp_features, fixed_length_lists)},
      {"cm-error-context", offsetof(comp_features, error_context)},
      {"cm-values", offsetof(comp_features, values)},
      {"cm-nested-names", offsetof(comp_features, nested_names)},
      {"cm-canon-names", offsetof(comp_features, canon_names)},
      {"cm-implements", offsetof(comp_features, implements)},
      {"cm-map", offsetof(comp_features, map)},
      {"cm64", offsetof(comp_features, cm64)},
      {"gc", offsetof(comp_features, gc)},
      {"cm-gc", offsetof(comp_features, cm_gc)},
      {"exceptions", offsetof(comp_features, exceptions)},
      {"custom-page-sizes", offsetof(comp_features, custom_page_sizes)},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strlen(table[i].name) == n && memcmp(table[i].name, name, n) == 0) return (bool *)((char *)f + table[i].off);
  return NULL;
}

bool comp_features_apply(comp_features *f, const char *list, const char **bad, size_t *bad_len) {
  const char *p = list;
  while (*p) {
    const char *e = p;
    while (*e && *e != ',') e++;
    const char *name = p;
    size_t n = (size_t)(e - p);
    bool on = true;
    if (n && name[0] == '-') {
      on = false;
      name++;
      n--;
    }
    if (n) {
      bool *flag = feature_flag(f, name, n);
      if (!flag) {
        *bad = name;
        *bad_len = n;
        return false;
      }
      *flag = on;
    }
    p = *e ? e + 1 : e;
  }
  return true;
}

bool comp_is_component(const uint8_t *bytes, size_t len) {
  return len >= 8 && memcmp(bytes, "\0asm", 4) == 0 && bytes[6] == 1 && bytes[7] == 0;
}

kumi_error *comp_validate_bytes(const kumi_allocator *a, const uint8_t *bytes, size_t len, const comp_features *features) {
  if (!a) a = kb_default_allocator();
  comp_features f = features ? *features : comp_features_default();
  kumi_error *err = NULL;
  comp_ast *ast = comp_decode(a, bytes, len, &err);
  if (!ast) return err;
  err = comp_validate_ast(a, ast, &f);
  comp_ast_free(ast);
  return err;
}

kumi_component *kumi_component_new_with(kumi_engine *engine, const uint8_t *bytes, size_t len, const char *features,
                                        kumi_error **error) {
  comp_features f = comp_features_default();
  if (features && strcmp(features, "all") == 0) {
    f = comp_features_all();
  } else if (features) {
    const char *bad = NULL;
    size_t bad_len = 0;
    if (!comp_features_apply(&f, features, &bad, &bad_len)) {
      *error = kb_error(kb_default_allocator(), KUMI_ERR_ARG, KUMI_NO_OFFSET,
                        "unknown Component Model feature \"%.*s\"", (int)bad_len, bad);
      return NULL;
    }
  }
  return comp_rt_new(engine, bytes, len, &f, error);
}
