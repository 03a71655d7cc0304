/* libFuzzer target: text_analyze on any bytes, with and without a vocabulary. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct text_ctx *ctx;
	static struct text_vocab *v;
	if (!ctx) {
		ctx = text_ctx_new();
		v = text_vocab_new();
		static const char *const w[] = {"баланс", "подключить", "роуминг", "интернет", "balance", NULL};
		for (const char *const *p = w; *p; p++)
			text_vocab_add(v, *p, strlen(*p));
		text_vocab_build(v);
	}
	struct text_opts opts = {.vocab = v};
	struct text_analysis a;
	text_analyze(ctx, (const char *)data, size, size % 2 ? &opts : NULL, &a);
	text_has_phrase(&a, "подам в суд");
	text_analysis_free(&a);
	return 0;
}
