package bench

import (
	"testing"

	"github.com/eventproc/eventproc/internal/leakcheck"
)

// TestMain fails the package's tests when they leave goroutines running.
func TestMain(m *testing.M) { leakcheck.Main(m) }
