/* netns_enter refuses names that are not a single path component. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "netns.h"

static void test_bad_names(void **state)
{
	(void)state;
	assert_int_equal(netns_enter(""), -EINVAL);
	assert_int_equal(netns_enter("."), -EINVAL);
	assert_int_equal(netns_enter(".."), -EINVAL);
	assert_int_equal(netns_enter("../../proc/1/ns/net"), -EINVAL);
	assert_int_equal(netns_enter("a/b"), -EINVAL);
}

static void test_absent_name(void **state)
{
	(void)state;
	assert_int_equal(netns_enter("xfrmctl-no-such-netns-4711"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_absent_name),
	};
	return cmocka_run_group_tests_name("netns", tests, NULL, NULL);
}
