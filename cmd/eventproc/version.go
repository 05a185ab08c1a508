package main

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/buildinfo"
)

// versionInfo is what the binary knows about its own build.
type versionInfo = buildinfo.Info

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version, VCS commit, Go version and franz-go version of this binary",
		UsageText: "eventproc version\n" +
			"eventproc version --json\n" +
			"eventproc --version",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: flagVersionJSON, Usage: "print one JSON object instead of text", EnvVars: envVars(flagVersionJSON)},
		},
		Action: func(c *cli.Context) error {
			v := buildinfo.Read()
			if c.Bool(flagVersionJSON) {
				enc := json.NewEncoder(c.App.Writer)
				return enc.Encode(v)
			}
			v.WriteText(c.App.Writer)
			return nil
		},
	}
}

const flagVersionJSON = "json"

//go:embed bash_completion.sh
var bashCompletion string

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print the bash completion script",
		ArgsUsage: "bash",
		UsageText: "eventproc completion bash > /etc/bash_completion.d/eventproc\n" +
			"source <(eventproc completion bash)",
		Description: "The script completes commands and flags by asking the binary itself\n" +
			"(eventproc <command> --generate-bash-completion), so it never goes stale.",
		Action: func(c *cli.Context) error {
			switch shell := c.Args().First(); shell {
			case "bash", "":
				if c.NArg() > 1 {
					return usageErrorf("eventproc completion takes one argument, the shell: bash")
				}
				_, err := fmt.Fprint(c.App.Writer, bashCompletion)
				return err
			default:
				return usageErrorf("eventproc completion %q: only bash is supported", shell)
			}
		},
	}
}
