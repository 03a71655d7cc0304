/* Password hashing with libxcrypt's yescrypt (see password.h). */
#include "password.h"

#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

char *password_hash(const char *password)
{
	char *salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!salt)
		return NULL;
	struct crypt_data *data = xcalloc(1, sizeof *data);
	char *h = crypt_r(password, salt, data);
	char *result = h && h[0] != '*' ? xstrdup(h) : NULL;
	free(salt);
	explicit_bzero(data, sizeof *data);
	free(data);
	return result;
}

int password_verify(const char *password, const char *hash)
{
	if (!password || !hash || !*hash)
		return 0;
	struct crypt_data *data = xcalloc(1, sizeof *data);
	char *h = crypt_r(password, hash, data);
	int ok = 0;
	if (h && h[0] != '*') {
		size_t n = strlen(hash), m = strlen(h);
		unsigned char diff = (unsigned char)(n != m);
		for (size_t i = 0; i < n && i < m; i++)
			diff |= (unsigned char)(h[i] ^ hash[i]);
		ok = diff == 0;
	}
	explicit_bzero(data, sizeof *data);
	free(data);
	return ok;
}
