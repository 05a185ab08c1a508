package classify

import (
	"errors"
	"testing"

	"github.com/eventproc/eventproc/event"
)

// TestClassifierCustomRules: rules other than the defaults change the
// classification in the intended way.
func TestClassifierCustomRules(t *testing.T) {
	custom := DefaultConfig()
	custom.Keywords[event.CategoryTransaction] = append(custom.Keywords[event.CategoryTransaction], "pay")
	custom.LoadBusy, custom.LoadSaturated = 0.6, 0.9
	c, err := NewClassifier(custom)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		f           Features
		dflt, rules event.Category
	}{
		{"new keyword", Features{Priority: event.PriorityMedium, SourceID: []byte("eu-PAY-gw")}, event.CategorySystem, event.CategoryTransaction},
		{"higher busy threshold", Features{Priority: event.PriorityLow, Load: 0.55, SourceID: []byte("svc")}, event.CategorySystem, event.CategorySystem},
		{"higher saturated threshold", Features{Priority: event.PriorityMedium, Load: 0.85, SourceID: []byte("svc")}, event.CategoryMonitoring, event.CategorySystem},
		{"unchanged keyword", Features{Priority: event.PriorityMedium, SourceID: []byte("user")}, event.CategoryUser, event.CategoryUser},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.f).Category; got != tt.dflt {
				t.Fatalf("default rules: %v, want %v", got, tt.dflt)
			}
			got := c.Classify(tt.f)
			if got.Category != tt.rules {
				t.Fatalf("custom rules: %v, want %v (scores %v)", got.Category, tt.rules, got.Scores)
			}
			checkResultInvariants(t, got)
		})
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*Config)
	}{
		{"weights not summing to 1", func(c *Config) { c.SourceWeight = 0.3 }},
		{"negative weight", func(c *Config) { c.SourceWeight, c.PriorityWeight = -0.1, 0.6 }},
		{"busy above saturated", func(c *Config) { c.LoadBusy = 0.9 }},
		{"complexity scale reversed", func(c *Config) { c.ComplexityLow = 0.7 }},
		{"upper-case keyword", func(c *Config) { c.Keywords[event.CategoryUser] = []string{"User"} }},
		{"empty keyword", func(c *Config) { c.Keywords[event.CategoryUser] = []string{""} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.modify(&c)
			if _, err := NewClassifier(c); !errors.Is(err, ErrInvalidConfig) {
				t.Fatalf("NewClassifier error = %v, want ErrInvalidConfig", err)
			}
		})
	}
}
