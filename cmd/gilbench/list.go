package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"gilbench/runner"
	"gilbench/workloads"
)

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
	fmt.Fprintln(tw, "\t\t\t\t")
	fmt.Fprintln(tw, "MODE\tDESCRIPTION\t\t\t")
	for _, n := range runner.ModeNames() {
		m, _ := runner.LookupMode(n)
		fmt.Fprintf(tw, "%s\t%s\t\t\t\n", n, m.Describe())
	}
	return tw.Flush()
}
