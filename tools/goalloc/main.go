// goalloc: a Go program that allocates from known functions, for
// memtrace's Go heap tests.  Every allocation is in Go's own profile
// (runtime.MemProfileRate = 1), which it writes (pprof "allocs", debug=1
// text) for the test to compare with memtrace's counts.
//
//	goalloc -rounds N -profile FILE           allocate, then write the profile
//	goalloc -rounds N -profile FILE -wait     write the profile of a first
//	    round to FILE.before, print "ready", wait for a line on stdin, then
//	    allocate N rounds, write FILE and print "done", wait for stdin's end
package main

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

func init() { runtime.MemProfileRate = 1 }

// 32 bytes with pointers: a size class of its own, never tiny.
type node struct {
	next *node
	v    [3]int64
}

var (
	sinkNode  *node
	sinkBuf   []byte
	sinkLarge []byte
	sinkTiny  *[1]int64
	// Set by cgo.go when built with cgo: allocates through C's malloc.
	cAlloc func(n int)
)

//go:noinline
func allocNodes(n int) {
	for i := 0; i < n; i++ {
		sinkNode = &node{next: sinkNode}
		sinkNode = nil
	}
}

// 1024 bytes: exactly a size class, so requested = what Go charges.
//
//go:noinline
func allocBufs(n int) {
	for i := 0; i < n; i++ {
		sinkBuf = make([]byte, 1024)
	}
}

// 1000 bytes: Go's heap gives it 1024 (size class), and so does its profile.
//
//go:noinline
func allocOdd(n int) {
	for i := 0; i < n; i++ {
		sinkBuf = make([]byte, 1000)
	}
}

// Above 32 KiB: a span of its own, 40960 bytes (5 pages).
//
//go:noinline
func allocLarge(n int) {
	for i := 0; i < n; i++ {
		sinkLarge = make([]byte, 40960)
	}
}

// 8 bytes without pointers: the tiny allocator packs two in a 16-byte
// block, and Go's profile sees only the calls that start a new block.
//
//go:noinline
func allocTiny(n int) {
	for i := 0; i < n; i++ {
		sinkTiny = new([1]int64)
	}
}

// Parks a goroutine for good: its g is never freed for a later go
// statement to reuse.
func park(ch chan struct{}) { <-ch }

var parked = make(chan struct{})

// Each go statement allocates here the closure that carries park's
// argument (16 bytes) and, on the system stack (runtime.systemstack ->
// newproc1 -> malg), a new g: Go's profile charges the g to the runtime,
// whose traceback ends at the switch, and memtrace must not charge it here.
//
//go:noinline
func allocGoroutines(n int) {
	for i := 0; i < n; i++ {
		go park(parked)
	}
}

func round() {
	allocNodes(3000)
	allocBufs(2000)
	allocLarge(50)
	allocOdd(700)
	allocTiny(4000)
	allocGoroutines(100)
	if cAlloc != nil {
		cAlloc(500)
	}
}

func writeProfile(path string) {
	runtime.GC() // publishes the profile up to now
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 1); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
}

func main() {
	rounds := flag.Int("rounds", 5, "rounds of allocations")
	profile := flag.String("profile", "", "write Go's allocs profile here")
	wait := flag.Bool("wait", false, "wait for a line on stdin before allocating")
	flag.Parse()
	in := bufio.NewReader(os.Stdin)
	if *wait {
		round()
		writeProfile(*profile + ".before")
		fmt.Println("ready")
		in.ReadString('\n')
	}
	for i := 0; i < *rounds; i++ {
		round()
	}
	writeProfile(*profile)
	fmt.Println("done")
	if *wait {
		in.ReadString('\n')
	}
}
