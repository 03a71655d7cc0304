/* Units of work in tests: a store write takes an open transaction (store.h). Include
 * after cmocka.h. */
#ifndef DESKBOT_TEST_STORE_TX_H
#define DESKBOT_TEST_STORE_TX_H
#include "store.h"

/* Begins a unit of work, failing the test when it cannot. */
static inline struct store_tx *begin_tx(struct store *st)
{
	struct store_tx *tx = store_begin(st);
	assert_non_null(tx);
	return tx;
}

#endif
