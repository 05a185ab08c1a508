package kafkaio

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

// TestCompressionCodec checks every accepted codec name, the default for
// an empty one, and that an unknown name is refused by Validate.
func TestCompressionCodec(t *testing.T) {
	for _, tt := range []struct {
		name string
		want kgo.CompressionCodec
	}{
		{"", kgo.SnappyCompression()}, {"none", kgo.NoCompression()}, {"snappy", kgo.SnappyCompression()},
		{"LZ4", kgo.Lz4Compression()}, {"zstd", kgo.ZstdCompression()},
	} {
		got, err := compressionCodec(tt.name)
		if err != nil || got != tt.want {
			t.Errorf("compressionCodec(%q) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	if len(Compressions) != 4 {
		t.Errorf("Compressions = %v", Compressions)
	}
	for _, name := range Compressions {
		if _, err := compressionCodec(name); err != nil {
			t.Errorf("listed codec %q refused: %v", name, err)
		}
	}
	err := ClientConfig{Brokers: []string{"127.0.0.1:9092"}, Compression: "gzip2"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--compression") {
		t.Errorf("Validate with an unknown codec: %v, want an error naming --compression", err)
	}
	if _, err := (ClientConfig{Brokers: []string{"127.0.0.1:9092"}, Compression: "zstd"}).Options(); err != nil {
		t.Errorf("Options with zstd: %v", err)
	}
}

// TestSessionFetchLimits checks the fetch limits a session gives its
// client: FetchMaxBytes as set, an eighth of it per partition (at least
// 64 KiB), and a read limit that still admits a batch larger than both
// (a broker always returns at least one batch).
func TestSessionFetchLimits(t *testing.T) {
	for _, tt := range []struct {
		fetch, part, read int32
	}{
		{2 << 20, 256 << 10, 64 << 20},
		{256 << 10, 64 << 10, 64 << 20},
		{64 << 20, 8 << 20, 128 << 20},
	} {
		s, err := NewSession(SessionConfig{
			Client: ClientConfig{Brokers: []string{"127.0.0.1:1"}}, Group: "g", TransactionalID: "g-1",
			InputTopic: "in", FetchMaxBytes: tt.fetch,
		})
		if err != nil {
			t.Fatal(err)
		}
		cl := s.gts.Client()
		got := [3]int32{cl.OptValue(kgo.FetchMaxBytes).(int32), cl.OptValue(kgo.FetchMaxPartitionBytes).(int32), cl.OptValue(kgo.BrokerMaxReadBytes).(int32)}
		if want := [3]int32{tt.fetch, tt.part, tt.read}; got != want {
			t.Errorf("FetchMaxBytes %d: fetch, partition, read limits = %v, want %v", tt.fetch, got, want)
		}
		s.gts.Close()
	}
}
