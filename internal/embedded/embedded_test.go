package embedded

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestStartServesOnTheRequestedHost(t *testing.T) {
	cfg := Config{Host: "127.0.0.1", NumBrokers: 2, Partitions: 3, Topics: []string{"a.in", "a.out"}}
	cl, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	addrs := cl.ListenAddrs()
	if len(addrs) != 2 || !strings.HasPrefix(addrs[0], "127.0.0.1:") {
		t.Fatalf("listening on %v, want two brokers on 127.0.0.1", addrs)
	}
	var banner bytes.Buffer
	WriteBanner(&banner, cfg, addrs, "PW")
	for _, want := range []string{"2 broker(s) listening on " + addrs[0], "topics: a.in, a.out (3 partitions each", "-t a.in -P", "-t a.out -X isolation.level=read_committed"} {
		if !strings.Contains(banner.String(), want) {
			t.Errorf("banner lacks %q:\n%s", want, banner.String())
		}
	}
}

func TestStartRefusesAMissingCertificate(t *testing.T) {
	_, err := Start(Config{Host: "127.0.0.1", NumBrokers: 1, Partitions: 1, TLSCert: "/nonexistent.pem", TLSKey: "/nonexistent.key"})
	if !errors.Is(err, ErrCertificate) {
		t.Fatalf("Start = %v, want ErrCertificate", err)
	}
}
