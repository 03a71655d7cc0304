/* The pages the config describes (config vk.pages, telegram.pages), as ids and titles
 * for the console: the same id a running channel carries (see channel_set_page). */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "channel.h"
#include "config.h"

void channel_page_id(const char *platform, const char *label, char *out, size_t outlen)
{
	if (label)
		snprintf(out, outlen, "%s:%s", platform, label);
	else
		snprintf(out, outlen, "%s", platform);
}

static void add_page(cJSON *arr, const char *platform, const struct config_channel *pg)
{
	if (!pg->enabled || (!pg->label && !pg->title))
		return;
	char id[48];
	channel_page_id(platform, pg->label, id, sizeof id);
	cJSON *o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "platform", platform);
	if (pg->label)
		cJSON_AddStringToObject(o, "label", pg->label);
	if (pg->title)
		cJSON_AddStringToObject(o, "title", pg->title);
	cJSON_AddItemToArray(arr, o);
}

void channel_pages_json(const struct config *cfg, cJSON *arr)
{
	const struct {
		const char *platform;
		const struct config_channel *section;
	} platforms[] = {{CHANNEL_VK, &cfg->vk}, {CHANNEL_TELEGRAM, &cfg->telegram}};
	for (size_t p = 0; p < sizeof platforms / sizeof platforms[0]; p++) {
		const struct config_channel *s = platforms[p].section;
		add_page(arr, platforms[p].platform, s);
		for (size_t i = 0; i < s->n_pages; i++)
			add_page(arr, platforms[p].platform, &s->pages[i]);
	}
}
