package main

import "github.com/urfave/cli/v2"

func statusCommand() *cli.Command { return &cli.Command{Name: "status", Usage: "x"} }
