package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/gate"
	"github.com/hullscan/hullscan/internal/model"
	"github.com/hullscan/hullscan/internal/vex"
)

// gateOptions are the flags that decide when a scan fails. The rules come from the policy file (--policy, else
// ./hullscan.yaml when present, else the default rule: CRITICAL with a fix available); any of --severity,
// --fixable, --kev and --epss makes one rule (their conjunction) that replaces them, as command-line flags
// override a config file.
type gateOptions struct {
	severity       string
	fixable        bool
	kev            bool
	epss           float64
	exitCode       int
	policy         string
	exceptions     string
	vex            []string
	showSuppressed bool
}

func (o *gateOptions) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.severity, "severity", "", "fail on findings of these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
	f.BoolVar(&o.fixable, "fixable", false, "fail only on findings with a fixed version to upgrade to")
	f.BoolVar(&o.kev, "kev", false, "fail only on findings in CISA's Known Exploited Vulnerabilities catalogue")
	f.Float64Var(&o.epss, "epss", 0, "fail only on findings with an EPSS score at least this high (0 to 1)")
	f.IntVar(&o.exitCode, "exit-code", exitGate, "exit code when the gate fails (0: never fail)")
	f.StringVar(&o.policy, "policy", "", "policy file with fail rules, exception lifetimes and VEX documents (default ./"+gate.DefaultPolicyFile+" when present)")
	f.StringVar(&o.exceptions, "exceptions", "", "exceptions file (default: the policy's exceptions.file, else ./"+gate.DefaultExceptionsFile+" when present)")
	f.StringArrayVar(&o.vex, "vex", nil, "OpenVEX or CycloneDX VEX document whose not_affected and fixed statements suppress findings (repeatable)")
	f.BoolVar(&o.showSuppressed, "show-suppressed", false, "list suppressed findings in the table and Markdown reports, with the reason (they are always counted)")
}

// gateSetup is everything the gate needs, loaded and checked before the scan starts: a malformed exceptions file
// fails in a second, not after minutes of scanning.
type gateSetup struct {
	rules      []gate.Rule
	exceptions *gate.Exceptions
	vex        []*vex.Document
}

// loadPolicy reads the policy file named by --policy, or ./hullscan.yaml when it exists; nil when there is none.
func loadPolicy(path string) (*gate.Policy, error) {
	explicit := path != ""
	if !explicit {
		path = gate.DefaultPolicyFile
	}
	p, err := gate.LoadPolicy(path)
	if err != nil {
		if !explicit && errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, usageError{fmt.Errorf("--policy: %w", err)}
	}
	return p, nil
}

func (o *gateOptions) load(cmd *cobra.Command, now time.Time) (*gateSetup, error) {
	if o.epss < 0 || o.epss > 1 {
		return nil, usageError{fmt.Errorf("--epss %v: want a score from 0 to 1", o.epss)}
	}
	if o.exitCode < 0 || o.exitCode > 125 {
		return nil, usageError{fmt.Errorf("--exit-code %d: want 0 to 125", o.exitCode)}
	}
	pol, err := loadPolicy(o.policy)
	if err != nil {
		return nil, err
	}
	s := &gateSetup{rules: []gate.Rule{gate.DefaultRule}}
	lifetimes := gate.DefaultLifetimes
	var vexFiles []string
	exFile, exExplicit := o.exceptions, o.exceptions != ""
	if pol != nil {
		s.rules, lifetimes = pol.Rules, pol.Lifetimes
		for _, v := range pol.VEX {
			vexFiles = append(vexFiles, relativeTo(pol.File, v))
		}
		if !exExplicit && pol.ExceptionsFile != "" {
			exFile, exExplicit = relativeTo(pol.File, pol.ExceptionsFile), true
		}
	}
	f := cmd.Flags()
	if f.Changed("severity") || f.Changed("fixable") || f.Changed("kev") || f.Changed("epss") {
		r := gate.Rule{Fixable: o.fixable, KEV: o.kev, EPSS: o.epss}
		if f.Changed("severity") {
			sevs, err := gate.ParseSeverities(o.severity)
			if err != nil {
				return nil, usageError{fmt.Errorf("--severity: %w", err)}
			}
			r.Severities = sevs
		}
		s.rules = []gate.Rule{r}
	}
	if !exExplicit {
		exFile = gate.DefaultExceptionsFile
	}
	s.exceptions, err = gate.LoadExceptions(exFile, lifetimes, now)
	if err != nil {
		if !exExplicit && errors.Is(err, fs.ErrNotExist) {
			s.exceptions = nil
		} else {
			return nil, usageError{fmt.Errorf("exceptions: %w", err)}
		}
	}
	for _, path := range append(vexFiles, o.vex...) {
		d, err := readVEX(path)
		if err != nil {
			return nil, usageError{fmt.Errorf("--vex: %w", err)}
		}
		s.vex = append(s.vex, d)
	}
	return s, nil
}

func readVEX(path string) (*vex.Document, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	return vex.Read(fh, path)
}

// relativeTo resolves a path written in a file against that file's directory.
func relativeTo(file, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(file), path)
}

// gateError is a failed gate: the report was written, and the exit code says the scan failed.
type gateError struct {
	code int
	msg  string
}

func (e gateError) Error() string { return e.msg }

// decide applies the gate to the matches, so that reports can show the verdict.
func (s *gateSetup) decide(inv *model.Inventory, m *model.Matches, now time.Time) *model.Verdict {
	return gate.Apply(gate.Input{Rules: s.rules, Exceptions: s.exceptions, VEX: s.vex, Target: inv.Source, Now: now}, m)
}

// check turns the verdict into the exit status after the report is written, and says on stderr which findings
// failed it and which exceptions have expired. --quiet does not hide these: they are the outcome, not progress.
func (o *gateOptions) check(m *model.Matches) error {
	v := m.Verdict
	for _, x := range v.Expired {
		fmt.Fprintf(os.Stderr, "warning: exception for %s (%s, owner %s) expired on %s and no longer suppresses %d finding(s)\n",
			x.ID, x.Source, x.Owner, x.Expires, x.Matches)
	}
	if v.Passed || o.exitCode == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gate failed: %d finding(s) match the fail rules", v.Failing)
	if v.Suppressed > 0 {
		fmt.Fprintf(&b, " (%d suppressed by exceptions or VEX)", v.Suppressed)
	}
	const show = 5
	n := 0
	for i := range m.Findings {
		f := &m.Findings[i]
		if f.FailedRule == "" {
			continue
		}
		if n == show {
			fmt.Fprintf(&b, "\n  … and %d more", v.Failing-show)
			break
		}
		n++
		fix := "no fix yet"
		if f.Status == model.StatusFixed {
			fix = "fixed in " + f.FixedVersion
		}
		fmt.Fprintf(&b, "\n  %s %s %s %s (%s) — rule %q", f.Severity, f.ID, f.Package, f.Installed, fix, f.FailedRule)
	}
	return gateError{code: o.exitCode, msg: b.String()}
}

// gateExitCode is the exit code of a failed gate, if err is one.
func gateExitCode(err error) (int, bool) {
	var ge gateError
	if errors.As(err, &ge) {
		return ge.code, true
	}
	return 0, false
}
