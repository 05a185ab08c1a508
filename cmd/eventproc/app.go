package main

import (
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/eventproc/eventproc/internal/buildinfo"
	"github.com/eventproc/eventproc/internal/cliargs"
)

// newApp builds the command line with injected output streams, so that tests
// run it in-process. It never exits the process: errors are returned to
// runApp, which chooses the exit code.
func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:      "eventproc",
		Usage:     "exactly-once Kafka stream processor",
		Writer:    stdout,
		ErrWriter: stderr,
		Version:   buildinfo.Read().Short(),
		Commands:  commands(),
		// Completion: eventproc completion bash prints the script that
		// asks the binary for candidates (--generate-bash-completion).
		EnableBashCompletion: true,
		// The default handler calls os.Exit for cli.ExitCoder errors;
		// runApp maps errors to exit codes instead.
		ExitErrHandler:  func(*cli.Context, error) {},
		OnUsageError:    cliargs.OnUsageError,
		HideHelpCommand: true,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErrorf("unknown command %q: see eventproc --help", c.Args().First())
			}
			_ = cli.ShowAppHelp(c)
			return usageErrorf("no command given")
		},
	}
	for _, cmd := range app.Commands {
		cliargs.SetUsageErrorHandler(cmd)
		cliargs.RejectArguments(cmd, asUsageError)
	}
	return app
}

// commands lists eventproc's commands, each built by a function in its own
// file. New commands (run, demo, bench, verify) are appended here.
func commands() []*cli.Command {
	return []*cli.Command{
		brokerCommand(),
		produceCommand(),
		tailCommand(),
		runCommand(),
		demoCommand(),
		verifyCommand(),
		benchCommand(),
		rulesCommand(),
		statusCommand(),
		versionCommand(),
		completionCommand(),
		ingestCommand(),
	}
}

// usageError marks a mistake in the command line or configuration: the
// process exits with exitUsage rather than exitFailure.
type usageError = cliargs.UsageError

func usageErrorf(format string, args ...any) error { return cliargs.UsageErrorf(format, args...) }

// asUsageError wraps err, if not nil, as a usage error.
func asUsageError(err error) error { return cliargs.AsUsageError(err) }

// envVars returns the environment variable that also sets a flag:
// EVENTPROC_ and the flag name in upper snake case (docs/contract.md).
func envVars(flag string) []string {
	return []string{"EVENTPROC_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))}
}
