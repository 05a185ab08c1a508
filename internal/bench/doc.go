// Package bench is the measurement engine of `eventproc bench`: Run sets
// up a broker (embedded or given), runs eventproc (processor.Run) and the
// passthrough baseline (processor.Passthrough, the same loop with an
// identity transformation) over the same input, and measures throughput,
// end-to-end latency percentiles and memory (the process's RSS as Linux
// reports it in /proc/self/status) into a Report.
//
// The command only turns flags into a Config and prints the Report.
package bench
