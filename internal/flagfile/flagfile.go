// Package flagfile reads a command's flags from a YAML file whose keys are
// the flag names, for urfave/cli's altsrc: every key is checked (unknown
// keys with a suggestion, refused keys, values of the wrong type, each
// with its line), and the effective settings can be written back as such
// a file.
package flagfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"gopkg.in/yaml.v3"
)

// Configurable wraps each flag so that altsrc can set it from the
// configuration file. Flags of a type altsrc cannot set are returned as
// they are, and a file that names them is rejected (TestRunFlagsAreFileConfigurable
// keeps that set empty).
func Configurable(flags []cli.Flag) []cli.Flag {
	out := make([]cli.Flag, len(flags))
	for i, f := range flags {
		switch f := f.(type) {
		case *cli.StringFlag:
			out[i] = altsrc.NewStringFlag(f)
		case *cli.BoolFlag:
			out[i] = altsrc.NewBoolFlag(f)
		case *cli.IntFlag:
			out[i] = altsrc.NewIntFlag(f)
		case *cli.Int64Flag:
			out[i] = altsrc.NewInt64Flag(f)
		case *cli.Uint64Flag:
			out[i] = altsrc.NewUint64Flag(f)
		case *cli.Float64Flag:
			out[i] = altsrc.NewFloat64Flag(f)
		case *cli.DurationFlag:
			out[i] = altsrc.NewDurationFlag(f)
		default:
			out[i] = f
		}
	}
	return out
}

// configFileBefore is the run command's Before: it reads the file named by
// --config, if any, and applies it to the flags with altsrc. It is
// altsrc.InitInputSourceWithContext with our own loader, because altsrc's
// YAML loader ignores unknown keys (a typo would silently keep the
// default) and rejects an integer for a float flag; and without its
// "Unable to create input source" wrapping, so the message names the file,
// line and key.
// Rules are the keys a file may not set, and how values are read.
type Rules struct {
	// Secrets maps a key that is never read from a file to where the
	// secret comes from instead.
	Secrets map[string]string
	// CommandLineOnly maps a key that only the command line may give to
	// its environment variable.
	CommandLineOnly map[string]string
	// ListKeys are string flags whose value may be a YAML list, joined
	// with commas (a broker list).
	ListKeys []string
	// Command is the command whose flag names the keys are, for messages.
	Command string
}

// Parse reads a YAML configuration file's contents and checks every key
// against flags: unknown keys, refused keys, null values and values of the
// wrong type are errors naming the line and key. The values are
// normalised to what altsrc expects for each flag type (for
// altsrc.NewMapInputSource).
func Parse(data []byte, flags []cli.Flag, r Rules) (map[any]any, error) {
	values := map[any]any{}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid YAML: %w", err)
	}
	if len(doc.Content) == 0 { // an empty file (or only comments) sets nothing
		return values, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: the file must be a mapping of flag names to values, e.g. window-max-events: 5000", root.Line)
	}
	byName := map[string]cli.Flag{}
	var names []string
	for _, f := range flags {
		for _, n := range f.Names() {
			byName[n] = f
			names = append(names, n)
		}
	}
	var errs []error
	firstLine := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		key := k.Value
		if line, dup := firstLine[key]; dup {
			errs = append(errs, fmt.Errorf("line %d: %s is already set on line %d: give each key once", k.Line, key, line))
			continue
		}
		firstLine[key] = k.Line
		if hint, secret := r.Secrets[key]; secret {
			errs = append(errs, fmt.Errorf("line %d: %s: secrets are never read from the config file: %s", k.Line, key, hint))
			continue
		}
		if env, only := r.CommandLineOnly[key]; only {
			errs = append(errs, fmt.Errorf("line %d: %s can only be given on the command line or as $%s", k.Line, key, env))
			continue
		}
		f, known := byName[key]
		if !known {
			msg := fmt.Sprintf("line %d: unknown key %q: keys are the flag names of %s (see %s --help)", k.Line, key, r.Command, r.Command)
			if s := closestName(key, names); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			errs = append(errs, errors.New(msg))
			continue
		}
		val, err := value(f, v, r.ListKeys)
		if err != nil {
			errs = append(errs, fmt.Errorf("line %d: %s: %w", v.Line, key, err))
			continue
		}
		values[key] = val
	}
	return values, errors.Join(errs...)
}

// value decodes one value node into the Go type altsrc expects for
// the flag: string, bool, int, int64, uint64, float64, or a duration
// string.
func value(f cli.Flag, v *yaml.Node, listKeys []string) (any, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, errors.New("no value: remove the key to keep the default")
	}
	if v.Kind == yaml.SequenceNode {
		if _, isString := f.(*altsrc.StringFlag); isString && slices.Contains(listKeys, f.Names()[0]) {
			var list []string
			if err := v.Decode(&list); err != nil {
				return nil, fmt.Errorf("want a list of host:port strings: %w", err)
			}
			return strings.Join(list, ","), nil
		}
	}
	if v.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("want a single value, got a %s", nodeKindName(v.Kind))
	}
	switch f.(type) {
	case *altsrc.StringFlag:
		if v.Tag != "!!str" {
			return nil, fmt.Errorf("want a string, got %s (quote it: %q)", v.Value, v.Value)
		}
		return v.Value, nil
	case *altsrc.BoolFlag:
		var b bool
		if v.Tag != "!!bool" || v.Decode(&b) != nil {
			return nil, fmt.Errorf("want true or false, got %q", v.Value)
		}
		return b, nil
	case *altsrc.IntFlag:
		var n int
		if v.Tag != "!!int" || v.Decode(&n) != nil {
			return nil, fmt.Errorf("want an integer, got %q", v.Value)
		}
		return n, nil
	case *altsrc.Int64Flag:
		var n int64
		if v.Tag != "!!int" || v.Decode(&n) != nil {
			return nil, fmt.Errorf("want an integer, got %q", v.Value)
		}
		return n, nil
	case *altsrc.Uint64Flag:
		var n uint64
		if v.Tag != "!!int" || v.Decode(&n) != nil {
			return nil, fmt.Errorf("want a non-negative integer, got %q", v.Value)
		}
		return n, nil
	case *altsrc.Float64Flag:
		var x float64
		if (v.Tag != "!!float" && v.Tag != "!!int") || v.Decode(&x) != nil {
			return nil, fmt.Errorf("want a number, got %q", v.Value)
		}
		return x, nil
	case *altsrc.DurationFlag:
		if v.Tag != "!!str" {
			return nil, fmt.Errorf("want a duration with a unit, e.g. 50ms or 30s, got %s", v.Value)
		}
		if _, err := time.ParseDuration(v.Value); err != nil {
			return nil, fmt.Errorf("want a duration with a unit, e.g. 50ms or 30s, got %q", v.Value)
		}
		return v.Value, nil
	default:
		return nil, fmt.Errorf("cannot be set from the config file (%T); use the flag or its environment variable", f)
	}
}

func nodeKindName(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	case yaml.AliasNode:
		return "alias"
	case yaml.DocumentNode:
		return "document"
	case yaml.ScalarNode:
		return "scalar"
	}
	return "node"
}

// closestName suggests the flag name nearest to a mistyped key, if one is
// within a couple of edits.
func closestName(key string, names []string) string {
	best, bestDist := "", 3
	for _, n := range names {
		if d := editDistance(key, n); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// WriteEffective prints the value every flag but skip ended up with,
// after command line, environment, file and defaults, as a YAML file that
// Load accepts, under the comment head. Secrets are not flags a file can
// set and are never printed.
func WriteEffective(w io.Writer, c *cli.Context, flags []cli.Flag, skip []string, head string) error {
	root := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range flags {
		name := f.Names()[0]
		if slices.Contains(skip, name) || name == "help" {
			continue
		}
		var v any
		switch f.(type) {
		case *altsrc.StringFlag:
			v = c.String(name)
		case *altsrc.BoolFlag:
			v = c.Bool(name)
		case *altsrc.IntFlag:
			v = c.Int(name)
		case *altsrc.Int64Flag:
			v = c.Int64(name)
		case *altsrc.Uint64Flag:
			v = c.Uint64(name)
		case *altsrc.Float64Flag:
			v = c.Float64(name)
		case *altsrc.DurationFlag:
			v = c.Duration(name).String()
		default:
			continue
		}
		var key, val yaml.Node
		key.SetString(name)
		if err := val.Encode(v); err != nil {
			return err
		}
		root.Content = append(root.Content, &key, &val)
	}
	root.HeadComment = head
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return err
	}
	return enc.Close()
}

// Names lists the flags but skip a file may set.
func Names(flags []cli.Flag, skip []string) []string {
	var names []string
	for _, f := range flags {
		if _, ok := f.(altsrc.FlagInputSourceExtension); ok {
			n := f.Names()[0]
			if !slices.Contains(skip, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}

// Before is a command's Before that reads the file named by the flag
// configFlag, if set: every key is checked against known (with r), and
// the values are applied to the flags of apply neither given on the
// command line nor set by their environment variable.
func Before(configFlag string, known, apply []cli.Flag, r Rules) cli.BeforeFunc {
	return func(c *cli.Context) error {
		path := c.String(configFlag)
		if path == "" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("--%s: %w", configFlag, err)
		}
		values, err := Parse(data, known, r)
		if err != nil {
			return fmt.Errorf("--%s %s: %w", configFlag, path, err)
		}
		if err := altsrc.ApplyInputSourceValues(c, altsrc.NewMapInputSource(path, values), apply); err != nil {
			return fmt.Errorf("--%s %s: %w", configFlag, path, err)
		}
		return nil
	}
}
