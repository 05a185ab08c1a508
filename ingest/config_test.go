package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	good, blank := filepath.Join(dir, "token"), filepath.Join(dir, "blank")
	if err := os.WriteFile(good, []byte("  s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(blank, []byte("\n \n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := ReadToken(good); err != nil || string(tok) != "s3cret" {
		t.Errorf("ReadToken(good) = %q, %v; want s3cret", tok, err)
	}
	if _, err := ReadToken(blank); err == nil || !strings.Contains(err.Error(), "--auth-token-file "+blank+" is empty") {
		t.Errorf("ReadToken(blank) err %v", err)
	}
	if _, err := ReadToken(filepath.Join(dir, "missing")); err == nil || !strings.HasPrefix(err.Error(), "--auth-token-file: ") {
		t.Errorf("ReadToken(missing) err %v", err)
	}
}

func TestServerConfigValidate(t *testing.T) {
	for _, tt := range []struct {
		sc   ServerConfig
		want bool
	}{
		{ServerConfig{}, true},
		{ServerConfig{TLSCertFile: "c", TLSKeyFile: "k"}, true},
		{ServerConfig{TLSCertFile: "c"}, false},
		{ServerConfig{TLSKeyFile: "k"}, false},
	} {
		if err := tt.sc.Validate(); (err == nil) != tt.want {
			t.Errorf("%+v: Validate() = %v", tt.sc, err)
		}
	}
}
