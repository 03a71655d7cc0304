/* Operator passwords: salted yescrypt hashes (libxcrypt), as "deskbot passwd" prints. */
#ifndef DESKBOT_PASSWORD_H
#define DESKBOT_PASSWORD_H

/* Returns a new salted hash of password (caller frees), or NULL on failure. */
char *password_hash(const char *password);
/* 1 when password matches hash, else 0. Constant-time comparison of the results. */
int password_verify(const char *password, const char *hash);

#endif
