/*
 * tiny_entry: exports hil_plugin_entry, but as an object too small to be a
 * descriptor; hild must not read past its end.
 */
#include "bad.h"

#include <stdint.h>

HIL_EXPORT const uint32_t hil_plugin_entry[2] = {HIL_PLUGIN_ABI_MAJOR,
						 HIL_PLUGIN_ABI_MINOR};
