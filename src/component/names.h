/* Import and export names (Explainer, Import and Export Definitions):
 * kebab-case labels, plain names with [constructor]/[method]/[static]
 * annotations, interface names with semver (and 🔗 canonical versions,
 * 🪺 nested namespaces), and the legacy url=/integrity=/locked-dep=/
 * unlocked-dep= forms that the reference validator still accepts for
 * imports. names.c. */
#ifndef KUMI_COMPONENT_NAMES_H
#define KUMI_COMPONENT_NAMES_H

#include "component.h"

enum { CN_PLAIN, CN_INTERFACE, CN_URL, CN_HASH, CN_DEP };
enum { CN_FUNC_NONE, CN_FUNC_CONSTRUCTOR, CN_FUNC_METHOD, CN_FUNC_STATIC };

typedef struct comp_name_info {
  uint8_t kind;
  uint8_t func;              /* plain names */
  const char *resource;      /* the resource label of an annotated name */
  uint32_t resource_len;
  const char *version;       /* interface names: after '@', or NULL */
  uint32_t version_len;
} comp_name_info;

/* True when s[0..n) is a kebab-case label. */
bool comp_is_kebab(const char *s, size_t n);
/* Parses an extern name. On failure writes the reason to err. */
bool comp_name_parse(const char *s, uint32_t n, const comp_features *f, comp_name_info *out, char *err, size_t errcap);
/* True when s[0..n) is a valid semantic version (semver.org 2.0). */
bool comp_semver_valid(const char *s, size_t n);
/* True when s[0..n) matches the 🔗 canonversion production. */
bool comp_canonversion(const char *s, size_t n);
/* Writes the strong-uniqueness key of a parsed name (lowercased, method
 * and static prefixes stripped) to out; returns its length (<= n). */
size_t comp_name_key(const char *s, uint32_t n, const comp_name_info *info, char *out);

#endif
