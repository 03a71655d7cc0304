/* Local channels that need no token. The web chat arrives with the console. */
#include "app_internal.h"

void app_channels_add_local(struct app *app)
{
	(void)app;
}
