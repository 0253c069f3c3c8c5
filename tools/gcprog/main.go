// gcprog: a Go program that collects often, for memtrace's GC tests.
// It keeps a slowly replaced live set (so marking has work) and allocates
// garbage quickly (so cycles come often).  Run with GODEBUG=gctrace=1 to
// compare memtrace's pauses with the runtime's own account.
//
//	gcprog [-seconds N] [-live-mib M]
package main

import (
	"flag"
	"fmt"
	"math/rand"
	"os"
	"time"
)

type node struct {
	next *node
	data []byte
}

var sink []byte

func main() {
	seconds := flag.Float64("seconds", 3, "how long to run")
	liveMiB := flag.Int("live-mib", 32, "size of the live set")
	flag.Parse()

	const slot = 4096
	n := *liveMiB << 20 / slot
	live := make([]*node, n)
	for i := range live {
		live[i] = &node{data: make([]byte, slot)}
	}
	rng := rand.New(rand.NewSource(1))
	deadline := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	ops := 0
	for time.Now().Before(deadline) {
		for k := 0; k < 1000; k++ {
			// Replace a live node now and then; make garbage all the time.
			if k%10 == 0 {
				i := rng.Intn(n)
				live[i] = &node{next: live[(i+1)%n], data: make([]byte, slot)}
			}
			sink = make([]byte, 512+rng.Intn(4096))
			ops++
		}
	}
	fmt.Fprintf(os.Stdout, "{\"ops\": %d}\n", ops)
}
