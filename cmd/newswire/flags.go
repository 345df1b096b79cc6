package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is the flag set of one command plus what its help shows: a
// usage line, a summary, examples, and the flags in titled groups.
//
// Flags join the group named by the last call of group; a flag registered
// before any group is listed under "Other flags".
type command struct {
	fs       *flag.FlagSet
	synopsis string // "newswire index [flags]"
	summary  string
	examples []string

	groups   []flagGroup
	assigned map[string]bool
}

type flagGroup struct {
	title string
	names []string
}

// newCommand makes the flag set of command name ("newswire index").
// Parse errors and -h print to out.
func newCommand(name, synopsis, summary string, examples []string, out io.Writer) *command {
	c := &command{
		fs:       flag.NewFlagSet(name, flag.ContinueOnError),
		synopsis: synopsis,
		summary:  summary,
		examples: examples,
		assigned: map[string]bool{},
	}
	c.fs.SetOutput(out)
	c.fs.Usage = func() { c.printUsage(c.fs.Output()) }
	return c
}

// group starts a titled group: flags registered from now on belong to it.
func (c *command) group(title string) {
	c.assignGroup()
	c.groups = append(c.groups, flagGroup{title: title})
}

// assignGroup assigns the flags registered since the last group call to that
// group (or to "Other flags").
func (c *command) assignGroup() {
	var names []string
	c.fs.VisitAll(func(f *flag.Flag) {
		if !c.assigned[f.Name] {
			c.assigned[f.Name] = true
			names = append(names, f.Name)
		}
	})
	if len(names) == 0 {
		return
	}
	if len(c.groups) == 0 {
		c.groups = append(c.groups, flagGroup{title: "Other flags"})
	}
	g := &c.groups[len(c.groups)-1]
	g.names = append(g.names, names...)
}

// parse applies NEWSWIRE_* environment variables, then the command line.
func (c *command) parse(args []string) error {
	c.assignGroup()
	return parse(c.fs, args)
}

func (c *command) printUsage(w io.Writer) {
	c.assignGroup()
	var b strings.Builder
	fmt.Fprintf(&b, "Usage: %s\n\n%s\n", c.synopsis, c.summary)
	if len(c.examples) > 0 {
		b.WriteString("\nExamples:\n")
		for _, e := range c.examples {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	for _, g := range c.groups {
		if len(g.names) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s:\n", g.title)
		for _, name := range g.names {
			writeFlag(&b, c.fs.Lookup(name))
		}
	}
	for _, g := range c.groups {
		if len(g.names) > 0 {
			fmt.Fprintf(&b, "\nEvery flag can also be set by an environment variable: --%s is %s, and so on.\n", g.names[0], envName(g.names[0]))
			break
		}
	}
	_, _ = io.WriteString(w, b.String())
}

// writeFlag writes one flag the way flag.PrintDefaults does, with two
// dashes.
func writeFlag(b *strings.Builder, f *flag.Flag) {
	fmt.Fprintf(b, "  --%s", f.Name)
	typ, usage := flag.UnquoteUsage(f)
	if typ != "" {
		fmt.Fprintf(b, " %s", typ)
	}
	b.WriteString("\n    \t")
	b.WriteString(strings.ReplaceAll(usage, "\n", "\n    \t"))
	if !slices.Contains([]string{"", "0", "false", "0s"}, f.DefValue) {
		if g, ok := f.Value.(flag.Getter); ok {
			if _, isString := g.Get().(string); isString {
				fmt.Fprintf(b, " (default %q)", f.DefValue)
				b.WriteString("\n")
				return
			}
		}
		fmt.Fprintf(b, " (default %v)", f.DefValue)
	}
	b.WriteString("\n")
}

// envName is the environment variable of a flag: --es-url is
// NEWSWIRE_ES_URL.
func envName(flagName string) string {
	return "NEWSWIRE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}
