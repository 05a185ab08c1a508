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

func TestValidate(t *testing.T) {
	ok := Config{Host: "127.0.0.1", Port: 9092, NumBrokers: 1, Partitions: 1}
	for _, tt := range []struct {
		edit    func(*Config)
		wantErr string
	}{
		{func(*Config) {}, ""},
		{func(c *Config) { c.Port = 0; c.NumBrokers = 3 }, ""},
		{func(c *Config) { c.SASLMechanism, c.SASLUser, c.SASLPassword = "PLAIN", "admin", "pw" }, ""},
		{func(c *Config) { c.Port = 70000 }, "--listen port 70000: bad port"},
		{func(c *Config) { c.NumBrokers = 0 }, "--num-brokers 0: need at least 1"},
		{func(c *Config) { c.Port, c.NumBrokers = 65535, 2 }, "--listen port 65535 + 2 brokers runs past port 65535"},
		{func(c *Config) { c.Partitions = 0 }, "--partitions 0: need at least 1"},
		{func(c *Config) { c.TLSCert = "c.pem" }, "--tls-cert and --tls-key must be given together"},
		{func(c *Config) { c.SASLUser = "admin" }, "--sasl-user needs --sasl-mechanism"},
		{func(c *Config) { c.SASLMechanism, c.SASLUser = "SCRAM-SHA-256", "admin" }, "--sasl-mechanism SCRAM-SHA-256 needs --sasl-user and $PW"},
		{func(c *Config) { c.SASLMechanism = "GSSAPI" }, `--sasl-mechanism "GSSAPI" is not supported`},
	} {
		cfg := ok
		tt.edit(&cfg)
		err := cfg.Validate("PW")
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", cfg, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%+v: err %v, want %q", cfg, err, tt.wantErr)
		}
	}
}
