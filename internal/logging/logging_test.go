package logging

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	for _, tt := range []struct {
		level, format string
		wantErr       string
		wantJSON      bool
	}{
		{level: "info", format: "json", wantJSON: true},
		{level: "debug", format: "TEXT"},
		{level: "warn", format: "auto", wantJSON: true}, // a buffer is not a terminal
		{level: "error", format: "", wantJSON: true},
		{level: "loud", format: "json", wantErr: `--log-level "loud": use debug, info, warn or error`},
		{level: "info", format: "XML", wantErr: `--log-format "xml": use json, text or auto`},
	} {
		var buf bytes.Buffer
		log, err := New(&buf, tt.level, tt.format)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("New(%q, %q) err %v, want %q", tt.level, tt.format, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("New(%q, %q): %v", tt.level, tt.format, err)
		}
		log.Error("x", "backoff", 250*time.Millisecond)
		var got map[string]any
		isJSON := json.Unmarshal(buf.Bytes(), &got) == nil
		if isJSON != tt.wantJSON {
			t.Errorf("New(%q, %q) wrote %q, JSON %v, want %v", tt.level, tt.format, buf.String(), isJSON, tt.wantJSON)
		}
		if isJSON && got["backoff"] != "250ms" || !isJSON && !strings.Contains(buf.String(), "backoff=250ms") {
			t.Errorf("New(%q, %q): backoff not written as 250ms: %q", tt.level, tt.format, buf.String())
		}
	}
}

func TestLevelFilters(t *testing.T) {
	var buf bytes.Buffer
	log, err := New(&buf, "warn", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("hidden")
	log.Warn("shown")
	if strings.Contains(buf.String(), "hidden") || !strings.Contains(buf.String(), "shown") {
		t.Errorf("warn level wrote %q", buf.String())
	}
}
