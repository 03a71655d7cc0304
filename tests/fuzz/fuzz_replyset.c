/* libFuzzer target: the reply-set loader on any bytes as settings.json, tariffs.json
 * or an intent file (chosen by the first byte) of an otherwise valid set. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "replyset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/deskbot-fuzz-%d", (int)getpid());
		char cmd[512];
		snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s && cp -r %s/replies/. %s/", dir, dir,
			 DESKBOT_SOURCE_DIR, dir);
		if (system(cmd) != 0)
			abort();
	}
	if (size == 0)
		return 0;
	static const char *const files[] = {"settings.json", "tariffs.json", "templates.json", "intents/fuzz.json"};
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, files[data[0] % 4]);
	FILE *f = fopen(path, "wb");
	fwrite(data + 1, 1, size - 1, f);
	fclose(f);
	struct replyset *rs = NULL;
	struct replyset_errors errs = {0};
	if (replyset_load(dir, &rs, &errs) == 0)
		replyset_free(rs);
	replyset_errors_free(&errs);
	/* Put the original back for the next input. */
	char cmd[512];
	snprintf(cmd, sizeof cmd, "cp %s/replies/%s %s/%s 2>/dev/null || rm -f %s", DESKBOT_SOURCE_DIR,
		 files[data[0] % 4], dir, files[data[0] % 4], path);
	if (system(cmd) != 0)
		abort();
	return 0;
}
