package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gilbench/runner"
)

// flagHelp is returned when -h was asked for: not an error, exit status 0.
var flagHelp = errors.New("help requested")

// usageError is bad input: it wraps runner.ErrUsage and prints as its message alone.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }
func (e usageError) Unwrap() error { return runner.ErrUsage }

func isUsage(err error) bool { return errors.Is(err, runner.ErrUsage) }

// usageText is the message of a usage error without the "usage: " prefix of wrapping.
func usageText(err error) string {
	return strings.TrimPrefix(err.Error(), runner.ErrUsage.Error()+": ")
}

// newFlags returns a flag set that reports errors as values.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet("gilbench "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args. -h prints the flags to stderr; a bad flag becomes one usage line.
func parse(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(stderr, "usage of %s:\n", fs.Name())
		fs.SetOutput(stderr)
		fs.PrintDefaults()
		return flagHelp
	case err != nil:
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	case fs.NArg() > 0:
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// listFlag is a comma-separated list of names.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			return fmt.Errorf("empty item in list %q", s)
		}
		out = append(out, p)
	}
	*l = out
	return nil
}

// intListFlag is a comma-separated list of positive integers.
type intListFlag []int

func (l *intListFlag) String() string {
	var s []string
	for _, n := range *l {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ",")
}

func (l *intListFlag) Set(s string) error {
	var out []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil {
			return fmt.Errorf("%q is not a whole number", p)
		}
		if n <= 0 {
			return fmt.Errorf("%d is not positive", n)
		}
		out = append(out, n)
	}
	*l = out
	return nil
}
