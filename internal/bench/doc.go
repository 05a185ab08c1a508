// Package bench holds the measurement logic of `eventproc bench`: latency
// percentiles, throughput arithmetic and the process's memory as Linux
// reports it in /proc/self/status.
//
// It owns only numbers. It must not import Kafka or the processor: the
// command wires the runs and hands their observations here.
package bench
