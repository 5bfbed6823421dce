package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/gate"
	"github.com/hullscan/hullscan/internal/model"
)

// exceptionsFileOptions find the exceptions file and the lifetimes it is checked against: --file, else the
// policy's exceptions.file, else .hullscan/exceptions.yaml.
type exceptionsFileOptions struct {
	file   string
	policy string
}

func (o *exceptionsFileOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.file, "file", "", "exceptions file (default: the policy's exceptions.file, else "+gate.DefaultExceptionsFile+")")
	cmd.Flags().StringVar(&o.policy, "policy", "", "policy file giving the maximum lifetimes (default ./"+gate.DefaultPolicyFile+" when present)")
}

func (o *exceptionsFileOptions) resolve() (string, gate.Lifetimes, error) {
	pol, err := loadPolicy(o.policy)
	if err != nil {
		return "", nil, err
	}
	lim, file := gate.DefaultLifetimes, o.file
	if pol != nil {
		lim = pol.Lifetimes
		if file == "" && pol.ExceptionsFile != "" {
			file = relativeTo(pol.File, pol.ExceptionsFile)
		}
	}
	if file == "" {
		file = gate.DefaultExceptionsFile
	}
	return file, lim, nil
}

// load reads and checks the exceptions file, as of now.
func (o *exceptionsFileOptions) load(now time.Time) (*gate.Exceptions, error) {
	file, lim, err := o.resolve()
	if err != nil {
		return nil, err
	}
	x, err := gate.LoadExceptions(file, lim, now)
	if err != nil {
		return nil, usageError{err}
	}
	return x, nil
}

func newExceptionsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "exceptions",
		Short: "Keep the exceptions file: add entries, list them with their expiry, lint it",
		Long: `An exception lets a finding through the gate for a time: it names a vulnerability (any alias matches),
optionally a package, purl and scope, a classification (accepted-risk, false-positive, fix-scheduled), an owner,
a reason and an expiry date. The file format is described in docs/ci.md; docs/schema/exceptions.schema.json
lets editors check it.`,
	}
	cmd.AddCommand(newExceptionsAddCmd(), newExceptionsListCmd(), newExceptionsLintCmd())
	return cmd
}

func newExceptionsLintCmd() *cobra.Command {
	var (
		o       exceptionsFileOptions
		soon    int
		reports []string
	)
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check the exceptions file: every error with its line; expired, soon-expiring and (with --report) unused entries",
		Example: `  hullscan exceptions lint
  hullscan image app.tar --format json=app.json; hullscan exceptions lint --report app.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			now := time.Now()
			x, err := o.load(now)
			if err != nil {
				return err
			}
			scans, err := readScanReports(reports)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			expired, expiring, unused := 0, 0, 0
			for i := range x.Entries {
				e := &x.Entries[i]
				switch left := daysLeft(e, now); {
				case e.Expired(now):
					expired++
					fmt.Fprintf(w, "%s: warning: %s (owner %s) expired on %s: renew it or remove it\n", e.Where(), e.ID, e.Owner, e.ExpiresText())
				case left <= soon:
					expiring++
					fmt.Fprintf(w, "%s: note: %s (owner %s) expires in %d day(s), on %s\n", e.Where(), e.ID, e.Owner, left, e.ExpiresText())
				}
				if len(scans) > 0 && !usedIn(e, scans) {
					unused++
					fmt.Fprintf(w, "%s: note: %s (owner %s) matches no finding in the %d report(s) given: remove it if the vulnerability is gone everywhere it is scoped to\n",
						e.Where(), e.ID, e.Owner, len(scans))
				}
			}
			fmt.Fprintf(w, "%s: %d exception(s), %d expired, %d expiring within %d days", x.File, len(x.Entries), expired, expiring, soon)
			if len(scans) > 0 {
				fmt.Fprintf(w, ", %d matching no finding in %d report(s)", unused, len(scans))
			}
			fmt.Fprintln(w)
			return nil
		},
	}
	o.register(cmd)
	cmd.Flags().IntVar(&soon, "warn-days", 14, "note entries that expire within this many days")
	cmd.Flags().StringArrayVar(&reports, "report", nil, "a JSON report of a scan (--format json); entries matching no finding in any report are noted (repeatable)")
	return cmd
}

// scanReport is the part of a JSON report (--format json) lint reads: the target and its findings.
type scanReport struct {
	source   model.Source
	findings []model.Finding
}

func readScanReports(paths []string) ([]scanReport, error) {
	var out []scanReport
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, usageError{fmt.Errorf("--report: %w", err)}
		}
		var doc struct {
			Source          model.Source
			Vulnerabilities *struct {
				Findings []model.Finding
			}
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, usageError{fmt.Errorf("--report %s: not a hullscan JSON report: %w", p, err)}
		}
		if doc.Vulnerabilities == nil {
			return nil, usageError{fmt.Errorf("--report %s: no vulnerabilities section (write it with hullscan image|fs|rootfs|sbom-scan --format json)", p)}
		}
		out = append(out, scanReport{source: doc.Source, findings: doc.Vulnerabilities.Findings})
	}
	return out, nil
}

// usedIn tells whether the exception covers a finding of any report, suppressed by it or not.
func usedIn(e *gate.Exception, scans []scanReport) bool {
	for _, s := range scans {
		names := gate.TargetNames(s.source)
		for i := range s.findings {
			if e.Matches(&s.findings[i], names) {
				return true
			}
		}
	}
	return false
}

func daysLeft(e *gate.Exception, now time.Time) int {
	today, _ := time.Parse(time.DateOnly, now.UTC().Format(time.DateOnly))
	return int(e.Expires.Sub(today).Hours() / 24)
}

func newExceptionsListCmd() *cobra.Command {
	var o exceptionsFileOptions
	var format string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List exceptions, soonest expiry first, with how long each has left",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return usageError{fmt.Errorf("--format %q: want table or json", format)}
			}
			now := time.Now()
			x, err := o.load(now)
			if err != nil {
				return err
			}
			entries := x.Entries
			sort.SliceStable(entries, func(i, j int) bool { return entries[i].Expires.Before(entries[j].Expires) })
			return writeExceptionList(cmd.OutOrStdout(), format, entries, now)
		},
	}
	o.register(cmd)
	cmd.Flags().StringVarP(&format, "format", "f", "table", "table or json")
	return cmd
}

func writeExceptionList(w io.Writer, format string, entries []gate.Exception, now time.Time) error {
	type row struct {
		ID             string   `json:"id"`
		Package        string   `json:"package,omitempty"`
		PURL           string   `json:"purl,omitempty"`
		Scope          []string `json:"scope,omitempty"`
		Classification string   `json:"classification"`
		Owner          string   `json:"owner"`
		Reason         string   `json:"reason"`
		Expires        string   `json:"expires"`
		DaysLeft       int      `json:"days_left"`
		Expired        bool     `json:"expired"`
		Source         string   `json:"source"`
	}
	rows := make([]row, len(entries))
	for i := range entries {
		e := &entries[i]
		rows[i] = row{e.ID, e.Package, e.PURL, e.Scope, e.Classification, e.Owner, e.Reason, e.ExpiresText(), daysLeft(e, now), e.Expired(now), e.Where()}
	}
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"exceptions": rows})
	}
	if len(rows) == 0 {
		_, err := fmt.Fprintln(w, "no exceptions")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPACKAGE\tSCOPE\tCLASSIFICATION\tOWNER\tEXPIRES\tSTATUS\tSOURCE")
	for _, r := range rows {
		status := fmt.Sprintf("%d days left", r.DaysLeft)
		switch {
		case r.Expired:
			status = "EXPIRED"
		case r.DaysLeft == 0:
			status = "last day"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oneLine(r.ID), oneLine(cmp.Or(r.Package, r.PURL)), oneLine(strings.Join(r.Scope, ",")),
			r.Classification, oneLine(r.Owner), r.Expires, status, r.Source)
	}
	return tw.Flush()
}

// oneLine keeps a cell on its line: tabs and line breaks would break the columns.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newExceptionsAddCmd() *cobra.Command {
	var (
		o exceptionsFileOptions
		e struct {
			id, pkg, purl, classification, owner, reason, expires string
			scope                                                 []string
		}
	)
	cmd := &cobra.Command{
		Use:   "add",
		Short: "Append an exception, checked against the policy's lifetimes, keeping the file's comments and order",
		Example: `  hullscan exceptions add --id CVE-2021-44906 --package minimist --classification accepted-risk \
    --owner team-payments --reason "not reachable: input is trusted" --expires 60d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			file, lim, err := o.resolve()
			if err != nil {
				return err
			}
			now := time.Now().UTC()
			expires, err := expiryDate(e.expires, now)
			if err != nil {
				return usageError{fmt.Errorf("--expires: %w", err)}
			}
			old, err := os.ReadFile(file)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return usageError{err}
			}
			entry := renderException(e.id, e.pkg, e.purl, e.scope, e.classification, e.owner, e.reason, expires, now.Format(time.DateOnly))
			data := appendException(old, entry)
			// The whole new file is checked before it replaces the old one, so add never writes a file lint rejects.
			x, err := gate.ParseExceptions(data, file, lim, now)
			if err != nil {
				return usageError{err}
			}
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := writeOutput(file, func(w io.Writer, _ bool) error { _, err := w.Write(data); return err }); err != nil {
				return err
			}
			last := x.Entries[len(x.Entries)-1]
			fmt.Fprintf(cmd.OutOrStdout(), "%s: added %s (%s, owner %s) until %s\n", last.Where(), last.ID, last.Classification, last.Owner, last.ExpiresText())
			return nil
		},
	}
	o.register(cmd)
	f := cmd.Flags()
	f.StringVar(&e.id, "id", "", "vulnerability id: CVE, GHSA or distribution advisory (any alias of a finding matches)")
	f.StringVar(&e.pkg, "package", "", "only this package (name or glob)")
	f.StringVar(&e.purl, "purl", "", "only this package URL (without a version: every version)")
	f.StringArrayVar(&e.scope, "scope", nil, "only in targets or paths matching this glob (repeatable; ** crosses /)")
	f.StringVar(&e.classification, "classification", "", "accepted-risk, false-positive or fix-scheduled")
	f.StringVar(&e.owner, "owner", "", "who answers for the exception (a team or person)")
	f.StringVar(&e.reason, "reason", "", "why the finding may pass")
	f.StringVar(&e.expires, "expires", "", "last day it holds: YYYY-MM-DD, or a number of days from today (30d, 4w)")
	return cmd
}

// expiryDate reads YYYY-MM-DD or a count of days from today.
func expiryDate(s string, now time.Time) (string, error) {
	if s == "" {
		return "", errors.New("required (YYYY-MM-DD, or days from today such as 30d)")
	}
	if _, err := time.Parse(time.DateOnly, s); err == nil {
		return s, nil
	}
	n := strings.TrimSuffix(strings.TrimSuffix(s, "d"), "w")
	days, err := strconv.Atoi(n)
	if err != nil || days <= 0 {
		return "", fmt.Errorf("%q: want YYYY-MM-DD or a number of days such as 30d or 4w", s)
	}
	if strings.HasSuffix(s, "w") {
		days *= 7
	}
	return now.AddDate(0, 0, days).Format(time.DateOnly), nil
}

// renderException writes one entry as YAML. Values are quoted as JSON strings (valid YAML), so a reason with a
// colon or a leading "*" stays a string.
func renderException(id, pkg, purl string, scope []string, class, owner, reason, expires, created string) []byte {
	q := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b bytes.Buffer
	fmt.Fprintf(&b, "  - id: %s\n", q(id))
	if pkg != "" {
		fmt.Fprintf(&b, "    package: %s\n", q(pkg))
	}
	if purl != "" {
		fmt.Fprintf(&b, "    purl: %s\n", q(purl))
	}
	if len(scope) > 0 {
		qs := make([]string, len(scope))
		for i, s := range scope {
			qs[i] = q(s)
		}
		fmt.Fprintf(&b, "    scope: [%s]\n", strings.Join(qs, ", "))
	}
	fmt.Fprintf(&b, "    classification: %s\n    owner: %s\n    reason: %s\n    created: %s\n    expires: %s\n",
		q(class), q(owner), q(reason), created, expires)
	return b.Bytes()
}

// appendException adds the entry at the end of the file's exceptions list. Text is appended rather than the
// YAML re-encoded, so comments and layout people wrote survive; the caller parses the result before writing it.
func appendException(old, entry []byte) []byte {
	trimmed := bytes.TrimRight(old, " \t\r\n")
	if len(bytes.TrimSpace(old)) == 0 {
		return append([]byte("# Exceptions to the hullscan gate: see docs/ci.md.\nexceptions:\n"), entry...)
	}
	out := append(append([]byte(nil), trimmed...), '\n')
	// "exceptions: []" or "exceptions:" with nothing after it as the last line: make it a block list.
	lines := bytes.Split(trimmed, []byte("\n"))
	lastLine := bytes.TrimSpace(lines[len(lines)-1])
	if bytes.Equal(lastLine, []byte("exceptions: []")) {
		out = append(append([]byte(nil), bytes.TrimSuffix(trimmed, []byte("[]"))...), '\n')
	}
	return append(out, entry...)
}
