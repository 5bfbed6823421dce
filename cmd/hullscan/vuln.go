package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/match"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/report"
	"github.com/hullscan/hullscan/internal/sbom"
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
  hullscan image registry.example.com/app:1.4 --db hullscan.db --format cyclonedx -o app.cdx.json
  hullscan image app.tar --format table --format sarif=hullscan.sarif --format junit=junit.xml
  hullscan image app.tar --policy hullscan.yaml --exceptions .hullscan/exceptions.yaml --vex app.openvex.json
  hullscan image app.tar --severity HIGH,CRITICAL --fixable --exit-code 3`,
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
// the reports and the gate.
type findingOptions struct {
	db         dbOptions
	gate       gateOptions
	formats    []string
	output     string
	template   string
	includeDev bool
	skip, off  bool
}

func (o *findingOptions) register(cmd *cobra.Command) {
	o.db.register(cmd)
	o.gate.register(cmd)
	registerOfflineFlags(cmd, &o.skip, &o.off)
	cmd.Flags().StringArrayVarP(&o.formats, "format", "f", nil, "report format: "+strings.Join(report.Formats(), ", ")+
		"; repeat as FORMAT=FILE to write several reports in one run (default table)")
	cmd.Flags().StringVarP(&o.output, "output", "o", "", "write the report whose --format has no =FILE here instead of standard output")
	cmd.Flags().StringVar(&o.template, "template", "", "Go template for --format template: the text, or @FILE")
	cmd.Flags().BoolVar(&o.includeDev, "include-dev", false, "also match development- and test-only dependencies")
}

// reportOutput is one report to write: a format and a file ("" for standard output).
type reportOutput struct{ format, path string }

// outputs reads the --format values: "table", "sarif=out.sarif". At most one report goes to --output or
// standard output; two reports to one file would overwrite each other, so that is refused too.
func (o *findingOptions) outputs() ([]reportOutput, error) {
	values := o.formats
	if len(values) == 0 {
		values = []string{report.FormatTable}
	}
	var outs []reportOutput
	plain, files := 0, map[string]bool{}
	for _, v := range values {
		name, path, hasPath := strings.Cut(v, "=")
		if !validFormat(name) {
			return nil, usageError{fmt.Errorf("--format %q: want one of %s", name, strings.Join(report.Formats(), ", "))}
		}
		if hasPath && path == "" {
			return nil, usageError{fmt.Errorf("--format %s=: the file name is empty", name)}
		}
		if !hasPath {
			plain++
			path = o.output
		}
		if info, err := os.Stat(path); path != "" && (err != nil || info.Mode().IsRegular()) {
			// Two reports renamed onto one file would lose one; a device such as /dev/null may take several.
			abs, _ := filepath.Abs(path)
			if files[abs] {
				return nil, usageError{fmt.Errorf("--format %s: %s is written by another --format too", v, path)}
			}
			files[abs] = true
		}
		outs = append(outs, reportOutput{format: name, path: path})
	}
	if plain > 1 {
		return nil, usageError{fmt.Errorf("--format: %d formats without =FILE; only one report can go to %s", plain, cmp.Or(o.output, "standard output"))}
	}
	if plain == 0 && o.output != "" {
		return nil, usageError{fmt.Errorf("--output %s: every --format names its own file", o.output)}
	}
	for _, out := range outs {
		if out.format == report.FormatTemplate && o.template == "" {
			return nil, usageError{fmt.Errorf("--format template needs --template (the text, or @FILE)")}
		}
	}
	return outs, nil
}

// templateText returns the --template text, reading @FILE.
func (o *findingOptions) templateText() (string, error) {
	if path, ok := strings.CutPrefix(o.template, "@"); ok {
		b, err := os.ReadFile(path)
		if err != nil {
			return "", usageError{fmt.Errorf("--template: %w", err)}
		}
		return string(b), nil
	}
	return o.template, nil
}

// prepared is what a vulnerability command checked and opened before scanning.
type prepared struct {
	outputs  []reportOutput
	template string
	gate     *gateSetup
	db       *vulndb.DB
	now      time.Time
}

// prepare checks the flags, the policy, exceptions and VEX files, and opens the database: a mistake in any of them
// fails before minutes of scanning, not after.
func (o *findingOptions) prepare(cmd *cobra.Command, g *globalOptions) (*prepared, error) {
	p := &prepared{now: time.Now()}
	var err error
	if p.outputs, err = o.outputs(); err != nil {
		return nil, err
	}
	if p.template, err = o.templateText(); err != nil {
		return nil, err
	}
	if p.gate, err = o.gate.load(cmd, p.now); err != nil {
		return nil, err
	}
	if p.db, err = o.db.open(g); err != nil {
		return nil, err
	}
	return p, nil
}

// finish matches the inventory, applies the gate, writes every report whole, then turns the verdict into the
// exit status.
func (o *findingOptions) finish(g *globalOptions, p *prepared, inv *model.Inventory) error {
	m, err := match.Match(p.db, inv, match.Options{IncludeDev: o.includeDev})
	if err != nil {
		return dbError{err}
	}
	if !g.quiet {
		for _, w := range append(append([]string(nil), inv.Warnings...), m.Warnings...) {
			fmt.Fprintf(os.Stderr, "warning: %s\n", w)
		}
	}
	p.gate.decide(inv, m, p.now)
	opts := report.Options{ToolVersion: toolVersion(), Matches: m, ShowSuppressed: o.gate.showSuppressed, Template: p.template,
		Now: func() time.Time { return p.now }}
	for _, out := range p.outputs {
		err := writeOutput(out.path, func(w io.Writer, color bool) error {
			opts := opts
			opts.Color = color
			return report.Write(w, out.format, inv, opts)
		})
		switch {
		case errors.Is(err, report.ErrNothingToWrite):
			// An OpenVEX document of no suppressions would be invalid; say so rather than fail the scan.
			fmt.Fprintf(os.Stderr, "warning: %s not written: %v\n", cmp.Or(out.path, "the "+out.format+" report"), err)
		case err != nil && out.format == report.FormatTemplate:
			return usageError{err} // the template is the user's input
		case err != nil:
			return err
		}
	}
	return o.gate.check(m)
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
			p, err := o.prepare(cmd, g)
			if err != nil {
				return err
			}
			defer p.db.Close()
			inv, err := t.scan(cmd, g, target)
			if err != nil {
				return err
			}
			return o.finish(g, p, inv)
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
			p, err := o.prepare(cmd, g)
			if err != nil {
				return err
			}
			defer p.db.Close()
			f, err := os.Open(args[0])
			if err != nil {
				return usageError{err}
			}
			inv, err := sbom.Read(f, args[0])
			f.Close()
			if err != nil {
				return usageError{err}
			}
			return o.finish(g, p, inv)
		},
	}
	o.register(cmd)
	return cmd
}
