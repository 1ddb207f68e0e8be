/* func_entry: hil_plugin_entry is a function, not the descriptor. */
#include "bad.h"

HIL_EXPORT int hil_plugin_entry(void);

HIL_EXPORT int hil_plugin_entry(void)
{
	return 0;
}
