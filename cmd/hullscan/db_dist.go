package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"

	"github.com/hullscan/hullscan/internal/vulndb"
)

// envDBRepository names the database to update from when neither --db-repository nor --url is given.
const envDBRepository = "HULLSCAN_DB_REPOSITORY"

func newDBUpdateCmd(g *globalOptions) *cobra.Command {
	var (
		repo, rawURL, path string
		insecure           bool
	)
	cmd := &cobra.Command{
		Use:   "update [--db-repository REF | --url URL] [--db FILE] [--insecure]",
		Short: "Fetch a published vulnerability database and install it",
		Long: `Fetch a published vulnerability database and install it in place of the one at --db.

The source is an OCI artifact pushed by ` + "`hullscan db publish`" + ` (--db-repository, or the
` + envDBRepository + ` environment variable), or a zstd-compressed file on an HTTPS server with its
sha256 at URL.sha256 (--url; written by ` + "`hullscan db publish --file`" + `).

The download is checked against its digest and opened before it replaces anything: a failed or
interrupted update leaves the old database working. Scans never update the database themselves.`,
		Example: `  hullscan db update --db-repository registry.example.com/security/hullscan-db:1
  hullscan db update --url https://mirror.example.com/hullscan/hullscan.db.zst`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if repo != "" && rawURL != "" {
				return usageError{errors.New("db update: give --db-repository or --url, not both")}
			}
			src := repo
			if rawURL != "" {
				if !strings.HasPrefix(rawURL, "https://") && !strings.HasPrefix(rawURL, "http://") {
					return usageError{fmt.Errorf("db update: --url %q is not an https:// URL", rawURL)}
				}
				src = rawURL
			}
			if src == "" {
				src = os.Getenv(envDBRepository)
			}
			if src == "" {
				return usageError{fmt.Errorf("db update: no database to update from: give --db-repository REF or --url URL (or set %s)", envDBRepository)}
			}
			if path == "" {
				path = defaultDBPath(g)
			}
			progress, done := g.progress()
			opts := vulndb.RemoteOptions{Insecure: insecure, Keychain: authn.DefaultKeychain, Progress: progress}
			meta, err := vulndb.Update(cmd.Context(), src, path, opts)
			done()
			if err != nil {
				return dbError{err}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated %s from %s\n", path, src)
			return printMeta(cmd, meta, false)
		},
	}
	cmd.Flags().StringVar(&repo, "db-repository", "", "OCI reference of the published database (registry/repository[:tag|@digest]; default: $"+envDBRepository+")")
	cmd.Flags().StringVar(&rawURL, "url", "", "https:// URL of a zstd-compressed database, with its sha256 at URL.sha256")
	cmd.Flags().StringVar(&path, "db", "", "database file to replace (default: the cache directory + /db/hullscan.db)")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP and unverified TLS (the digest is still checked)")
	return cmd
}

func newDBPublishCmd(g *globalOptions) *cobra.Command {
	var (
		path, file string
		insecure   bool
	)
	cmd := &cobra.Command{
		Use:   "publish [--db FILE] (REF | --file OUT) [--insecure]",
		Short: "Publish a vulnerability database as an OCI artifact, or as a file for an HTTPS server",
		Long: `Publish a built vulnerability database for ` + "`hullscan db update`" + `:

  to a registry, as an OCI artifact (artifactType ` + vulndb.ArtifactType + `), for example an
  air-gapped mirror: hullscan db publish --db FILE REGISTRY/REPOSITORY[:TAG]

  as a zstd-compressed file and its OUT.sha256, to host on an HTTPS server:
  hullscan db publish --db FILE --file OUT

Registry credentials come from docker's config.json and credential helpers.`,
		Example: `  hullscan db publish --db hullscan.db registry.example.com/security/hullscan-db:1
  hullscan db publish --db hullscan.db --file /srv/www/hullscan/hullscan.db.zst`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (file != "") {
				return usageError{errors.New("db publish: give a registry reference or --file OUT (one of them)")}
			}
			if path == "" {
				path = defaultDBPath(g)
			}
			out := cmd.OutOrStdout()
			if file != "" {
				sum, err := vulndb.PublishFile(path, file)
				if err != nil {
					return dbError{err}
				}
				fmt.Fprintf(out, "wrote %s and %s.sha256 (sha256 %s)\n", file, file, sum)
				return nil
			}
			progress, done := g.progress()
			opts := vulndb.RemoteOptions{Insecure: insecure, Keychain: authn.DefaultKeychain, Progress: progress}
			digest, err := vulndb.Publish(cmd.Context(), path, args[0], opts)
			done()
			if err != nil {
				return dbError{err}
			}
			fmt.Fprintf(out, "pushed %s (%s)\n", args[0], digest)
			return nil
		},
	}
	cmd.Flags().StringVar(&path, "db", "", "database file to publish (default: the cache directory + /db/hullscan.db)")
	cmd.Flags().StringVar(&file, "file", "", "write the compressed database and its .sha256 here instead of pushing")
	cmd.Flags().BoolVar(&insecure, "insecure", false, "allow plain HTTP and unverified TLS for the registry")
	return cmd
}

// registerOfflineFlags adds Trivy's --skip-db-update and an --offline flag to a scanning command. Scans never update
// the database implicitly (they only read --db; `hullscan db update` is the one command that fetches it), so both
// are accepted as no-ops for Trivy-compatible scripts: setting them asserts what is already true, that a scan
// uses no network for its database. (A registry target is still fetched over the network: that is the target.)
func registerOfflineFlags(cmd *cobra.Command, skip, offline *bool) {
	cmd.Flags().BoolVar(skip, "skip-db-update", false, "accepted for Trivy compatibility: scans never update the database (see `hullscan db update`)")
	cmd.Flags().BoolVar(offline, "offline", false, "use no network for the vulnerability database (always the case; accepted for Trivy compatibility)")
}
