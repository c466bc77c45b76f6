/* `kumi wast` on components (wast_comp.c): component values of the
 * manifests (conformance README, "Component values") <-> kumi_cval, and
 * actions on component instances. */
#ifndef KUMI_CLI_WAST_COMP_H
#define KUMI_CLI_WAST_COMP_H

#include <cjson/cJSON.h>

#include "base/base.h"
#include "kumi.h"
#include "text/wast.h"

typedef enum wast_comp_res {
  WAST_COMP_RAN,  /* the call ran: *err is its error (a trap) or NULL */
  WAST_COMP_FAIL, /* could not run, or the result did not match: see why */
  WAST_COMP_SKIP, /* uses something not supported: see why */
} wast_comp_res;

/* Performs an "invoke" action on inst. When expected is not NULL (the
 * assert_return list) and the call returned, the results are compared and
 * a mismatch is WAST_COMP_FAIL. */
wast_comp_res cli_wast_comp_invoke(const kumi_allocator *a, kumi_store *store, kumi_component_instance *inst,
                                   const cJSON *action, const cJSON *expected, kumi_error **err, char *why,
                                   size_t whylen);

/* A component value of a .wast script as the manifests' JSON value
 * (wast_cval.c); NULL on OOM. */
cJSON *cli_wast_cval_json(const text_wast_cval *v);

#endif
