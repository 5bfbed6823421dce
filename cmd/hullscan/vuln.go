package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/gate"
	"github.com/hullscan/hullscan/internal/match"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/report"
	"github.com/hullscan/hullscan/internal/sbom"
	"github.com/hullscan/hullscan/internal/scan"
	"github.com/hullscan/hullscan/internal/source"
	"github.com/hullscan/hullscan/internal/vulndb"
)

// vulnCommand describes one of the scanning commands: image, fs, rootfs. They share everything but which
// targets they accept.
type vulnCommand struct {
	use, short, example string
	// target turns the argument into a target, or says why this command does not take it.
	target func(arg string) (source.Target, error)
}

var vulnCommands = []vulnCommand{
	{
		use:   "image TARGET",
		short: "Scan a container image for vulnerabilities",
		example: `  hullscan image app.tar
  hullscan image oci:./layout:1.0 --format json -o findings.json
  hullscan image registry.example.com/app:1.4 --db hullscan.db --format cyclonedx -o app.cdx.json`,
		target: func(arg string) (source.Target, error) {
			t, err := source.ParseTarget(arg)
			if err == nil && (t.Kind == source.Directory || t.Kind == source.RootFS) {
				return t, usageError{fmt.Errorf("%s is a directory: use `hullscan fs` or `hullscan rootfs`", arg)}
			}
			return t, err
		},
	},
	{
		use:     "fs DIR",
		short:   "Scan a project directory (lockfiles, installed packages, binaries) for vulnerabilities",
		example: `  hullscan fs ./app`,
		target: func(arg string) (source.Target, error) {
			t, err := source.ParseTarget(arg)
			if err == nil && t.Kind != source.Directory {
				return t, usageError{fmt.Errorf("%s is not a directory", arg)}
			}
			return t, err
		},
	},
	{
		use:     "rootfs DIR",
		short:   "Scan an unpacked root filesystem for vulnerabilities",
		example: `  hullscan rootfs /mnt/root`,
		target: func(arg string) (source.Target, error) {
			if !strings.HasPrefix(arg, "rootfs:") {
				arg = "rootfs:" + arg
			}
			return source.ParseTarget(arg)
		},
	},
}

// findingOptions are what every vulnerability command shares after it has an inventory: the database, matching,
// the report and the gate.
type findingOptions struct {
	db         dbOptions
	gate       gateOptions
	format     string
	output     string
	includeDev bool
	skip, off  bool
}

func (o *findingOptions) register(cmd *cobra.Command) {
	o.db.register(cmd)
	o.gate.register(cmd)
	registerOfflineFlags(cmd, &o.skip, &o.off)
	cmd.Flags().StringVarP(&o.format, "format", "f", "table", "output format: "+strings.Join(report.Formats(), ", "))
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write to this file instead of standard output")
	cmd.Flags().BoolVar(&o.includeDev, "include-dev", false, "also match development- and test-only dependencies")
}

// prepare checks the flags and opens the database: a missing one fails before minutes of scanning, not after.
func (o *findingOptions) prepare(cmd *cobra.Command, g *globalOptions) ([]gate.Rule, *vulndb.DB, error) {
	if !validFormat(o.format) {
		return nil, nil, usageError{fmt.Errorf("--format %q: want one of %s", o.format, strings.Join(report.Formats(), ", "))}
	}
	rules, err := o.gate.rules(cmd)
	if err != nil {
		return nil, nil, err
	}
	db, err := o.db.open(g)
	if err != nil {
		return nil, nil, err
	}
	return rules, db, nil
}

// finish matches the inventory, writes the report whole, then applies the gate.
func (o *findingOptions) finish(g *globalOptions, db *vulndb.DB, rules []gate.Rule, inv *model.Inventory) error {
	m, err := match.Match(db, inv, match.Options{IncludeDev: o.includeDev})
	if err != nil {
		return dbError{err}
	}
	if !g.quiet {
		for _, w := range append(append([]string(nil), inv.Warnings...), m.Warnings...) {
			fmt.Fprintf(os.Stderr, "warning: %s\n", w)
		}
	}
	if err := writeOutput(o.output, func(w io.Writer, color bool) error {
		return report.Write(w, o.format, inv, report.Options{ToolVersion: toolVersion(), Color: color, Matches: m})
	}); err != nil {
		return err
	}
	return o.gate.check(rules, m.Findings, g.quiet)
}

func newVulnCmd(g *globalOptions, vc vulnCommand) *cobra.Command {
	var (
		t targetOptions
		o findingOptions
	)
	cmd := &cobra.Command{
		Use:     vc.use,
		Short:   vc.short,
		Example: vc.example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			target, err := vc.target(args[0])
			if err != nil {
				return err
			}
			rules, db, err := o.prepare(cmd, g)
			if err != nil {
				return err
			}
			defer db.Close()
			opts := t.scanOptions(g)
			var clear func()
			opts.Progress, clear = g.progress()
			inv, err := scan.Run(cmd.Context(), target, opts)
			clear()
			if err != nil {
				return err
			}
			return o.finish(g, db, rules, inv)
		},
	}
	t.register(cmd)
	o.register(cmd)
	return cmd
}

func newSBOMScanCmd(g *globalOptions) *cobra.Command {
	var o findingOptions
	cmd := &cobra.Command{
		Use:   "sbom-scan FILE",
		Short: "Scan a CycloneDX or SPDX (JSON) SBOM for vulnerabilities, without the artefact it describes",
		Long: `Scan a CycloneDX or SPDX JSON SBOM for vulnerabilities. An SBOM written by hullscan carries everything the
scan knew (source packages, locations, layers), so its findings equal those of scanning the artefact itself.
SBOMs from other tools are read from their purls.`,
		Example: `  hullscan sbom app.tar --format cyclonedx -o app.cdx.json
  hullscan sbom-scan app.cdx.json --db hullscan.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rules, db, err := o.prepare(cmd, g)
			if err != nil {
				return err
			}
			defer db.Close()
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			inv, err := sbom.Read(f, args[0])
			f.Close()
			if err != nil {
				return usageError{err}
			}
			return o.finish(g, db, rules, inv)
		},
	}
	o.register(cmd)
	return cmd
}
