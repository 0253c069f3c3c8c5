//go:build cgo

package main

/*
#include <stdlib.h>

// Called from Go: n blocks of 200 bytes through C's malloc, kept and freed.
__attribute__((noinline)) void goalloc_c_alloc(int n)
{
	void *volatile keep;

	for (int i = 0; i < n; i++) {
		keep = malloc(200);
		free(keep);
	}
}
*/
import "C"

func init() {
	cAlloc = func(n int) { C.goalloc_c_alloc(C.int(n)) }
}
