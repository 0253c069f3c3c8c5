// SPDX-License-Identifier: MIT
/* Go's stack switches, as .gopclntab and .symtab name them, and nothing else. */
#include <criterion/criterion.h>

#include "go_stack_switch.h"

Test(go_stack_switch, switches_with_and_without_abi0)
{
	cr_assert(go_stack_switch("runtime.systemstack"));
	cr_assert(go_stack_switch("runtime.systemstack.abi0"));
	cr_assert(go_stack_switch("runtime.mcall"));
	cr_assert(go_stack_switch("runtime.morestack.abi0"));
}

Test(go_stack_switch, other_names_are_not)
{
	cr_assert_not(go_stack_switch(NULL));
	cr_assert_not(go_stack_switch(""));
	cr_assert_not(go_stack_switch("runtime.systemstack_switch"));
	cr_assert_not(go_stack_switch("runtime.systemstack.abi0x"));
	cr_assert_not(go_stack_switch("runtime.morestack_noctxt.abi0"));
	cr_assert_not(go_stack_switch("runtime.mallocgc"));
	cr_assert_not(go_stack_switch("main.systemstack"));
	cr_assert_not(go_stack_switch("systemstack"));
}
