package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/vulndb"
)

// dbError marks a missing, unreadable or stale vulnerability database (exit code 3).
type dbError struct{ error }

func (e dbError) Unwrap() error { return e.error }

// dbOptions choose the database a command reads.
type dbOptions struct {
	path   string
	maxAge time.Duration
}

func (d *dbOptions) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&d.path, "db", "", "vulnerability database file (default: the cache directory + /db/hullscan.db)")
	cmd.Flags().DurationVar(&d.maxAge, "db-max-age", 7*24*time.Hour, "warn when the database was built longer ago than this")
}

func (d *dbOptions) file(g *globalOptions) string {
	if d.path != "" {
		return d.path
	}
	return defaultDBPath(g)
}

func defaultDBPath(g *globalOptions) string {
	dir := g.cacheDir
	if dir == "" {
		if ucd, err := os.UserCacheDir(); err == nil {
			dir = filepath.Join(ucd, "hullscan")
		}
	}
	return filepath.Join(dir, "db", "hullscan.db")
}

// open opens the database, failing loudly (exit code 3) when there is none: a scan without advisories must never
// look like a scan that found nothing.
func (d *dbOptions) open(g *globalOptions) (*vulndb.DB, error) {
	path := d.file(g)
	db, err := vulndb.Open(path)
	if err != nil {
		if errors.Is(err, vulndb.ErrNoDatabase) {
			return nil, dbError{fmt.Errorf("%w: build one with `hullscan db build --from DIR --output %s` (or pass --db FILE)", err, path)}
		}
		return nil, dbError{err}
	}
	if age := time.Since(db.Meta().Built); d.maxAge > 0 && age > d.maxAge && !g.quiet {
		fmt.Fprintf(os.Stderr, "warning: the vulnerability database %s was built %s ago (%s), over --db-max-age %s\n",
			path, age.Round(time.Hour), db.Meta().Built.Format(time.RFC3339), d.maxAge)
	}
	return db, nil
}

func newDBCmd(g *globalOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Build, publish, update and inspect the vulnerability database",
	}
	cmd.AddCommand(newDBBuildCmd(g), newDBStatusCmd(g), newDBUpdateCmd(g), newDBPublishCmd(g))
	return cmd
}

func newDBBuildCmd(g *globalOptions) *cobra.Command {
	var (
		from   []string
		output string
	)
	cmd := &cobra.Command{
		Use:   "build --from PATH [--from PATH ...] [--output FILE]",
		Short: "Build a vulnerability database from advisory feeds",
		Long: `Build a vulnerability database from advisory feeds, each recognised by its content:

  a folder in osv.dev's export layout (<Ecosystem>/all.zip), or of OSV JSON files
  an OSV zip, or one OSV JSON record
  the CISA KEV catalogue (known_exploited_vulnerabilities.json)
  FIRST EPSS scores (epss_scores-YYYY-MM-DD.csv, gzip-compressed or not)
  the Debian security tracker's JSON (https://security-tracker.debian.org/tracker/data/json)

The file is written atomically: an interrupted build leaves an existing database as it was.
Withdrawn advisories are dropped; malformed records and unknown ecosystems are counted and reported.`,
		Example: `  hullscan db build --from ../shared/vulndata/osv --from kev.json --output hullscan.db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(from) == 0 {
				return usageError{errors.New("db build: give at least one --from PATH")}
			}
			if output == "" {
				output = defaultDBPath(g)
			}
			start := time.Now()
			b := vulndb.NewBuilder()
			if !g.quiet {
				b.Progress = func(s string) { fmt.Fprintln(os.Stderr, s) }
			}
			for _, f := range from {
				if err := b.Add(f); err != nil {
					return usageError{err}
				}
			}
			meta, err := b.Write(output, time.Now())
			if err != nil {
				return err
			}
			fi, err := os.Stat(output)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s: %d bytes in %s\n", output, fi.Size(), time.Since(start).Round(time.Millisecond))
			return printMeta(cmd, meta, false)
		},
	}
	cmd.Flags().StringArrayVar(&from, "from", nil, "a feed to read (repeatable)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "database file to write (default: the cache directory + /db/hullscan.db)")
	return cmd
}

func newDBStatusCmd(g *globalOptions) *cobra.Command {
	var (
		d      dbOptions
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Print the vulnerability database's metadata: schema, build time, feeds and their counts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := d.open(g)
			if err != nil {
				return err
			}
			defer db.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "database %s\n", db.Path())
			return printMeta(cmd, db.Meta(), asJSON)
		},
	}
	d.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the metadata as JSON")
	return cmd
}

func printMeta(cmd *cobra.Command, m vulndb.Meta, asJSON bool) error {
	out := cmd.OutOrStdout()
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(m)
	}
	fmt.Fprintf(out, "schema %d, built %s\n", m.SchemaVersion, m.Built.Format(time.RFC3339))
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tRECORDS\tNEWEST\tSKIPPED")
	for _, f := range m.Feeds {
		newest := "-"
		if !f.Newest.IsZero() {
			newest = f.Newest.Format("2006-01-02")
		}
		var skipped []string
		for _, k := range sortedStrings(f.Skipped) {
			skipped = append(skipped, fmt.Sprintf("%d %s", f.Skipped[k], k))
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", f.Name, f.Records, newest, strings.Join(skipped, ", "))
	}
	return tw.Flush()
}

func sortedStrings(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
