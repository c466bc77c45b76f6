/* Component values of .wast scripts (text/wast.h text_wast_cval) as the
 * manifests' JSON component values, so wast_comp.c reads both the same
 * way: ints and float bits as decimal strings, bool as a JSON bool, list
 * and tuple as arrays, record as [name, value] pairs, variant as
 * {case, payload}, option as the value or null, result as {Ok|Err: value
 * or null}, enum as its name, flags as an array of names. */
#include "wast_comp.h"

#include <string.h>

static cJSON *str_of(text_wast_bytes b) {
  char buf[256];
  char *s = b.len < sizeof buf ? buf : kb_alloc(kb_default_allocator(), (size_t)b.len + 1);
  if (!s) return NULL;
  if (b.len) memcpy(s, b.p, b.len);
  s[b.len] = 0;
  cJSON *j = cJSON_CreateString(s);
  if (s != buf) kb_free(kb_default_allocator(), s, (size_t)b.len + 1);
  return j;
}

static bool add(cJSON *obj, const char *key, cJSON *item) {
  if (!item) return false;
  if (!cJSON_AddItemToObject(obj, key, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static bool push(cJSON *arr, cJSON *item) {
  if (!item) return false;
  if (!cJSON_AddItemToArray(arr, item)) {
    cJSON_Delete(item);
    return false;
  }
  return true;
}

static cJSON *payload(const text_wast_cval *v) {
  if (v->none || v->nitems == 0) return cJSON_CreateNull();
  return cli_wast_cval_json(&v->items[0]);
}

static cJSON *value_of(const text_wast_cval *v) {
  const char *t = v->type;
  if (strcmp(t, "bool") == 0) return cJSON_CreateBool(v->b);
  if (strcmp(t, "list") == 0 || strcmp(t, "tuple") == 0 || strcmp(t, "record") == 0 || strcmp(t, "flags") == 0) {
    cJSON *arr = cJSON_CreateArray();
    for (uint32_t k = 0; arr && k < v->nitems; k++) {
      const text_wast_cval *it = &v->items[k];
      cJSON *e;
      if (strcmp(t, "flags") == 0) {
        e = str_of(it->text);
      } else if (strcmp(t, "record") == 0) {
        e = cJSON_CreateArray();
        if (e && (!push(e, str_of(it->label)) || !push(e, cli_wast_cval_json(it)))) {
          cJSON_Delete(e);
          e = NULL;
        }
      } else {
        e = cli_wast_cval_json(it);
      }
      if (!push(arr, e)) {
        cJSON_Delete(arr);
        arr = NULL;
      }
    }
    return arr;
  }
  if (strcmp(t, "variant") == 0) {
    cJSON *o = cJSON_CreateObject();
    if (o && (!add(o, "case", str_of(v->text)) || (!v->none && v->nitems && !add(o, "payload", payload(v))))) {
      cJSON_Delete(o);
      o = NULL;
    }
    return o;
  }
  if (strcmp(t, "option") == 0) return payload(v);
  if (strcmp(t, "result") == 0) {
    cJSON *o = cJSON_CreateObject();
    if (o && !add(o, v->text.len == 2 ? "Ok" : "Err", payload(v))) {
      cJSON_Delete(o);
      o = NULL;
    }
    return o;
  }
  return str_of(v->text);
}

cJSON *cli_wast_cval_json(const text_wast_cval *v) {
  cJSON *o = cJSON_CreateObject();
  if (!o) return NULL;
  if (!cJSON_AddStringToObject(o, "type", v->type) || !add(o, "value", value_of(v))) {
    cJSON_Delete(o);
    return NULL;
  }
  return o;
}
