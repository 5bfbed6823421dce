package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/gate"
	"github.com/hullscan/hullscan/internal/model"
)

// gateOptions are the flags that decide when a scan fails. Any of --severity, --fixable, --kev and --epss makes one
// rule (their conjunction) that replaces the default rule, CRITICAL with a fix available.
type gateOptions struct {
	severity string
	fixable  bool
	kev      bool
	epss     float64
	exitCode int
}

func (o *gateOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.severity, "severity", "", "fail on findings of these severities (comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL)")
	cmd.Flags().BoolVar(&o.fixable, "fixable", false, "fail only on findings with a fixed version to upgrade to")
	cmd.Flags().BoolVar(&o.kev, "kev", false, "fail only on findings in CISA's Known Exploited Vulnerabilities catalogue")
	cmd.Flags().Float64Var(&o.epss, "epss", 0, "fail only on findings with an EPSS score at least this high (0 to 1)")
	cmd.Flags().IntVar(&o.exitCode, "exit-code", exitGate, "exit code when the gate fails (0: never fail)")
}

func (o *gateOptions) rules(cmd *cobra.Command) ([]gate.Rule, error) {
	if o.epss < 0 || o.epss > 1 {
		return nil, usageError{fmt.Errorf("--epss %v: want a score from 0 to 1", o.epss)}
	}
	if o.exitCode < 0 || o.exitCode > 125 {
		return nil, usageError{fmt.Errorf("--exit-code %d: want 0 to 125", o.exitCode)}
	}
	f := cmd.Flags()
	if !f.Changed("severity") && !f.Changed("fixable") && !f.Changed("kev") && !f.Changed("epss") {
		return []gate.Rule{gate.DefaultRule}, nil
	}
	r := gate.Rule{Fixable: o.fixable, KEV: o.kev, EPSS: o.epss}
	if f.Changed("severity") {
		sevs, err := gate.ParseSeverities(o.severity)
		if err != nil {
			return nil, usageError{fmt.Errorf("--severity: %w", err)}
		}
		r.Severities = sevs
	}
	return []gate.Rule{r}, nil
}

// gateError is a failed gate: the report was written, and the exit code says the scan failed.
type gateError struct {
	code int
	msg  string
}

func (e gateError) Error() string { return e.msg }

// check applies the gate after the report is written, and says on stderr which findings failed it.
func (o *gateOptions) check(rules []gate.Rule, findings []model.Finding, quiet bool) error {
	res := gate.Evaluate(rules, findings)
	if !res.Failed || o.exitCode == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "gate failed: %d finding(s) match %q", len(res.Failing), res.Failing[0].Rule)
	if !quiet {
		const show = 5
		for i, fl := range res.Failing {
			if i == show {
				fmt.Fprintf(&b, "\n  … and %d more", len(res.Failing)-show)
				break
			}
			f := &findings[fl.Finding]
			fix := "no fix yet"
			if f.Status == model.StatusFixed {
				fix = "fixed in " + f.FixedVersion
			}
			fmt.Fprintf(&b, "\n  %s %s %s %s (%s)", f.Severity, f.ID, f.Package, f.Installed, fix)
		}
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
