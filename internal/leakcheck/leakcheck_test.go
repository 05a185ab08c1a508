package leakcheck

import (
	"testing"
	"time"
)

func TestMain(m *testing.M) { Main(m) }

func TestLeakedFindsARunningGoroutine(t *testing.T) {
	stop := make(chan struct{})
	go func() { <-stop }() // blocked until stop: a leak while it runs
	if leaked := Leaked(100 * time.Millisecond); len(leaked) != 1 {
		t.Fatalf("Leaked found %d goroutines, want the one blocked on stop:\n%v", len(leaked), leaked)
	}
	close(stop)
	if leaked := Leaked(5 * time.Second); len(leaked) != 0 {
		t.Fatalf("Leaked after the goroutine ended: %v", leaked)
	}
}

func TestLeakedIgnore(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	go parked(stop)
	if leaked := Leaked(100*time.Millisecond, "leakcheck.parked"); len(leaked) != 0 {
		t.Fatalf("ignored goroutine reported: %v", leaked)
	}
}

func parked(stop chan struct{}) { <-stop }
