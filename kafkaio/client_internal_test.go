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
