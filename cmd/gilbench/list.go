package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"gilbench/runner"
	"gilbench/workloads"
)

// cmdList prints two tables, each aligned on its own: the workloads, then the modes.
func cmdList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("list")
	if err := parse(fs, args, stderr); err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKLOAD\tCLASS\tSIZE\tTASKS\tDESCRIPTION")
	for _, w := range workloads.All() {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", w.Name, w.Class, w.DefaultSize, w.DefaultTasks, w.Description)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MODE\tROLE\tDESCRIPTION")
	for _, m := range runner.Modes() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", m.Name(), m.Rules().Role, m.Describe())
	}
	return tw.Flush()
}
