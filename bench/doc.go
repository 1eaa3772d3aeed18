// Package bench holds the engine benchmarks on the generated dataset of
// package gen (its tests only; there is no library code here):
//
//	go test -run '^$' -bench . -benchmem ./bench/             # 10k and 100k tuples
//	SENTINEL_BENCH_LARGE=1 go test -run '^$' -bench . ./bench/ # and 1M
//
// BenchmarkLoad reports the time, heap and process RSS of an initial load,
// BenchmarkCheck the latency of a check (p50-µs, p99-µs besides ns/op),
// BenchmarkListObjects the list of gen's heavy user, and
// BenchmarkCheckUnderWrites check latency while 1,000 writes a second are
// applied (compare its writes=0 and writes=1000 runs). Every benchmark
// first compares the engine's answers with gen's reference evaluator and
// reports the share it got wrong (wrong-%), which must be 0.
package bench
