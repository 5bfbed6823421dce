// Command hullscan scans container images, root filesystems and project trees. This file only wires commands to
// the packages that do the work.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hullscan/hullscan/internal/source"
)

// Exit codes are a contract for scripts (documented in the README).
const (
	exitOK       = 0
	exitGate     = 1 // a scan's gate failed (the vulnerability commands)
	exitInput    = 2 // usage error, or the target or a file given is unusable
	exitDatabase = 3 // vulnerability database missing, stale past the limit, or corrupt
	exitInternal = 4 // a bug or an environment failure (disk full, …)
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the module version is used.
var version = ""

func toolVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// globalOptions are the flags every command shares.
type globalOptions struct {
	quiet    bool
	cacheDir string
	noCache  bool
}

func (g *globalOptions) cache() string {
	if g.noCache {
		return ""
	}
	if g.cacheDir != "" {
		return g.cacheDir
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "hullscan")
}

// progress returns a progress printer for stderr when it is a terminal and --quiet is off, else nil: no ANSI codes
// ever reach a pipe or a CI log.
func (g *globalOptions) progress() (func(string), func()) {
	if g.quiet || !term.IsTerminal(int(os.Stderr.Fd())) {
		return nil, func() {}
	}
	return func(msg string) { fmt.Fprintf(os.Stderr, "\r\x1b[K%s", msg) },
		func() { fmt.Fprint(os.Stderr, "\r\x1b[K") }
}

// usageError marks a command-line mistake.
type usageError struct{ error }

func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "hullscan",
		Short:         "Scan container images, root filesystems and projects for packages and vulnerabilities",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       toolVersion(),
	}
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "no progress output")
	root.PersistentFlags().StringVar(&g.cacheDir, "cache-dir", "", "cache directory (default: the user cache directory + /hullscan)")
	root.PersistentFlags().BoolVar(&g.noCache, "no-cache", false, "neither read nor write the layer and blob caches")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newSBOMCmd(g))
	for _, vc := range vulnCommands {
		root.AddCommand(newVulnCmd(g, vc))
	}
	root.AddCommand(newSBOMScanCmd(g), newDBCmd(g), newExceptionsCmd())
	return root
}

func exitCode(err error) int {
	var (
		ue usageError
		de dbError
	)
	if code, ok := gateExitCode(err); ok {
		return code
	}
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &de):
		return exitDatabase
	case errors.As(err, &ue), source.IsInputError(err):
		return exitInput
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "accepts "),
		strings.HasPrefix(err.Error(), "requires "):
		return exitInput // cobra's own usage errors
	}
	return exitInternal
}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) (code int) {
	defer func() {
		if v := recover(); v != nil {
			fmt.Fprintf(os.Stderr, "hullscan: internal error: %v\n%s", v, debug.Stack())
			code = exitInternal
		}
	}()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "hullscan: %v\n", err)
	}
	return exitCode(err)
}
