package main

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

func fmtSeconds(s float64) string {
	if math.IsNaN(s) {
		return "n/a"
	}
	return time.Duration(s * float64(time.Second)).Round(time.Microsecond).String()
}

func rule(w io.Writer) { fmt.Fprintln(w, strings.Repeat("=", 70)) }
